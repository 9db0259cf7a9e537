"""Upload pipeline: parse -> validate -> preview (new / changed / unchanged) -> apply in one
transaction (history of overwritten values, the summary, the original file) -> undo.

Every function takes the caller's Scope: a user loads only schools they may change."""

from __future__ import annotations

import functools
import gc
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field, replace
from typing import NamedTuple
from datetime import date, datetime

import pandas as pd
from sqlalchemy import bindparam, delete, insert, text, update
from sqlalchemy.engine import Engine

from core import access, auth, periods, policy, quarters, settings, summary
from core.auth import Scope
from core.db import get_engine, session_scope
from core.formatting import plural
from core.ingest import columns
from core.ingest.excel import open_workbook
from core.ingest.numbers import NotANumber, cell_text, parse_number, ru
from core.ingest.parse import Entry, Parsed, Question, Context, column_labels, find_period, norm, parse  # noqa: F401
from core.ingest.problems import IngestError, Problem
from core.ingest.schools import SchoolMatcher, learn_alias, load_aliases  # noqa: F401 - learn_alias: the page's API
from core.ingest import value_ranges
from core.models import Measurement, MeasurementHistory, Upload, utcnow

JUMP_POINTS = 20.0  # a share that moves more than this many points from the last period: a warning
JUMP_RATIO = 0.5  # a count that moves more than 50 %: a warning


def _gc_paused(fn):
    """Run without the cyclic garbage collector: an upload of 50,000 values makes hundreds of
    thousands of small acyclic objects (cells, entries, rows, tuples), and each full collection
    walks them all again — a third of the CPU of parsing and validating. Reference counting still
    frees them; the collector runs again when the call returns (also on an error). Only the
    caller that paused it resumes it, so overlapping calls leave it as they found it."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        paused = gc.isenabled()
        if paused:
            gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if paused:
                gc.enable()

    return wrapper


# ---------------------------------------------------------------------------------------------
# Reference data
# ---------------------------------------------------------------------------------------------
@dataclass
class Catalog:
    schools: dict[int, dict]
    by_code: dict[str, dict]
    territories: dict[int, str]
    aliases: list[dict]
    indicators: dict[str, dict]
    periods: dict[str, dict]
    labels: dict[str, tuple[str, str]]  # normalised template header -> (indicator code, part)
    ind_by_name: dict[str, dict] = field(default_factory=dict)  # normalised code, name, short name -> indicator
    bounds: value_ranges.Bounds | None = None  # plausible ranges of values (core/ingest/value_ranges.py)


def load_catalog(engine: Engine) -> Catalog:
    with engine.connect() as c:
        schools = [dict(r._mapping) for r in c.execute(text(
            "SELECT id, code, name, short_name, territory_id FROM school"))]
        inds = [dict(r._mapping) for r in c.execute(text(
            "SELECT id, code, name, short_name, unit, value_kind, level, numerator_label, denominator_label "
            "FROM indicator"))]
        periods = [dict(r._mapping) for r in c.execute(text('SELECT id, code, label, kind, "end" FROM period'))]
        territories: dict[int, str] = dict(c.execute(text("SELECT id, name FROM territory")).all())
        bounds = value_ranges.load(c)
    labels = {}
    for i in inds:
        for part, label in column_labels(i):
            labels[norm(label)] = (i["code"], part)
    return Catalog(schools={s["id"]: s for s in schools}, by_code={s["code"].lower(): s for s in schools},
                   territories=territories, aliases=load_aliases(engine), indicators={i["code"]: i for i in inds}, periods={p["code"]: p for p in periods},
                   labels=labels, ind_by_name={n: i for i in inds for n in (norm(i["code"]), norm(i["short_name"]),
                                                                             norm(i["name"])) if n},
                   bounds=bounds)


# ---------------------------------------------------------------------------------------------
# Preview
# ---------------------------------------------------------------------------------------------
@dataclass(slots=True)
class Row:
    key: tuple[int, int, int]  # school, indicator, period
    territory_id: int
    school: str
    indicator: str
    indicator_code: str
    period: str
    value: float | None
    numerator: float | None
    denominator: float | None
    old: tuple | None = None  # (value, numerator, denominator) now in the database
    change: str = "new"  # new | changed | unchanged


@dataclass
class Preview:
    file_name: str
    checksum: str
    size: int
    kind: str
    rows: list[Row] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    duplicate_of: dict | None = None  # an earlier applied upload of the very same bytes
    unmatched: list[dict] = field(default_factory=list)  # names matching no school: {name, candidates}
    questions: list[Question] = field(default_factory=list)  # to answer (prepare(answers=...)) before writing
    notes: list[Problem] = field(default_factory=list)  # rows and columns skipped on purpose (level "note"), said
    answers: dict = field(default_factory=dict)  # the answers this preview was made with
    data_version: tuple | None = None  # see _data_version: the database state when compared
    current: dict = field(default_factory=dict, repr=False)  # the rows compared with
    new_periods: dict[int, str] = field(default_factory=dict)  # provisional period id -> code, created on apply
    fallback_period: str | None = None  # the period for a file that names none, when the user chose none
    answered: list[tuple[str, str]] = field(default_factory=list)  # (column header, answer) kept when written
    file_period: str | None = None  # the period the file names itself (the page preselects it)
    used_fallback: bool = False  # some values took fallback_period (the file named none)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.questions and self.duplicate_of is None

    def counts(self) -> dict[str, int]:
        out = {"new": 0, "changed": 0, "unchanged": 0}
        for r in self.rows:
            out[r.change] += 1
        return out

    def table(self, limit: int | None = None) -> pd.DataFrame:
        """What changes, a row per value (the first `limit` rows: a page shows those and offers the
        whole table as a download instead of formatting 50,000 values on every rerun)."""
        names = {"new": "новое", "changed": "изменится", "unchanged": "без изменений"}
        rows = self.rows if limit is None else self.rows[:limit]
        return pd.DataFrame([{
            "Школа": r.school, "Показатель": r.indicator, "Период": r.period,
            "Было": _fmt_triplet(r.old) if r.old else "—", "Станет": _fmt_triplet((r.value, r.numerator, r.denominator)),
            "Изменение": names[r.change]} for r in rows],
            columns=["Школа", "Показатель", "Период", "Было", "Станет", "Изменение"])


def _fmt_triplet(t: tuple) -> str:
    from core.formatting import num

    value, n, d = t
    if n is not None and d is not None:
        return f"{num(n)} из {num(d)} ({num(value)} %)"
    return num(value)


def _loc(e: Entry, msg: str, level: str = "error") -> Problem:
    school = cell_text(e.school_ref)
    return Problem(level, msg, e.sheet, e.row, e.col, e.header, cell_text(e.raw), schools=(school,) if school else ())


@_gc_paused
def prepare(scope: Scope, files: list[tuple[str, bytes]], period_code: str | None = None,
            engine: Engine | None = None, *, answers: dict[str, str] | None = None,
            fallback_period: str | None = None) -> Preview:
    """Parse and validate one or several files (several one-school forms are consolidated) and
    compare with the database. Writes nothing. A refused file raises IngestError.

    `period_code` is the period chosen by the user; a file that names another one (the template's
    hidden sheet, a title «за III квартал 2024 г.», a sheet name, a one-period column) gets the
    question "period". `fallback_period`: the period of a file that names none when the user chose
    none (a page's preselected or a CLI's default period): never a question, the file's own wins.
    `answers`: {question key: answer} for the preview's `questions`."""
    engine = engine or get_engine()
    if not scope.can_upload:
        raise auth.deny(scope, "загрузка данных", engine)
    if not files:
        raise IngestError("Не выбран ни один файл.")
    cat = load_catalog(engine)
    data = files[0][1] if len(files) == 1 else bundle(files)
    name = files[0][0] if len(files) == 1 else f"{len(files)} {plural(len(files), ('файл', 'файла', 'файлов'))}: " + ", ".join(n for n, _ in files)[:200]
    pv = Preview(file_name=name, checksum=hashlib.sha256(data).hexdigest(), size=len(data), kind="")
    parsed_all: list[Parsed] = []
    remembered = columns.for_scope(scope, engine)
    for fname, fdata in files:
        try:
            parsed = parse(open_workbook(fdata, fname), cat.labels, indicators=list(cat.indicators.values()),
                           answers=answers, remembered=remembered)
        except IngestError as exc:
            if len(files) == 1:
                raise
            raise IngestError(f"{fname}: {exc}") from None
        parsed_all.append(parsed)
    pv.kind = parsed_all[0].kind if len(files) == 1 else "school_forms"
    pv.answers = dict(answers or {})
    pv.fallback_period = fallback_period
    pv.answered = [a for p in parsed_all for a in p.answered]
    return _check(scope, cat, parsed_all, period_code, pv, engine)


