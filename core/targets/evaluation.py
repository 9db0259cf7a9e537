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

from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection, Engine

from core import summary as summ
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

    @property
    def status(self) -> str:
        return self.evaluation.status

    @property
    def coverage_text(self) -> str | None:
        e = self.evaluation
        if e.n_members is None:
            return None
        return f"данные {e.n_reported} из {e.n_members} школ"


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
                 period_ids: list[int] | None = None, cut: date | None = None) -> dict:
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
        r["value"] = summ.group_value(*sums)
        r["average"] = summ.average_value(*sums)
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


def judged_periods(conn, trows: list[dict], cut: date) -> dict[int, dict]:
    """{target id: the period judged at the cut (period_id, label, end, t, kind)} — see the module
    docstring; a target without such a period is absent."""
    if not trows:
        return {}
    data = group_series(conn, sorted({r["roadmap_territory_id"] for r in trows}),
                        sorted({r["indicator_id"] for r in trows}), ["all", "territory"], cut=cut)
    out = {}
    for r in trows:
        grp = "territory" if r["level"] == "territory" else "all"
        kind = period_kind(r)
        rows = [x for x in data.get((r["roadmap_territory_id"], r["indicator_id"], grp), [])
                if (kind is None or x["kind"] == kind) and x["value"] is not None
                and (grp == "territory" or x["n_schools"])]
        if rows:
            x = rows[-1]
            out[r["id"]] = {k: x[k] for k in ("period_id", "label", "end", "t", "kind")}
    return out


def like_for_like(conn, items: list[tuple[dict, int, list[int], str]]) -> dict[tuple[int, int, str], dict]:
    """For each (target row, period id judged, territory ids, group): the group's value now and at
    the baseline over the group's schools below each territory that reported both (one SQL
    statement). {(target id, territory id, group): {n, value, baseline}}."""
    parts, params, out = [], {}, {}
    items = [it for it in items if it[0]["level"] == "school" and it[2]]
    if not items:
        return out
    for i, (r, pid, tids, grp) in enumerate(items):
        params.update({f"x{i}": r["id"], f"i{i}": r["indicator_id"], f"p{i}": pid, f"t{i}": sorted(set(tids))})
        base_join = ""
        if r["baseline_period_id"]:
            params[f"b{i}"] = r["baseline_period_id"]
            base_join = (f"JOIN measurement b ON b.school_id = m.school_id AND b.indicator_id = m.indicator_id "
                         f"AND b.period_id = :b{i} AND b.value IS NOT NULL")
        b = "b" if base_join else "m"
        parts.append(f"""
            SELECT {i} AS item, c.ancestor_id AS territory_id, COUNT(*) AS n,
                   SUM(m.value) AS sv, SUM({_num('m')}) AS sn, SUM({_den('m')}) AS sd,
                   SUM(CASE WHEN m.value >= 0.5 THEN 1 ELSE 0 END) AS nf,
                   SUM({b}.value) AS bsv, SUM({_num(b)}) AS bsn, SUM({_den(b)}) AS bsd,
                   SUM(CASE WHEN {b}.value >= 0.5 THEN 1 ELSE 0 END) AS bnf
            FROM measurement m
            JOIN school s ON s.id = m.school_id
            JOIN territoryclosure c ON c.descendant_id = m.territory_id
            {base_join}
            WHERE c.ancestor_id IN :t{i} AND m.indicator_id = :i{i} AND m.period_id = :p{i}
              AND m.value IS NOT NULL AND {GROUP_SQL[grp]}
            GROUP BY c.ancestor_id""")
    stmt = text(" UNION ALL ".join(parts)).bindparams(*(bindparam(f"t{i}", expanding=True) for i in range(len(items))))
    for row in conn.execute(stmt, params).mappings():
        r, _, _, grp = items[int(row["item"])]
        k, n = r["value_kind"], int(row["n"])
        val = summ.group_value(k, n, row["sv"] or 0, row["sn"] or 0, row["sd"] or 0, row["nf"] or 0)
        base = summ.group_value(k, n, row["bsv"] or 0, row["bsn"] or 0, row["bsd"] or 0, row["bnf"] or 0) \
            if r["baseline_period_id"] else None
        out[(r["id"], row["territory_id"], grp)] = {"n": n, "value": val, "baseline": base}
    return out


def _num(a: str) -> str:
    return f"CASE WHEN {a}.denominator > 0 AND {a}.numerator IS NOT NULL THEN {a}.numerator END"


def _den(a: str) -> str:
    return f"CASE WHEN {a}.denominator > 0 AND {a}.numerator IS NOT NULL THEN {a}.denominator END"


def group_sizes(conn, territory_ids: list[int]) -> dict[tuple[int, str], int]:
    """{(territory id, group): number of its schools (all levels below)}."""
    if not territory_ids:
        return {}
    rows = _rows(conn, f"""
        SELECT c.ancestor_id AS tid, {", ".join(f"SUM(CASE WHEN {sql} THEN 1 ELSE 0 END) AS g_{g}"
                                                 for g, sql in GROUP_SQL.items())}
        FROM school s JOIN territoryclosure c ON c.descendant_id = s.territory_id
        WHERE c.ancestor_id IN :tids GROUP BY c.ancestor_id""", {"tids": sorted(set(territory_ids))}, ("tids",))
    return {(r["tid"], g): int(r[f"g_{g}"] or 0) for r in rows for g in GROUP_SQL}


