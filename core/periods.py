"""The calendar: periods are not a fixed list. Any quarter, half-year, school year or calendar year
is valid when data for it arrives; its `Period` row is created on demand (`ensure`).

Codes and labels (one formatter, `label`; one parser, `parse`, which reads back every label it
writes and every code):

============  ==========  ===============  =========================
kind          code        label            dates
============  ==========  ===============  =========================
quarter       2026-Q3     III кв. 2026     1 July – 30 September 2026
half_year     2026-H1     I полуг. 2026    1 January – 30 June 2026
school_year   2025/26     2025/26 уч. г.   1 September 2025 – 31 August 2026
year          2026        2026 г.          1 January – 31 December 2026
============  ==========  ===============  =========================
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, text

KINDS = ("quarter", "half_year", "school_year", "year")
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
_FROM_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}


@dataclass(frozen=True)
class PeriodSpec:
    code: str
    kind: str
    start: date
    end: date
    label: str


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def label(kind: str, start: date, end: date) -> str:
    """The Russian label of a period: «III кв. 2026», «I полуг. 2026», «2025/26 уч. г.», «2026 г.»."""
    if kind == "quarter":
        return f"{ROMAN[(start.month - 1) // 3 + 1]} кв. {start.year}"
    if kind == "half_year":
        return f"{'I' if start.month <= 6 else 'II'} полуг. {start.year}"
    if kind == "school_year":
        return f"{start.year}/{str(end.year)[-2:]} уч. г."
    return f"{start.year} г."


def _spec(code: str, kind: str, start: date, end: date) -> PeriodSpec:
    return PeriodSpec(code, kind, start, end, label(kind, start, end))


def quarter(year: int, n: int) -> PeriodSpec:
    return _spec(f"{year}-Q{n}", "quarter", date(year, 3 * n - 2, 1), _month_end(year, 3 * n))


def half_year(year: int, n: int) -> PeriodSpec:
    return _spec(f"{year}-H{n}", "half_year", date(year, 6 * n - 5, 1), _month_end(year, 6 * n))


def school_year(first_year: int) -> PeriodSpec:
    return _spec(f"{first_year}/{str(first_year + 1)[-2:]}", "school_year", date(first_year, 9, 1),
                 date(first_year + 1, 8, 31))


def year(y: int) -> PeriodSpec:
    return _spec(str(y), "year", date(y, 1, 1), date(y, 12, 31))


_Y = r"(20\d\d)"
_YEAR_WORD = r"(?:г|год|года)?\.?"
# The vocabulary of periods, once: each form as a regex fragment (without anchors). `parse` matches
# a whole value against them; `find` looks for them inside a phrase (a title, a sheet's name).
_FORMS: list[tuple[str, str]] = [
    (rf"{_Y}-?q([1-4])", "quarter_code"),
    (rf"{_Y}-?h([12])", "half_code"),
    (rf"{_Y}\s*{_YEAR_WORD}", "year"),
    (rf"(iv|iii|ii|i|[1-4])\s*-?(?:й|ый|ой)?\s*(?:кв|квартал)[а-я]*\.?\s*{_Y}\s*{_YEAR_WORD}", "quarter_label"),
    (rf"(ii|i|[12])\s*-?(?:е|ое)?\s*(?:полуг|полугодие)[а-я]*\.?\s*{_Y}\s*{_YEAR_WORD}", "half_label"),
    (rf"{_Y}\s*[/\-–—]\s*(\d\d|\d{{4}})\s*(?:(?:уч|учебный|учебного)\.?\s*{_YEAR_WORD})?", "school_year"),
]
_PATTERNS: list[tuple[re.Pattern, str]] = [(re.compile(f"^{frag}$"), kind) for frag, kind in _FORMS]
# Inside a phrase: every form but a bare year (a number in a title is not a period), whole words
# only; a school year written with a dash only with «уч.» after it («2024-2025 годы» is no period).
_SEARCH: list[tuple[re.Pattern, str]] = [
    (re.compile(rf"(?<!\w){frag}(?!\w)" if kind != "school_year" else
                rf"(?<!\w)(?:{_Y}\s*/\s*(\d\d|\d{{4}})(?:\s*(?:уч|учебный|учебного)\.?\s*{_YEAR_WORD})?"
                rf"|{_Y}\s*[\-–—]\s*(\d\d|\d{{4}})\s*(?:уч|учебный|учебного)\.?\s*{_YEAR_WORD})(?!\w)"), kind)
    for frag, kind in _FORMS if kind != "year"]
# «за 2024 год» at the end of a title, or the year alone
_YEAR_IN_TITLE = re.compile(rf"(?:^|(?<!\w)за\s+){_Y}\s*(?:г(?!\w)\.?|год[а-я]*)?\s*$")
# «2 полугодие 2024-2025 учебного года», «1 четверть 2024/25 уч. г.», «III квартал 2024/2025»: a part of
# a school year, which the calendar has no period for («2 полугодие» of it is January to June of its
# second year, not «II полуг.» of its first) — no period, never the wrong one
_SCHOOL_YEAR_PART = re.compile(rf"(?<!\w)(?:iv|iii|ii|i|[1-4])\s*-?(?:й|ый|ой|я|ая|е|ое)?\s*"
                               rf"(?:кв|полуг|четверт|триместр)[а-я]*\.?\s*{_Y}\s*[/\-–—]\s*(\d\d|\d{{4}})(?!\d)")
_DATE_RANGE = re.compile(r"(?:(?<!\w)с\s+)?(\d\d?)\.(\d\d?)\.(20\d\d)\s*(?:г\.?\s*)?(?:-|–|—|(?<!\w)по(?!\w))\s*"
                         r"(\d\d?)\.(\d\d?)\.(20\d\d)")


def _normal(value) -> str:
    return re.sub(r"\s+", " ", str(value).strip().lower().replace("ё", "е")).strip()


def _spec_of(kind: str, groups: tuple) -> PeriodSpec | None:
    g = [x for x in groups if x is not None]  # a form with alternatives fills one branch
    if kind == "quarter_code":
        return quarter(int(g[0]), int(g[1]))
    if kind == "half_code":
        return half_year(int(g[0]), int(g[1]))
    if kind == "year":
        return year(int(g[0]))
    if kind == "quarter_label":
        return quarter(int(g[1]), _FROM_ROMAN[g[0]])
    if kind == "half_label":
        return half_year(int(g[1]), _FROM_ROMAN[g[0]])
    first, second = int(g[0]), g[1]  # school_year
    second_year = int(second) if len(second) == 4 else first // 100 * 100 + int(second)
    return school_year(first) if second_year == first + 1 else None


def parse(value: str | None) -> PeriodSpec | None:
    """A period from its code or its Russian label, as the app writes them and as people type
    them («2026-Q3», «III кв. 2026», «3 квартал 2026 г.», «2026 г.», «2025/26 уч. г.», «2025-2026
    учебный год», «2026-H1», «I полугодие 2026»). None when it is not a period."""
    if value is None:
        return None
    t = _normal(value)
    if t.endswith(".0") and t[:-2].isdigit():  # a year typed into a number cell
        t = t[:-2]
    for pattern, kind in _PATTERNS:
        m = pattern.match(t)
        if m:
            return _spec_of(kind, m.groups())
    return None


def find(value) -> PeriodSpec | None:
    """The period a phrase names, as people title a table or a sheet: the whole of it a period
    (`parse`), or one inside it — «за IV квартал 2024 г.», «Мониторинг за 1 полугодие 2025 г.»,
    «2024/2025 учебный год», «за 2024 год», a date range covering exactly a period («Период:
    01.07.2024 - 30.09.2024», «с 01.01.2024 по 31.12.2024»). None when there is none: a single date
    («по состоянию на 01.01.2025»), a range that is no period, a number in the text."""
    if value is None or len(str(value)) > 200:
        return None
    t = _normal(value)
    whole = parse(t)
    if whole is not None:
        return whole
    m = _DATE_RANGE.search(t)
    if m:
        return _period_of_dates(*(int(x) for x in m.groups()))
    if _SCHOOL_YEAR_PART.search(t):
        return None
    for pattern, kind in _SEARCH:
        m = pattern.search(t)
        if m:
            return _spec_of(kind, m.groups())
    m = _YEAR_IN_TITLE.search(t)
    return year(int(m.group(1))) if m else None


def _period_of_dates(d1: int, m1: int, y1: int, d2: int, m2: int, y2: int) -> PeriodSpec | None:
    """The period a date range covers exactly (as 1C writes «Период: 01.07.2024 - 30.09.2024»)."""
    try:
        start, end = date(y1, m1, d1), date(y2, m2, d2)
    except ValueError:
        return None
    candidates = [quarter(y1, (m1 + 2) // 3), half_year(y1, 1 if m1 <= 6 else 2), year(y1)]
    if m1 >= 9:
        candidates.append(school_year(y1))
    return next((p for p in candidates if (p.start, p.end) == (start, end)), None)


def last_finished_quarter(today: date) -> PeriodSpec:
    """The last quarter that has ended by `today` (on 29.11.2026: III кв. 2026)."""
    n = (today.month - 1) // 3  # quarters of this year already over
    return quarter(today.year, n) if n else quarter(today.year - 1, 4)


def following(p: PeriodSpec) -> PeriodSpec:
    """The next period of the same kind."""
    if p.kind == "quarter":
        n = (p.start.month - 1) // 3 + 1
        return quarter(p.start.year + 1, 1) if n == 4 else quarter(p.start.year, n + 1)
    if p.kind == "half_year":
        return half_year(p.start.year + 1, 1) if p.start.month > 6 else half_year(p.start.year, 2)
    if p.kind == "school_year":
        return school_year(p.start.year + 1)
    return year(p.start.year + 1)


def series(first: PeriodSpec, last: PeriodSpec) -> list[PeriodSpec]:
    """Every period of `first`'s kind from `first` to `last` inclusive."""
    out, p = [], first
    while p.end <= last.end:
        out.append(p)
        p = following(p)
    return out