def _check(scope: Scope, cat: Catalog, parsed_all: list[Parsed], period_code: str | None, pv: Preview,
           engine: Engine) -> Preview:
    for parsed in parsed_all:
        for p in parsed.problems:
            (pv.errors if p.level == "error" else pv.warnings).append(p)
        pv.questions.extend(parsed.questions)
        pv.notes.extend(parsed.notes)
    _validate(scope, cat, parsed_all, period_code, pv)
    _warn_future(cat, pv, settings.office_date())  # the real date in the office
    hidden: dict[str, set[int]] = {}
    for parsed in parsed_all:
        for sheet, rows in parsed.hidden_rows.items():
            hidden.setdefault(sheet, set()).update(rows)
    pv.errors, pv.warnings = one_per_cause(pv.errors, hidden), one_per_cause(pv.warnings, hidden)
    pv.notes = one_per_cause(pv.notes, hidden)
    pv.questions.sort(key=lambda q: q.key != "period")  # the period first: it decides what is compared
    if not pv.errors:
        pv.errors.extend(Problem("error", m) for m in quarters.locked_messages(_periods_touched(pv), engine))
    _compare(engine, pv)  # with errors too: the counts say what the file holds against the database
    if not pv.errors:
        _warn_jumps(engine, cat, pv)
        _warn_replaced(cat, pv)
    pv.duplicate_of = _earlier_upload(engine, pv.checksum)
    return pv


@_gc_paused
def prepare_parsed(scope: Scope, parsed: Parsed, name: str, data: bytes, period_code: str | None = None,
                   engine: Engine | None = None) -> Preview:
    """Values that come from elsewhere than a workbook (the browser's entry form, see core.cycle),
    already as entries: the same checks and preview as a file; `data` is kept as the original and
    `parsed.kind` names the upload's kind."""
    engine = engine or get_engine()
    if not scope.can_upload:
        raise auth.deny(scope, "загрузка данных", engine)
    pv = Preview(file_name=name, checksum=hashlib.sha256(data).hexdigest(), size=len(data), kind=parsed.kind)
    return _check(scope, load_catalog(engine), [parsed], period_code, pv, engine)


def _periods_touched(pv: Preview) -> set[tuple[int, int]]:
    """(territory, period) pairs the preview writes into: an approved one refuses the write."""
    return {(r.territory_id, r.key[2]) for r in pv.rows}