def missing_schools(conn, r: dict, territory_id: int, period_id: int, grp: str) -> list[int]:
    """Ids of the schools of target r's group below a territory without the data the group value
    needs (the period judged and, with a baseline period, the baseline)."""
    base = ("OR NOT EXISTS (SELECT 1 FROM measurement b WHERE b.school_id = s.id AND b.indicator_id = :i "
            "AND b.period_id = :b AND b.value IS NOT NULL)") if r["baseline_period_id"] else ""
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
def judge(r: dict, milestones: list[dict], subject: Subject, cut: date, *, series: list[dict],
          now: dict | None, average: float | None, like: dict | None = None, n_members: int | None = None,
          missing: list[int] = (), min_coverage: float | None = None) -> Result:
    """A target on one subject's series (rows with period_id, label, end, kind, t, value) at the
    period judged `now`; `like` (n, value, baseline) and `n_members` for a group."""
    kind = period_kind(r)
    t_cut = tg.period_t(cut)
    pts = [x for x in series if (kind is None or x["kind"] == kind) and x["t"] <= t_cut + tg.EPS]
    spec, t_base, t_due = counts.spec_and_times(r, milestones)
    min_cov = get_settings().min_coverage if min_coverage is None else min_coverage
    coverage = None
    baseline = None
    if like is not None or n_members is not None:  # a group: like for like
        like = like or {"n": 0, "value": None, "baseline": None}
        coverage = (like["n"], n_members or 0)
        pts = [dict(x) for x in pts]
        if now is not None:
            pts = [x for x in pts if x["period_id"] != now["period_id"]] + [
                {**now, "value": like["value"]}]
            pts.sort(key=lambda x: x["t"])
        for x in pts:
            if r["baseline_period_id"] and x["period_id"] == r["baseline_period_id"]:
                x["value"] = like["baseline"]
        baseline = like["baseline"]
    if now is None:
        ev = tg.evaluate(spec, series=[], t_now=t_cut, t_due=t_due, t_baseline=t_base)
        ev = replace(ev, status="no_data", reason=f"нет данных на {cut.strftime('%d.%m.%Y')}")
    else:
        ev = tg.evaluate(spec, series=[(x["t"], x["value"]) for x in pts], t_now=now["t"], t_due=t_due,
                         t_baseline=t_base, baseline=baseline, average=average, coverage=coverage,
                         missing_ids=tuple(missing), min_coverage=min_cov)
        if ev.status == "no_data" and ev.value is None and coverage is None:
            ev = replace(ev, reason=f"нет данных за {now['label']}")
    basis = None
    if ev.forecast is not None and ev.forecast_ts:
        labels = {round(x["t"], 6): x["label"] for x in pts}
        first, last = labels.get(round(ev.forecast_ts[0], 6)), labels.get(round(ev.forecast_ts[-1], 6))
        basis = (f"тренд {len(ev.forecast_ts)} последних периодов ({first} – {last}), "
                 f"продолжен от значения за {last}")
    return Result(target_id=r["id"], subject=subject, cut=cut, evaluation=ev,
                  period_id=now["period_id"] if now else None, period_label=now["label"] if now else None,
                  period_end=now["end"] if now else None, forecast_basis=basis, average=average,
                  series=tuple(Point(x["period_id"], x["label"], x["end"], x["t"], x["value"]) for x in pts))


# ---------------------------------------------------------------------------------------------
# The evaluation
# ---------------------------------------------------------------------------------------------
def evaluate_many(conn, trows: list[dict], subjects: list[Subject], cut: date | None = None, *,
                  milestones: dict[int, list[dict]] | None = None, now: dict[int, dict] | None = None,
                  with_missing: bool = True, period_ids: list[int] | None = None
                  ) -> dict[tuple[int, Subject], Result]:
    """Every target row × every subject it applies to, as of the cut (default: today).
    {(target id, subject): Result}. A school subject is evaluated against the targets of
    roadmaps over its territory only, and only when it is in the target's group. `period_ids`
    limits the territories' series to those periods (enough for the forecast and the baseline)."""
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
        avg_rows = group_series(conn, sorted({r["roadmap_territory_id"] for r in trows}), ind_ids, ["all"], cut=cut)
    if terrs:
        grps = sorted({g for s in subjects if s.kind == "territory" for r in trows
                       for g in [group_of(r, s)]} | {"all"})
        tser = group_series(conn, terrs, ind_ids, grps, period_ids, cut=cut)
        pairs = sorted({(r["id"], group_of(r, s)) for r in trows for s in subjects
                        if s.kind == "territory" and r["id"] in now and r["level"] == "school"})
        by_id = {r["id"]: r for r in trows}
        like = like_for_like(conn, [(by_id[x], now[x]["period_id"], terrs, g) for x, g in pairs])
        sizes = group_sizes(conn, terrs)
    for r in trows:
        ms = milestones.get(r["id"], [])
        p = now.get(r["id"])
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
                                          average=avg)
            else:
                grp = group_of(r, s)
                avg = next((a["value"] for a in tser.get((s.id, r["indicator_id"], "all"), [])
                            if p and a["period_id"] == p["period_id"]), None)
                ser = tser.get((s.id, r["indicator_id"], grp), [])
                if grp == "territory":
                    out[(r["id"], s)] = judge(r, ms, s, cut, series=ser, now=p, average=avg)
                    continue
                missing = missing_schools(conn, r, s.id, p["period_id"], grp) if (with_missing and p) else []
                out[(r["id"], s)] = judge(r, ms, s, cut, series=ser, now=p, average=avg,
                                          like=like.get((r["id"], s.id, grp)), n_members=sizes.get((s.id, grp), 0),
                                          missing=missing)
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
