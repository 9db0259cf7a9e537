"""Russian formatting of numbers, dates, periods and target rules (pure functions)."""

from __future__ import annotations

from datetime import date

from core.vocabulary import ROLE_LABELS, STATUS_TEXT  # noqa: F401  (the words live in core.vocabulary)
from core.periods import label as period_label  # noqa: F401  (the one period formatter)

MONTHS_NOM = ["январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август",
              "сентябрь", "октябрь", "ноябрь", "декабрь"]
MONTHS_GEN = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
              "сентября", "октября", "ноября", "декабря"]
NBSP = "\u00a0"


def num(x: float | None, digits: int = 1, *, unit: str = "") -> str:
    """45.5 -> '45,5', 1234 -> '1 234' (non-breaking thin groups), None or NaN -> '—'."""
    if x is None or x != x:
        return "—"
    if abs(x - round(x)) < 1e-9 and digits >= 0:
        text = f"{round(x):,}".replace(",", NBSP)
    else:
        text = f"{x:,.{digits}f}".replace(",", NBSP).replace(".", ",")
    if unit:
        return f"{text}{NBSP}{unit}"
    return text


def value(x: float | None, unit: str, digits: int = 1) -> str:
    """A value in its unit: shares as '45,5 %', counts as '1 234'."""
    if unit == "%":
        return num(x, digits, unit="%")
    if unit in ("", "шт.", "чел.", "школ"):
        return num(x, digits) + (f"{NBSP}{unit}" if unit and x is not None else "")
    return num(x, digits, unit=unit)


def plural(n: int, forms: tuple[str, str, str]) -> str:
    """1 школа, 2 школы, 5 школ: forms are (one, few, many)."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return forms[0]
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return forms[1]
    return forms[2]


def clip(text: str | None, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word boundary, with «…» when cut."""
    text = text or ""
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip(" ,;:—-") + "…"


def month_year(d: date) -> str:
    return f"{MONTHS_NOM[d.month - 1]} {d.year}"


def day_month_year(d: date) -> str:
    """22 ноября 2026"""
    return f"{d.day} {MONTHS_GEN[d.month - 1]} {d.year}"


def rule(kind: str, amount: float | None, unit: str, baseline_label: str | None = None,
         average_label: str = "среднего по территории") -> str:
    """The target rule in words: '≥ 60 %', '+5 п.п. к I кв. 2024', '+10 % к базе'."""
    base = f" к {baseline_label}" if baseline_label else " к базе"
    if kind == "at_least":
        return f"≥ {value(amount, unit)}"
    if kind == "at_most":
        return f"≤ {value(amount, unit)}"
    if kind == "increase_pp":
        return f"+{num(amount)} п.п.{base}"
    if kind == "increase_pct":
        return f"+{num(amount)} %{base}"
    if kind == "not_below_average":
        return f"не ниже {average_label}"
    if kind == "milestones":
        return "по этапам"
    return kind

