"""Russian formatting of numbers, dates, periods, plurals, target rules and the order of names (pure
functions). Numbers and plurals come from babel's Russian locale (CLDR): groups of thousands with a
non-breaking space, a decimal comma, the one/few/many plural forms."""

from __future__ import annotations

import functools
import math
import re
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from babel import Locale
from babel.numbers import format_decimal

from core.vocabulary import ROLE_LABELS, STATUS_TEXT  # noqa: F401  (the words live in core.vocabulary)
from core.periods import label as period_label  # noqa: F401  (the one period formatter)
from core.periods import quarter_of
from core.targets.kinds import kind as target_kind

MONTHS_NOM = ["январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август",
              "сентябрь", "октябрь", "ноябрь", "декабрь"]
MONTHS_GEN = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
              "сентября", "октября", "ноября", "декабря"]
NBSP = "\u00a0"
RU = Locale("ru")
COUNT_UNITS = ("", "шт.", "чел.", "школ")  # counts of things: whole numbers


def num(x: float | None, digits: int = 1, *, unit: str = "") -> str:
    """45.5 -> '45,5', 1234 -> '1 234', 10500 -> '10 500' (babel, ru: non-breaking space between
    groups, decimal comma), at most `digits` decimals; None or NaN -> '—'."""
    if x is None or x != x:
        return "—"
    if abs(x) >= 1e15:  # far beyond any count (a stored 1e308 or ∞ must not break a page): 1,2·10³⁰⁸
        return _huge(x) + (f"{NBSP}{unit}" if unit else "")
    text = _decimal(round(x, max(digits, 0)), digits)
    if unit:
        return f"{text}{NBSP}{unit}"
    return text


@functools.lru_cache(maxsize=8192)
def _decimal(x: float, digits: int) -> str:
    """babel's Russian number, made once per (rounded value, digits): a screen says the same figures on
    every rerun, and babel's formatting is the dearest part of its words."""
    text = format_decimal(x, format="#,##0" + ("." + "#" * digits if digits > 0 else ""), locale=RU)
    return "0" if text in ("-0", "−0") else text


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _huge(x: float) -> str:
    if x in (float("inf"), float("-inf")):
        return "∞" if x > 0 else "-∞"
    mantissa, exp = f"{x:.1e}".split("e")
    return f"{mantissa.replace('.', ',')}·10{str(int(exp)).translate(_SUPERSCRIPT)}"


def value(x: float | None, unit: str, digits: int = 1) -> str:
    """A value in its unit: shares as '45,5 %', counts (people, things, schools) as whole numbers:
    '218 чел.', '10 500'."""
    if unit == "%":
        return num(x, digits, unit="%")
    if unit == "школ" and x is not None and math.isfinite(x):  # a noun, not an abbreviation: «1 школа», «3 школы»
        return count(round(x), SCHOOL_FORMS)
    if unit in COUNT_UNITS:
        return num(x, 0) + (f"{NBSP}{unit}" if unit and x is not None and x == x else "")
    return num(x, digits, unit=unit)


def plural(n: float, forms: tuple[str, str, str]) -> str:
    """1 школа, 2 школы, 5 школ, 1,5 школы: forms are (one, few, many), chosen by babel's Russian
    plural rules."""
    if n != n or abs(n) == float("inf"):
        return forms[2]
    form = RU.plural_form(abs(n))
    return {"one": forms[0], "few": forms[1], "many": forms[2]}.get(form, forms[1])


def count(n: int, forms: tuple[str, str, str]) -> str:
    """'21 школа', '10 500 школ': the number and its word."""
    return f"{num(n, 0)}{NBSP}{plural(n, forms)}"


SCHOOL_FORMS = ("школа", "школы", "школ")  # «1 школа», «3 школы», «5 школ»
SCHOOL_GENITIVE = ("школы", "школ", "школ")  # after «из», «у»: «из 21 школы», «у 3 школ»


def schools(n: int) -> str:
    """«1 школа», «3 школы», «5 школ», «21 школа» — the one way to count schools."""
    return count(n, SCHOOL_FORMS)


def of_schools(k: int, n: int, space: str = NBSP) -> str:
    """«4 из 5 школ», «1 из 21 школы» (genitive after «из», by babel's plural rules)."""
    return f"{num(k, 0)} из {num(n, 0)}{space}{plural(n, SCHOOL_GENITIVE)}"