def bundle(files: list[tuple[str, bytes]]) -> bytes:
    """Several files kept as one original: a zip of them, in the order given. The same files give
    the same bytes (no clock in the zip), so the checksum of the preview is the one of the write."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, (n, d) in enumerate(files, 1):
            zf.writestr(zipfile.ZipInfo(f"{i:03d}_{n}", date_time=(1980, 1, 1, 0, 0, 0)), d,
                        compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def _resolve_period(cat: Catalog, written: str | None, pv: "Preview") -> dict | None:
    """The period a cell or the page names: a known one, or one the calendar knows (its row is
    created when the upload is written; until then it has a provisional negative id)."""
    if not written:
        return None
    known = cat.periods.get(written)
    if known is not None:
        return known
    spec = periods.parse(written)
    if spec is None:
        return None
    if spec.code not in cat.periods:
        provisional = -1 - len(pv.new_periods)
        cat.periods[spec.code] = {"id": provisional, "code": spec.code, "label": spec.label, "kind": spec.kind,
                                  "end": spec.end}
        pv.new_periods[provisional] = spec.code
    return cat.periods[spec.code]


def _validate(scope: Scope, cat: Catalog, parsed_all: list[Parsed], period_code: str | None, pv: Preview) -> None:
    check = _EntryCheck(scope, cat, pv)
    for parsed in parsed_all:
        default_period = _file_period(cat, parsed, period_code, pv)
        for e in parsed.entries:
            check.entry(e, default_period)
    check.report_causes()
    _rows_of_groups(check.groups, pv)
    for parsed in parsed_all:
        if parsed.template_schools:
            present = {cat.schools[r.key[0]]["code"] for r in pv.rows}
            missing = [c for c in parsed.template_schools if c not in present]
            if missing:
                names = ", ".join(cat.by_code[c.lower()]["short_name"] for c in missing if c.lower() in cat.by_code)
                pv.warnings.append(Problem("warning", f"нет данных по школам: {names}"))


class _EntryCheck:
    """The entries of an upload, one by one: its school (found, and the user's), its indicator, its
    period and its number checked; what passes is grouped by (school, indicator, period), each
    reference resolved once."""

    def __init__(self, scope: Scope, cat: Catalog, pv: Preview):
        self.scope, self.cat, self.pv = scope, cat, pv
        self.groups: dict[tuple[int, int, int], dict] = {}
        self.matcher = SchoolMatcher(scope, list(cat.schools.values()), cat.territories, cat.aliases,
                                     {k[7:]: v for k, v in pv.answers.items() if k.startswith("school:")})
        # (reason, sheet) -> rows, reference: one message per cause
        self.school_errors: dict[tuple[str, str], dict] = {}
        self.percent_rows: list[tuple[tuple, dict, Entry]] = []  # a share's «%» rows of a long table
        # school reference -> (school, why, allowed)
        self.resolved: dict[str | tuple[str, str], tuple[dict | None, str | None, bool]] = {}
        self.ctx = Context(cat.labels, list(cat.indicators.values()), {})
        self.ind_of: dict[tuple[str, str], tuple[dict | None, str | None]] = {}  # (as written, part) -> resolved
        self.period_of: dict[str | None, dict | None] = {}

    def entry(self, e: Entry, default_period: str | None) -> None:
        pv = self.pv
        raw = e.raw
        if raw is None or raw == "" or (raw.__class__ is str and not raw.strip()):
            if e.formula:
                pv.errors.append(_loc(e, "в ячейке формула без сохранённого значения: откройте файл в Excel, "
                                         "пересчитайте и сохраните, или введите число"))
            return
        school = self.school(e)
        if school is None:
            return
        ikey = (e.indicator, e.part)
        got = self.ind_of.get(ikey)
        if got is None:
            got = self.ind_of[ikey] = _indicator_of(self.cat, self.ctx, e.indicator, e.part)
        ind, part = got
        if ind is None:
            pv.errors.append(_loc(e, f"неизвестный показатель «{e.indicator}». {_accepted_indicators(self.cat)}"))
            return
        if part is not e.part and part is not None:
            e.part = part
        pcode = e.period or default_period
        if pcode in self.period_of:
            period = self.period_of[pcode]
        else:
            period = self.period_of[pcode] = (_resolve_period(self.cat, pcode, pv)
                                              or _resolve_period(self.cat, find_period(pcode), pv))
        if period is not None and part is None:  # a share's «%» in a row of its own: derived, not read,
            self.percent_rows.append(((school["id"], ind["id"], period["id"]), ind, e))  # but its counts must be there
            return
        if period is None:
            pv.errors.append(_loc(e, f"неизвестный период «{pcode}»: пишите код («2026-Q3», «2026», «2025/26») "
                                     "или как в приложении («III кв. 2026», «2026 г.», «2025/26 уч. г.»)" if pcode else
                                  "не указан период: выберите его на странице загрузки или заполните столбец «Период»"))
            return
        number = self.number(e, school, ind, part)
        if number is None:
            return
        if e.formula:
            pv.warnings.append(_loc(e, "в ячейке формула: использовано её вычисленное значение", "warning"))
        self.add(e, school, ind, period, part, number)

    def school(self, e: Entry) -> dict | None:
        """The entry's school, when it is found and the user may load its data; None (the cause kept
        for one message per cause and sheet) when not."""
        rkey = e.school_ref if e.alt is None else (e.school_ref, e.alt)
        res = self.resolved.get(rkey)
        if res is None:
            res = self.resolved[rkey] = self.resolve(e)
        school, why, allowed = res
        if school is None:
            g = self.school_errors.setdefault((why, e.sheet), {"rows": set(), "ref": e.school_ref})
            g["rows"].add(e.row)
        return school

    def resolve(self, e: Entry) -> tuple[dict | None, str | None, bool]:
        pv = self.pv
        m = self.matcher.resolve(e.school_ref)
        if m.school is None and e.alt and e.alt != e.school_ref:  # a regional code the catalogue lacks:
            by_name = self.matcher.resolve(e.alt)  # the name beside it
            if by_name.school is not None:
                m = by_name
                pv.notes.append(Problem("note", "код школы не найден в справочнике — школа узнана по "
                                                "наименованию рядом", e.sheet, e.row, None, None,
                                        f"{e.school_ref} — {e.alt}"))
        sch, why = m.school, m.error
        allowed = sch is not None and self.scope.can_see_school(sch["id"], sch["territory_id"])
        if sch is not None and not allowed and why is None:
            why = f"нет прав загружать данные школы «{sch['short_name']}»"
        if sch is None and m.candidates is not None and why and "не найдена" in why:
            pv.unmatched.append({"name": e.school_ref, "candidates": m.candidates})
        return sch if allowed else None, why, allowed

    def number(self, e: Entry, school: dict, ind: dict, part: str) -> float | None:
        """The entry's number, when it is one the quantity may take; None (an error said, or an
        empty value) when not."""
        pv, raw = self.pv, e.raw
        kind = ind["value_kind"]
        whole = part != "value" or kind == "count" or kind == "flag"  # a count of something
        if raw.__class__ is str and "%" in raw and whole:
            pv.errors.append(_loc(e, "знак «%» в столбце количества: здесь нужно число "
                                     f"({'человек, штук' if ind['value_kind'] != 'share' else 'всего или из них'}),"
                                     " а не процент"))
            return None
        if (raw.__class__ is float or raw.__class__ is int) and -1e300 < raw < 1e300:  # finite: no NaN
            number = float(raw)
        else:
            try:
                number = parse_number(raw)
            except NotANumber as exc:
                pv.errors.append(_loc(e, str(exc)))
                return None
            if number is None:
                return None
        why = ("отрицательное число" if number < 0 else "ожидается целое число" if whole and not number.is_integer()
               else "ожидается 1 (да) или 0 (нет)" if kind == "flag" and number not in (0, 1)
               else value_ranges.out_of_range(self.cat.bounds, ind, school["id"], part, number))
        if why:
            pv.errors.append(_loc(e, why))
            return None
        return number

    def add(self, e: Entry, school: dict, ind: dict, period: dict, part: str, number: float) -> None:
        """The number into its (school, indicator, period) group: a second value of the same part is a repeat."""
        key = (school["id"], ind["id"], period["id"])
        g = self.groups.get(key)
        if g is None:
            g = self.groups[key] = {"school": school, "ind": ind, "period": period, "parts": {}}
        parts = g["parts"]
        if part in parts:
            first = parts[part][1]
            where = (f"строке {first.row}" + (f" листа «{first.sheet}»" if first.sheet != e.sheet else "")
                     if first.row else f"«{first.col}»")
            self.pv.errors.append(Problem("error", f"повтор: значения школы «{school['short_name']}» за "
                                                   f"{period['label']} уже есть в {where}", e.sheet, e.row,
                                          cell=cell_text(e.school_ref)))
            return
        parts[part] = (number, e)

    def report_causes(self) -> None:
        """A share given only as its «%» rows, and the schools not found or not the user's (one message a cause)."""
        pv = self.pv
        for key, ind, e in self.percent_rows:
            if key not in self.groups:
                pv.errors.append(_loc(e, f"доля «{ind['short_name']}» задана только процентом, а загружается двумя "
                                         f"числами: «{ind['denominator_label']}» и «{ind['numerator_label']}» — "
                                         "процент приложение считает само"))
        for (why, sheet), g in self.school_errors.items():
            pv.errors.append(Problem("error", why, sheet, None, None, None, g["ref"], rows=tuple(sorted(g["rows"]))))


