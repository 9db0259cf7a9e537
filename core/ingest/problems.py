"""Problems found in an upload, each located by sheet, row, column and the cell's text."""

from __future__ import annotations

from dataclasses import dataclass
from core.errors import Refused


class IngestError(Refused):
    """The whole file is refused (a Russian message for the user); nothing was written."""



@dataclass(frozen=True)
class Problem:
    level: str  # error | warning | note (a row or column skipped on purpose, or the file's period taken: said)
    message: str
    sheet: str | None = None
    row: int | None = None
    col: str | None = None  # column letter
    header: str | None = None
    cell: str | None = None  # the cell's text as the user typed it
    rows: tuple[int, ...] = ()  # one message for a cause found in several rows
    hidden: tuple[int, ...] = ()  # those of the rows that are hidden in the file
    schools: tuple[str, ...] = ()  # the school of each row as written in the file (code or name)

    @property
    def where(self) -> str:
        parts = []
        if self.sheet:
            parts.append(f"Лист «{self.sheet}»")
        rows = self.rows or ((self.row,) if self.row else ())
        if rows:
            parts.append(rows_text(rows, self.hidden))
        if self.col:
            parts.append(f"столбец {self.col}" + (f" («{self.header}»)" if self.header else ""))
        if self.schools:
            names = ", ".join(f"«{s}»" for s in self.schools[:10])
            more = f" и ещё {len(self.schools) - 10}" if len(self.schools) > 10 else ""
            parts.append(("школа " if len(self.schools) == 1 else "школы ") + names + more)
        return ", ".join(parts)

    @property
    def text(self) -> str:
        where = self.where
        return f"{where}: {self.message}" if where else self.message

    def as_dict(self) -> dict:
        return {"Уровень": LEVELS.get(self.level, "предупреждение"), "Где": self.where,
                "Значение в ячейке": self.cell or "", "Что не так": self.message}


LEVELS = {"error": "ошибка", "warning": "предупреждение", "note": "пропущено"}
PROBLEM_COLUMNS = ["Уровень", "Что не так", "Где", "Значение в ячейке"]  # what is wrong before where


def problems_frame(problems) -> "pd.DataFrame":
    """Problems of a file's check as a table: one row each, in the order given, PROBLEM_COLUMNS."""
    import pandas as pd

    return pd.DataFrame([p.as_dict() for p in problems], columns=PROBLEM_COLUMNS)


def rows_text(rows, hidden=()) -> str:
    """«строка 7», «строки 7, 9, 12 (скрыта: 9)», at most 20 numbers then «и ещё N»."""
    rows = sorted(set(rows))
    shown = ", ".join(str(r) for r in rows[:20]) + (f" и ещё {len(rows) - 20}" if len(rows) > 20 else "")
    out = ("строка " if len(rows) == 1 else "строки ") + shown
    hid = sorted(set(hidden) & set(rows))
    if hid:
        out += " (скрыта в файле)" if len(rows) == 1 else (
            f" ({'скрыта' if len(hid) == 1 else 'скрыты'} в файле: {', '.join(str(r) for r in hid)})")
    return out
