"""Problems found in an upload, each located by sheet, row, column and the cell's text."""

from __future__ import annotations

from dataclasses import dataclass


class IngestError(Exception):
    """The whole file is refused (a Russian message for the user); nothing was written."""


@dataclass(frozen=True)
class Problem:
    level: str  # error | warning
    message: str
    sheet: str | None = None
    row: int | None = None
    col: str | None = None  # column letter
    header: str | None = None
    cell: str | None = None  # the cell's text as the user typed it

    @property
    def where(self) -> str:
        parts = []
        if self.sheet:
            parts.append(f"Лист «{self.sheet}»")
        if self.row:
            parts.append(f"строка {self.row}")
        if self.col:
            parts.append(f"столбец {self.col}" + (f" («{self.header}»)" if self.header else ""))
        return ", ".join(parts)

    @property
    def text(self) -> str:
        where = self.where
        return f"{where}: {self.message}" if where else self.message

    def as_dict(self) -> dict:
        return {"Уровень": "ошибка" if self.level == "error" else "предупреждение", "Где": self.where,
                "Значение в ячейке": self.cell or "", "Что не так": self.message}