def coverage(n_reported: int | None, n_members: int | None) -> str | None:
    """«данные 4 из 5 школ», «данные 20 из 21 школы»; None when the figure is no group's."""
    if n_members is None:
        return None
    return f"данные {of_schools(n_reported or 0, n_members, ' ')}"


def schools_meeting(n_meeting: int, n_schools: int, any_data: bool) -> str:
    """«выполняют 3 из 9 школ» (genitive after «из»: «из 21 школы»); when not one school of the group
    has data: «нет данных ни от одной школы» — not «0 из 9», which would read as «all nine fail»."""
    if not any_data:
        return "нет данных ни от одной школы"
    return f"выполняют {of_schools(n_meeting, n_schools)}"


def years(first: int | None, last: int | None) -> str:
    """'2024 г.' for one year, '2021–2023 гг.' for several, '' when unknown."""
    if not first and not last:
        return ""
    first, last = first or last, last or first
    return f"{first} г." if first == last else f"{first}–{last} гг."


_NUM_RE = re.compile(r"(\d+)")


@functools.lru_cache(maxsize=8192)
def natural_key(text: str | None) -> tuple:
    """Sort key that reads numbers as numbers: «СОШ № 2» before «СОШ № 14»; case and «ё» ignored.
    Kept per name: a municipality's overview sorts its hundreds of schools on every read."""
    parts = _NUM_RE.split((text or "").lower().replace("ё", "е"))
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts if p != "")


def natural_sorted(items, key=lambda x: x):
    """`items` in natural order of `key(item)` (see natural_key)."""
    return sorted(items, key=lambda x: natural_key(str(key(x))))


def goal(rule_text: str, target_value: float | None, unit: str) -> str:
    """The target as a rule and the value it comes to, without saying the same twice:
    '≥ 60 %' (not '≥ 60 % → 60 %'), '+5 п.п. от IV кв. 2023 → 62,4 %'."""
    shown = value(target_value, unit)
    if target_value is None or target_value != target_value or shown in rule_text:
        return rule_text
    return f"{rule_text} → {shown}"


