"""One evaluation (core.targets.evaluation): every consumer agrees with it on the demo, groups are
like for like with their coverage, the cut is the cut, the forecast says what it is."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import pytest
from docx import Document
from sqlalchemy import text

from core import auth, reports
from core.read import lists
from core.read import indicator as read_indicator
from core.read import overview as read_overview
from core.read import school as read_school
from core import summary as summ
from core import target_counts as counts
from core import vocabulary as voc
from core.db import session_scope
from core.targets import evaluation as ev
from core.targets.evaluation import Subject, evaluate


def _q(engine, sql, **params):
    with engine.connect() as c:
        return [dict(r._mapping) for r in c.execute(text(sql), params)]


def _cuts(engine, territory_id: int) -> list[date]:
    """Every period end with data in the territory, and one cut before all data."""
    ends = sorted({counts.as_date(r["end"]) for r in _q(engine, """
        SELECT DISTINCT p."end" FROM measurementsummary s JOIN period p ON p.id = s.period_id
        WHERE s.territory_id = :t AND s.n_schools > 0""", t=territory_id)})
    return [date(2019, 12, 31)] + ends


def test_every_target_school_and_cut_agrees_through_every_consumer(demo_db):
    """Tiles, the schools × targets table and its «отстают» lists, the school page, the indicator
    page, the справка's and the XLSX's target tables and the kept counts (SQL) — for every target ×
    school × cut of the demo — give what evaluate(target, subject, cut) gives."""
    engine = demo_db
    sc = auth.system_scope()
    checked = {"tiles": 0, "cells": 0, "school pages": 0, "indicator rows": 0, "counts": 0}
    for rm in lists.roadmaps(sc, engine):
        tid = int(rm.territory_id)
        schools = _q(engine, """SELECT s.id, s.short_name FROM school s JOIN territoryclosure c
                                ON c.descendant_id = s.territory_id WHERE c.ancestor_id = :t""", t=tid)
        for cut in _cuts(engine, tid)[-6:] if rm.code != "nev-2024" else _cuts(engine, tid):
            ov = read_overview.overview(sc, int(rm.id), cut, engine)
            assert ov.cut == cut
            for card in ov.cards:  # the tile
                one = evaluate(card.target_id, Subject.territory(tid), cut, engine)
                assert one.evaluation == card.evaluation, (rm.code, cut, card.short_name)
                checked["tiles"] += 1
            school_targets = {c.target_id: c for c in ov.cards if c.level == "school"}
            views = {s["id"]: read_school.school_view(sc, s["id"], engine, as_of=cut) for s in schools}
            for card in ov.cards:
                if card.target_id not in ov.matrix_targets:
                    continue
                lagging = []
                ind = read_indicator.indicator_view(sc, int(rm.id), card.target_id, cut, engine, ov=ov)
                ind_status = {r.unit_id: r.status for r in ind.current}
                meets = 0
                for s in schools:
                    one = evaluate(card.target_id, Subject.school(s["id"]), cut, engine)
                    if ov.unit == voc.SCHOOL_UNIT:
                        cell = ov.status(s["id"], card.target_id)
                        assert cell == (one.status if one else None), (rm.code, cut, card.short_name, s)
                        checked["cells"] += 1
                        if one and one.status == "off_track":  # the cells marked «Отстаёт»
                            lagging.append(s["short_name"])
                        if s["id"] in ind_status:
                            assert ind_status[s["id"]] == cell
                            checked["indicator rows"] += 1
                    page = next((t for t in views[s["id"]].targets if t.target_id == card.target_id), None)
                    assert (page.evaluation if page else None) == (one.evaluation if one else None), (
                        rm.code, cut, card.short_name, s)
                    checked["school pages"] += page is not None
                    meets += bool(one and one.evaluation.meets_target)
                if ov.unit == voc.SCHOOL_UNIT:
                    assert sorted(card.lagging) == sorted(lagging)
                if card.target_id in school_targets and card.result.period_id is not None:
                    r = next(x for x in ev.target_rows(engine.connect(), target_ids=[card.target_id]))
                    with engine.connect() as c:
                        avg = next((x["average"] for x in ev.group_series(c, [tid], [r["indicator_id"]], ["all"]).get(
                            (tid, r["indicator_id"], "all"), []) if x["period_id"] == card.result.period_id), None)
                    ms = counts.milestones_of(engine.connect(), [r["id"]]).get(r["id"], [])
                    with engine.connect() as c:
                        n_group, n_meeting = counts.count_meeting_many(c, tid, [(r, card.result.period_id, avg, ms)])[0]
                        kept = counts.read(c, tid, [(r["id"], card.result.period_id)])
                    assert n_meeting == meets, (rm.code, cut, card.short_name)
                    assert kept.get((r["id"], card.result.period_id), (n_group, n_meeting)) == (n_group, n_meeting)
                    if ov.unit == voc.SCHOOL_UNIT:
                        assert (card.n_schools, card.n_meeting) == (n_group, n_meeting)
                    checked["counts"] += 1
            labels = [row[-1] for row in reports.target_rows(ov.cards)]  # справка and XLSX share it
            assert labels == [voc.STATUS_LABELS[c.evaluation.status] for c in ov.cards]
    assert all(checked.values()), checked


def test_kept_group_values_equal_the_live_count(demo_db):
    """The like-for-like sums kept with the summary (targetgroupvalue) give what SQL counts now,
    for every school-level target, period and territory of the demo."""
    checked = 0
    with demo_db.connect() as c:
        kept = _q(demo_db, "SELECT * FROM targetgroupvalue")
        assert kept
        rows = {r["id"]: r for r in ev.target_rows(c, target_ids=sorted({k["target_id"] for k in kept}))}
        for k in kept:
            r = rows[k["target_id"]]
            live = counts.like_for_like(c, [(r, k["period_id"], [k["territory_id"]], r["applies_to"])])
            want = live.get((r["id"], k["territory_id"], r["applies_to"]))
            got = counts.values_from_sums(r, k)
            g, w = got.pop("sums"), want.pop("sums")
            assert {c: g[c] or 0 for c in counts.KEPT_COLS} == pytest.approx({c: w[c] or 0 for c in counts.KEPT_COLS})
            assert got == pytest.approx(want), (r["short_name"], k)
            checked += 1
    assert checked > 50


def _overview(engine, code="nev-2024", as_of=None):
    rid = _q(engine, "SELECT id FROM roadmap WHERE code = :c", c=code)[0]["id"]
    return read_overview.overview(auth.system_scope(), rid, as_of, engine)


def _card(ov, short):
    return next(c for c in ov.cards if c.short_name.startswith(short))


def _delete(engine, indicator_code: str, period_code: str, school_ids: list[int]) -> None:
    with session_scope(engine, write=True) as s:
        row = s.execute(text("""SELECT i.id AS i, p.id AS p FROM indicator i, period p
                                WHERE i.code = :ic AND p.code = :pc"""), {"ic": indicator_code, "pc": period_code}).one()
        for sid in school_ids:
            s.execute(text("DELETE FROM measurement WHERE school_id = :s AND indicator_id = :i AND period_id = :p"),
                      {"s": sid, "i": row.i, "p": row.p})
        summ.refresh(s, territory_ids=None, indicator_ids=[row.i], period_ids=[row.p])


def test_a_school_that_did_not_report_is_not_a_decline(demo_db_any):
    """Issue 13: delete one school's III-quarter olympiad count — «Участники олимпиад» must not fall
    below its base and flip to «Отстаёт»; its coverage says 4 of 5 and names the school."""
    engine = demo_db_any
    before = _card(_overview(engine), "Участники олимпиад")
    assert before.evaluation.status == "on_track" and before.coverage == "данные 5 из 5 школ"
    members = _q(engine, "SELECT id, short_name FROM school WHERE (is_shnor OR is_shnsu) ORDER BY short_name")
    gone = [m for m in members if m["short_name"] == "СОШ № 5 (демо)"]
    _delete(engine, "olympiad_participants", "2024-Q3", [gone[0]["id"]])
    after = _card(_overview(engine), "Участники олимпиад")
    e = after.evaluation
    assert e.status not in ("off_track", "at_risk"), e.reason
    assert e.progress is not None and e.progress > 0
    assert e.value > e.baseline  # like for like: the baseline lost the same school
    assert after.coverage == "данные 4 из 5 школ" and after.missing == ("СОШ № 5 (демо)",)
    # a second school missing: 3 of 5 is below 80 % — the quarter is still being collected: the tile
    # judges the last complete quarter and says so, never a decline
    _delete(engine, "olympiad_participants", "2024-Q3", [m["id"] for m in members if m["short_name"] == "СОШ № 2 (демо)"])
    after = _card(_overview(engine), "Участники олимпиад")
    assert after.as_of_label == "II кв. 2024" and after.evaluation.status != "off_track"
    assert "идёт сбор III кв. 2024: 3 из 5 школ" in after.notes
    # the справка says it too
    data = reports.roadmap_report(auth.system_scope(), after.result and _q(
        engine, "SELECT id FROM roadmap WHERE code = 'nev-2024'")[0]["id"], engine=engine)
    body = "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
    assert "Идёт сбор III кв. 2024: 3 из 5 школ" in body


def test_relative_increase_from_zero_is_not_achieved_while_the_school_stays_at_zero(demo_db_any):
    engine = demo_db_any
    card = _card(_overview(engine), "Участники олимпиад")
    assert card.kind == "increase_pct"
    school = _q(engine, "SELECT id FROM school WHERE short_name = 'СОШ № 7 (демо)'")[0]["id"]
    base_code = _q(engine, "SELECT p.code FROM target x JOIN period p ON p.id = x.baseline_period_id WHERE x.id = :x",
                   x=card.target_id)[0]["code"]
    now_code = _q(engine, "SELECT code FROM period WHERE id = :p", p=card.result.period_id)[0]["code"]
    with session_scope(engine, write=True) as s:
        for code in (base_code, now_code):
            s.execute(text("""UPDATE measurement SET value = 0 WHERE school_id = :s AND period_id =
                              (SELECT id FROM period WHERE code = :c) AND indicator_id = :i"""),
                      {"s": school, "c": code, "i": card.indicator_id})
        summ.refresh(s)
    one = evaluate(card.target_id, Subject.school(school), card.result.period_end, engine)
    assert one.status in ("at_risk", "off_track") and one.evaluation.progress is None
    assert "база 0" in one.evaluation.reason
    ov = _overview(engine)
    assert ov.status(school, card.target_id) == one.status
    card = _card(ov, "Участники олимпиад")
    statuses = [evaluate(card.target_id, Subject.school(int(u)), card.result.period_end, engine)
                for u in (r.unit_id for r in ov.rows)]
    assert card.n_meeting == sum(1 for r in statuses if r and r.evaluation.meets_target)
    with engine.connect() as c:  # the kept count (SQL) agrees: the school at 0 does not meet it
        kept = counts.read(c, card.result and ov.roadmap.territory_id, [(card.target_id, card.result.period_id)])
    assert kept[(card.target_id, card.result.period_id)][1] == card.n_meeting


def test_the_cut_is_the_cut(demo_db):
    cut = date(2023, 12, 31)
    ov = _overview(demo_db, as_of=cut)
    for card in ov.cards:
        assert all(p.end <= cut for p in card.series), card.short_name
        assert all(p.end <= cut for p in card.average_series)
        assert card.result.period_end is None or card.result.period_end <= cut
        assert card.evaluation.forecast_ts == () or max(card.evaluation.forecast_ts) <= card.result.series[-1].t
    sid = ov.rows[0].unit_id
    view = read_school.school_view(auth.system_scope(), sid, demo_db, as_of=cut)
    for t in view.targets:
        assert all(p.end <= cut for p in t.series) and all(p.end <= cut for p in t.average_series)
    ind = read_indicator.indicator_view(auth.system_scope(), ov.roadmap.id, ov.cards[0].target_id, cut, demo_db, ov=ov)
    labels = {p.label for c in ov.cards for p in c.series}
    assert {r.label for r in ind.history} <= labels and set(ind.periods) <= labels
    assert all(r.period_id for r in ind.history)
    # overdue activities as of the cut: an item due after the cut is not overdue in that справка
    data = reports.roadmap_report(auth.system_scope(), ov.roadmap.id, cut, engine=demo_db)
    body = "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
    items = reports._roadmap_items(demo_db, ov.roadmap.id)
    from core.roadmap import is_overdue

    n_cut = sum(1 for i in items if is_overdue(i["due_date"], i["status"], cut))
    assert f"Просрочено: {n_cut}." in body


def test_forecasts_state_their_basis_and_follow_a_rise(demo_db):
    seen = 0
    for code in ("nev-2024",):
        for card in _overview(demo_db, code).cards:
            e = card.evaluation
            if e.forecast is None:
                continue
            seen += 1
            assert card.forecast_basis.startswith(f"тренд {len(e.forecast_ts)} последних периодов")
            vals = [p.value for p in card.result.series if p.value is not None]
            if vals[-1] > vals[-2]:
                assert e.forecast >= e.value - 1e-9
    assert seen


def test_two_targets_on_one_indicator_are_two_columns(demo_db_rw):
    """A ШНОР target and a ШНСУ target on the same indicator: two columns keyed by target id."""
    engine = demo_db_rw
    ov = _overview(engine)
    card = ov.cards[0]
    with session_scope(engine, write=True) as s:
        s.execute(text("UPDATE target SET applies_to = 'shnor' WHERE id = :x"), {"x": card.target_id})
        s.execute(text("""INSERT INTO target (roadmap_id, number, wording, indicator_id, kind, value, applies_to,
                                              judged_on, baseline_period_id, due_period_id)
                          SELECT roadmap_id, 99, wording, indicator_id, kind, value, 'shnsu', judged_on,
                                 baseline_period_id, due_period_id FROM target WHERE id = :x"""), {"x": card.target_id})
    ov = _overview(engine)
    twins = [c for c in ov.cards if c.indicator_id == card.indicator_id]
    assert len(twins) == 2 and twins[0].column != twins[1].column
    assert {"ШНОР", "ШНСУ"} <= {c.column.rsplit("(", 1)[-1].rstrip(")") for c in twins}
    for c in twins:
        assert c.target_id in ov.matrix_targets
        for row in ov.rows:
            one = evaluate(c.target_id, Subject.school(row.unit_id), ov.cut, engine)
            assert row.status(c.target_id) == (one.status if one else None)


def test_a_regions_matrix_gives_what_the_evaluation_gives_for_each_member(empty_db):
    """A region's territories × targets: the matrix reads each member's series only where the
    forecast decides the status; every cell equals evaluate(target, member, cut), and the tile
    equals evaluate(target, region, cut)."""
    from core import synthetic

    scale = synthetic.Scale("t", regions=3, municipalities=3, schools=6, indicators=3, periods=8)
    info = synthetic.build(empty_db, scale)
    with empty_db.connect() as c:  # some schools did not report II кв. 2023: coverage varies
        last = c.execute(text("SELECT id FROM period WHERE code = '2023-Q2'")).scalar()
    with session_scope(empty_db, write=True) as s:
        s.execute(text("DELETE FROM measurement WHERE period_id = :p AND school_id % 4 = 0"), {"p": last})
        # and one member fell well behind its path: there the forecast decides
        s.execute(text("""UPDATE measurement SET value = value / 3, numerator = numerator / 3
                          WHERE period_id = :p AND territory_id = (SELECT MIN(territory_id) FROM school)"""),
                  {"p": last})
        summ.refresh(s)
    sc = auth.system_scope()
    checked, used_forecast = 0, False
    for cut in (None, date(2023, 6, 30), date(2023, 3, 31)):  # after the due period, and before it
        ov = read_overview.overview(sc, info["roadmap_id"], cut, empty_db)
        assert ov.unit == voc.TERRITORY_UNIT
        for card in ov.cards:
            one = evaluate(card.target_id, Subject.territory(info["territory_id"]), ov.cut, empty_db)
            assert one.evaluation == card.evaluation
            for uid, status in ((r.unit_id, r.status(card.target_id)) for r in ov.rows):
                one = evaluate(card.target_id, Subject.territory(uid), ov.cut, empty_db)
                assert status == one.status, (cut, card.short_name, uid, one.evaluation.reason)
                checked += 1
        used_forecast = used_forecast or any(res.evaluation.uses_forecast for r in ov.rows for res in r.cells.values())
    assert checked and used_forecast  # the second pass (series read for some members) ran
    statuses = {r.status(c.target_id) for r in ov.rows for c in ov.cards}
    assert len(statuses) > 1  # not a vacuous agreement


def test_a_kind_added_to_the_registry_alone_is_evaluated_counted_and_worded(demo_db):
    """Issue 28 item 2: a new kind is one registry row — the pure rules evaluate it, the kept
    counts' SQL counts it (equal to the per-school evaluation) and formatting words it."""
    from core import formatting as fmt
    from core.targets import kinds
    from core.targets import rules as tg

    kinds.register(kinds.Kind("decrease_pp", "снижение, п.п.", -1, True, True, True, lambda a, b, avg, m: b - a,
                              lambda n, nu, base, avg: f"−{n} п.п.{base}", lambda a, b: f"{b} - {a}"))
    try:
        spec = tg.TargetSpec("decrease_pp", 5.0)
        assert spec.direction == -1 and spec.measures_change
        e = tg.evaluate(spec, series=[(2023.0, 30.0), (2024.0, 24.0)], t_now=2024.0, t_due=2024.0, t_baseline=2023.0)
        assert (e.target_value, e.status) == (25.0, "achieved")
        e = tg.evaluate(spec, series=[(2023.0, 30.0), (2024.0, 27.0)], t_now=2024.0, t_due=2024.0, t_baseline=2023.0)
        assert e.status == "off_track"
        assert fmt.rule("decrease_pp", 5, "%", "I кв. 2024") == "−5 п.п. от I кв. 2024"
        with demo_db.connect() as c:
            r = next(x for x in ev.target_rows(c, roadmap_id=_q(demo_db, "SELECT id FROM roadmap WHERE code = 'nev-2024'")[0]["id"])
                     if x["kind"] == "increase_pp" and x["level"] == "school")
            card = _card(_overview(demo_db), r["short_name"][:12])
            pid = card.result.period_id
            r = {**r, "kind": "decrease_pp"}
            _, n_meeting = counts.count_meeting_many(c, r["roadmap_territory_id"], [(r, pid, None, [])])[0]
            # the same per school by the pure rules
            base = {x["school_id"]: x["value"] for x in _q(demo_db, "SELECT school_id, value FROM measurement "
                    "WHERE indicator_id = :i AND period_id = :p", i=r["indicator_id"], p=r["baseline_period_id"])}
            now = _q(demo_db, """SELECT m.school_id, m.value FROM measurement m JOIN school s ON s.id = m.school_id
                                 WHERE m.indicator_id = :i AND m.period_id = :p AND (s.is_shnor OR s.is_shnsu)""",
                     i=r["indicator_id"], p=pid)
            want = sum(1 for x in now if x["school_id"] in base and tg.meets(
                x["value"], tg.target_value(spec, base[x["school_id"]]), -1))
            assert n_meeting == want
            assert r["applies_to"] == "target"
    finally:
        kinds.unregister("decrease_pp")
    with pytest.raises(ValueError):
        tg.TargetSpec("decrease_pp", 5.0)  # unknown again: an error, never a fall-through


