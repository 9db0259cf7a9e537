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

from sqlalchemy.engine import Engine

from core import formatting as fmt
from core import target_counts as counts
from core.settings import get_settings
from core.settings import today as app_today
from core.targets import rules as tg

GROUP_SQL = counts.GROUP_SQL


def _rows(conn, sql: str, params: dict | None = None, expanding: tuple[str, ...] = ()) -> list[dict]:
    return counts._rows(conn, sql, params or {}, expanding)


def as_date(x) -> date:
    return counts.as_date(x)


# ---------------------------------------------------------------------------------------------
# Types
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Subject:
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


@dataclass(frozen=True)
class Point:
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
        return fmt.coverage(e.n_reported, e.n_members)


# ---------------------------------------------------------------------------------------------
# Reads (SQL aggregates only)
# ---------------------------------------------------------------------------------------------
def target_rows(conn, *, roadmap_id: int | None = None, target_ids: list[int] | None = None) -> list[dict]:
    if roadmap_id is not None:
        return _rows(conn, counts.TARGET_ROWS_SQL + " WHERE x.roadmap_id = :rid ORDER BY x.number, x.id",
                     {"rid": roadmap_id})
    return _rows(conn, counts.TARGET_ROWS_SQL + " WHERE x.id IN :ids ORDER BY x.number, x.id",
                 {"ids": list(target_ids or [-1])}, ("ids",))


def period_kind(r: dict) -> str | None:
    return r["due_kind"] or r["baseline_kind"]


def group_of(r: dict, subject: Subject) -> str:
    if r["level"] == "territory":
        return "territory"
    return subject.group or r["applies_to"]