def clip(text: str | None, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word boundary, with «…» when cut."""
    text = text or ""
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip(" ,;:—-") + "…"


def date_text(d: date | None) -> str:
    """A date on screen: «10.10.2024» (one rule: a period is «III кв. 2024» — `period_label`; a date
    «10.10.2024»; a month «сентябрь 2024» — `month_year` — only for a month); None -> «—»."""
    return "—" if d is None else f"{d.day:02d}.{d.month:02d}.{d.year}"


def local_time(at: datetime | str | None) -> datetime | None:
    """A stored moment in the office's time zone (the setting TIME_ZONE, default Europe/Moscow). `at` is
    stored UTC: an aware datetime, a naive one (read as UTC, as SQLite and the models keep it), a pandas
    Timestamp or an ISO string; None, NaT or an unreadable text -> None."""
    from core.settings import get_settings  # here: settings are read at call time, after the environment

    if isinstance(at, str):
        try:
            at = datetime.fromisoformat(at.strip())
        except ValueError:
            return None
    if at is None or not isinstance(at, datetime) or at != at:  # None, NaT
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(ZoneInfo(get_settings().time_zone))


def office_midnight(day: date) -> datetime:
    """The start of `day` in the office's time zone (TIME_ZONE), as an aware UTC moment: where a search «from
    this day» starts in the stored (UTC) log."""
    from core.settings import get_settings

    return datetime.combine(day, datetime.min.time(), tzinfo=ZoneInfo(get_settings().time_zone)).astimezone(timezone.utc)


def moment(at: datetime | str | None) -> str:
    """A moment in time as the office lives it, «06.12.2026 20:34» (`local_time`) — the one way every page,
    log, document and the CLI show a time; «—» for none."""
    local = local_time(at)
    return "—" if local is None else f"{date_text(local.date())} {local.hour:02d}:{local.minute:02d}"


def moment_day(at: datetime | str | None) -> str:
    """The office's day of a stored moment, «12.10.2024» (an approval at 01:30 in Moscow is that day's, not
    the evening before, as the moment's UTC date would say); «—» for none."""
    local = local_time(at)
    return "—" if local is None else date_text(local.date())


def cut_label(d: date | None) -> str:
    """A cut («по состоянию на»): the quarter it closes, «III кв. 2024», when it is a quarter's last day
    (the data are quarterly: «на сентябрь 2024» read as a month); else the date «31.08.2025»."""
    if d is None:
        return "—"
    q = quarter_of(d)
    return q.label if q.end == d else date_text(d)


def month_year(d: date) -> str:
    """A month: «сентябрь 2024» (only for a month, not for a date or a quarter)."""
    return f"{MONTHS_NOM[d.month - 1]} {d.year}"


def day_month_year(d: date) -> str:
    """22 ноября 2026"""
    return f"{d.day} {MONTHS_GEN[d.month - 1]} {d.year}"


def rule(kind: str, amount: float | None, unit: str, baseline_label: str | None = None,
         average_label: str = "среднего по территории") -> str:
    """The target rule in words: '≥ 60 %', '+5 п.п. от I кв. 2024', '+10 % от базы' (the baseline is
    where the growth is counted from, not a deadline)."""
    base = f" от {baseline_label}" if baseline_label else " от базы"
    return target_kind(kind).words(num(amount), value(amount, unit), base, average_label)


# Characters that start something in Markdown (CommonMark + GFM + Streamlit's math and
# `:color[…]` directives) or HTML, as numeric character references: they show as themselves in
# Markdown and inside raw HTML alike, but never open a link or an image (both need brackets), a
# tag, emphasis, code, math, a table cell, strikethrough or a heading. Parentheses, dots and dashes
# stay as they are: without a bracket they mean nothing.
_MD_ENTITIES = {c: f"&#{ord(c)};" for c in "\\`*_[]<>&$|~#\"'"}
_AUTOLINK = re.compile(r"(?i)https?|ftp|mailto|www|xmpp")
WORD_JOINER = "\u2060"


def md_text(text: object) -> str:
    """User text (a school's name, a roadmap title, a comment) made safe for `st.markdown` — with
    or without unsafe_allow_html — captions, titles, widget labels and HTML attributes: what the
    user typed is shown as typed and nothing in it is interpreted. The one escaping helper for
    every place that renders Markdown or HTML (chart labels are Vega-Lite text: nothing to escape)."""
    s = "" if text is None else str(text)
    s = s.replace("\r\n", "\n").replace("\r", "\n")  # a line break typed on Windows or an old Mac: a line break
    # control and direction-override characters act on the text around them (a right-to-left
    # override shows the rest of a name backwards): shown as «�» instead
    s = "".join("\ufffd" if _acts(c) else c for c in s)
    # GFM links bare URLs and e-mail addresses after entities are decoded: an invisible word joiner
    # inside "http", "www" and after "@" keeps them text
    s = _AUTOLINK.sub(lambda m: m.group(0)[0] + WORD_JOINER + m.group(0)[1:], s).replace("@", "@" + WORD_JOINER)
    s = "".join(_MD_ENTITIES.get(c, c) for c in s)
    # a line of its own must not open a block: a list («- », «+ », «1. »), a setext heading («===»,
    # «---») or, indented, a code block; nor may a blank line end one (an HTML block in Markdown ends at a
    # blank line: the rest of a tile, a table or a card would show as text)
    s = _BLANK.sub("\n", _INDENT.sub("\n", s))
    return _LINE_START.sub(lambda m: "&#" + str(ord(m.group(1)[0])) + ";" + m.group(1)[1:], s)


_BIDI = set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c")
_LINE_START = re.compile(r"(?m)^([-+=]|\d+[.)](?=\s|$))")  # «1. » opens a list, «7.1» does not
_INDENT = re.compile(r"\n[ \t]+")
_BLANK = re.compile(r"\n{2,}")  # after _INDENT: a blank line, however typed


def _acts(c: str) -> bool:
    return (ord(c) < 32 and c not in "\n\t") or 0x7f <= ord(c) < 0xa0 or c in _BIDI


_BREAKS = re.compile(r"\s*[\r\n\t\v\f]+\s*")


def one_line(text: object) -> str:
    """Text on one line: a line break, a tab or a blank line typed in a cell (Alt+Enter, CRLF) becomes one
    space. In Markdown a blank line would end an HTML block and spill the rest of it onto the page as text;
    in a table cell a line break could start a list. Other spaces stay as typed (a no-break space keeps
    «92,8 %» together)."""
    return _BREAKS.sub(" ", "" if text is None else str(text)).strip()


def table_text(value: object) -> object:
    """A table cell (st.table renders every cell as Markdown) shown as typed: `md_text`, on one
    line (a line break inside a cell could start a list, a heading or a code block), control and
    direction-override characters shown as «�» instead of acting. Numbers and empties pass as
    they are."""
    if value is None or isinstance(value, (int, float)):
        return value
    return md_text(one_line(value))