def test_a_matrix_of_schools_judges_each_cell_as_the_whole_series_does(demo_db):
    """A municipality's matrix reads each school's period judged and baseline only, and the whole
    series where the forecast decides the status: every cell is evaluate()'s verdict, value, base,
    target and expected value at every cut; a cell the forecast decided is evaluate()'s in full."""
    sc = auth.system_scope()
    checked = {"cells": 0, "by the forecast": 0}
    for rm in lists.roadmaps(sc, demo_db):
        for cut in _cuts(demo_db, int(rm.territory_id))[-4:]:
            ov = read_overview.overview(sc, int(rm.id), cut, demo_db)
            if ov.unit != voc.SCHOOL_UNIT:
                continue
            for row in ov.rows:
                for tid, res in row.cells.items():
                    if res is None:
                        continue
                    one = evaluate(tid, Subject.school(row.unit_id), cut, demo_db).evaluation
                    e = res.evaluation
                    if e.uses_forecast:
                        assert e == one, (rm.code, cut, row.name, tid)
                        checked["by the forecast"] += 1
                    else:
                        assert e == replace(one, forecast=e.forecast, forecast_note=e.forecast_note,
                                            forecast_ts=e.forecast_ts), (rm.code, cut, row.name, tid)
                    checked["cells"] += 1
    assert checked["cells"] > 100 and checked["by the forecast"] > 0, checked


