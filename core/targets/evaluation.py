"""One evaluation: `evaluate(target, subject, cut)` for one school, one group of a territory's
schools or a territory, as of a cut («по состоянию на»). Every screen, the справка, the XLSX
exports and the kept counts (core.target_counts, proven equal by tests/test_evaluation.py) take
their statuses from here; `evaluate_many` is the same for many subjects at once.

Rules on top of core.targets.rules (the pure rules):

* **The period judged** for a target at a cut is the latest period of the target's kind (its due
  or baseline period's kind) that ends on or before the cut and in which any school of the
  roadmap's territory reported the indicator (for a territory-level indicator: the territory's own
  value). A school that did not report that period is «Нет данных» («нет данных за III кв. 2024»),
  on every screen alike.
* **The cut is the cut**: series, trends, forecasts use periods ending on or before the cut only.
* **Like for like**: a group's value now and its baseline are aggregated over the same schools, those
  that reported both periods (without a baseline period: those that reported now). Coverage is
  n of m schools of the group, with the missing schools' ids for the tile's subject. Below
  `Settings.min_coverage` (MIN_COVERAGE_PERCENT, default 80) the status is «Нет данных» with the
  reason. A group's series shows every reporting school per period, except that its baseline and
  current points are the like-for-like values the status is judged on.
* **Forecast**: the recent trend of the subject's own series (core.targets.rules.trend_forecast),
  with its basis in words (`Result.forecast_basis`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from datetime import date
from typing import NamedTuple, Sequence

from sqlalchemy.engine import Engine

from core import formatting as fmt
from core import target_counts as counts
from core.db import statement
from core.settings import get_settings
from core.settings import today as app_today
from core.target_counts import in_group, select_rows
from core.targets import rules as tg

GROUP_SQL = counts.GROUP_SQL
as_date = counts.as_date


# ---------------------------------------------------------------------------------------------
# Types
# ---------------------------------------------------------------------------------------------
class Subject(NamedTuple):
    """What a target is evaluated on: a school, or a territory (its schools of the target's
    group, or `group` when given; a territory-level indicator: the territory's own value)."""

    kind: str  # "school" | "territory"
    id: int
    group: str | None = None  # territory only: all | shnor | shnsu | target (default: the target's)

    @classmethod
    def school(cls, school_id: int) -> "Subject":
        return cls("school", int(school_id))

    @classmethod
    def territory(cls, territory_id: int, group: str | None = None) -> "Subject":
        return cls("territory", int(territory_id), group)


class Point(NamedTuple):
    """One period of a subject's series (a named tuple: a region's matrix makes thousands of them)."""

    period_id: int
    label: str
    end: date
    t: float
    value: float | None
    coverage: str | None = None  # a group's point: «данные 4 из 5 школ» (below the threshold: value None, a gap)


@dataclass(frozen=True)
class Result:
    target_id: int
    subject: Subject
    cut: date
    evaluation: tg.Evaluation
    period_id: int | None = None  # the period judged
    period_label: str | None = None
    period_end: date | None = None
    forecast_basis: str | None = None  # «тренд 4 последних периодов (I кв. 2024 – IV кв. 2024) …»
    average: float | None = None  # the average school of the territory at the period (school subjects)
    series: tuple[Point, ...] = field(default_factory=tuple)  # up to the cut, the target's period kind
    collecting: dict | None = None  # a later period being collected: {label, n, m} («идёт сбор …»)
    at_deadline: bool = False  # the due period has passed: the verdict is the one at the due period
    after_due: tuple[Point, ...] = ()  # the values measured after the due period (shown, not judged)
    path_start: float | None = None  # a school without a baseline of its own: the group's baseline

    @property
    def collecting_text(self) -> str | None:
        c = self.collecting
        return f"идёт сбор {c['label']}: {fmt.of_schools(c['n'], c['m'], ' ')}" if c else None

    @property
    def status(self) -> str:
        return self.evaluation.status

    @property
    def coverage_text(self) -> str | None:
        e = self.evaluation
        if e.n_members is None:
            return None
        return _coverage_words(e.n_reported or 0, e.n_members)


# ---------------------------------------------------------------------------------------------
# Reads (SQL aggregates only)
# ---------------------------------------------------------------------------------------------
def target_rows(conn, *, roadmap_id: int | None = None, target_ids: list[int] | None = None,
                judged_below: int | None = None) -> list[dict]:
    """The target rows (core.target_counts.TARGET_ROWS_SQL) of a roadmap, or with these ids, or
    (`judged_below`: a territory) the school-level targets judged on schools of the roadmaps over
    that territory; by number."""
    if roadmap_id is not None:
        return select_rows(conn, counts.TARGET_ROWS_SQL + " WHERE x.roadmap_id = :rid ORDER BY x.number, x.id",
                           {"rid": roadmap_id})
    if judged_below is not None:
        return select_rows(conn, counts.TARGET_ROWS_SQL + """
            WHERE r.territory_id IN (SELECT ancestor_id FROM territoryclosure WHERE descendant_id = :tid)
              AND i.level = 'school' AND x.judged_on IN ('school', 'both') ORDER BY x.number, x.id""",
                           {"tid": judged_below})
    return select_rows(conn, counts.TARGET_ROWS_SQL + " WHERE x.id IN :ids ORDER BY x.number, x.id",
                       {"ids": list(target_ids or [-1])}, ("ids",))


def period_kind(r: dict) -> str | None:
    return r["due_kind"] or r["baseline_kind"]


def group_of(r: dict, subject: Subject) -> str:
    if r["level"] == "territory":
        return "territory"
    return subject.group or r["applies_to"]


def group_series(conn, territory_ids: list[int], indicator_ids: list[int], grps: list[str] | None = None,
                 period_ids: list[int] | None = None, cut: date | None = None,
                 pairs: list[tuple[int, str]] | None = None, territory_level: list[int] | None = None) -> dict:
    """{(territory_id, indicator_id, grp): [row...]} from the summary (every level of the tree),
    plus territory-level measurements under grp 'territory'; optionally only some groups, periods,
    and periods ending on or before `cut`. Rows: period_id, label, end, kind, t, value (the group),
    average (the average school), n_schools, sum_numerator, sum_denominator. `territory_level`: which
    of the indicators are territory-level, when the caller knows (target rows say it)."""
    out: dict[tuple[int, int, str], list[dict]] = {}
    if not indicator_ids or not territory_ids:
        return out
    params: dict = {"tids": sorted(set(territory_ids)), "ids": sorted(set(indicator_ids))}
    extra = ""
    if grps is not None:
        params["grps"] = sorted(set(grps))
        extra += " AND s.grp IN :grps"
    if period_ids is not None:
        params["pids"] = sorted(set(period_ids)) or [-1]
        extra += " AND s.period_id IN :pids"
    if cut is not None:
        params["cut"] = cut
        extra += ' AND p."end" <= :cut'
    if pairs is not None:  # only these (indicator, group) pairs: one indexed read per group
        by_grp: dict[str, set[int]] = {}
        for i, g in pairs:
            by_grp.setdefault(g, set()).add(i)
        for g, inds in sorted(by_grp.items()):
            out.update(group_series(conn, territory_ids, sorted(inds), [g], period_ids, cut))
        return out
    t_cache: dict = {}
    for r in select_rows(conn, f"""
            SELECT s.territory_id, s.indicator_id, s.grp, s.n_schools, s.sum_value, s.sum_numerator,
                   s.sum_denominator, s.n_flag, i.value_kind, p.id AS period_id, p.label, p."end", p.kind
            FROM measurementsummary s
            JOIN indicator i ON i.id = s.indicator_id
            JOIN period p ON p.id = s.period_id
            WHERE s.territory_id IN :tids AND s.indicator_id IN :ids {extra}
            ORDER BY p."end" """, params, tuple(k for k in ("tids", "ids", "grps", "pids") if k in params)):
        sums = (r["value_kind"], r["n_schools"], r["sum_value"], r["sum_numerator"], r["sum_denominator"],
                r["n_flag"])
        r["value"] = tg.group_value(*sums)
        r["average"] = tg.average_value(*sums)
        if r["period_id"] not in t_cache:
            t_cache[r["period_id"]] = (as_date(r["end"]), tg.period_t(as_date(r["end"])))
        r["end"], r["t"] = t_cache[r["period_id"]]
        out.setdefault((r["territory_id"], r["indicator_id"], r["grp"]), []).append(r)
    if grps is not None and "territory" not in grps:
        return out
    level_ids = territory_level if territory_level is not None else [r["id"] for r in select_rows(
        conn, "SELECT id FROM indicator WHERE level = 'territory' AND id IN :ids", {"ids": params["ids"]}, ("ids",))]
    if level_ids:
        cut_sql = ' AND p."end" <= :cut' if cut is not None else ""
        for r in select_rows(conn, f"""
                SELECT m.territory_id, m.indicator_id, m.value, m.numerator, m.denominator, p.id AS period_id,
                       p.label, p."end", p.kind
                FROM measurement m JOIN period p ON p.id = m.period_id
                WHERE m.territory_id IN :tids AND m.school_id IS NULL AND m.indicator_id IN :ids {cut_sql}
                ORDER BY p."end" """, {"tids": params["tids"], "ids": level_ids,
                                       **({"cut": cut} if cut is not None else {})}, ("tids", "ids")):
            r["end"] = as_date(r["end"])
            r["t"] = tg.period_t(r["end"])
            r["average"] = r["value"]
            r["n_schools"] = None
            r["sum_numerator"], r["sum_denominator"] = r["numerator"], r["denominator"]
            out.setdefault((r["territory_id"], r["indicator_id"], "territory"), []).append(r)
    return out


def judged_periods(conn, trows: list[dict], cut: date, data: dict | None = None,
                   min_coverage: float | None = None, sizes: dict[tuple[int, str], int] | None = None
                   ) -> dict[int, dict]:
    """{target id: the period judged at the cut} — see the module docstring; a target without such
    a period is absent. The row: period_id, label, end, t, kind; `collecting` (a later period being
    collected: label, n, m) or None; `at_deadline` (the due period has passed and the verdict is the
    one at the due period); `path_start` (a level target: the group's value at the baseline period,
    where the planned path of a school without a baseline of its own starts). `data`: the roadmap
    territories' series up to the cut (group "territory") when the caller has read them; `sizes`:
    `target_counts.group_sizes` of the roadmaps' territories when the caller has read them."""
    if not trows:
        return {}
    min_cov = get_settings().min_coverage if min_coverage is None else min_coverage
    tids = sorted({r["roadmap_territory_id"] for r in trows})
    by_key = _reporting_periods(conn, trows, cut, data)
    if sizes is None:
        sizes = counts.group_sizes(conn, tids) if any(r["level"] == "school" for r in trows) else {}
    approved, deadlines = _quarter_states(conn, tids)
    out = {}
    for r in trows:
        tid = r["roadmap_territory_id"]
        grp = "territory" if r["level"] == "territory" else r["applies_to"]
        judged = _judged_period(r, by_key.get((tid, r["indicator_id"], grp), []), sizes.get((tid, grp), 0), cut,
                                min_cov, {pid for t, pid in approved if t == tid},
                                deadlines.get((tid, r["due_period_id"])))
        if judged is not None:
            out[r["id"]] = judged
    return out


def _reporting_periods(conn, trows: list[dict], cut: date, data: dict | None) -> dict[tuple[int, int, str], list[dict]]:
    """{(roadmap territory, indicator, group): the summary rows of the periods up to the cut in which
    any school of the group reported (a territory-level indicator: the territory's own values)}."""
    tids = sorted({r["roadmap_territory_id"] for r in trows})
    school_rows = [r for r in trows if r["level"] == "school"]
    by_key: dict[tuple[int, int, str], list[dict]] = {}
    wanted = {(r["roadmap_territory_id"], r["indicator_id"], r["applies_to"]) for r in school_rows}
    if data is not None and wanted and all(k in data for k in wanted):  # the caller read them already
        for k in wanted:
            by_key[k] = [x for x in data[k] if x["n_schools"]]
    elif school_rows:
        for x in select_rows(conn, """
                SELECT s.territory_id, s.indicator_id, s.grp, s.n_schools, s.sum_value, s.sum_numerator,
                       s.sum_denominator, s.n_flag, i.value_kind, p.id AS period_id, p.label, p."end", p.kind
                FROM measurementsummary s JOIN period p ON p.id = s.period_id JOIN indicator i ON i.id = s.indicator_id
                WHERE s.territory_id IN :tids AND s.indicator_id IN :ids AND s.grp IN :grps AND s.n_schools > 0
                  AND p."end" <= :cut
                ORDER BY p."end" """, {"tids": tids, "ids": sorted({r["indicator_id"] for r in school_rows}),
                                       "grps": sorted({r["applies_to"] for r in school_rows}), "cut": cut},
                ("tids", "ids", "grps")):
            x["end"] = as_date(x["end"])
            by_key.setdefault((x["territory_id"], x["indicator_id"], x["grp"]), []).append(x)
    if any(r["level"] == "territory" for r in trows):
        if data is None or not any(k[2] == "territory" for k in data):
            data = group_series(conn, tids, sorted({r["indicator_id"] for r in trows if r["level"] == "territory"}),
                                ["territory"], cut=cut)
        for (t, i, g), rows in data.items():
            if g == "territory":
                by_key[(t, i, g)] = [{**x, "n_schools": None} for x in rows if x["value"] is not None]
    return by_key


def _quarter_states(conn, tids: list[int]) -> tuple[set[tuple[int, int]], dict[tuple[int, int], date]]:
    """({(territory, period) approved there or above}, {(territory, period): its own deadline})."""
    approved, deadlines = set(), {}
    for x in select_rows(conn, """
            SELECT c.descendant_id AS territory_id, c.depth, q.period_id, q.state, q.deadline FROM quarterstate q
            JOIN territoryclosure c ON c.ancestor_id = q.territory_id
            WHERE c.descendant_id IN :tids""", {"tids": tids}, ("tids",)):
        if x["state"] == "approved":
            approved.add((x["territory_id"], x["period_id"]))
        if x["depth"] == 0 and x["deadline"]:
            deadlines[(x["territory_id"], x["period_id"])] = as_date(x["deadline"])
    return approved, deadlines


def _judged_period(r: dict, rows: list[dict], m: int, cut: date, min_cov: float, approved: set[int],
                   deadline: date | None) -> dict | None:
    """The period judged for target row r from its group's reporting periods `rows` (m: the
    group's schools; `approved`: the periods approved over the territory; `deadline`: the due
    period's own deadline, if set)."""
    from core.quarters import default_deadline

    kind = period_kind(r)
    rows_k = [x for x in rows if kind is None or x["kind"] == kind]

    def complete(x: dict) -> bool:
        return (x["n_schools"] is None or (m > 0 and x["n_schools"] >= min_cov * m - tg.EPS)
                or x["period_id"] in approved)

    done = [x for x in rows_k if complete(x)]
    due_end = as_date(r["due_end"]) if r["due_end"] else None
    judged, at_deadline = (done[-1] if done else None), False
    due = {"period_id": r["due_period_id"], "label": r["due_label"], "end": due_end, "kind": r["due_kind"]}
    if due_end is not None and done and done[-1]["end"] > due_end:
        # the deadline has passed and later data are complete: the verdict is the one at the due period
        at_deadline = True
        judged = next((x for x in rows_k if x["period_id"] == r["due_period_id"]), None) or due
    elif due_end is not None and judged is not None and judged["period_id"] == r["due_period_id"]:
        at_deadline = True
    elif due_end is not None and cut > (deadline or default_deadline(due_end)) and (
            judged is None or judged["end"] < due_end):
        # the due period's collection is over and it is not complete: the verdict is still the one at
        # the due period (no data there says so), never an earlier quarter's «on track»
        at_deadline = True
        judged = next((x for x in rows_k if x["period_id"] == r["due_period_id"]), None) or due
    if judged is None:
        return None
    later = [x for x in rows_k if x["end"] > judged["end"] and not complete(x)]
    collecting = ({"label": later[-1]["label"], "n": later[-1]["n_schools"], "m": m}
                  if later and later[-1]["n_schools"] is not None else None)
    base = next((x for x in rows if x["period_id"] == r["baseline_period_id"] and x["n_schools"] is not None), None)
    path_start = (tg.group_value(base["value_kind"], base["n_schools"], base["sum_value"], base["sum_numerator"],
                                 base["sum_denominator"], base["n_flag"])
                  if base is not None and not counts.measures_change(r) else None)
    return {"period_id": judged["period_id"], "label": judged["label"], "end": judged["end"],
            "t": tg.period_t(judged["end"]), "kind": judged["kind"], "collecting": collecting,
            "at_deadline": at_deadline, "path_start": path_start}


def missing_schools(conn, r: dict, territory_id: int, period_id: int, grp: str) -> list[int]:
    """Ids of the schools of target r's group below a territory without the data the group value
    needs (the period judged and, for a target that measures a change, the baseline)."""
    base = ("OR NOT EXISTS (SELECT 1 FROM measurement b WHERE b.school_id = s.id AND b.indicator_id = :i "
            "AND b.period_id = :b AND b.value IS NOT NULL)") if r["baseline_period_id"] and counts.measures_change(r) else ""
    rows = select_rows(conn, f"""
        SELECT s.id FROM school s JOIN territoryclosure c ON c.descendant_id = s.territory_id
        WHERE c.ancestor_id = :tid AND {GROUP_SQL[grp]}
          AND (NOT EXISTS (SELECT 1 FROM measurement m WHERE m.school_id = s.id AND m.indicator_id = :i
                           AND m.period_id = :p AND m.value IS NOT NULL) {base})
        ORDER BY s.short_name""", {"tid": territory_id, "i": r["indicator_id"], "p": period_id,
                                   "b": r["baseline_period_id"]})
    return [x["id"] for x in rows]


def school_series(conn, school_ids: list[int], indicator_ids: list[int], cut: date,
                  period_ids: list[int] | None = None) -> dict[tuple[int, int], list[tuple[str, Point]]]:
    """{(school id, indicator id): [(the period's kind, Point) ...]} up to the cut, by period end;
    only the periods `period_ids` when given. The Points are what a school's Result shows (a
    municipality's matrix reads thousands: rows as tuples, each period's words made once)."""
    out: dict[tuple[int, int], list[tuple[str, Point]]] = {}
    if not school_ids or not indicator_ids or period_ids == []:
        return out
    params: dict = {"sids": sorted(set(school_ids)), "ids": sorted(set(indicator_ids)), "cut": cut}
    only = ""
    if period_ids is not None:
        params["pids"], only = sorted(set(period_ids)), " AND m.period_id IN :pids"
    stmt = statement(f"""
        SELECT m.school_id, m.indicator_id, m.period_id, m.value, p.label, p."end", p.kind
        FROM measurement m JOIN period p ON p.id = m.period_id
        WHERE m.school_id IN :sids AND m.indicator_id IN :ids AND p."end" <= :cut {only}
        ORDER BY p."end" """, tuple(k for k in ("sids", "ids", "pids") if k in params))
    periods: dict[int, tuple[str, date, float]] = {}
    for sid, iid, pid, value, label, end, kind in conn.execute(stmt, params).fetchall():
        if pid not in periods:
            periods[pid] = (kind, as_date(end), tg.period_t(as_date(end)))
        k, e, t = periods[pid]
        out.setdefault((sid, iid), []).append((k, Point(pid, label, e, t, value)))
    return out


# ---------------------------------------------------------------------------------------------
# Judging (no SQL)
# ---------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4096)
def _coverage_words(n: int, m: int) -> str:
    """fmt.coverage, said once per pair (babel's numbers are the dearest part of a screen's words)."""
    return fmt.coverage(n, m) or ""


def _series_points(series: Sequence[dict], kind: str | None, lim: float, n_members: int | None,
                   floor: float | None) -> list[Point]:
    """A subject's series rows (period_id, label, end, kind, t, value; a group's with n_schools) of
    the target's period kind up to `lim` as Points; a group's point carries its coverage and, below
    the threshold `floor`, is a gap (one set of schools per line, never a crash)."""
    pts = []
    for x in series:
        if (kind is not None and x["kind"] != kind) or x["t"] > lim:
            continue
        v, cov, n = x["value"], None, x.get("n_schools")
        if floor is not None and n is not None:
            cov = _coverage_words(n, n_members or 0)
            if n < floor:
                v = None
        pts.append(Point(x["period_id"], x["label"], x["end"], x["t"], v, cov))
    return pts


def _like_for_like_points(r: dict, spec: tg.TargetSpec, pts: list[Point], now: dict | None, like: dict,
                          n_members: int) -> tuple[list[Point], float | None]:
    """A group's series with its current point (and, for a change, its baseline point) replaced by
    the like-for-like values the status is judged on; and the baseline to judge from."""
    now_pid, base_pid = (now["period_id"] if now else None), r["baseline_period_id"]
    pts = [p for p in pts if p.period_id != now_pid]
    if now is not None:
        pts.append(Point(now_pid, now["label"], now["end"], now["t"], like["value"],
                         _coverage_words(like["n"], n_members)))
        pts.sort(key=lambda p: p.t)
    if spec.measures_change:  # like for like: the baseline over the same schools as now
        if base_pid:
            pts = [p._replace(value=like["baseline"]) if p.period_id == base_pid else p for p in pts]
        return pts, like["baseline"]
    if base_pid:  # a level target: the baseline (the path's start) over the schools that reported it
        return pts, next((p.value for p in pts if p.period_id == base_pid), None)
    return pts, None


def _label_at(pts: Sequence[Point], t: float) -> str | None:
    key = round(t, 6)
    return next((p.label for p in reversed(pts) if round(p.t, 6) == key), None)


def _judged(r: dict, spec: tg.TargetSpec, times: tuple, cut: date, pts: list[Point], now: dict | None, **kw
            ) -> tg.Evaluation:
    """tg.evaluate at the period judged, with the reasons that only the evaluation knows: no period,
    a cut before the baseline, a verdict at the deadline."""
    t_base, t_due, t_cut = times
    if now is None:
        ev = tg.evaluate(spec, series=[], t_now=t_cut, t_due=t_due, t_baseline=t_base)
        return replace(ev, status="no_data", reason=f"нет данных на {cut.strftime('%d.%m.%Y')}")
    lim = now["t"] + tg.EPS
    ev = tg.evaluate(spec, series=[(p.t, p.value) for p in pts if p.t <= lim], t_now=now["t"], t_due=t_due,
                     t_baseline=t_base, **kw)
    if ev.status == "no_data" and ev.value is None and kw.get("coverage") is None:
        ev = replace(ev, reason=f"нет данных за {now['label']}")
    if t_base is not None and t_cut < t_base - tg.EPS:  # no future data in a past cut
        ev = replace(ev, status="no_data", meets_target=False, uses_forecast=False,
                     reason=f"база ещё не измерена (базовый период — {r['baseline_label']})")
    elif now.get("at_deadline") and ev.status != "no_data":
        ev = replace(ev, reason=(f"к сроку ({now['label']}) цель достигнута" if ev.meets_target
                                 else f"срок ({now['label']}) прошёл, к сроку цель не достигнута"))
    return ev


def judge(r: dict, milestones: list[dict], subject: Subject, cut: date, *, series: Sequence[dict] = (),
          now: dict | None, average: float | None, like: dict | None = None, n_members: int | None = None,
          missing: Sequence[int] = (), min_coverage: float | None = None, prepared: tuple | None = None,
          path_start: float | None = None, points: Sequence[Point] | None = None) -> Result:
    """A target on one subject's series (rows with period_id, label, end, kind, t, value and, for a
    group, n_schools; or `points`, a school's Points of the target's period kind up to the cut) at
    the period judged `now`; `like` (n, value, baseline) and `n_members` for a group. `prepared`:
    (spec, t_base, t_due, t_cut) when the caller judges many subjects. `path_start`: the group's
    baseline, for a school without its own on a level target."""
    spec, t_base, t_due, t_cut = prepared or (*counts.spec_and_times(r, milestones), tg.period_t(cut))
    min_cov = get_settings().min_coverage if min_coverage is None else min_coverage
    is_group = like is not None or n_members is not None
    floor = min_cov * n_members - tg.EPS if is_group and n_members else None
    pts = list(points) if points is not None else _series_points(series, period_kind(r), t_cut + tg.EPS,
                                                                  n_members, floor)
    coverage = baseline = None
    if is_group:
        like = like or {"n": 0, "value": None, "baseline": None}
        coverage = (like["n"], n_members or 0)
        pts, baseline = _like_for_like_points(r, spec, pts, now, like, n_members or 0)
    ev = _judged(r, spec, (t_base, t_due, t_cut), cut, pts, now, baseline=baseline, average=average,
                 coverage=coverage, missing_ids=tuple(missing), min_coverage=min_cov, path_start=path_start)
    basis = None
    if ev.forecast is not None and ev.forecast_ts:
        first, last = _label_at(pts, ev.forecast_ts[0]), _label_at(pts, ev.forecast_ts[-1])
        basis = (f"тренд {len(ev.forecast_ts)} последних периодов ({first} – {last}), "
                 f"продолжен от значения за {last}")
    at_deadline = bool(now and now.get("at_deadline"))
    res = Result(target_id=r["id"], subject=subject, cut=cut, evaluation=ev,
                 period_id=now["period_id"] if now else None, period_label=now["label"] if now else None,
                 period_end=now["end"] if now else None, forecast_basis=basis, average=average,
                 series=tuple(pts), collecting=now.get("collecting") if now else None, at_deadline=at_deadline,
                 after_due=tuple(p for p in pts if at_deadline and now and p.t > now["t"] + tg.EPS),
                 path_start=path_start if ev.baseline is None else None)
    return res


def _for_subject(res: Result, subject: Subject) -> Result:
    """`res` for another subject with the same series (a memo hit: a municipality's matrix judges
    hundreds of schools, most of them on a few distinct series). A copy of the frozen Result's fields
    with the subject replaced — `dataclasses.replace` runs the constructor again, which is most of the
    cost saved."""
    out = object.__new__(Result)
    out.__dict__.update(res.__dict__)
    out.__dict__["subject"] = subject
    return out


# ---------------------------------------------------------------------------------------------
# The evaluation
# ---------------------------------------------------------------------------------------------
def evaluate_many(conn, trows: list[dict], subjects: list[Subject], cut: date | None = None, *,
                  milestones: dict[int, list[dict]] | None = None, now: dict[int, dict] | None = None,
                  with_missing: bool = True, period_ids: list[int] | None = None, status_only: bool = False,
                  series: dict | None = None) -> dict[tuple[int, Subject], Result]:
    """Every target row × every subject it applies to, as of the cut (default: today).
    {(target id, subject): Result}. A school subject is evaluated against the targets of
    roadmaps over its territory only, and only when it is in the target's group. `period_ids`
    limits the territories' series to those periods (enough for the forecast and the baseline).
    `status_only` (a matrix): for territory subjects the series is read only for the subjects whose
    status the forecast decides (`Evaluation.uses_forecast`); the others' status, value and
    baseline are the same, their forecast is not computed; for school subjects likewise (their
    series holds the period judged and the baseline only). `series`: the group series up
    to the cut when the caller has read them (for territory subjects every group needed; for
    school subjects the roadmap territories' "all")."""
    cut = cut or app_today(conn.engine)
    if milestones is None:
        milestones = counts.milestones_of(conn, [r["id"] for r in trows])
    if now is None:
        now = judged_periods(conn, trows, cut)
    t_cut = tg.period_t(cut)
    prep = {r["id"]: (*counts.spec_and_times(r, milestones.get(r["id"], [])), t_cut) for r in trows}
    ctx = _Context(cut, milestones, now, prep, get_settings().min_coverage)
    schools = [s for s in subjects if s.kind == "school"]
    terrs = [s for s in subjects if s.kind == "territory"]
    out: dict[tuple[int, Subject], Result] = {}
    if schools:
        out.update(_school_results(conn, trows, schools, ctx, series, status_only))
    if terrs:
        out.update(_territory_results(conn, trows, terrs, ctx, series, with_missing, period_ids, status_only))
    if schools and terrs:  # target by target, as the subjects were given
        out = {k: out[k] for r in trows for s in subjects if (k := (r["id"], s)) in out}
    return out


@dataclass(frozen=True)
class _Context:
    """What every subject of one `evaluate_many` is judged with."""

    cut: date
    milestones: dict[int, list[dict]]
    now: dict[int, dict]
    prepared: dict[int, tuple]  # target id -> (spec, t_base, t_due, t_cut)
    min_coverage: float


def _school_results(conn, trows: list[dict], schools: list[Subject], ctx: _Context, series: dict | None,
                    status_only: bool = False) -> dict[tuple[int, Subject], Result]:
    """Each school-level target on each school below its roadmap's territory and in its group,
    compared with the average school of the roadmap's territory. `status_only`: see `evaluate_many`."""
    info: dict[int, dict] = {}  # school id -> is_shnor, is_shnsu and `over`: the territories it is below
    for x in select_rows(conn, """
            SELECT s.id, s.is_shnor, s.is_shnsu, c.ancestor_id FROM school s
            JOIN territoryclosure c ON c.descendant_id = s.territory_id WHERE s.id IN :ids""",
            {"ids": [s.id for s in schools]}, ("ids",)):
        info.setdefault(x["id"], {**x, "over": set()})["over"].add(x["ancestor_id"])
    school_rows = [r for r in trows if r["level"] == "school"]
    # each target on the schools below its roadmap's territory and in its group
    judged = [(r, [s for s in schools if (i := info.get(s.id)) is not None and r["roadmap_territory_id"] in i["over"]
                   and in_group(i, r["applies_to"])]) for r in school_rows]
    # first pass of a matrix: the period judged and the baseline only (all that a status not decided
    # by the forecast depends on)
    pids = sorted({x for r in school_rows for x in (ctx.now.get(r["id"], {}).get("period_id"),
                                                    r["baseline_period_id"]) if x}) if status_only else None
    own = _series_of(conn, judged, ctx.cut, pids)
    avg_rows = series if series is not None else group_series(
        conn, sorted({r["roadmap_territory_id"] for r in trows}), sorted({r["indicator_id"] for r in trows}),
        ["all"], cut=ctx.cut)
    out: dict[tuple[int, Subject], Result] = {}
    for r, subjects in judged:
        p, kind, ms = ctx.now.get(r["id"]), period_kind(r), ctx.milestones.get(r["id"], [])
        avg = next((a["average"] for a in avg_rows.get((r["roadmap_territory_id"], r["indicator_id"], "all"), [])
                    if p and a["period_id"] == p["period_id"]), None)
        # the schools of one target share the period judged, the average and the path start, and the
        # rules are pure: schools with the same values get the same Result but for its subject (a
        # municipality's matrix judges hundreds of schools on a few distinct series)
        memo: dict[tuple, Result] = {}
        for s in subjects:
            pts = [pt for k, pt in own.get((s.id, r["indicator_id"]), ()) if kind is None or k == kind]
            key = tuple([(pt.t, pt.value) for pt in pts])
            if (seen := memo.get(key)) is not None:
                out[(r["id"], s)] = _for_subject(seen, s)
                continue
            out[(r["id"], s)] = memo[key] = judge(
                r, ms, s, ctx.cut, points=pts, now=p, average=avg, prepared=ctx.prepared[r["id"]],
                min_coverage=ctx.min_coverage, path_start=p.get("path_start") if p else None)
    again = [k for k, res in out.items() if status_only and res.evaluation.uses_forecast]
    if again:  # second pass: the whole series where the forecast decides the status
        redo = _school_results(conn, [r for r in school_rows if r["id"] in {x for x, _ in again}],
                               sorted({s for _, s in again}, key=lambda s: s.id), ctx, avg_rows)
        out.update({k: redo[k] for k in again})
    return out


def _series_of(conn, judged: list[tuple[dict, list[Subject]]], cut: date, period_ids: list[int] | None
               ) -> dict[tuple[int, int], list[tuple[str, Point]]]:
    """`school_series` of each school for the indicators of the targets it is judged on: one read per
    set of indicators (a school outside a target's group reads nothing for that target)."""
    need: dict[int, set[int]] = {}
    for r, subjects in judged:
        for s in subjects:
            need.setdefault(s.id, set()).add(r["indicator_id"])
    by_set: dict[frozenset[int], list[int]] = {}
    for sid, inds in need.items():
        by_set.setdefault(frozenset(inds), []).append(sid)
    out: dict[tuple[int, int], list[tuple[str, Point]]] = {}
    for inds, sids in by_set.items():
        out.update(school_series(conn, sids, sorted(inds), cut, period_ids))
    return out


def _territory_results(conn, trows: list[dict], terrs: list[Subject], ctx: _Context, series: dict | None,
                       with_missing: bool, period_ids: list[int] | None, status_only: bool
                       ) -> dict[tuple[int, Subject], Result]:
    """Each target on each territory's group of schools (like for like, with coverage), or on the
    territory's own value for a territory-level indicator. `status_only`: see `evaluate_many`."""
    ind_ids = sorted({r["indicator_id"] for r in trows})
    # each target's own group, and the whole territory where a target compares with its average
    pairs = {(r["indicator_id"], group_of(r, s)) for s in terrs for r in trows}
    pairs |= {(r["indicator_id"], "all") for r in trows if counts.target_kind(r).uses_average}
    tids = [s.id for s in terrs]
    if series is not None:
        tser = series
    elif status_only:  # first pass: no series but the whole territory's at the period judged
        now_pids = sorted({p["period_id"] for p in ctx.now.values()})
        tser = group_series(conn, tids, ind_ids, ["all"], now_pids, cut=ctx.cut,
                            pairs=[x for x in pairs if x[1] == "all"]) if any(g == "all" for _, g in pairs) else {}
        tser = {k: v for k, v in tser.items() if k[2] == "all"}
    else:
        tser = group_series(conn, tids, ind_ids, sorted({g for _, g in pairs}), period_ids, cut=ctx.cut,
                            pairs=sorted(pairs))
    like = _group_values(conn, trows, terrs, ctx.now)
    averages = {k[:2]: {a["period_id"]: a["value"] for a in v} for k, v in tser.items() if k[2] == "all"}
    out: dict[tuple[int, Subject], Result] = {}
    for r in trows:
        p, ms, prep = ctx.now.get(r["id"]), ctx.milestones.get(r["id"], []), ctx.prepared[r["id"]]
        for s in terrs:
            grp = group_of(r, s)
            avg = averages.get((s.id, r["indicator_id"]), {}).get(p["period_id"]) if p else None
            ser = tser.get((s.id, r["indicator_id"], grp), [])
            if grp == "territory":
                out[(r["id"], s)] = judge(r, ms, s, ctx.cut, series=ser, now=p, average=avg, prepared=prep,
                                          min_coverage=ctx.min_coverage)
                continue
            lk = like.get((r["id"], s.id, grp)) or {"n": 0, "n_members": 0, "value": None, "baseline": None}
            missing = (missing_schools(conn, r, s.id, p["period_id"], grp)
                       if with_missing and p and lk["n"] < lk["n_members"] else [])
            res = judge(r, ms, s, ctx.cut, series=ser, now=p, average=avg, like=lk, n_members=lk["n_members"],
                        missing=missing, prepared=prep, min_coverage=ctx.min_coverage)
            if missing and res.status != "no_data" and "sums" in lk:
                res = _preliminary(conn, r, ms, s, ctx.cut, res, ser, p, avg, lk, missing, prep)
            out[(r["id"], s)] = res
    if status_only:  # second pass: with the series, where the forecast decides the status
        again = [(x, s) for (x, s), res in out.items() if res.evaluation.uses_forecast]
        if again:
            redo = evaluate_many(conn, [r for r in trows if r["id"] in {x for x, _ in again}],
                                 sorted({s for _, s in again}, key=lambda s: s.id), ctx.cut,
                                 milestones=ctx.milestones, now=ctx.now, with_missing=with_missing,
                                 period_ids=period_ids)
            out.update({k: redo[k] for k in again})
    return out


def _preliminary(conn, r: dict, ms: list[dict], s: Subject, cut: date, res: Result, ser: list[dict], now: dict,
                 avg: float | None, lk: dict, missing: list[int], prep: tuple) -> Result:
    """A group verdict that the silent schools could change is preliminary: the group judged again
    with each silent school at its last known value (and, for a change, its baseline); a silent
    school never measured at all could change anything."""
    change = counts.measures_change(r)
    kind = period_kind(r)
    known = {x["school_id"]: x for x in select_rows(conn, f"""
        SELECT m.school_id, m.value, m.numerator, m.denominator, p."end"
        FROM measurement m JOIN period p ON p.id = m.period_id
        WHERE m.school_id IN :ids AND m.indicator_id = :i AND m.value IS NOT NULL AND p."end" < :end
              {"AND p.kind = :k" if kind else ""}
        ORDER BY p."end" """, {"ids": missing, "i": r["indicator_id"], "end": now["end"], "k": kind},
        ("ids",))}  # ordered by end: the last row of each school wins
    now_reported = set()
    base = {}
    if change:
        now_reported = {x["school_id"] for x in select_rows(conn, """
            SELECT school_id FROM measurement WHERE school_id IN :ids AND indicator_id = :i AND period_id = :p
                   AND value IS NOT NULL""", {"ids": missing, "i": r["indicator_id"], "p": now["period_id"]}, ("ids",))}
        base = {x["school_id"]: x for x in select_rows(conn, """
            SELECT school_id, value, numerator, denominator FROM measurement
            WHERE school_id IN :ids AND indicator_id = :i AND period_id = :b AND value IS NOT NULL""",
            {"ids": missing, "i": r["indicator_id"], "b": r["baseline_period_id"]}, ("ids",))}
    sums = {c: lk["sums"][c] or 0 for c in counts.KEPT_COLS}
    before = dict(sums)
    unknown = False
    for sid in missing:
        if change and (sid in now_reported or sid not in base):
            continue  # not silent (no baseline: outside the like-for-like set either way)
        last = known.get(sid)
        if last is None:
            unknown = True
            continue
        counts.add_to_sums(sums, last, base.get(sid) if change else None)
    if unknown:
        return replace(res, evaluation=replace(res.evaluation, preliminary=True))
    if sums == before:
        return res
    alt = counts.values_from_sums(r, sums)
    other = judge(r, ms, s, cut, series=ser, now=now, average=avg, like=alt, n_members=lk["n_members"],
                  missing=[], prepared=prep)
    if other.status != res.status:
        return replace(res, evaluation=replace(res.evaluation, preliminary=True))
    return res


def _group_values(conn, trows: list[dict], subjects: list[Subject], now: dict[int, dict]) -> dict:
    """{(target id, territory id, group): {n, n_members, value, baseline}} like for like: the kept
    rows (core.target_counts, refreshed with every write) where there are, counted live otherwise
    (a group other than the target's, or a database not recounted yet)."""
    school_rows = [r for r in trows if r["id"] in now and r["level"] == "school"]
    kept = counts.kept_group_values(conn, [r["id"] for r in school_rows], [s.id for s in subjects],
                                    [now[r["id"]]["period_id"] for r in school_rows])
    out: dict = {}
    live: dict[tuple[int, str], tuple[dict, int, list[int], str]] = {}
    for r in school_rows:
        pid = now[r["id"]]["period_id"]
        for s in subjects:
            g = group_of(r, s)
            row = kept.get((r["id"], s.id, pid)) if g == r["applies_to"] else None
            if row is not None:
                out[(r["id"], s.id, g)] = counts.values_from_sums(r, row)
            else:
                live.setdefault((r["id"], g), (r, pid, [], g))[2].append(s.id)
    if live:
        out.update(counts.like_for_like(conn, list(live.values())))
    return out


def evaluate(target_id: int, subject: Subject, cut: date | None = None, engine: Engine | None = None
             ) -> Result | None:
    """One target on one subject as of the cut (default: today). None when the target does not
    apply to the subject (a school outside the target's group or territory)."""
    from core.db import get_engine

    engine = engine or get_engine()
    with engine.connect() as conn:
        trows = target_rows(conn, target_ids=[target_id])
        res = evaluate_many(conn, trows, [subject], cut)
    return res.get((target_id, subject))