def _rows_of_groups(groups: dict[tuple[int, int, int], dict], pv: Preview) -> None:
    """Each group's value (a share's from both its counts, checked against each other) into the preview's rows."""
    for key, g in groups.items():
        ind, parts = g["ind"], g["parts"]
        value = numerator = denominator = None
        if ind["value_kind"] == "share":
            n, d = parts.get("numerator"), parts.get("denominator")
            if n is None or d is None:
                e = (n or d or parts.get("value"))[1]
                pv.errors.append(_loc(e, f"для показателя «{ind['short_name']}» нужны оба числа: "
                                         f"«{ind['denominator_label']}» и «{ind['numerator_label']}»"))
                continue
            if n[0] > d[0]:
                pv.errors.append(_loc(n[1], f"{cell_text(n[1].raw)} больше, чем «{ind['denominator_label']}» "
                                            f"({cell_text(d[1].raw)})"))
                continue
            if d[0] == 0:
                pv.warnings.append(_loc(d[1], "всего 0: доля не определена, значение не будет загружено", "warning"))
                continue
            numerator, denominator = n[0], d[0]
            value = 100.0 * numerator / denominator
        else:
            v = parts.get("value")
            if v is None:
                continue
            value = v[0]
        s = g["school"]
        pv.rows.append(Row(key=key, territory_id=s["territory_id"], school=s["short_name"], indicator=ind["short_name"],
                           indicator_code=ind["code"], period=g["period"]["label"], value=value, numerator=numerator,
                           denominator=denominator))


def _warn_future(cat: Catalog, pv: Preview, today: date) -> None:
    """Values for a period that has not begun yet (by the real date, not the demo clock): most
    likely a mistyped year."""
    by_id = {p["id"]: p for p in cat.periods.values()}
    for pid in sorted({r.key[2] for r in pv.rows}):
        p = periods.parse(by_id[pid]["code"])
        if p is not None and p.start > today:
            pv.warnings.append(Problem("warning", f"период «{p.label}» ещё не начался (сегодня "
                                                  f"{today.strftime('%d.%m.%Y')}): проверьте год"))


def _file_period(cat: Catalog, parsed: Parsed, chosen: str | None, pv: Preview) -> str | None:
    """The period for the entries without one of their own. The file's own period (template meta,
    title, sheet name, a column with a single period) is taken, and said, unless the user
    explicitly chose another: then it is the question "period" until answered. A period the user
    did not choose (pv.fallback_period) serves only a file that names none."""
    own, source = parsed.period, parsed.period_source
    in_column = {e.period for e in parsed.entries if e.period}
    codes = {find_period(p) or p for p in in_column}
    if own is None and len(codes) == 1:
        own, source = next(iter(codes)), "столбец «Период»"
    own = find_period(own) if own else None  # only a period the calendar knows: every option a valid answer

    def label(code: str) -> str:
        spec = periods.parse(code)
        return cat.periods[code]["label"] if code in cat.periods else spec.label if spec else code

    if own and pv.file_period is None:
        pv.file_period = own
    if not own or not chosen or own == chosen:
        if own and not chosen and source != "столбец «Период»":
            note = f"период «{label(own)}» взят из файла ({source})"
            if not any(n.message == note for n in pv.notes):
                pv.notes.append(Problem("note", note))
        if not own and not chosen and pv.fallback_period:
            pv.used_fallback = True
        return own or chosen or pv.fallback_period
    answer = pv.answers.get("period")
    if answer in (own, chosen):
        if in_column and answer == chosen:  # the user overrides the file's column
            for e in parsed.entries:
                e.period = None
        return answer
    if not any(q.key == "period" for q in pv.questions):
        pv.questions.append(Question(
            "period", f"В файле указан период «{label(own)}» ({source}), а выбран «{label(chosen)}». "
                      "За какой период загрузить значения? Ничего не будет записано, пока вы не выберете.",
            [(own, f"{label(own)} — как в файле"), (chosen, f"{label(chosen)} — как выбрано")]))
    return own


def _indicator_of(cat: Catalog, ctx: Context, written: str, part: str) -> tuple[dict | None, str | None]:
    """(indicator, part) for an indicator as written in a long table or a sheet per school: its code,
    name or short name, or a template label («Педагоги прошли КПК: Всего педагогов»)."""
    ind = cat.indicators.get(written)
    if ind is not None:
        return ind, part
    key = norm(written)
    ind = cat.ind_by_name.get(key)
    if ind is not None:
        return ind, part
    got = ctx.classify(written, "")
    if got and got[0] == "key":
        code, p = got[1].split(":", 1)
        return cat.indicators[code], (p if part == "value" else part)
    if got and got[0] == "percent":
        return cat.indicators[got[1]], None
    return None, part