def group_series(conn, territory_ids: list[int], indicator_ids: list[int], grps: list[str] | None = None,
                 period_ids: list[int] | None = None, cut: date | None = None,
                 pairs: list[tuple[int, str]] | None = None) -> dict:
    """{(territory_id, indicator_id, grp): [row...]} from the summary (every level of the tree),
    plus territory-level measurements under grp 'territory'; optionally only some groups, periods,
    and periods ending on or before `cut`. Rows: period_id, label, end, kind, t, value (the group),
    average (the average school), n_schools, sum_numerator, sum_denominator."""
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
        out: dict = {}
        by_grp: dict[str, set[int]] = {}
        for i, g in pairs:
            by_grp.setdefault(g, set()).add(i)
        for g, inds in sorted(by_grp.items()):
            out.update(group_series(conn, territory_ids, sorted(inds), [g], period_ids, cut))
        return out
    t_cache: dict = {}
    for r in _rows(conn, f"""
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
    level_ids = [r["id"] for r in _rows(conn, "SELECT id FROM indicator WHERE level = 'territory' AND id IN :ids",
                                        {"ids": params["ids"]}, ("ids",))]
    if level_ids and (grps is None or "territory" in grps):
        cut_sql = ' AND p."end" <= :cut' if cut is not None else ""
        for r in _rows(conn, f"""
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
                   min_coverage: float | None = None) -> dict[int, dict]:
    """{target id: the period judged at the cut} — see the module docstring; a target without such
    a period is absent. The row: period_id, label, end, t, kind; `collecting` (a later period being
    collected: label, n, m) or None; `at_deadline` (the due period has passed and the verdict is the
    one at the due period); `path_start` (a level target: the group's value at the baseline period,
    where the planned path of a school without a baseline of its own starts). `data`: the roadmap territories' series up to the cut (group
    "territory") when the caller has read them."""
    if not trows:
        return {}
    min_cov = get_settings().min_coverage if min_coverage is None else min_coverage
    tids = sorted({r["roadmap_territory_id"] for r in trows})
    school_rows = [r for r in trows if r["level"] == "school"]
    by_key: dict[tuple[int, int, str], list[dict]] = {}
    wanted = {(r["roadmap_territory_id"], r["indicator_id"], r["applies_to"]) for r in school_rows}
    if data is not None and wanted and all(k in data for k in wanted):  # the caller read them already
        for k in wanted:
            by_key[k] = [x for x in data[k] if x["n_schools"]]
    elif school_rows:
        for x in _rows(conn, """
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
    sizes = counts.group_sizes(conn, tids) if school_rows else {}
    from core.quarters import default_deadline

    approved, deadlines = set(), {}
    for x in _rows(conn, """
            SELECT c.descendant_id AS territory_id, c.depth, q.period_id, q.state, q.deadline FROM quarterstate q
            JOIN territoryclosure c ON c.ancestor_id = q.territory_id
            WHERE c.descendant_id IN :tids""", {"tids": tids}, ("tids",)):
        if x["state"] == "approved":
            approved.add((x["territory_id"], x["period_id"]))
        if x["depth"] == 0 and x["deadline"]:
            deadlines[(x["territory_id"], x["period_id"])] = as_date(x["deadline"])
    out = {}
    for r in trows:
        tid, kind = r["roadmap_territory_id"], period_kind(r)
        grp = "territory" if r["level"] == "territory" else r["applies_to"]
        m = sizes.get((tid, grp), 0)
        rows = [x for x in by_key.get((tid, r["indicator_id"], grp), []) if kind is None or x["kind"] == kind]

        def complete(x: dict) -> bool:
            return (x["n_schools"] is None or (m > 0 and x["n_schools"] >= min_cov * m - tg.EPS)
                    or (tid, x["period_id"]) in approved)

        done = [x for x in rows if complete(x)]
        due_end = as_date(r["due_end"]) if r["due_end"] else None
        judged, at_deadline = (done[-1] if done else None), False
        if due_end is not None and done and done[-1]["end"] > due_end:
            # the deadline has passed and later data are complete: the verdict is the one at the due period
            at_deadline = True
            judged = next((x for x in rows if x["period_id"] == r["due_period_id"]), None) or {
                "period_id": r["due_period_id"], "label": r["due_label"], "end": due_end, "kind": r["due_kind"]}
        elif due_end is not None and judged is not None and judged["period_id"] == r["due_period_id"]:
            at_deadline = True
        elif due_end is not None and cut > deadlines.get((tid, r["due_period_id"]), default_deadline(due_end)) and (
                judged is None or judged["end"] < due_end):
            # the due period's collection is over and it is not complete: the verdict is still the one at
            # the due period (no data there says so), never an earlier quarter's «on track»
            at_deadline = True
            judged = next((x for x in rows if x["period_id"] == r["due_period_id"]), None) or {
                "period_id": r["due_period_id"], "label": r["due_label"], "end": due_end, "kind": r["due_kind"]}
        if judged is None:
            continue
        later = [x for x in rows if x["end"] > judged["end"] and not complete(x)]
        collecting = ({"label": later[-1]["label"], "n": later[-1]["n_schools"], "m": m}
                      if later and later[-1]["n_schools"] is not None else None)
        base = next((x for x in by_key.get((tid, r["indicator_id"], grp), [])
                     if x["period_id"] == r["baseline_period_id"] and x["n_schools"] is not None), None)
        path_start = (tg.group_value(base["value_kind"], base["n_schools"], base["sum_value"], base["sum_numerator"],
                                     base["sum_denominator"], base["n_flag"])
                      if base is not None and not counts.measures_change(r) else None)
        out[r["id"]] = {"period_id": judged["period_id"], "label": judged["label"], "end": judged["end"],
                        "t": tg.period_t(judged["end"]), "kind": judged["kind"], "collecting": collecting,
                        "at_deadline": at_deadline, "path_start": path_start}
    return out


def missing_schools(conn, r: dict, territory_id: int, period_id: int, grp: str) -> list[int]:
    """Ids of the schools of target r's group below a territory without the data the group value
    needs (the period judged and, for a target that measures a change, the baseline)."""
    base = ("OR NOT EXISTS (SELECT 1 FROM measurement b WHERE b.school_id = s.id AND b.indicator_id = :i "
            "AND b.period_id = :b AND b.value IS NOT NULL)") if r["baseline_period_id"] and counts.measures_change(r) else ""
    rows = _rows(conn, f"""
        SELECT s.id FROM school s JOIN territoryclosure c ON c.descendant_id = s.territory_id
        WHERE c.ancestor_id = :tid AND {GROUP_SQL[grp]}
          AND (NOT EXISTS (SELECT 1 FROM measurement m WHERE m.school_id = s.id AND m.indicator_id = :i
                           AND m.period_id = :p AND m.value IS NOT NULL) {base})
        ORDER BY s.short_name""", {"tid": territory_id, "i": r["indicator_id"], "p": period_id,
                                   "b": r["baseline_period_id"]})
    return [x["id"] for x in rows]


def school_series(conn, school_ids: list[int], indicator_ids: list[int], cut: date) -> dict[tuple[int, int], list[dict]]:
    """{(school id, indicator id): [period_id, label, end, kind, t, value ...]} up to the cut."""
    out: dict = {}
    if not school_ids or not indicator_ids:
        return out
    t_cache: dict = {}
    for r in _rows(conn, """
            SELECT m.school_id, m.indicator_id, m.value, m.numerator, m.denominator, p.id AS period_id, p.label,
                   p."end", p.kind
            FROM measurement m JOIN period p ON p.id = m.period_id
            WHERE m.school_id IN :sids AND m.indicator_id IN :ids AND p."end" <= :cut
            ORDER BY p."end" """, {"sids": sorted(set(school_ids)), "ids": sorted(set(indicator_ids)), "cut": cut},
            ("sids", "ids")):
        if r["period_id"] not in t_cache:
            t_cache[r["period_id"]] = (as_date(r["end"]), tg.period_t(as_date(r["end"])))
        r["end"], r["t"] = t_cache[r["period_id"]]
        out.setdefault((r["school_id"], r["indicator_id"]), []).append(r)
    return out


# ---------------------------------------------------------------------------------------------
# Judging (no SQL)
# ---------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4096)
def _coverage_words(n: int, m: int) -> str:
    return fmt.coverage(n, m)


def judge(r: dict, milestones: list[dict], subject: Subject, cut: date, *, series: list[dict],
          now: dict | None, average: float | None, like: dict | None = None, n_members: int | None = None,
          missing: list[int] = (), min_coverage: float | None = None, prepared: tuple | None = None,
          path_start: float | None = None) -> Result:
    """A target on one subject's series (rows with period_id, label, end, kind, t, value and, for a
    group, n_schools) at the period judged `now`; `like` (n, value, baseline) and `n_members` for a
    group. `prepared`: (spec, t_base, t_due, t_cut) when the caller judges many subjects.
    `path_start`: the group's baseline, for a school without its own on a level target."""
    spec, t_base, t_due, t_cut = prepared or (*counts.spec_and_times(r, milestones), tg.period_t(cut))
    kind = period_kind(r)
    lim = t_cut + tg.EPS
    min_cov = get_settings().min_coverage if min_coverage is None else min_coverage
    is_group = like is not None or n_members is not None
    pts = []
    floor = min_cov * n_members - tg.EPS if is_group and n_members else None
    for x in series:
        if (kind is not None and x["kind"] != kind) or x["t"] > lim:
            continue
        v, cov, n = x["value"], None, x.get("n_schools")
        if floor is not None and n is not None:
            cov = _coverage_words(n, n_members)
            if n < floor:
                v = None  # one set of schools per line: a point below the threshold is a gap, never a crash
        pts.append((x["t"], v, x["period_id"], x["label"], x["end"], cov))
    coverage = None
    baseline = None
    now_pid, base_pid = (now["period_id"] if now else None), r["baseline_period_id"]
    if is_group:
        like = like or {"n": 0, "value": None, "baseline": None}
        coverage = (like["n"], n_members or 0)
        cov_now = _coverage_words(like["n"], n_members or 0)
        pts = [x for x in pts if x[2] != now_pid]
        if now is not None:
            pts.append((now["t"], like["value"], now_pid, now["label"], now["end"], cov_now))
            pts.sort(key=lambda x: x[0])
        if spec.measures_change:  # like for like: the baseline over the same schools as now
            if base_pid:
                pts = [(t, like["baseline"] if pid == base_pid else v, pid, lab, end, c)
                       for t, v, pid, lab, end, c in pts]
            baseline = like["baseline"]
        elif base_pid:  # a level target: the baseline (the path's start) over the schools that reported it
            baseline = next((v for t, v, pid, *_ in pts if pid == base_pid), None)
    if now is None:
        ev = tg.evaluate(spec, series=[], t_now=t_cut, t_due=t_due, t_baseline=t_base)
        ev = replace(ev, status="no_data", reason=f"нет данных на {cut.strftime('%d.%m.%Y')}")
    else:
        ev = tg.evaluate(spec, series=[(x[0], x[1]) for x in pts if x[0] <= now["t"] + tg.EPS], t_now=now["t"],
                         t_due=t_due, t_baseline=t_base, baseline=baseline, average=average, coverage=coverage,
                         missing_ids=tuple(missing), min_coverage=min_cov, path_start=path_start)
        if ev.status == "no_data" and ev.value is None and coverage is None:
            ev = replace(ev, reason=f"нет данных за {now['label']}")
        if t_base is not None and t_cut < t_base - tg.EPS:  # no future data in a past cut
            ev = replace(ev, status="no_data", meets_target=False, uses_forecast=False,
                         reason=f"база ещё не измерена (базовый период — {r['baseline_label']})")
        elif now.get("at_deadline") and ev.status != "no_data":
            ev = replace(ev, reason=(f"к сроку ({now['label']}) цель достигнута" if ev.meets_target
                                     else f"срок ({now['label']}) прошёл, к сроку цель не достигнута"))
    basis = None
    if ev.forecast is not None and ev.forecast_ts:
        labels = {round(x[0], 6): x[3] for x in pts}
        first, last = labels.get(round(ev.forecast_ts[0], 6)), labels.get(round(ev.forecast_ts[-1], 6))
        basis = (f"тренд {len(ev.forecast_ts)} последних периодов ({first} – {last}), "
                 f"продолжен от значения за {last}")
    points_ = tuple(Point(pid, lab, end, t, v, c) for t, v, pid, lab, end, c in pts)
    at_deadline = bool(now and now.get("at_deadline"))
    return Result(target_id=r["id"], subject=subject, cut=cut, evaluation=ev,
                  period_id=now["period_id"] if now else None, period_label=now["label"] if now else None,
                  period_end=now["end"] if now else None, forecast_basis=basis, average=average,
                  series=points_, collecting=now.get("collecting") if now else None, at_deadline=at_deadline,
                  after_due=tuple(p for p in points_ if at_deadline and p.t > now["t"] + tg.EPS),
                  path_start=path_start if ev.baseline is None else None)


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
    `status_only` (territory subjects, e.g. a region's matrix): the series is read only for the
    subjects whose status the forecast decides (`Evaluation.uses_forecast`); the others' status,
    value and baseline are the same, their forecast is not computed. `series`: the group series up
    to the cut when the caller has read them (for territory subjects every group needed; for
    school subjects the roadmap territories' "all")."""
    cut = cut or app_today(conn.engine)
    if milestones is None:
        milestones = counts.milestones_of(conn, [r["id"] for r in trows])
    if now is None:
        now = judged_periods(conn, trows, cut)
    ind_ids = sorted({r["indicator_id"] for r in trows})
    schools = [s.id for s in subjects if s.kind == "school"]
    terrs = [s.id for s in subjects if s.kind == "territory"]
    out: dict[tuple[int, Subject], Result] = {}
    info = {}
    if schools:
        for x in _rows(conn, "SELECT s.id, s.territory_id, s.is_shnor, s.is_shnsu FROM school s WHERE s.id IN :ids",
                       {"ids": schools}, ("ids",)):
            info[x["id"]] = x
        ancestors = {}
        for x in _rows(conn, "SELECT ancestor_id, descendant_id FROM territoryclosure WHERE descendant_id IN :t",
                       {"t": sorted({i["territory_id"] for i in info.values()}) or [-1]}, ("t",)):
            ancestors.setdefault(x["descendant_id"], set()).add(x["ancestor_id"])
        own = school_series(conn, schools, [r["indicator_id"] for r in trows if r["level"] == "school"], cut)
        avg_rows = series if series is not None else group_series(
            conn, sorted({r["roadmap_territory_id"] for r in trows}), ind_ids, ["all"], cut=cut)
    if terrs:
        # each target's own group, and the whole territory where a target compares with its average
        pairs = {(r["indicator_id"], group_of(r, s)) for s in subjects if s.kind == "territory" for r in trows}
        pairs |= {(r["indicator_id"], "all") for r in trows if counts.target_kind(r).uses_average}
        if series is not None:
            tser = series
        elif status_only:  # first pass: no series but the whole territory's at the period judged
            now_pids = sorted({p["period_id"] for p in now.values()})
            tser = group_series(conn, terrs, ind_ids, ["all"], now_pids, cut=cut,
                                pairs=[x for x in pairs if x[1] == "all"]) if any(g == "all" for _, g in pairs) else {}
            tser = {k: v for k, v in tser.items() if k[2] == "all"}
        else:
            tser = group_series(conn, terrs, ind_ids, sorted({g for _, g in pairs}), period_ids, cut=cut,
                                pairs=sorted(pairs))
        like = _group_values(conn, trows, [s for s in subjects if s.kind == "territory"], now)
    t_cut = tg.period_t(cut)
    for r in trows:
        ms = milestones.get(r["id"], [])
        p = now.get(r["id"])
        prep = (*counts.spec_and_times(r, ms), t_cut)
        for s in subjects:
            if s.kind == "school":
                i = info.get(s.id)
                if (i is None or r["level"] != "school"
                        or r["roadmap_territory_id"] not in ancestors.get(i["territory_id"], ())
                        or not _in_group(i, r["applies_to"])):
                    continue
                avg = next((a["average"] for a in avg_rows.get((r["roadmap_territory_id"], r["indicator_id"], "all"), [])
                            if p and a["period_id"] == p["period_id"]), None)
                out[(r["id"], s)] = judge(r, ms, s, cut, series=own.get((s.id, r["indicator_id"]), []), now=p,
                                          average=avg, prepared=prep, path_start=p.get("path_start") if p else None)
            else:
                grp = group_of(r, s)
                avg = next((a["value"] for a in tser.get((s.id, r["indicator_id"], "all"), [])
                            if p and a["period_id"] == p["period_id"]), None)
                ser = tser.get((s.id, r["indicator_id"], grp), [])
                if grp == "territory":
                    out[(r["id"], s)] = judge(r, ms, s, cut, series=ser, now=p, average=avg, prepared=prep)
                    continue
                missing = None
                lk = like.get((r["id"], s.id, grp)) or {"n": 0, "n_members": 0, "value": None, "baseline": None}
                missing = (missing_schools(conn, r, s.id, p["period_id"], grp)
                           if with_missing and p and lk["n"] < lk["n_members"] else [])
                res = judge(r, ms, s, cut, series=ser, now=p, average=avg, like=lk,
                            n_members=lk["n_members"], missing=missing, prepared=prep)
                if missing and res.status != "no_data" and "sums" in lk:
                    res = _preliminary(conn, r, ms, s, cut, res, ser, p, avg, lk, missing, prep)
                out[(r["id"], s)] = res
    if status_only and terrs:  # second pass: with the series, where the forecast decides the status
        again = [(x, s) for (x, s), res in out.items() if s.kind == "territory" and res.evaluation.uses_forecast]
        if again:
            redo = evaluate_many(conn, [r for r in trows if r["id"] in {x for x, _ in again}],
                                 sorted({s for _, s in again}, key=lambda s: s.id), cut, milestones=milestones,
                                 now=now, with_missing=with_missing, period_ids=period_ids)
            out.update({k: redo[k] for k in again})
    return out


def _preliminary(conn, r: dict, ms: list[dict], s: Subject, cut: date, res: Result, ser: list[dict], now: dict,
                 avg: float | None, lk: dict, missing: list[int], prep: tuple) -> Result:
    """A group verdict that the silent schools could change is preliminary: the group judged again
    with each silent school at its last known value (and, for a change, its baseline); a silent
    school never measured at all could change anything."""
    change = counts.measures_change(r)
    kind = period_kind(r)
    known = {x["school_id"]: x for x in _rows(conn, f"""
        SELECT m.school_id, m.value, m.numerator, m.denominator, p."end"
        FROM measurement m JOIN period p ON p.id = m.period_id
        WHERE m.school_id IN :ids AND m.indicator_id = :i AND m.value IS NOT NULL AND p."end" < :end
              {"AND p.kind = :k" if kind else ""}
        ORDER BY p."end" """, {"ids": missing, "i": r["indicator_id"], "end": now["end"], "k": kind},
        ("ids",))}  # ordered by end: the last row of each school wins
    now_reported = set()
    base = {}
    if change:
        now_reported = {x["school_id"] for x in _rows(conn, """
            SELECT school_id FROM measurement WHERE school_id IN :ids AND indicator_id = :i AND period_id = :p
                   AND value IS NOT NULL""", {"ids": missing, "i": r["indicator_id"], "p": now["period_id"]}, ("ids",))}
        base = {x["school_id"]: x for x in _rows(conn, """
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
    out, live = {}, {}
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


def _in_group(school: dict, grp: str) -> bool:
    if grp == "all":
        return True
    if grp == "shnor":
        return bool(school["is_shnor"])
    if grp == "shnsu":
        return bool(school["is_shnsu"])
    return bool(school["is_shnor"] or school["is_shnsu"])


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
