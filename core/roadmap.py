"""Roadmap activities and control points: statuses and deadlines (pure rules)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date

ACTIVITY_STATUSES = {
    "planned": "запланировано",
    "in_progress": "выполняется",
    "done": "выполнено",
    "cancelled": "отменено",
}
CLOSED = {"done", "cancelled"}


def is_overdue(due: date | None, status: str, today: date, deadline_text: str | None = None,
               start_year: int | None = None) -> bool:
    """Past its due date and neither done nor cancelled; or, for an item with several dated stages
    (`deadline_text` «Июнь 2024 года, декабрь 2024 года») or a recurring one («ежеквартально»: each
    quarter's end from the plan's first year `start_year` to `due`), a stage has passed while the
    item is still «запланировано» (not even started). An item with no date is never overdue."""
    if due is None or status in CLOSED:
        return False
    if due < today:
        return True
    if status == "planned" and deadline_text:
        if start_year and start_year < due.year:
            d = parse_deadline(deadline_text, years=(start_year, due.year))
        else:
            d = parse_deadline(deadline_text, default_year=due.year)
        return d.kind in ("multiple", "recurring") and bool(d.dates) and d.dates[0] < today
    return False


def sort_key(due: date | None, status: str, today: date, deadline_text: str | None = None,
             start_year: int | None = None) -> tuple:
    """Overdue first (oldest first), then open items by date, undated after, closed ones last."""
    if is_overdue(due, status, today, deadline_text, start_year):
        return (0, due)
    if status in CLOSED:
        return (3, due or date.max)
    return (1, due) if due is not None else (2, date.max)


# ---------------------------------------------------------------------------------------------
# Russian deadlines as the documents write them
# ---------------------------------------------------------------------------------------------

MONTHS = {  # stems of nominative, genitive and prepositional forms
    "январ": 1, "феврал": 2, "март": 3, "апрел": 4, "ма": 5, "июн": 6, "июл": 7, "август": 8,
    "сентябр": 9, "октябр": 10, "ноябр": 11, "декабр": 12,
}
_MONTH_RE = re.compile(r"\b(январ|феврал|март|апрел|ма[йяе]|июн|июл|август|сентябр|октябр|ноябр|декабр)[а-я]*")
_DATE_RE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})")
# «30 апреля 2022 года», «1 сентября» (the year then comes from later in the text or the stage)
_DAY_MONTH_RE = re.compile(
    r"(?<![\d.])(\d{1,2})\s+(январ|феврал|март|апрел|ма[йяе]|июн|июл|август|сентябр|октябр|ноябр|декабр)[а-я]*"
    r"(?:\s*(20\d\d)(?![\d.]))?")
_YEAR_RE = re.compile(r"(?<![\d.])(20\d\d)(?![\d.])")
_QUARTER_RE = re.compile(r"\b(iv|iii|ii|i|[1-4])\s*(?:-?й\s*)?квартал[а-я]*\s*(20\d\d)?")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_RECURRING = ("ежегодн", "ежемесячн", "еженедельн", "постоянн", "раз в", "по понедельник", "по вторник",
              "по сред", "по четверг", "по пятниц", "весь период", "всего периода", "всего времени", "каждый", "каждую")
_UNDATED = ("по необходимост", "по отдельному", "графику", "в сроки", "установленн", "с учетом сроков",
            "срока проекта", "по плану", "в соответствии с план")

KIND_LABELS = {
    "date": "дата", "month": "месяц", "quarter": "квартал", "range": "период", "year": "год",
    "multiple": "несколько сроков", "recurring": "регулярно", "undated": "без даты", "unparsed": "не распознан",
}


@dataclass(frozen=True)
class Deadline:
    """A deadline as written, with what could be derived from it. `due` is the last day by which
    the item is due (None for recurring, undated and unparsed ones); `dates` every date named."""

    text: str
    kind: str
    due: date | None = None
    dates: tuple[date, ...] = field(default_factory=tuple)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _month_of(token: str) -> int:
    token = token.lower()
    for stem, n in MONTHS.items():
        if token.startswith(stem) and (stem != "ма" or token[:3] in ("май", "мая", "мае")):
            return n
    raise ValueError(token)


# «ежеквартально», «ежемесячно», «в течение года»: a recurring deadline due at each period's end
# over the plan's years (the stage's year when the activity has one)
_PERIODIC = (("ежекварт", 3), ("ежемесячн", 1), ("каждый месяц", 1), ("каждый квартал", 3))
_SCHOOL_YEAR_RE = re.compile(r"(?<!\d)(20\d\d)\s*[-–—/]\s*(20\d\d)\s*(?:гг?\.?\s*)?(?:уч\.|учебн)")


def school_year_end(first: int) -> date:
    """The last day of the school year that starts in September of `first`."""
    return date(first + 1, 8, 31)


def period_ends(months: int, years: tuple[int, int]) -> tuple[date, ...]:
    """The end of each month (1) or quarter (3) or year (12) from the first to the last year."""
    return tuple(_month_end(y, m) for y in range(years[0], years[1] + 1) for m in range(months, 13, months))


def parse_deadline(text: str | None, *, default_year: int | None = None,
                   years: tuple[int, int] | None = None) -> Deadline:
    """Parse a Russian deadline: a date («До 01.03.2022 года»), a month («Сентябрь 2024 года»), a
    quarter («I квартал 2024 года»), a range («Июнь-июль 2024 года»), a year («В течение 2022 года»),
    several dates («Май, декабрь 2023, май, декабрь 2024»), recurring («ежегодно», «1 раз в 2
    недели»), undated («по необходимости»). What it cannot read is kept as 'unparsed', never guessed.
    «до <срок>» means before it starts: «до января 2021» and «до 2023 г.» are due the day before.
    «2021-2022 уч. год» is due when that school year ends (31.08.2022). With the plan's `years`
    (or a stage `default_year`), «ежеквартально», «ежемесячно» and «в течение года» are recurring
    with a date at each period's end and due at the last one; without, they have no date."""
    plan_years = years
    raw = (text or "").strip()
    t = re.sub(r"<[^>]+>", " ", raw).lower().replace("ё", "е")
    t = re.sub(r"\s+", " ", t).strip()
    t = t.replace("по необходимост и", "по необходимости")
    if not t:
        return Deadline(raw, "undated")
    before = bool(re.match(r"^до\b", t))
    dates = [date(int(y), int(m), int(d)) for d, m, y in _DATE_RE.findall(t)]
    day_dates, t = _day_month_dates(t, default_year)
    if not t:
        return Deadline(raw, "unparsed")
    dates += day_dates
    months = [(m.start(), _month_of(m.group(0))) for m in _MONTH_RE.finditer(t)]
    years = [(m.start(), int(m.group(1))) for m in _YEAR_RE.finditer(_DATE_RE.sub(" ", t))]
    recurring = any(k in t for k in _RECURRING)

    span = (default_year, default_year) if default_year else plan_years
    periodic = next((n for k, n in _PERIODIC if k in t), None)
    if periodic is None and not default_year and span and re.fullmatch(r"(в )?течени[ея] (всего )?года\.?", t):
        periodic = 12  # «в течение года» in a plan of several years: each year
    if periodic and not dates and not months and not years:
        ends = period_ends(periodic, span) if span else ()
        return Deadline(raw, "recurring", ends[-1] if ends else None, ends)
    sy = _SCHOOL_YEAR_RE.search(t)
    if sy and int(sy.group(2)) == int(sy.group(1)) + 1 and not dates and not months:
        due = school_year_end(int(sy.group(1)))
        return Deadline(raw, "year", due, (due,))
    if recurring:  # «с ноября 2020г. постоянно»: the months named (with a year) are kept as dates
        named = tuple(date(y, m, 1) if t.startswith("с ") else _month_end(y, m) for m, y in _attach(months, years))
        return Deadline(raw, "recurring", None, tuple(sorted(day_dates)) + named)
    if dates:
        dates.sort()
        if len(dates) == 1:
            due = dates[0]
            return Deadline(raw, "date", due, (due,))
        return Deadline(raw, "multiple", dates[-1], tuple(dates))
    q = _QUARTER_RE.search(t)
    if q and (q.group(2) or default_year):
        year, n = int(q.group(2) or default_year), _ROMAN[q.group(1)]
        return Deadline(raw, "quarter", _month_end(year, 3 * n), (_month_end(year, 3 * n),))
    if t.startswith("с ") and months and years:  # «с ноября 2020г.»: from then on, no end
        m, y = _attach(months, years)[0]
        return Deadline(raw, "recurring", None, (date(y, m, 1),))
    return _by_months_or_years(raw, t, months, years, before, default_year)