def _accepted_indicators(cat: Catalog) -> str:
    school = [i for i in cat.indicators.values() if i["level"] == "school"]
    names = ", ".join(f"«{i['short_name']}» ({i['code']})" for i in school[:15])
    return f"Допустимы код или наименование показателя: {names}" + (" и др." if len(school) > 15 else "")


def one_per_cause(problems: list[Problem], hidden: dict[str, set[int]]) -> list[Problem]:
    """Problems with the same message on the same sheet become one, with its rows listed («строки 7,
    9, 12») and those hidden in the file said so; first-seen order."""
    groups: dict[tuple, list[Problem]] = {}
    for p in problems:
        key = (p.level, p.message, p.sheet) if (p.row or p.rows) else (id(p),)
        groups.setdefault(key, []).append(p)
    out = []
    for items in groups.values():
        first = items[0]
        rows = tuple(sorted({r for p in items for r in (p.rows or ((p.row,) if p.row else ()))}))
        hid = tuple(r for r in rows if r in hidden.get(first.sheet or "", ()))
        if len(items) == 1 and not hid:
            out.append(first)
            continue
        cols = {p.col for p in items}
        cells = {p.cell for p in items}
        same_col = len(cols) == 1
        out.append(Problem(first.level, first.message, first.sheet, rows[0] if len(rows) == 1 else None,
                           first.col if same_col else None, first.header if same_col else None,
                           first.cell if len(cells) == 1 else None, rows=rows if len(rows) > 1 else (), hidden=hid,
                           schools=tuple(dict.fromkeys(s for p in items for s in p.schools))))
    return out


def _warn_replaced(cat: Catalog, pv: Preview) -> None:
    """Values that another upload put in: they change, and the user confirms that."""
    by_upload: dict[int | None, list[Row]] = {}
    for r in pv.rows:
        cur = pv.current.get(r.key)
        if r.change == "changed" and cur is not None:
            by_upload.setdefault(cur.upload_id, []).append(r)
    for uid, rows in by_upload.items():
        periods = ", ".join(sorted({r.period for r in rows}))
        src = f"загрузкой № {uid}" if uid else "ранее (не загрузкой файла)"
        pv.warnings.append(Problem("warning", f"{len(rows)} {plural(len(rows), ('значение', 'значения', 'значений'))} "
                                              f"за {periods} уже внесены {src} и изменятся: было и станет — в таблице "
                                              "«Что изменится»"))


class _Current(NamedTuple):
    id: int
    school_id: int
    indicator_id: int
    period_id: int
    value: float | None
    numerator: float | None
    denominator: float | None
    upload_id: int | None
    entered_by: int | None
    entered_at: object
    is_demo: object


def _existing(executor, keys: list[tuple[int, int, int]], *, values_only: bool = False) -> dict:
    """Current measurements (rows with attribute access; with values_only just the value, None left
    out) for the keys; executor: a Connection or a Session (inside a transaction). Read with the
    driver's cursor: at 50,000 values SQLAlchemy's row processing would cost more than the query."""
    if not keys:
        return {}
    conn = executor.connection() if hasattr(executor, "get_bind") else executor
    ph = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    s_ids, i_ids, p_ids = (sorted({k[n] for k in keys}) for n in range(3))
    columns = ("school_id, indicator_id, period_id, value" if values_only else
               "id, school_id, indicator_id, period_id, value, numerator, denominator, upload_id, entered_by, "
               "entered_at, is_demo")
    sql = (f"SELECT {columns} FROM measurement WHERE school_id IN ({', '.join([ph] * len(s_ids))}) "
           f"AND indicator_id IN ({', '.join([ph] * len(i_ids))}) AND period_id IN ({', '.join([ph] * len(p_ids))})")
    cur = conn.connection.driver_connection.cursor()
    try:
        cur.execute(sql, (*s_ids, *i_ids, *p_ids))
        rows = cur.fetchall()
    finally:
        cur.close()
    wanted = set(keys)
    if values_only:
        return {k: r[3] for r in rows if r[3] is not None and (k := (r[0], r[1], r[2])) in wanted}
    make = _Current._make
    return {k: make(r) for r in rows if (k := (r[1], r[2], r[3])) in wanted}


def _same(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) < 1e-9)


def _classify(rows: list[Row], current: dict) -> None:
    for r in rows:
        cur = current.get(r.key)
        if cur is None:
            r.old, r.change = None, "new"
            continue
        r.old = (cur.value, cur.numerator, cur.denominator)
        same = _same(cur.value, r.value) and _same(cur.numerator, r.numerator) and _same(cur.denominator, r.denominator)
        r.change = "unchanged" if same else "changed"


def _data_version(executor) -> tuple:
    """Changes whenever measurements are written through the app (every write is an upload or an
    undo, and both leave rows in these tables)."""
    return tuple(executor.execute(text(
        "SELECT (SELECT MAX(id) FROM upload), (SELECT MAX(id) FROM measurementhistory), "
        "(SELECT COUNT(*) FROM upload WHERE status = 'undone')")).one())


def _compare(engine: Engine, pv: Preview) -> None:
    with engine.connect() as c:
        pv.data_version = _data_version(c)
        pv.current = _existing(c, [r.key for r in pv.rows])
        _classify(pv.rows, pv.current)


def _warn_jumps(engine: Engine, cat: Catalog, pv: Preview) -> None:
    """A value far from the same school's previous period of the same kind: shown, can be accepted."""
    if not pv.rows:
        return
    by_id = {p["id"]: p for p in cat.periods.values()}
    ind_by_id = {i["id"]: i for i in cat.indicators.values()}
    prev_of = {}
    for pid, p in by_id.items():
        earlier = [q for q in by_id.values() if q["kind"] == p["kind"] and str(q["end"]) < str(p["end"])]
        if earlier:
            prev_of[pid] = max(earlier, key=lambda q: str(q["end"]))["id"]
    keys = [(r.key[0], r.key[1], prev_of[r.key[2]]) for r in pv.rows if r.key[2] in prev_of]
    with engine.connect() as c:
        before = _existing(c, keys, values_only=True)
    jumps: dict[tuple[str, str], list[tuple[str, str]]] = {}  # (indicator, period) -> [(school, «old → new»)]
    for r in pv.rows:
        prev = prev_of.get(r.key[2])
        if prev is None or r.value is None:
            continue
        old = before.get((r.key[0], r.key[1], prev))
        if old is None:
            continue
        kind = ind_by_id[r.key[1]]["value_kind"]
        jump = abs(r.value - old)
        if (kind == "share" and jump > JUMP_POINTS) or (kind == "count" and old > 0 and jump / old > JUMP_RATIO):
            items = jumps.setdefault((r.indicator, r.period), [])
            items.append((r.school, "" if len(items) >= 10 else f"{ru(old)} → {ru(r.value)}\u00a0%"
                          if kind == "share" else f"{ru(old, 0)} → {ru(r.value, 0)}"))
    for (indicator, period), items in jumps.items():  # one message per indicator and period
        if len(items) == 1:
            school, change = items[0]
            text_ = f"{school}, «{indicator}»: резкое изменение с прошлого периода ({change}). Проверьте значение."
        else:
            shown = ", ".join(f"{school} ({change})" for school, change in items[:10])
            more = f" и ещё у {len(items) - 10}" if len(items) > 10 else ""
            text_ = (f"«{indicator}», {period}: резкое изменение с прошлого периода у {len(items)} {plural(len(items), ('школы', 'школ', 'школ'))}: "
                     f"{shown}{more}. Проверьте значения.")
        pv.warnings.append(Problem("warning", text_))


