"""«Откуда это число»: the school values behind a figure, each with where it came from.

A figure is a target on a subject (a school, or a territory's group of schools) at the period
judged. `sources` lists the values of the schools behind it — at the period judged and at the
baseline — each with its upload (number, file name, kind: загрузка / ввод в браузере /
исправление), who entered it and when, the value it replaced and the correction's reason (from
`measurementhistory` and the correction's own record), whether its original file may be
downloaded by this user, and whether it changed since the period's last approval or since the
user's previous visit. The user's Scope is applied in SQL: a principal reads their own school only,
a curator their schools; a territory's figure is for the office (head, methodologist,
administrator).

`original_file` gives the file an upload was made from to a user allowed to see every school it
touched (a principal: only files of their own school's values). `record_visit` keeps when a
user came last (one visit per browser session; a reload within half an hour is the same visit)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Engine

from core import access, auth
from core import formatting as fmt
from core import target_counts as counts
from core.auth import Scope
from core.db import get_engine, session_scope
from core.ingest import pipeline
from core.models import UserVisit, utcnow
from core.quarters import aware_utc
from core.targets import evaluation as ev_mod
from core.targets.evaluation import Subject

KIND_WORDS = {"entry": "ввод в браузере", "correction": "исправление"}  # anything else: «загрузка»
SAME_VISIT = timedelta(minutes=30)


@dataclass(frozen=True)
class Source:
    """One school value behind a figure (or a territory's own value for a territory-level indicator)."""

    school_id: int | None
    school: str
    period_id: int
    period_label: str
    is_baseline: bool  # the value at the target's baseline period
    value: float | None  # None: the school has not reported the period
    numerator: float | None = None
    denominator: float | None = None
    upload_id: int | None = None
    file_name: str | None = None
    kind: str | None = None  # «загрузка» | «ввод в браузере» | «исправление» | «демо-данные»
    by: str | None = None
    at: datetime | None = None
    replaced: float | None = None  # the value this one replaced
    replaced_at: datetime | None = None
    reason: str | None = None  # a correction's reason
    undone: bool = False  # its upload was undone later (the value was restored from an earlier one)
    downloadable: bool = False  # this user may download the upload's original file
    after_approval: datetime | None = None  # entered after the period's last approval (then: that approval)
    since_visit: bool = False  # entered after the user's previous visit

    @property
    def source_text(self) -> str:
        """«загрузка № 12 (кпк_3кв.xlsx)», «исправление № 14», «демо-данные», «нет данных»."""
        if self.value is None:
            return "нет данных"
        if self.upload_id is None:
            return self.kind or "—"
        typed = self.kind in ("ввод в браузере", "исправление")  # no file: its record is named after the entry
        return f"{self.kind} № {self.upload_id}" + (f" ({self.file_name})" if self.file_name and not typed else "")

    @property
    def marks(self) -> tuple[str, ...]:
        out = []
        if self.after_approval is not None:
            out.append(f"изменено после утверждения {fmt.moment_day(self.after_approval)}")
        if self.since_visit:
            out.append("изменено после вашего прошлого визита")
        return tuple(out)


@dataclass(frozen=True)
class Provenance:
    target_id: int
    subject: Subject
    indicator: str
    unit: str
    period_label: str | None
    baseline_label: str | None
    rows: tuple[Source, ...]
    last_approval: datetime | None  # the period judged's last approval (of the territory or one above it)
    since: datetime | None  # the user's previous visit the marks compare with

    @property
    def changed(self) -> tuple[Source, ...]:
        return tuple(r for r in self.rows if r.marks)


def _kind(kind: str | None, upload_id: int | None, is_demo) -> str:
    if upload_id is None:
        return "демо-данные" if is_demo else "—"
    return KIND_WORDS.get(kind or "", "загрузка")


def sources(scope: Scope, target_id: int, subject: Subject, period_id: int | None, *,
            since: datetime | None = None, engine: Engine | None = None) -> Provenance:
    """The values behind a target's figure on a subject at the period judged `period_id` (and at the
    target's baseline), as this user may see them. A school outside the scope, or a territory's
    figure for a user without the territory's view, is refused (and audited)."""
    engine = engine or get_engine()
    with engine.connect() as conn:
        trows = ev_mod.target_rows(conn, target_ids=[target_id])
        if not trows:
            raise auth.deny(scope, f"откуда число: цель {target_id}", engine)
        r = trows[0]
        if subject.kind == "school":
            found = access.rows(conn, "SELECT s.id, s.territory_id FROM school s WHERE s.id = :sid "
                                      "AND s.id IN ({schools})", scope, {"sid": subject.id})
            if not found:
                raise auth.deny(scope, f"откуда число: школа {subject.id}", engine)
            home = found[0]["territory_id"]
        else:
            if not (scope.sees_whole_territory and scope.can_see_territory(subject.id)):
                raise auth.deny(scope, f"откуда число: территория {subject.id}", engine)
            home = subject.id
        pids = [p for p in dict.fromkeys([period_id, r["baseline_period_id"]]) if p is not None]
        if not pids:
            rows = []
        elif r["level"] == "territory":
            rows = _territory_rows(conn, scope, r, subject.id, pids)
        else:
            rows = _school_rows(conn, scope, r, subject, pids)
        reasons = _reasons(conn, {x["upload_id"] for x in rows if x["up_kind"] == "correction"})
        may = _downloadable(conn, scope, {x["upload_id"] for x in rows if x["upload_id"] is not None})
        approved = _last_approval(conn, home, period_id)
        labels = {p["id"]: p["label"] for p in counts.select_rows(conn, "SELECT id, label FROM period WHERE id IN :p",
                                                   {"p": pids or [-1]}, ("p",))}
    since = aware_utc(since)
    out = []
    for x in rows:
        at = aware_utc(x["entered_at"]) if x["value"] is not None and not x["is_demo"] else None
        out.append(Source(
            school_id=x["school_id"], school=x["school"], period_id=x["period_id"],
            period_label=labels.get(x["period_id"], ""), is_baseline=x["period_id"] == r["baseline_period_id"],
            value=x["value"], numerator=x["numerator"], denominator=x["denominator"], upload_id=x["upload_id"],
            file_name=x["file_name"], kind=_kind(x["up_kind"], x["upload_id"], x["is_demo"]) if x["value"] is not None
            else None, by=x["by_name"] or x["by_login"], at=at,
            replaced=x["old_value"] if x["h_id"] is not None else None,
            replaced_at=aware_utc(x["old_entered_at"]) if x["h_id"] is not None else None,
            reason=reasons.get(x["upload_id"]), undone=x["up_status"] == "undone",
            downloadable=x["upload_id"] in may,
            after_approval=approved if at and approved and at > approved and x["period_id"] == period_id else None,
            since_visit=bool(at and since and at > since)))
    return Provenance(target_id=target_id, subject=subject, indicator=r["short_name"], unit=r["unit"],
                      period_label=labels.get(period_id), baseline_label=labels.get(r["baseline_period_id"]),
                      rows=tuple(out), last_approval=approved, since=since)


_COLUMNS = """m.value, m.numerator, m.denominator, m.upload_id, m.entered_at, m.is_demo, u.file_name,
              u.kind AS up_kind, u.status AS up_status, eu.full_name AS by_name, eu.login AS by_login,
              h.id AS h_id, h.old_value, h.old_entered_at"""
# the overwrite that put the current value in place: the history row of the same key and upload
_HISTORY = """LEFT JOIN measurementhistory h ON h.id = (
                  SELECT MAX(h2.id) FROM measurementhistory h2
                  WHERE h2.indicator_id = m.indicator_id AND h2.period_id = m.period_id AND h2.action = 'update'
                    AND h2.upload_id = m.upload_id AND {key})"""


def _school_rows(conn, scope: Scope, r: dict, subject: Subject, pids: list[int]) -> list[dict]:
    """Every school of the figure × the periods: its value (or none) with upload, author and what it replaced."""
    if subject.kind == "school":
        who = "s.id = :subj"
    else:
        grp = subject.group or r["applies_to"]
        who = ("s.territory_id IN (SELECT descendant_id FROM territoryclosure WHERE ancestor_id = :subj) AND "
               + counts.GROUP_SQL.get(grp, "1=1"))
    return access.rows(conn, f"""
        SELECT s.id AS school_id, s.short_name AS school, p.id AS period_id, {_COLUMNS}
        FROM school s CROSS JOIN period p
        LEFT JOIN measurement m ON m.school_id = s.id AND m.indicator_id = :ind AND m.period_id = p.id
        LEFT JOIN upload u ON u.id = m.upload_id
        LEFT JOIN "user" eu ON eu.id = m.entered_by
        {_HISTORY.format(key="h2.school_id = m.school_id")}
        WHERE p.id IN :pids AND {who} AND s.id IN ({{schools}})
        ORDER BY s.short_name, s.id, p."end" DESC""", scope,
                       {"ind": r["indicator_id"], "pids": pids, "subj": subject.id}, ("pids",))


def _territory_rows(conn, scope: Scope, r: dict, territory_id: int, pids: list[int]) -> list[dict]:
    """A territory-level indicator: the territory's own value per period."""
    return access.rows(conn, f"""
        SELECT NULL AS school_id, t.name AS school, p.id AS period_id, {_COLUMNS}
        FROM territory t CROSS JOIN period p
        LEFT JOIN measurement m ON m.territory_id = t.id AND m.school_id IS NULL AND m.indicator_id = :ind
                               AND m.period_id = p.id
        LEFT JOIN upload u ON u.id = m.upload_id
        LEFT JOIN "user" eu ON eu.id = m.entered_by
        {_HISTORY.format(key="h2.school_id IS NULL AND h2.territory_id = m.territory_id")}
        WHERE p.id IN :pids AND t.id = :t AND t.id IN ({{territories}})
        ORDER BY p."end" DESC""", scope, {"ind": r["indicator_id"], "pids": pids, "t": territory_id}, ("pids",))


def _reasons(conn, upload_ids: set) -> dict[int, str]:
    """The reasons of corrections in the browser, as the methodologist typed them (the correction's record)."""
    ids = sorted(i for i in upload_ids if i is not None)
    out = {}
    for x in counts.select_rows(conn, "SELECT id, content FROM upload WHERE id IN :ids AND kind = 'correction'", {"ids": ids or [-1]},
                ("ids",)):
        try:
            reason = json.loads(bytes(x["content"]).decode("utf-8")).get("reason")
        except (ValueError, TypeError, AttributeError):
            reason = None
        if reason:
            out[x["id"]] = str(reason)
    return out


def _may_download(scope: Scope, pairs: set[tuple[int | None, int]]) -> bool:
    """Every school (or territory) an upload touched is the user's to see."""
    if scope.is_admin:
        return True
    if not pairs:
        return False
    return all(scope.can_see_territory(t) if sch is None else scope.can_see_school(sch, t) for sch, t in pairs)


def _downloadable(conn, scope: Scope, upload_ids: set[int]) -> set[int]:
    if not upload_ids:
        return set()
    touched = pipeline.touched(conn, sorted(upload_ids), with_overwritten=True)
    return {u for u, pairs in touched.items() if _may_download(scope, pairs)}


def _last_approval(conn, territory_id: int, period_id: int | None) -> datetime | None:
    """When the period was last approved for the territory or a territory above it (the audit log
    keeps approvals that were unlocked since)."""
    if period_id is None:
        return None
    keys = [f"{a['ancestor_id']}:{a['code']}" for a in counts.select_rows(conn, """
        SELECT cl.ancestor_id, p.code FROM territoryclosure cl CROSS JOIN period p
        WHERE cl.descendant_id = :t AND p.id = :p""", {"t": territory_id, "p": period_id})]
    if not keys:
        return None
    at = conn.execute(text("SELECT MAX(at) FROM auditevent WHERE action = 'quarter_approved' AND object_id IN :k")
                      .bindparams(bindparam("k", expanding=True)), {"k": keys}).scalar()
    return aware_utc(at)


@dataclass(frozen=True)
class Changed:
    """How many values behind a figure changed since the period's last approval and since the user's
    previous visit (the mark on a tile)."""

    after_approval: int = 0
    approved_at: datetime | None = None
    since_visit: int = 0

    @property
    def text(self) -> str:
        """«⚑ изменено после утверждения 01.11.2024: 1 знач.; после вашего прошлого визита: 2 знач.»"""
        parts = []
        if self.after_approval:
            parts.append(f"после утверждения {fmt.moment_day(self.approved_at)}: {self.after_approval} знач.")
        if self.since_visit:
            parts.append(f"после вашего прошлого визита: {self.since_visit} знач.")
        return ("⚑ изменено " + "; ".join(parts)) if parts else ""


def changed(scope: Scope, territory_id: int, figures: list[tuple[int, int | None]], since: datetime | None = None,
            engine: Engine | None = None) -> dict[int, Changed]:
    """For a territory's tiles — (target id, period judged) pairs — the values of the target's group
    at that period entered after the period's last approval or after `since` (the previous visit).
    Only values entered later than the earlier of the two are read (recent edits, not the history)."""
    engine = engine or get_engine()
    if not (scope.sees_whole_territory and scope.can_see_territory(territory_id)):
        raise auth.deny(scope, f"изменения значений территории {territory_id}", engine)
    figures = [(t, p) for t, p in figures if p is not None]
    if not figures:
        return {}
    since = aware_utc(since)
    with engine.connect() as conn:
        approved = {p: _last_approval(conn, territory_id, p) for p in {p for _, p in figures}}
        marks = [x for x in [since, *approved.values()] if x is not None]
        if not marks:
            return {}
        rows = access.rows(conn, """
            SELECT x.id AS target_id, m.period_id, m.entered_at
            FROM target x JOIN measurement m ON m.indicator_id = x.indicator_id JOIN school s ON s.id = m.school_id
            WHERE x.id IN :tids AND m.period_id IN :pids AND m.entered_at > :after AND m.is_demo = :no
              AND s.territory_id IN (SELECT descendant_id FROM territoryclosure WHERE ancestor_id = :t)
              AND (x.applies_to = 'all' OR (x.applies_to = 'shnor' AND s.is_shnor) OR (x.applies_to = 'shnsu' AND s.is_shnsu)
                   OR (x.applies_to = 'target' AND (s.is_shnor OR s.is_shnsu)))
              AND s.id IN ({schools})""", scope,
                           {"tids": sorted({t for t, _ in figures}), "pids": sorted({p for _, p in figures}),
                            "after": min(marks).astimezone(timezone.utc).replace(tzinfo=None), "no": False,
                            "t": territory_id}, ("tids", "pids"))
    wanted = set(figures)
    out: dict[int, Changed] = {}
    for r in rows:
        if (r["target_id"], r["period_id"]) not in wanted:
            continue
        at = aware_utc(r["entered_at"])
        a = approved.get(r["period_id"])
        c = out.get(r["target_id"], Changed(approved_at=a))
        out[r["target_id"]] = Changed(after_approval=c.after_approval + bool(a and at > a), approved_at=a,
                                      since_visit=c.since_visit + bool(since and at > since))
    return {k: v for k, v in out.items() if v.text}


def original_file(scope: Scope, upload_id: int, engine: Engine | None = None) -> tuple[str, bytes]:
    """The original file of an upload behind a figure: for a user who may see every school (or
    territory) whose values it wrote or replaced — a principal only their own school's. Refused
    (and audited) otherwise."""
    engine = engine or get_engine()
    with engine.connect() as conn:
        row = conn.execute(text("SELECT id, file_name, content, kind FROM upload WHERE id = :u"),
                           {"u": upload_id}).first()
        ok = row is not None and row.kind != "roadmap" and row.content is not None and upload_id in _downloadable(
            conn, scope, {upload_id})
    if not ok:
        raise auth.deny(scope, f"файл загрузки № {upload_id}", engine)
    name = pipeline.original_file_name(row.file_name, row.id)
    if row.kind in ("entry", "correction") and not name.lower().endswith(".json"):
        name = f"{'исправление' if row.kind == 'correction' else 'ввод'}-{row.id}.json"  # what was typed, as kept
    return name, bytes(row.content)


def record_visit(user_id: int | None, engine: Engine | None = None, now: datetime | None = None) -> datetime | None:
    """A user's visit begins: returns the previous one's time (None: the first). A visit within half
    an hour of the last one continues it. Changes nothing the screens show (no new data version)."""
    if user_id is None:
        return None
    engine = engine or get_engine()
    now = now or utcnow()
    with session_scope(engine, write=True, data=False) as s:
        v = s.get(UserVisit, user_id)
        if v is None:
            s.add(UserVisit(user_id=user_id, last_at=now, previous_at=None))
            return None
        last = aware_utc(v.last_at)
        if now - last > SAME_VISIT:
            v.previous_at = last
        v.last_at = now
        s.add(v)
        return aware_utc(v.previous_at)


HEAD = ["Школа", "Период", "Значение", "Источник", "Кто и когда", "Заменило", "Причина исправления"]


def cells(row: Source, unit: str, *, marks_in_reason: bool = False) -> list[str]:
    """One value behind a figure as a row of `HEAD` (the screens' «Откуда это число» and the справка's
    appendix); the marks go after the reason when the table has no column of its own for them."""
    who = ", ".join(x for x in (row.by, fmt.moment(row.at) if row.at else None) if x) or "—"
    reason = row.reason or "—"
    if marks_in_reason and row.marks:
        reason += f" ({'; '.join(row.marks)})"
    return [row.school, row.period_label + (" (база)" if row.is_baseline else ""), value_text(row, unit),
            row.source_text + (" — отменена" if row.undone else ""), who,
            "—" if row.replaced is None else fmt.value(row.replaced, unit), reason]


def download_name(row: Source) -> str:
    """The name an upload's original is downloaded under (`original_file` gives the same)."""
    if row.kind in ("ввод в браузере", "исправление"):
        return f"{'исправление' if row.kind == 'исправление' else 'ввод'}-{row.upload_id}.json"
    return pipeline.original_file_name(row.file_name, row.upload_id) if row.file_name else f"upload-{row.upload_id}"


def value_text(row: Source, unit: str) -> str:
    """A value with its parts: «62,5 % (25 из 40)»."""
    if row.value is None:
        return "—"
    text_ = fmt.value(row.value, unit)
    if row.numerator is not None and row.denominator is not None:
        text_ += f" ({fmt.num(row.numerator)} из {fmt.num(row.denominator)})"
    return text_