def _by_months_or_years(raw: str, t: str, months: list[tuple[int, int]], years: list[tuple[int, int]],
                        before: bool, default_year: int | None) -> Deadline:
    """`parse_deadline` once no date, quarter or «с …» matched: the months named (a month without a
    year takes the stage's), else the years named, else the words of an undated or year-long one."""
    if months and (years or default_year):
        pairs = _attach(months, years or [(10 ** 6, default_year)])
        if not pairs:
            return Deadline(raw, "unparsed")
        if before and len(pairs) == 1:
            m, y = pairs[0]
            due = date.fromordinal(date(y, m, 1).toordinal() - 1)
            return Deadline(raw, "date", due, (due,))
        ends = [_month_end(y, m) for m, y in pairs]
        if len(pairs) == 1:
            return Deadline(raw, "month", ends[0], tuple(ends))
        is_range = len(pairs) == 2 and re.search(r"[а-я.]\s*[-–—]\s*[а-я]", t) is not None
        if is_range:
            return Deadline(raw, "range", max(ends), tuple(ends))
        return Deadline(raw, "multiple", max(ends), tuple(sorted(ends)))
    if years and not months:
        ys = sorted(y for _, y in years)
        if before and len(ys) == 1:
            return Deadline(raw, "year", date(ys[0] - 1, 12, 31), (date(ys[0] - 1, 12, 31),))
        return Deadline(raw, "year", date(ys[-1], 12, 31), tuple(date(y, 12, 31) for y in ys))
    return _by_words(raw, t, default_year)