def _earlier_upload(engine: Engine, checksum: str) -> dict | None:
    with engine.connect() as c:
        r = c.execute(text("SELECT id, file_name, uploaded_at FROM upload WHERE checksum = :c AND status = 'applied' "
                           "ORDER BY id DESC"), {"c": checksum}).first()
    return dict(r._mapping) if r else None


# ---------------------------------------------------------------------------------------------
# Apply and undo
# ---------------------------------------------------------------------------------------------
@auth.audits_refusals("загрузка данных")
@_gc_paused
def apply(scope: Scope, pv: Preview, data: bytes, *, accept_warnings: bool = False,
          engine: Engine | None = None) -> int:
    """Write a validated preview in one transaction. Returns the upload id."""
    engine = engine or get_engine()
    if not scope.can_upload:
        raise auth.deny(scope, "загрузка данных", engine)
    if pv.errors:
        raise IngestError("В файле есть ошибки: сначала исправьте их. Ничего не записано.")
    if pv.questions:
        raise IngestError("Есть вопросы без ответа (" + "; ".join(q.text for q in pv.questions)[:300]
                          + "). Ответьте на них. Ничего не записано.")
    if pv.warnings and not accept_warnings:
        raise IngestError("Есть предупреждения: подтвердите, что данные верны. Ничего не записано.")
    if hashlib.sha256(data).hexdigest() != pv.checksum:
        raise IngestError("Файл изменился после проверки. Загрузите его снова.")
    quarters.refuse_if_locked(scope, _periods_touched(pv), engine)  # audited; checked again below, under the lock
    with session_scope(engine, write=True) as s:
        quarters.serialise_writes(s)
        pv = _with_periods_created(s, pv)  # before the lock check: another upload may have made the period since
        quarters.guard_writes(s, scope, _periods_touched(pv))
        earlier = s.execute(text("SELECT id, uploaded_at FROM upload WHERE checksum = :c AND status = 'applied'"),
                            {"c": pv.checksum}).first()
        if earlier:
            raise IngestError(f"Этот файл уже загружен (загрузка № {earlier.id}). Ничего не записано.")
        # Another upload or an undo may have landed since the preview: then compare again, inside
        # this transaction (it holds the write lock), so that the history is right.
        if pv.data_version is not None and _data_version(s) == pv.data_version and not pv.new_periods:
            current = pv.current
        else:
            current = _existing(s, [r.key for r in pv.rows])
            _classify(pv.rows, current)
        counts = pv.counts()
        up = Upload(file_name=pv.file_name[:255], checksum=pv.checksum, content=data, kind=pv.kind or "measurements",
                    uploaded_by=scope.user_id, n_rows=len(pv.rows), n_new=counts["new"], n_changed=counts["changed"],
                    n_unchanged=counts["unchanged"], status="applied",
                    errors=json.dumps([p.text for p in pv.warnings], ensure_ascii=False) if pv.warnings else None,
                    territory_id=pv.rows[0].territory_id if pv.rows else None)
        s.add(up)
        s.flush()
        now = utcnow()
        _write_rows(s, pv, current, up.id, scope.user_id, now)
        columns.remember(s, scope, {r.territory_id for r in pv.rows}, pv.answered)
        touched = [r for r in pv.rows if r.change != "unchanged"]
        if touched:
            summary.refresh(s, territory_ids={r.territory_id for r in touched},
                            indicator_ids={r.key[1] for r in touched}, period_ids={r.key[2] for r in touched})
        auth.audit(s, "upload", user_id=scope.user_id, login=scope.login, object_type="upload", object_id=up.id,
                   details={"file": pv.file_name[:200], **counts}, territory_id=up.territory_id)
        return up.id


def _with_periods_created(s, pv: Preview) -> Preview:
    """The preview with the periods it named for the first time created (inside the write
    transaction) and its rows keyed by their ids; the preview itself is left as it was, so a
    failed write can be retried."""
    if not pv.new_periods:
        return pv
    ids = periods.ensure(s, pv.new_periods.values())
    real = {tmp: ids[code] for tmp, code in pv.new_periods.items()}
    rows = [replace(r, key=(r.key[0], r.key[1], real.get(r.key[2], r.key[2]))) for r in pv.rows]
    return replace(pv, rows=rows)


@auth.audits_refusals("отмена загрузки")
@_gc_paused
def undo(scope: Scope, upload_id: int, engine: Engine | None = None) -> dict[str, int]:
    """Restore exactly the values that an upload replaced and remove the ones it added, in one
    transaction. Refused when a later upload has changed the same values since."""
    engine = engine or get_engine()
    try:
        return _undo(scope, upload_id, engine)
    except _Refused as exc:  # recorded after the write transaction has ended
        raise auth.deny(scope, str(exc), engine) from None


class _Refused(Exception):
    pass