def test_group_sizes_follow_every_write_and_are_counted_inside_one(demo_db_any):
    """The group sizes (core.target_counts.group_sizes) are kept per data version outside a write: a
    school added in a write transaction is counted inside that transaction (where the version does not
    yet say so) and by every read after it; between writes a read costs the version's lookup only."""
    from sqlalchemy import event

    from core.models import School

    engine = demo_db_any
    with engine.connect() as c:
        tid = c.execute(text("SELECT territory_id FROM school ORDER BY id LIMIT 1")).scalar()
        before = counts.group_sizes(c, [tid])
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_rest):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with engine.connect() as c:
            assert counts.group_sizes(c, [tid]) == before
        assert statements and not any("territoryclosure" in x for x in statements), statements  # kept
        with session_scope(engine, write=True) as s:
            s.add(School(territory_id=tid, code="TEST-NEW", name="Новая школа", short_name="СОШ № 99", is_shnor=True))
            s.flush()
            inside = counts.group_sizes(s.connection(), [tid])
        with engine.connect() as c:
            after = counts.group_sizes(c, [tid])
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    for sizes in (inside, after):
        assert sizes[(tid, "all")] == before[(tid, "all")] + 1
        assert sizes[(tid, "shnor")] == before[(tid, "shnor")] + 1
