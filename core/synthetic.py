"""Synthetic databases at a chosen scale (benchmarks and tests of the territory tree). Everything
it creates is flagged as demo. Rows go in through the DB-API in batches; the summary is built once
at the end with the same SQL the loader uses."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core import periods as periods_mod
from core import summary
from core.db import session_scope
from core.models import Indicator, Period, Roadmap, Target, Territory
from core.territories import add_territory

TARGET_KINDS = [("at_least", 60.0), ("increase_pp", 5.0), ("increase_pct", 10.0), ("not_below_average", None),
                ("at_most", 5.0), ("at_least", 80.0)]


@dataclass(frozen=True)
class Scale:
    name: str
    regions: int  # 0: a single municipality at the top
    municipalities: int  # per region (or 1)
    schools: int  # per municipality
    indicators: int
    periods: int  # quarters from 2022-Q1

    @property
    def n_schools(self) -> int:
        return max(self.regions, 1) * self.municipalities * self.schools


SCALES = {
    "municipality": Scale("municipality", 0, 1, 30, 12, 16),
    "municipality_300": Scale("municipality_300", 0, 1, 300, 12, 16),  # a big city's office (issue 27)
    "region": Scale("region", 1, 50, 20, 20, 16),
    "country": Scale("country", 80, 10, 50, 20, 16),
}


def build(engine: Engine, scale: Scale, seed: int = 1, batch: int = 50_000) -> dict:
    """Territory tree, schools, indicators (shares and counts), a roadmap on the top territory with
    six targets, and one value per school x indicator x quarter."""
    rnd = random.Random(seed)
    with session_scope(engine, write=True) as s:
        quarters = _quarters(s, scale.periods)
        top, leaves = _territories(s, scale)
        inds = _indicators(s, scale)
        rm = _roadmap(s, scale, top.id, inds, quarters)
        top_id, rm_id = top.id, rm.id
        ind_rows = [(x.id, x.value_kind) for x in inds]
        quarter_ids = [p.id for p in quarters]
    schools, n_rows = _schools_and_values(engine, scale, leaves, ind_rows, quarter_ids, rnd, batch)
    with session_scope(engine, write=True) as s:
        summary.refresh(s)
    return {"territory_id": top_id, "roadmap_id": rm_id, "schools": len(schools), "measurements": n_rows,
            "school_id": schools[len(schools) // 2][0]}


def _quarters(s: Session, n: int) -> list[Period]:
    """`n` quarters from 2022-Q1, their rows made."""
    specs = [periods_mod.quarter(2022, 1)]
    while len(specs) < n:
        specs.append(periods_mod.following(specs[-1]))
    codes = [p.code for p in specs]
    ids = periods_mod.ensure(s, codes)
    return [s.get(Period, ids[c]) for c in codes]


def _territories(s: Session, scale: Scale) -> tuple[Territory, list[int]]:
    """The top territory, and the ids of the municipalities that get the schools."""
    top = add_territory(s, Territory(code=f"{scale.name}-top", name=f"Синтетика: {scale.name}",
                                     kind="country" if scale.regions > 1 else "region", is_demo=True))
    if scale.regions == 0:
        return top, [top.id]
    leaves: list[int] = []
    parents = [top.id]
    if scale.regions > 1:
        parents = [add_territory(s, Territory(code=f"{scale.name}-r{r}", name=f"Регион {r + 1}",
                                              kind="region", parent_id=top.id, is_demo=True)).id
                   for r in range(scale.regions)]
    for r, pid in enumerate(parents):
        for m in range(scale.municipalities):
            leaves.append(add_territory(s, Territory(
                code=f"{scale.name}-r{r}-m{m}", name=f"Муниципалитет {r + 1}.{m + 1}",
                parent_id=pid, is_demo=True)).id)
    return top, leaves


def _indicators(s: Session, scale: Scale) -> list[Indicator]:
    """Two shares to every count."""
    inds = []
    for i in range(scale.indicators):
        share = i % 3 != 2
        ind = Indicator(code=f"{scale.name}-i{i}", name=f"Показатель {i + 1}", short_name=f"Показатель {i + 1}",
                        unit="%" if share else "чел.", value_kind="share" if share else "count",
                        aggregation="ratio_of_sums" if share else "sum",
                        denominator_label="Всего" if share else None, numerator_label="Из них" if share else None)
        s.add(ind)
        inds.append(ind)
    s.flush()
    return inds


def _roadmap(s: Session, scale: Scale, top_id: int, inds: list[Indicator], quarters: list[Period]) -> Roadmap:
    """The roadmap of the top territory with a target of each kind of TARGET_KINDS."""
    rm = Roadmap(code=f"{scale.name}-rm", territory_id=top_id, title=f"Синтетическая дорожная карта ({scale.name})",
                 is_demo=True)
    s.add(rm)
    s.flush()
    base, due = quarters[max(0, len(quarters) - 6)], quarters[-1]
    for n, (kind, amount) in enumerate(TARGET_KINDS, 1):
        ind = inds[(n - 1) % len(inds)] if kind != "increase_pct" else next(x for x in inds if x.value_kind == "count")
        s.add(Target(roadmap_id=rm.id, indicator_id=ind.id, number=n, wording=f"Цель {n}", kind=kind, value=amount,
                     baseline_period_id=base.id, due_period_id=due.id, applies_to="target" if n % 2 else "all"))
    return rm


def _schools_and_values(engine: Engine, scale: Scale, leaves: list[int], ind_rows: list[tuple[int, str]],
                        quarter_ids: list[int], rnd: random.Random, batch: int) -> tuple[list, int]:
    """The schools, then their values in batches, through the DB-API: (school id, territory id) of
    each school, and how many values."""
    conn = engine.raw_connection()
    try:
        cur = conn.cursor()
        school_rows, code = [], 0
        for tid in leaves:
            for k in range(scale.schools):
                code += 1
                school_rows.append((tid, f"{scale.name}-{code}", f"Школа {code}", f"Школа {code}",
                                    k % 5 == 0, k % 7 == 0, False, 500 + k, 40, True))
        ph = "?" if engine.dialect.name == "sqlite" else "%s"
        cur.executemany("INSERT INTO school (territory_id, code, name, short_name, is_shnor, is_shnsu, is_leader, "
                        f"pupils, teachers, is_demo, kind) VALUES ({', '.join([ph] * 10)}, 'СОШ')", school_rows)
        cur.execute(f"SELECT id, territory_id FROM school WHERE code LIKE {ph}", (f"{scale.name}-%",))
        schools = list(cur.fetchall())
        sql = ("INSERT INTO measurement (territory_id, school_id, indicator_id, period_id, value, numerator, "
               f"denominator, entered_at, is_demo) VALUES ({', '.join([ph] * 7)}, CURRENT_TIMESTAMP, {'1' if ph == '?' else 'true'})")
        buf, n_rows = [], 0
        for row in _values(schools, ind_rows, quarter_ids, rnd):
            buf.append(row)
            if len(buf) >= batch:
                cur.executemany(sql, buf)
                n_rows += len(buf)
                buf.clear()
        if buf:
            cur.executemany(sql, buf)
            n_rows += len(buf)
        conn.commit()
    finally:
        conn.close()
    return schools, n_rows


def _values(schools, ind_rows: list[tuple[int, str]], quarter_ids: list[int], rnd: random.Random):
    """One value per school x indicator x quarter: a level per school, a drift per indicator, noise."""
    for sid, tid in schools:
        level = rnd.uniform(30, 75)
        for iid, vk in ind_rows:
            drift = rnd.uniform(-0.3, 1.2)
            for q, pid in enumerate(quarter_ids):
                v = min(99.0, max(1.0, level + drift * q + rnd.uniform(-2, 2)))
                if vk == "share":
                    den = 40
                    num = round(den * v / 100)
                    yield (tid, sid, iid, pid, 100.0 * num / den, num, den)
                else:
                    yield (tid, sid, iid, pid, float(round(v)), None, None)