def _undo(scope: Scope, upload_id: int, engine: Engine) -> dict[str, int]:
    with session_scope(engine, write=True) as s:
        quarters.serialise_writes(s)
        up = s.get(Upload, upload_id)
        if up is None:
            raise IngestError(f"Загрузка № {upload_id} не найдена.")
        outside = _outside_scope(s, scope, up, with_overwritten=True)
        if outside is not None:
            raise _Refused(f"отмена загрузки № {upload_id}" + outside)
        if up.kind == "roadmap":
            raise IngestError(f"Загрузка № {upload_id} — файл дорожной карты, а не данные мониторинга: её не отменяют.")
        if up.status != "applied":
            raise IngestError(f"Загрузка № {upload_id} уже отменена.")
        history = {(h.school_id, h.indicator_id, h.period_id): h for h in s.execute(
            text("SELECT * FROM measurementhistory WHERE upload_id = :u AND action = 'update'"), {"u": upload_id})}
        mine = list(s.execute(text("SELECT * FROM measurement WHERE upload_id = :u"), {"u": upload_id}))
        quarters.guard_writes(s, scope, {(m.territory_id, m.period_id) for m in mine})
        later = s.execute(text("""
            SELECT h.upload_id FROM measurementhistory h JOIN upload u2 ON u2.id = h.upload_id
            WHERE h.old_upload_id = :u AND h.upload_id <> :u AND h.action = 'update' AND u2.status = 'applied'
            ORDER BY h.upload_id LIMIT 1"""), {"u": upload_id}).first()
        if later is not None:
            raise IngestError(f"Отмена невозможна: часть значений этой загрузки уже изменена загрузкой № {later[0]}. "
                              "Сначала отмените её. Ничего не изменено.")
        now = utcnow()
        restored = removed = 0
        log = []
        for m in mine:
            key = (m.school_id, m.indicator_id, m.period_id)
            h = history.get(key)
            log.append(dict(territory_id=m.territory_id, school_id=m.school_id, indicator_id=m.indicator_id,
                            period_id=m.period_id, old_value=m.value, old_numerator=m.numerator,
                            old_denominator=m.denominator, old_upload_id=upload_id,
                            new_value=h.old_value if h else None, new_numerator=h.old_numerator if h else None,
                            new_denominator=h.old_denominator if h else None, action="undo", upload_id=upload_id,
                            changed_by=scope.user_id, changed_at=now))
            if h is None:
                s.execute(delete(Measurement).where(Measurement.id == m.id))
                removed += 1
            else:
                s.execute(update(Measurement).where(Measurement.id == m.id).values(
                    value=h.old_value, numerator=h.old_numerator, denominator=h.old_denominator,
                    upload_id=h.old_upload_id, entered_by=h.old_entered_by,
                    entered_at=quarters.aware_utc(h.old_entered_at) or now, is_demo=bool(h.old_is_demo)))
                restored += 1
        if log:
            s.execute(insert(MeasurementHistory), log)
            summary.refresh(s, territory_ids={m.territory_id for m in mine}, indicator_ids={m.indicator_id for m in mine},
                            period_ids={m.period_id for m in mine})
        up.status = "undone"
        s.add(up)
        auth.audit(s, "upload_undone", user_id=scope.user_id, login=scope.login, object_type="upload",
                   object_id=upload_id, details={"restored": restored, "removed": removed},
                   territory_id=up.territory_id)
        return {"restored": restored, "removed": removed}


def _write_rows(s, pv: Preview, current: dict, upload_id: int, user_id: int | None, now: datetime) -> None:
    """New values inserted; changed ones logged in the history (old and new, who had entered the
    old one) and overwritten. Plain DB-API executemany: at 50,000 values SQLAlchemy's per-row
    parameter processing would cost more than the database's work."""
    conn = s.connection()
    ph = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    true, false = (1, 0) if conn.dialect.name == "sqlite" else (True, False)
    ts = now if conn.dialect.name != "sqlite" else now.strftime("%Y-%m-%d %H:%M:%S.%f")
    new = [(r.territory_id, r.key[0], r.key[1], r.key[2], r.value, r.numerator, r.denominator, upload_id, user_id, ts,
            false) for r in pv.rows if r.change == "new"]
    changed = [(r, current[r.key]) for r in pv.rows if r.change == "changed"]
    if new:
        conn.exec_driver_sql(
            "INSERT INTO measurement (territory_id, school_id, indicator_id, period_id, value, numerator, denominator, "
            f"upload_id, entered_by, entered_at, is_demo) VALUES ({', '.join([ph] * 11)})", new)
    if not changed:
        return
    if conn.dialect.name == "sqlite":
        _update_sqlite(conn, changed, upload_id, user_id, ts)
        return

    conn.exec_driver_sql(
        "INSERT INTO measurementhistory (territory_id, school_id, indicator_id, period_id, old_value, old_numerator, "
        "old_denominator, old_upload_id, old_entered_by, old_entered_at, old_is_demo, new_value, new_numerator, "
        f"new_denominator, action, upload_id, changed_by, changed_at) VALUES ({', '.join([ph] * 18)})",
        [(r.territory_id, r.key[0], r.key[1], r.key[2], c.value, c.numerator, c.denominator, c.upload_id, c.entered_by,
          quarters.aware_utc(c.entered_at), true if c.is_demo else false, r.value, r.numerator, r.denominator, "update", upload_id,
          user_id, ts) for r, c in changed])
    conn.exec_driver_sql(
        f"UPDATE measurement SET value = {ph}, numerator = {ph}, denominator = {ph}, upload_id = {ph}, "
        f"entered_by = {ph}, entered_at = {ph}, is_demo = {ph} WHERE id = {ph}",
        [(r.value, r.numerator, r.denominator, upload_id, user_id, ts, false, c.id) for r, c in changed])


def _update_sqlite(conn, changed: list, upload_id: int, user_id: int | None, ts: datetime | str) -> None:
    """SQLite: the new values into a temporary table (4 numbers a row), then set-based statements
    driven by it, each row of measurement found by its id: the history copies the old values
    straight from the row it replaces (inside this transaction, under the write lock: what the
    preview compared with), then one UPDATE — instead of 18 parameters a row from Python and
    50,000 single-row UPDATEs."""
    conn.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS ingest_update "
                         "(id INTEGER PRIMARY KEY, territory_id INTEGER, value REAL, numerator REAL, denominator REAL)")
    conn.exec_driver_sql("DELETE FROM ingest_update")
    conn.exec_driver_sql("INSERT INTO ingest_update (id, territory_id, value, numerator, denominator) "
                         "VALUES (?, ?, ?, ?, ?)",
                         [(c.id, r.territory_id, r.value, r.numerator, r.denominator) for r, c in changed])
    conn.exec_driver_sql(
        "INSERT INTO measurementhistory (territory_id, school_id, indicator_id, period_id, old_value, old_numerator, "
        "old_denominator, old_upload_id, old_entered_by, old_entered_at, old_is_demo, new_value, new_numerator, "
        "new_denominator, action, upload_id, changed_by, changed_at) "
        "SELECT u.territory_id, m.school_id, m.indicator_id, m.period_id, m.value, m.numerator, m.denominator, "
        "m.upload_id, m.entered_by, m.entered_at, CASE WHEN m.is_demo THEN 1 ELSE 0 END, u.value, u.numerator, "
        "u.denominator, 'update', ?, ?, ? FROM ingest_update u JOIN measurement m ON m.id = u.id ORDER BY u.id",
        (upload_id, user_id, ts))
    conn.exec_driver_sql(
        "UPDATE measurement SET (value, numerator, denominator) = (SELECT u.value, u.numerator, u.denominator "
        "FROM ingest_update u WHERE u.id = measurement.id), upload_id = ?, entered_by = ?, entered_at = ?, "
        "is_demo = 0 WHERE id IN (SELECT id FROM ingest_update)", (upload_id, user_id, ts))
    conn.exec_driver_sql("DELETE FROM ingest_update")