def _by_words(raw: str, t: str, default_year: int | None) -> Deadline:
    """What the months and years could not give: undated words («по необходимости»), the school year
    or the year of the stage (undated without a stage), else unparsed."""
    if any(k in t for k in _UNDATED):
        return Deadline(raw, "undated")
    if re.search(r"в течени[ея] учебного года", t):  # the school year that starts in the stage's year
        if default_year:
            return Deadline(raw, "year", date(default_year + 1, 5, 31), (date(default_year + 1, 5, 31),))
        return Deadline(raw, "undated")
    if "в течение года" in t or "в течении года" in t:
        if default_year:
            return Deadline(raw, "year", date(default_year, 12, 31), (date(default_year, 12, 31),))
        return Deadline(raw, "undated")
    return Deadline(raw, "unparsed")


def _day_month_dates(t: str, default_year: int | None) -> tuple[list[date], str]:
    """Dates written with the month's name («до 30 апреля 2022 года») and the text without them.
    A day without a year takes the next year written after it, else `default_year`; one that still
    has no year is left in the text for the month rules; a day that does not exist (31 июня)
    gives an empty text, which the caller reads as unparsed."""
    years_after = [(m.start(), int(m.group(1))) for m in _YEAR_RE.finditer(_DATE_RE.sub(" ", t))]
    found: list[date] = []
    spans: list[tuple[int, int]] = []
    for m in _DAY_MONTH_RE.finditer(t):
        year = int(m.group(3)) if m.group(3) else next((y for p, y in years_after if p > m.end()), default_year)
        if year is None:
            continue
        try:
            found.append(date(year, _month_of(m.group(2)), int(m.group(1))))
        except ValueError:  # «31 июня»: no such day, and no guess at which one was meant
            return [], ""
        spans.append(m.span())
    for start, end in reversed(spans):
        t = t[:start] + " " + t[end:]
    return found, t


def _attach(months: list[tuple[int, int]], years: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Give each month the first year written after it («май, декабрь 2023» → both 2023), or the
    last year before it when none follows («Сентябрь 2023, 2024» gives September of each year)."""
    out = []
    for pos, m in months:
        after = [y for p, y in years if p > pos]
        prior = [y for p, y in years if p < pos]
        if after:
            out.append((m, after[0]))
        elif prior:
            out.append((m, prior[-1]))
    if len(months) == 1 and len(years) > 1 and all(p > months[0][0] for p, _ in years):
        out = [(months[0][1], y) for _, y in years]  # «Сентябрь 2023, 2024»
    return out


# ---------------------------------------------------------------------------------------------
# Risk parameter codes as the documents write them
# ---------------------------------------------------------------------------------------------
ALL_FOUND = ("все выявленные", "все параметры")


def code_key(code: str) -> tuple:
    """Sort key of a code like «2.10» (after «2.9»)."""
    return tuple(int(x) if x.isdigit() else x for x in code.split("."))


def expand_risk_codes(text: str | None, known: list[str], found: set[str] | None = None) -> tuple[list[str], list[str]]:
    """«1.1., 2.1» → [1.1, 2.1]; «1.2-1.3», «4.1.-4.3» → every known code in the range; «все выявленные
    параметры» → every known parameter found in at least one school (`found`). Returns (codes in
    document order, tokens that name no known parameter)."""
    t = re.sub(r"\s+", " ", (text or "").strip().lower())
    if not t:
        return [], []
    if any(t.startswith(k) for k in ALL_FOUND):
        return [c for c in known if found is None or c in found], []
    out: list[str] = []
    unknown: list[str] = []
    for token in [x.strip() for x in re.split(r"[,;]| и ", t) if x.strip()]:
        m = re.fullmatch(r"(\d+(?:\.\d+)*)\.?\s*[-–—]\s*(\d+(?:\.\d+)*)\.?", token)
        if m:
            lo, hi = code_key(m.group(1)), code_key(m.group(2))
            hit = [c for c in known if lo <= code_key(c) <= hi and code_key(c)[0] == lo[0]]
            if not hit:
                unknown.append(token)
            out.extend(c for c in hit if c not in out)
            continue
        code = token.rstrip(".")
        if code in known:
            if code not in out:
                out.append(code)
        else:
            unknown.append(token)
    return out, unknown