def upload_choices(existing_codes: list[str], today: date, *, years_back: int = 3) -> list[PeriodSpec]:
    """Periods to offer for an upload: every quarter from `years_back` years ago to the last
    finished one, every calendar year up to this one, and every period the database already
    holds; ordered by end date, quarters before the longer periods ending on the same day."""
    last = last_finished_quarter(today)
    specs = {q.code: q for q in series(quarter(last.start.year - years_back, 1), last)}
    for y in range(last.start.year - years_back, today.year + 1):
        specs.setdefault(str(y), year(y))
    for code in existing_codes:
        p = parse(code)
        if p is not None:
            specs.setdefault(p.code, p)
    order = {k: i for i, k in enumerate(KINDS)}
    return sorted(specs.values(), key=lambda p: (p.end, order[p.kind]))


def ensure(executor, codes) -> dict[str, int]:
    """The ids of the periods with these codes, creating the missing rows. Safe when two writers
    create the same period at once: the code is unique and the insert does nothing on conflict
    (SQLite and PostgreSQL), so both read back the one row. `executor`: a Session or Connection
    inside the caller's transaction. Raises ValueError for a code that is no period."""
    specs = []
    for code in dict.fromkeys(codes):
        p = parse(code)
        if p is None or p.code != code:
            raise ValueError(f"not a period code: {code!r}")
        specs.append(p)
    if not specs:
        return {}
    wanted = [p.code for p in specs]
    have = _ids(executor, wanted)
    missing = [p for p in specs if p.code not in have]
    for p in missing:
        executor.execute(text('INSERT INTO period (code, kind, start, "end", label) '
                              'VALUES (:code, :kind, :start, :end, :label) ON CONFLICT (code) DO NOTHING'),
                         {"code": p.code, "kind": p.kind, "start": p.start, "end": p.end, "label": p.label})
    if missing:
        have = _ids(executor, wanted)
    return have


def _ids(executor, codes: list[str]) -> dict[str, int]:
    stmt = text("SELECT code, id FROM period WHERE code IN :c").bindparams(bindparam("c", expanding=True))
    return {r[0]: r[1] for r in executor.execute(stmt, {"c": codes})}


def quarter_of(d: date) -> PeriodSpec:
    """The quarter `d` falls in."""
    return quarter(d.year, (d.month - 1) // 3 + 1)


def preceding(p: PeriodSpec) -> PeriodSpec:
    """The previous period of the same kind."""
    if p.kind == "quarter":
        n = (p.start.month - 1) // 3 + 1
        return quarter(p.start.year - 1, 4) if n == 1 else quarter(p.start.year, n - 1)
    if p.kind == "half_year":
        return half_year(p.start.year, 1) if p.start.month > 6 else half_year(p.start.year - 1, 2)
    if p.kind == "school_year":
        return school_year(p.start.year - 1)
    return year(p.start.year - 1)