def touched(executor, upload_ids: list[int], *, with_overwritten: bool = False) -> dict[int, set[tuple[int, int]]]:
    """upload id -> {(school id, territory id)} of every value the upload wrote: those it holds now,
    those it replaced (history) and, with_overwritten, those a later upload has replaced since."""
    if not upload_ids:
        return {}
    sql = ("SELECT upload_id, school_id, territory_id FROM measurement WHERE upload_id IN :u "
           "UNION SELECT upload_id, school_id, territory_id FROM measurementhistory WHERE upload_id IN :u "
           "AND action = 'update'")
    if with_overwritten:
        sql += (" UNION SELECT old_upload_id, school_id, territory_id FROM measurementhistory "
                "WHERE old_upload_id IN :u AND action = 'update'")
    out: dict[int, set[tuple[int, int]]] = {u: set() for u in upload_ids}
    for u, sch, terr in executor.execute(text(sql).bindparams(bindparam("u", expanding=True)), {"u": list(upload_ids)}):
        out[u].add((sch, terr))
    return out


def _outside_scope(s, scope: Scope, up: Upload, *, with_overwritten: bool = False, reading: bool = False
                   ) -> str | None:
    """None when the user may act on the whole upload (undo it, download its file): an administrator;
    else every school and territory it touched must be theirs and the upload their own or, for a
    methodologist, of their territories (`reading`: to read its file, which a head of the territory
    may too). Otherwise the reason, naming what is outside the scope."""
    if scope.is_admin:
        return None
    pairs = touched(s, [up.id], with_overwritten=with_overwritten)[up.id]
    if not pairs and up.territory_id is not None:
        pairs = {(None, up.territory_id)}
    mine = up.uploaded_by is not None and up.uploaded_by == scope.user_id
    if not mine and not (reading or policy.allowed(scope, "undo_others_uploads")):
        return ": загружена другим пользователем"
    foreign = sorted({t for sch, t in pairs if not (scope.can_see_territory(t) if sch is None
                                                     else scope.can_see_school(sch, t))})
    if not foreign:
        return None
    names = dict(s.execute(text("SELECT id, name FROM territory WHERE id IN :t").bindparams(
        bindparam("t", expanding=True)), {"t": foreign}).all())
    return (": загрузка изменила и данные вне ваших прав (" + ", ".join(f"«{names.get(t, t)}»" for t in foreign)
            + ") — её может отменить администратор")


def _may_touch_upload(s, scope: Scope, up: Upload) -> bool:
    return _outside_scope(s, scope, up) is None


def uploads(scope: Scope, engine: Engine | None = None, limit: int = 200) -> pd.DataFrame:
    """The upload log the user may see, newest first: everything for an administrator; their own;
    for a methodologist or head also every upload that touched a territory of theirs (the values it
    wrote or replaced; without such values, the territory it was made for). One scoped query with the
    LIMIT last, so a quiet territory's log is not cut short by a busy one's uploads."""
    engine = engine or get_engine()
    if scope.is_admin:
        seen = "1 = 1"
    else:
        wide = "" if not policy.allowed(scope, "see_territory_uploads") else """
            OR EXISTS (SELECT 1 FROM measurement m WHERE m.upload_id = u.id AND m.territory_id IN ({territories}))
            OR EXISTS (SELECT 1 FROM measurementhistory h WHERE h.upload_id = u.id AND h.action = 'update'
                       AND h.territory_id IN ({territories}))
            OR (u.territory_id IN ({territories})
                AND NOT EXISTS (SELECT 1 FROM measurement m WHERE m.upload_id = u.id)
                AND NOT EXISTS (SELECT 1 FROM measurementhistory h WHERE h.upload_id = u.id AND h.action = 'update'))"""
        seen = f"(u.uploaded_by = :me{wide})"
    rows = access.rows(engine, f"""
        SELECT u.id, u.file_name, u.uploaded_at, u.n_rows, u.n_new, u.n_changed, u.n_unchanged, u.status,
               u.errors, u.territory_id, u.uploaded_by, us.login, u.kind
        FROM upload u LEFT JOIN "user" us ON us.id = u.uploaded_by
        WHERE u.kind <> 'roadmap' AND {seen}
        ORDER BY u.id DESC LIMIT :n""", scope, {"n": limit, "me": scope.user_id if scope.user_id is not None else -1})
    return pd.DataFrame(rows, columns=["id", "file_name", "uploaded_at", "n_rows", "n_new", "n_changed",
                                       "n_unchanged", "status", "errors", "territory_id", "uploaded_by", "login",
                                       "kind"])


def original_file(scope: Scope, upload_id: int, engine: Engine | None = None) -> tuple[str, bytes]:
    engine = engine or get_engine()
    with session_scope(engine) as s:
        up = s.get(Upload, upload_id)
        reader = policy.allowed(scope, "read_territory_files") and scope.sees_whole_territory
        outside = "" if up is None else _outside_scope(s, scope, up, reading=reader)
        if outside is None:
            return original_file_name(up.file_name, up.id), up.content
    raise auth.deny(scope, f"файл загрузки № {upload_id}" + (outside or ""), engine)


def original_file_name(file_name: str, upload_id: int) -> str:
    """The name to download an upload's original under (several files were kept as one zip)."""
    return file_name if len(file_name) < 200 and not file_name[0].isdigit() else f"upload-{upload_id}.zip"
