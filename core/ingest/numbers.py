"""Numbers as people type them in Russian spreadsheets: `45,5`, `45,5%`, ` 12 `, `1 234`."""

from __future__ import annotations

import math
import re

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")


class NotANumber(ValueError):
    pass


def parse_number(raw) -> float | None:
    """None for an empty cell; a float otherwise; NotANumber with a Russian reason for text."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise NotANumber("ожидается число, а не логическое значение")
    if isinstance(raw, (int, float)):
        if isinstance(raw, float) and not math.isfinite(raw):
            raise NotANumber("ожидается число")
        return float(raw)
    text = _SPACES.sub("", str(raw))
    if text in ("", "-", "—", "–"):
        return None
    text = text.rstrip("%")
    text = text.replace("−", "-").replace(",", ".")
    if text.count(".") > 1 or not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
        raise NotANumber("ожидается число, а в ячейке текст")
    return float(text)


def cell_text(raw) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def ru(x: float, digits: int = 1) -> str:
    """A number written the Russian way with a fixed number of decimals: 43.75 -> '43,8', 65 -> '65,0'."""
    return f"{x:,.{digits}f}".replace(",", "\u00a0").replace(".", ",")


def megabytes(n_bytes: int) -> str:
    """21_810_000 -> '20,8 МБ'."""
    return f"{ru(n_bytes / 1024 / 1024)}\u00a0МБ"
