"""Approval freezes what was approved.

When the head approves a territory's quarter (core.cycle.approve), `take` evaluates every target of
the roadmaps of that territory and of the territories below it — on the roadmap's territory (the
tile), on each member territory and on each school (the matrix, the school page) — as of the
quarter's last day, and stores the figures (value, base, target value, expected, forecast, status,
coverage, the period judged) in `approvalfigure`, in the approval's own transaction, with what they
were computed from (`basis`: each target's kind, value and periods, each group's schools, each
roadmap's workbook). Unlocking the quarter (core.cycle.unlock, audited with its reason) discards
them (`discard`).

Screens read figures through `overlay`: a Result whose period judged is covered by a snapshot is
replaced by the stored figure, and the `Approved` beside it says when it was approved, what has
changed since (targets, schools of the group, the roadmap reloaded — when and by whom, from the
audit log) and what today's rules give."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import bindparam, insert, text

from core import formatting as fmt
from core import target_counts as counts
from core import vocabulary as voc
from core.db import DATA_VERSION_KEY
from core.models import ApprovalFigure, ApprovalSnapshot
from core.quarters import aware_utc
from core.targets import evaluation as ev_mod
from core.targets import kinds
from core.targets.evaluation import Subject
from core.targets.rules import Evaluation

GROUP_WORDS = voc.GROUP_LABELS

HOW_COUNTED = (
    "**Утверждённые данные.** Когда руководитель утверждает квартал, значения, базы, цели, статусы и полнота данных "
    "по каждой цели — по территории, по каждой школе — сохраняются такими, какими их утвердили. Экраны и справка за "
    "этот период показывают сохранённые значения с пометкой «утверждены ДД.ММ.ГГГГ». Если после утверждения "
    "изменились цели, состав школ группы или дорожная карта загружена заново, рядом сказано, что изменилось, когда и "
    "кем, и приведено значение по действующим правилам. Снятие утверждения (с указанием причины) отменяет сохранённые "
    "значения. Кнопка «Откуда это число» показывает значения школ, из которых сложено число: загрузку или ввод, кто и "
    "когда внёс, какое значение заменено и причину исправления.")


# ---------------------------------------------------------------------------------------------
# What the figures are computed from
# ---------------------------------------------------------------------------------------------
def basis(conn, roadmap_ids: list[int]) -> dict:
    """The roadmaps' workbooks, their targets (kind, value, periods, group, milestones) and the
    schools of each target's group below the roadmap's territory: what a snapshot was computed from
    and what `changes` compares with now."""
    ids = sorted(set(roadmap_ids)) or [-1]
    roadmaps = {str(r["id"]): {"upload_id": r["upload_id"], "territory_id": r["territory_id"]}
                for r in counts.select_rows(conn, "SELECT id, upload_id, territory_id FROM roadmap WHERE id IN :ids", {"ids": ids},
                               ("ids",))}
    targets = {}
    for r in counts.select_rows(conn, """SELECT id, roadmap_id, number, kind, value, baseline_period_id, due_period_id, applies_to,
                                   judged_on FROM target WHERE roadmap_id IN :ids ORDER BY id""", {"ids": ids}, ("ids",)):
        targets[str(r["id"])] = {k: r[k] for k in ("roadmap_id", "number", "kind", "value", "baseline_period_id",
                                                   "due_period_id", "applies_to", "judged_on")}
        targets[str(r["id"])]["milestones"] = []
    if targets:
        for m in counts.select_rows(conn, "SELECT target_id, period_id, value FROM targetmilestone WHERE target_id IN :ids "
                             "ORDER BY target_id, period_id", {"ids": [int(t) for t in targets]}, ("ids",)):
            targets[str(m["target_id"])]["milestones"].append([m["period_id"], m["value"]])
    wanted = {(v["territory_id"], t["applies_to"]) for t in targets.values()
              for v in [roadmaps.get(str(t["roadmap_id"]))] if v}
    groups: dict[str, list[int]] = {f"{t}:{g}": [] for t, g in wanted}
    if wanted:
        for s in counts.select_rows(conn, """SELECT s.id, s.is_shnor, s.is_shnsu, cl.ancestor_id FROM school s
                                JOIN territoryclosure cl ON cl.descendant_id = s.territory_id
                                WHERE cl.ancestor_id IN :t ORDER BY s.id""",
                       {"t": sorted({t for t, _ in wanted})}, ("t",)):
            for t, g in wanted:
                if t == s["ancestor_id"] and counts.in_group(s, g):
                    groups[f"{t}:{g}"].append(s["id"])
    return {"roadmaps": roadmaps, "targets": targets, "groups": groups}


# ---------------------------------------------------------------------------------------------
# Take and discard (inside the approval's / the unlock's transaction)
# ---------------------------------------------------------------------------------------------
def _roadmaps_below(conn, territory_id: int) -> list[dict]:
    return counts.select_rows(conn, """SELECT r.id, r.territory_id FROM roadmap r
                          JOIN territoryclosure cl ON cl.descendant_id = r.territory_id
                          WHERE cl.ancestor_id = :t ORDER BY r.id""", {"t": territory_id})


def subjects_of(conn, territory_id: int) -> list[Subject]:
    """What a roadmap of the territory is shown on: the territory (tiles), its member territories
    (a region's matrix) and every school below it (a municipality's matrix, the school pages)."""
    kids = counts.select_rows(conn, "SELECT descendant_id FROM territoryclosure WHERE ancestor_id = :t AND depth = 1",
                 {"t": territory_id})
    schools = counts.select_rows(conn, """SELECT s.id FROM school s JOIN territoryclosure cl ON cl.descendant_id = s.territory_id
                             WHERE cl.ancestor_id = :t ORDER BY s.id""", {"t": territory_id})
    return ([Subject.territory(territory_id)] + [Subject.territory(k["descendant_id"]) for k in kids]
            + [Subject.school(s["id"]) for s in schools])


@dataclass(frozen=True)
class Prepared:
    """Figures computed before the approval's write transaction, valid while the data version is
    `version` (every write that changes what screens show gives a new one)."""

    version: str
    territory_id: int
    period_id: int
    basis: str
    figures: tuple[dict, ...]


def _version(executor) -> str:
    return executor.execute(text("SELECT value FROM appmeta WHERE key = :k"), {"k": DATA_VERSION_KEY}).scalar() or ""


def _compute(conn, territory_id: int, period: dict) -> tuple[str, list[dict]]:
    """(basis as JSON, the figures without their snapshot id) of every roadmap of the territory and below."""
    cut = period["end"]
    roadmaps = _roadmaps_below(conn, territory_id)
    figures = []
    for rm in roadmaps:
        trows = ev_mod.target_rows(conn, roadmap_id=rm["id"])
        if not trows:
            continue
        results = ev_mod.evaluate_many(conn, trows, subjects_of(conn, rm["territory_id"]), cut)
        by_id = {r["id"]: r for r in trows}
        for (tid, subj), res in results.items():
            e = res.evaluation
            figures.append(dict(
                target_id=tid, subject_kind=subj.kind, subject_id=subj.id,
                grp=None if subj.kind == "school" else ev_mod.group_of(by_id[tid], subj),
                period_id=res.period_id, period_label=res.period_label, value=e.value, baseline=e.baseline,
                target_value=e.target_value, expected=e.expected, progress=e.progress, forecast=e.forecast,
                meets_target=bool(e.meets_target), preliminary=bool(e.preliminary), status=e.status, reason=e.reason,
                n_reported=e.n_reported, n_members=e.n_members, missing_ids=json.dumps(list(e.missing_ids)) if e.missing_ids else None))
    return json.dumps(basis(conn, [r["id"] for r in roadmaps]), ensure_ascii=False), figures


def prepare(engine, territory_id: int, period: dict) -> Prepared | None:
    """The figures an approval would store, computed outside its write transaction (a region's take
    seconds; SQLite's write lock should not wait on them). None when the period has no row yet."""
    if period.get("id") is None:
        return None
    with engine.connect() as conn:
        version = _version(conn)  # first: a write after it changes the version, and `take` recomputes
        basis_json, figures = _compute(conn, territory_id, period)
    return Prepared(version, territory_id, period["id"], basis_json, tuple(figures))


def take(s, territory_id: int, period: dict, *, approved_by: int | None, approved_at: datetime,
         prepared: Prepared | None = None) -> int:
    """Store the evaluated figures of every roadmap of the territory and below as of the period's
    last day. `s`: the approval's write session; `prepared`: figures computed before it, used when
    nothing has been written since (else they are computed again here). Returns the number stored."""
    conn = s.connection()
    discard(s, territory_id, period["id"])
    if (prepared is not None and prepared.territory_id == territory_id and prepared.period_id == period["id"]
            and prepared.version == _version(conn)):
        basis_json, figures = prepared.basis, [dict(f) for f in prepared.figures]
    else:
        basis_json, figures = _compute(conn, territory_id, period)
    snap = ApprovalSnapshot(territory_id=territory_id, period_id=period["id"], cut=period["end"],
                            approved_at=approved_at, approved_by=approved_by, basis=basis_json)
    s.add(snap)
    s.flush()
    for f in figures:
        f["snapshot_id"] = snap.id
    if figures:
        s.execute(insert(ApprovalFigure), figures)
    return len(figures)


def discard(s, territory_id: int, period_id: int) -> int:
    """Remove a territory's snapshot of the period (an unlock). Returns the number of figures removed."""
    ids = [r[0] for r in s.execute(text("SELECT id FROM approvalsnapshot WHERE territory_id = :t AND period_id = :p"),
                                   {"t": territory_id, "p": period_id})]
    if not ids:
        return 0
    stmt = text("DELETE FROM approvalfigure WHERE snapshot_id IN :ids").bindparams(bindparam("ids", expanding=True))
    n = s.execute(stmt, {"ids": ids}).rowcount
    s.execute(text("DELETE FROM approvalsnapshot WHERE id IN :ids").bindparams(bindparam("ids", expanding=True)),
              {"ids": ids})
    return n or 0


# ---------------------------------------------------------------------------------------------
# Reading: the stored figure beside today's
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Change:
    """One thing that changed since the approval: what, when, who (None: not in the audit log)."""

    text: str
    at: datetime | None = None
    by: str | None = None

    def sentence(self) -> str:
        when = f" ({fmt.moment_day(self.at)}" + (f", {self.by}" if self.by else "") + ")" if self.at else ""
        return self.text + when


@dataclass(frozen=True)
class Approved:
    """A figure as approved: the stored evaluation, when and by whom, and — when targets, schools or
    the roadmap changed since — what changed and the figure by today's rules."""

    approved_at: datetime
    approved_by: str | None
    quarter_label: str  # the quarter that was approved
    evaluation: Evaluation  # as approved
    today: Evaluation  # by today's rules and data
    changes: tuple[Change, ...] = ()
    kind: str | None = None  # the target's kind and amount when it was approved (the rule the verdict used)
    amount: float | None = None

    @property
    def label(self) -> str:
        """«утверждены 06.12.2026»."""
        return f"утверждены {fmt.moment_day(self.approved_at)}"  # the office's day

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def changes_text(self) -> str:
        """«С утверждения изменилось: цель 3: значение 60 → 65 (06.12.2026, Методист)»."""
        return "С утверждения изменилось: " + "; ".join(c.sentence() for c in self.changes) + "."

    def today_text(self, unit: str) -> str:
        """«По действующим правилам: 58,1 % — «Отстаёт»»."""
        t = self.today
        return f"По действующим правилам: {fmt.value(t.value, unit)} — «{voc.STATUS_LABELS[t.status]}»"


def _key(tid: int, subj: Subject) -> tuple[int, str, int]:
    return (tid, subj.kind, subj.id)


def overlay(conn, results: dict) -> tuple[dict, dict]:
    """Results {(target id, Subject): Result} with every figure an approval froze put in place of
    today's: (results, {(target id, subject kind, subject id): Approved}). A figure is frozen when a
    snapshot holds the same target and subject at the same period judged, and the screen's cut is not
    before the snapshot's (or the snapshot approved that very period); the latest such approval wins."""
    wanted = {k: res for k, res in results.items() if res is not None and res.period_id is not None}
    if not wanted:
        return results, {}
    by_kind: dict[str, set[int]] = {"school": set(), "territory": set()}
    for (tid, subj) in wanted:
        by_kind[subj.kind].add(subj.id)
    found: dict[tuple, list[dict]] = {}
    for f in counts.select_rows(conn, """
            SELECT f.*, s.approved_at, s.basis, s.territory_id AS snap_territory, s.id AS snap_id, s.cut AS snap_cut,
                   s.period_id AS snap_period,
                   p.label AS quarter_label, u.full_name AS approver, u.login AS approver_login
            FROM approvalfigure f JOIN approvalsnapshot s ON s.id = f.snapshot_id
            JOIN period p ON p.id = s.period_id LEFT JOIN "user" u ON u.id = s.approved_by
            WHERE f.target_id IN :tids AND ((f.subject_kind = 'school' AND f.subject_id IN :schools)
                                            OR (f.subject_kind = 'territory' AND f.subject_id IN :territories))
            ORDER BY s.approved_at, s.id""", {"tids": sorted({tid for tid, _ in wanted}),
                                              "schools": sorted(by_kind["school"]) or [-1],
                                              "territories": sorted(by_kind["territory"]) or [-1]},
            ("tids", "schools", "territories")):
        found.setdefault((f["target_id"], f["subject_kind"], f["subject_id"], f["period_id"]), []).append(f)
    if not found:
        return results, {}
    out, approved, changes, bases = dict(results), {}, {}, {}
    for (tid, subj), res in wanted.items():
        # the latest approval whose cut the screen's has reached (a year judged by a quarter's approval
        # is not «approved» at an earlier cut), or that approved the very period judged
        f = next((x for x in reversed(found.get((tid, subj.kind, subj.id, res.period_id), []))
                  if x["snap_period"] == res.period_id or res.cut >= ev_mod.as_date(x["snap_cut"])), None)
        if f is None:
            continue
        if f["snap_id"] not in changes:
            changes[f["snap_id"]] = _changes(conn, f)
            bases[f["snap_id"]] = json.loads(f["basis"])["targets"]
        then = bases[f["snap_id"]].get(str(tid), {})
        e = res.evaluation
        frozen = replace(e, status=f["status"], value=f["value"], baseline=f["baseline"], target_value=f["target_value"],
                         expected=f["expected"], progress=f["progress"], forecast=f["forecast"],
                         meets_target=bool(f["meets_target"]), preliminary=bool(f["preliminary"]),
                         reason=f["reason"] or "",
                         n_reported=f["n_reported"], n_members=f["n_members"],
                         missing_ids=tuple(json.loads(f["missing_ids"])) if f["missing_ids"] else ())
        out[(tid, subj)] = replace(res, evaluation=frozen)
        approved[_key(tid, subj)] = Approved(
            approved_at=aware_utc(f["approved_at"]), approved_by=f["approver"] or f["approver_login"],
            quarter_label=f["quarter_label"], evaluation=frozen, today=e,
            changes=tuple(c for t, only_groups, c in changes[f["snap_id"]]
                          if t in (None, tid) and (not only_groups or subj.kind == "territory")),
            kind=then.get("kind"), amount=then.get("value"))
    return out, approved


def _changes(conn, f: dict) -> list[tuple[int | None, bool, Change]]:
    """What changed since a snapshot was taken: [(target id, or None for every target; True when it
    concerns a group's figures only (its schools), Change)]."""
    then = json.loads(f["basis"])
    rm_ids = [int(r) for r in then["roadmaps"]]
    now = basis(conn, rm_ids)
    events = counts.select_rows(conn, """
        SELECT e.at, e.login, e.object_id, u.full_name FROM auditevent e LEFT JOIN "user" u ON u.id = e.user_id
        WHERE e.action IN ('roadmap_replaced', 'roadmap_loaded') AND e.object_type = 'roadmap' AND e.at > :at
          AND e.object_id IN :ids
        ORDER BY e.id""", {"at": f["approved_at"], "ids": [str(i) for i in rm_ids]}, expanding=("ids",))
    reloads: dict[int, list[dict]] = {}
    for e in events:
        reloads.setdefault(int(e["object_id"]), []).append(e)

    def stamp(rid: int | None) -> tuple[datetime | None, str | None]:
        e = (reloads.get(rid) or [None])[-1] if rid is not None else None
        if e is None and rid is None and reloads:
            e = max((x for xs in reloads.values() for x in xs), key=lambda x: str(x["at"]))
        return (aware_utc(e["at"]), e["full_name"] or e["login"]) if e else (None, None)

    labels = {r["id"]: r["label"] for r in counts.select_rows(conn, "SELECT id, label FROM period", {})}
    out: list[tuple[int | None, bool, Change]] = []
    for rid, old in then["roadmaps"].items():
        cur = now["roadmaps"].get(rid)
        if cur is None:
            out.append((None, False, Change("дорожная карта удалена")))
        elif cur["upload_id"] != old["upload_id"]:
            when, who = stamp(int(rid))
            out.append((None, False, Change("дорожная карта загружена заново", when, who)))
    for tid, old in then["targets"].items():
        cur = now["targets"].get(tid)
        when, who = stamp(old["roadmap_id"])
        name = f"цель {old['number']}"
        if cur is None:
            out.append((int(tid), False, Change(f"{name} удалена из дорожной карты", when, who)))
            continue
        parts = []
        if cur["kind"] != old["kind"]:
            words = kinds.labels()
            parts.append(f"вид «{words.get(old['kind'], old['kind'])}» → «{words.get(cur['kind'], cur['kind'])}»")
        if cur["value"] != old["value"]:
            parts.append(f"значение {fmt.num(old['value'])} → {fmt.num(cur['value'])}")
        for k, word in (("baseline_period_id", "базовый период"), ("due_period_id", "срок")):
            if cur[k] != old[k]:
                parts.append(f"{word} {labels.get(old[k], '—')} → {labels.get(cur[k], '—')}")
        if cur["applies_to"] != old["applies_to"]:
            parts.append(f"группа {GROUP_WORDS.get(old['applies_to'], old['applies_to'])} → "
                         f"{GROUP_WORDS.get(cur['applies_to'], cur['applies_to'])}")
        if cur["milestones"] != old["milestones"]:
            parts.append("этапы изменены")
        if parts:
            out.append((int(tid), False, Change(f"{name}: " + ", ".join(parts), when, who)))
    names: dict[int, str] = {}
    for key, old in then["groups"].items():
        cur = now["groups"].get(key, [])
        added, gone = sorted(set(cur) - set(old)), sorted(set(old) - set(cur))
        if not added and not gone:
            continue
        if not names:
            names = {r["id"]: r["short_name"] for r in counts.select_rows(conn, "SELECT id, short_name FROM school", {})}
        terr, grp = key.split(":")
        rid = next((int(r) for r, v in then["roadmaps"].items() if str(v["territory_id"]) == terr), None)
        when, who = stamp(rid)
        text_ = f"школы группы «{GROUP_WORDS.get(grp, grp)}»: " + ", ".join(
            [f"добавлена {names.get(i, i)}" for i in added] + [f"выбыла {names.get(i, i)}" for i in gone])
        tids = [int(t) for t, v in then["targets"].items() if v["applies_to"] == grp
                and str(then["roadmaps"].get(str(v["roadmap_id"]), {}).get("territory_id")) == terr]
        out += [(t, True, Change(text_, when, who)) for t in tids]
    return out
