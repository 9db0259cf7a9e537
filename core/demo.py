"""The demo database: the five seed roadmaps as transcribed in data/roadmaps/*.xlsx, loaded through
the roadmap importer, plus demo-only content from data/demo/reference.json (invented schools for
Невинномысск, demo accounts, synthetic measurements), all flagged as demo (the app says so on
every screen).

Built on the first start when there is no database yet (see `should_build`), or by
`python -m core.cli build-demo` (start-up builds the demo; the demo knows nothing of start-up).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core import auth, settings, summary
from core.roadmap_view import write_status
from core.db import session_scope
from core import periods as periods_mod
from core import roadmap_book
from core.models import (Activity, AppMeta, AuditEvent, ControlPoint, CuratorLink, Indicator, Measurement, Period,
                         Roadmap, School, Target, Territory, Upload, User)
from core.settings import DATA_DIR, Settings
from core.targets import period_t

REFERENCE = DATA_DIR / "demo" / "reference.json"
ROADMAPS = DATA_DIR / "roadmaps"
DEMO_PASSWORD = "demo"


def should_build(engine: Engine, *, fresh: bool, settings: Settings, url: str) -> bool:
    """Build the demo into a new database: always with MONITORING_DEMO=1, never with 0, and with
    "auto" (the default) only for the default SQLite file."""
    if settings.demo in ("0", "false", "no"):
        return False
    if not _is_empty_of_data(engine):
        return False
    if settings.demo in ("1", "true", "yes"):
        return True
    return fresh and settings.is_default_sqlite and url == settings.database_url


def _is_empty_of_data(engine: Engine) -> bool:
    with session_scope(engine) as s:
        return _is_empty_of_data_session(s)


# ---------------------------------------------------------------------------------------------
# Periods: created on demand, like any upload does (no fixed list)
# ---------------------------------------------------------------------------------------------
def _series_codes(first: str, last: str) -> list[str]:
    return [p.code for p in periods_mod.series(periods_mod.parse(first), periods_mod.parse(last))]


def demo_period_codes(ref: dict) -> list[str]:
    """The periods the demo's synthetic values fill (the roadmaps bring their own)."""
    codes: list[str] = []
    for spec in ref["demo_series"]:
        codes += _series_codes(spec["from"], spec["to"])
    for spec in ref["demo_flags"]:
        codes += spec["periods"]
    for spec in ref["demo_territory_values"]:
        codes += list(spec["values"])
    return list(dict.fromkeys(codes))


# ---------------------------------------------------------------------------------------------
# Synthetic values
# ---------------------------------------------------------------------------------------------
def _unit(seed: str) -> float:
    """A deterministic number in [-1, 1) from a string."""
    h = int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16)
    return h / 0x80000000 - 1.0


def _interp(knots: dict[str, float], periods: dict[str, Period], t: float) -> float:
    pts = sorted((period_t(periods[k].end), v) for k, v in knots.items())
    if t <= pts[0][0]:
        return pts[0][1]
    for (t0, v0), (t1, v1) in zip(pts, pts[1:]):
        if t <= t1:
            return v0 + (v1 - v0) * (t - t0) / (t1 - t0)
    return pts[-1][1]


def _series_periods(periods: dict[str, Period], first: str, last: str) -> list[Period]:
    return [periods[code] for code in _series_codes(first, last)]


def _school_offsets(schools: list[School], spread: float, key: str) -> dict[int, float]:
    """Per-school offsets in [-spread, spread], centred on zero within target and other schools."""
    out: dict[int, float] = {}
    for group in ([s for s in schools if s.is_shnor or s.is_shnsu], [s for s in schools if not (s.is_shnor or s.is_shnsu)]):
        raw = {s.id: _unit(f"{key}:{s.code}") * spread for s in group}
        mean = sum(raw.values()) / len(raw) if raw else 0.0
        out.update({k: v - mean for k, v in raw.items()})
    return out


def _demo_measurements(session: Session, ref: dict, periods: dict[str, Period], terr: dict[str, Territory],
                       inds: dict[str, Indicator], schools_by_code: dict[str, School]) -> list[Measurement]:
    rows: list[Measurement] = []
    for spec in ref["demo_series"]:
        t = terr[spec["territory"]]
        ind = inds[spec["indicator"]]
        schools = [s for s in schools_by_code.values() if s.territory_id == t.id]
        offsets = _school_offsets(schools, spec["spread"], ind.code)
        skip = {(x["school"], x["period"]) for x in spec.get("skip", [])}
        for p in _series_periods(periods, spec["from"], spec["to"]):
            base_v = _interp(spec["knots"], periods, period_t(p.end))
            for s in schools:
                if (s.code, p.code) in skip:
                    continue
                target = s.is_shnor or s.is_shnsu
                noise = _unit(f"{ind.code}:{s.code}:{p.code}") * 0.6
                v = base_v + offsets[s.id] + noise + (0 if target else spec["others_offset"])
                if ind.value_kind == "share":
                    den = {"pupils": s.pupils, "teachers": s.teachers, "pupils_x10": (s.pupils or 0) * 10}[spec["base"]]
                    numr = max(0, min(den, round(den * v / 100.0)))
                    rows.append(Measurement(territory_id=t.id, school_id=s.id, indicator_id=ind.id, period_id=p.id,
                                            numerator=numr, denominator=den, value=100.0 * numr / den, is_demo=True))
                else:
                    rows.append(Measurement(territory_id=t.id, school_id=s.id, indicator_id=ind.id, period_id=p.id,
                                            value=float(max(0, round(v))), is_demo=True))
    for spec in ref["demo_flags"]:
        t = terr[spec["territory"]]
        ind = inds[spec["indicator"]]
        for code in spec["periods"]:
            p = periods[code]
            for s in (s for s in schools_by_code.values() if s.territory_id == t.id):
                since = spec["true_from"].get(s.code)
                flag = since is not None and periods[since].end <= p.end
                rows.append(Measurement(territory_id=t.id, school_id=s.id, indicator_id=ind.id, period_id=p.id,
                                        value=1.0 if flag else 0.0, is_demo=True))
    for spec in ref["demo_territory_values"]:
        t = terr[spec["territory"]]
        ind = inds[spec["indicator"]]
        for code, (numr, den) in spec["values"].items():
            rows.append(Measurement(territory_id=t.id, school_id=None, indicator_id=ind.id,
                                    period_id=periods[code].id, numerator=numr, denominator=den,
                                    value=100.0 * numr / den, is_demo=True))
    return rows


# ---------------------------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------------------------
def load_reference(path: Path = REFERENCE) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def roadmap_files(directory: Path = ROADMAPS) -> list[Path]:
    return sorted(directory.glob("*.xlsx"))


def build(engine: Engine, reference: dict | None = None, roadmaps: list[Path] | None = None,
          today: date | None = None) -> dict[str, int]:
    """Fill an empty database with the demo, in one transaction: every roadmap in data/roadmaps/
    loaded through the roadmap importer (the same checks as an upload), the invented schools of
    Невинномысск, the demo accounts, synthetic measurements and the statuses of the roadmaps' items as
    of the demo clock (`today`, by default DEMO_TODAY). Returns row counts."""
    ref = reference or load_reference()
    files = roadmap_files() if roadmaps is None else roadmaps
    scope = auth.system_scope()
    with session_scope(engine, write=True) as s:
        if not _is_empty_of_data_session(s):
            raise RuntimeError("В базе уже есть данные: демонстрационные данные загружаются только в пустую базу.")
        n_activities = 0
        for i, path in enumerate(files):
            data = path.read_bytes()
            pv = roadmap_book.prepare(scope, data, path.name, engine, connection=s.connection())
            if not pv.ok:
                raise RuntimeError(f"{path.name}: " + "; ".join(p.text for p in pv.errors[:10]))
            roadmap_book.write_checked(s, scope, pv, data, is_demo=True)
            n_activities += len(pv.activities)
            if i == 0:  # the invented schools right after their territory (stable ids for the demo accounts)
                _add_demo_schools(s, ref)
        if not files:
            _add_demo_schools(s, ref)
        s.flush()
        terr = {t.code: t for t in s.exec(select(Territory)).all()}
        schools = {x.code: x for x in s.exec(select(School)).all()}
        inds = {x.code: x for x in s.exec(select(Indicator)).all()}
        for link in ref["curator_links"]:
            s.add(CuratorLink(curator_school_id=schools[link["curator"]].id, school_id=schools[link["school"]].id))
        for u in ref["users"]:
            auth.create_user(s, login=u["login"], password=DEMO_PASSWORD, full_name=u["full_name"], role=u["role"],
                             territory_id=terr[u["territory"]].id if u.get("territory") else None,
                             school_id=schools[u["school"]].id if u.get("school") else None, check_rules=False)
        periods_mod.ensure(s, demo_period_codes(ref))
        periods = {p.code: p for p in s.exec(select(Period)).all()}
        rows = _demo_measurements(s, ref, periods, terr, inds, schools)
        s.add_all(rows)
        s.flush()
        summary.refresh(s)
        clock = today or settings.get_settings().demo_today or settings.office_date()
        n_statuses = apply_statuses(s, ref, clock)
        s.add(AppMeta(key="demo", value="1"))
        s.add(AppMeta(key="demo_built_at", value=settings.office_date().isoformat()))
        auth.audit(s, "demo_built", login="system", details={"measurements": len(rows), "roadmaps": [p.name for p in files]})
        _stamp_in_demo_time(s, clock, periods)
        result = {"territories": len(terr), "schools": len(schools), "indicators": len(inds),
                  "roadmaps": len(files), "activities": n_activities,
                  "targets": s.exec(select(func.count()).select_from(Target)).one(), "measurements": len(rows),
                  "statuses": n_statuses}
    settings.forget_demo_flag(engine)
    return result


def _stamp_in_demo_time(s: Session, today: date, periods: dict[str, Period]) -> None:
    """The demo's records stamped in the demo's time, not the day it was built: a demo living on
    15.10.2024 shows its marks, accounts, roadmap files and journal entries as made that morning
    (09:00 in TIME_ZONE), and each quarter's values as entered a week after the quarter ended (never
    after the demo's «сегодня»). Stored in UTC like every timestamp."""
    zone = ZoneInfo(settings.get_settings().time_zone)

    def at(day: date, hour: int) -> datetime:
        return datetime.combine(day, time(hour), tzinfo=zone).astimezone(timezone.utc)

    made = at(today, 9)
    s.flush()
    s.execute(update(AuditEvent).values(at=made))
    s.execute(update(Upload).values(uploaded_at=made))
    s.execute(update(User).values(created_at=made, password_changed_at=made))
    for p in periods.values():
        s.execute(update(Measurement).where(col(Measurement.period_id) == p.id, col(Measurement.is_demo) == True)  # noqa: E712
                  .values(entered_at=at(min(p.end + timedelta(days=7), today), 12)))


def _pick(shares: dict[str, float], u: float) -> str:
    """The status whose cumulative share first exceeds u (u in [0, 1))."""
    acc = 0.0
    for status, share in shares.items():
        acc += share
        if u < acc:
            return status
    return list(shares)[-1]


def apply_statuses(s: Session, ref: dict, today: date) -> int:
    """Give the roadmaps' activities and control points the demo's statuses as of `today` (the demo
    clock), through the status rules (`roadmap_view.write_status`, audited, marked demo): a realistic
    mix of done, in progress and overdue items drawn from the shares in reference.json. Returns the
    number of items changed."""
    spec = ref["demo_statuses"]
    scope = auth.Scope(user_id=None, login="demo", role="admin", territory_ids=None, school_ids=None)
    overrides = {(o["roadmap"], o["kind"], o["number"]): o["status"] for o in spec.get("overrides", [])}
    roadmaps = {r.id: r for r in s.exec(select(Roadmap)).all()}
    items: list[tuple[str, Activity | ControlPoint]] = [
        ("activity", a) for a in s.exec(select(Activity).order_by(col(Activity.id))).all()]
    items += [("control_point", c) for c in s.exec(select(ControlPoint).order_by(col(ControlPoint.id))).all()]
    changed = 0
    for kind, obj in items:
        rm = roadmaps[obj.roadmap_id]
        key = f"{rm.code}:{kind}:{obj.number}:{getattr(obj, 'stage', '')}"
        u = (_unit("status:" + key) + 1.0) / 2.0
        due = obj.due_date
        finished = (rm.year_to or rm.year_from or today.year) < today.year
        if due is None:
            shares = spec["undated_closed"] if finished else spec["undated_open"]
        elif due < today:
            shares = spec["past"]
        elif (due - today).days <= spec["soon_days"]:
            shares = spec["soon"]
        else:
            shares = spec["later"]
        status = overrides.get((rm.code, kind, obj.number)) or _pick(shares, u)
        completed_on = evidence = None
        if status == "done":
            end = due or date(rm.year_to or today.year, 12, 20)
            completed_on = min(end - timedelta(days=int(u * 1000) % 21), today - timedelta(days=1))
            evidence = spec["done_evidence"][int(u * 7919) % len(spec["done_evidence"])]
        elif status == "cancelled":
            evidence = spec["cancelled_reason"]
        if status != obj.status:
            write_status(s, scope, kind, obj, status, completed_on=completed_on, evidence=evidence, today=today,
                         demo=True)
            changed += 1
    s.flush()
    return changed


def _add_demo_schools(s: Session, ref: dict) -> None:
    terr = {t.code: t for t in s.exec(select(Territory)).all()}
    for x in ref["schools"]:
        x = dict(x)
        x["territory_id"] = terr[x.pop("territory")].id
        s.add(School(**x))
    s.flush()


def _is_empty_of_data_session(s: Session) -> bool:
    return (s.exec(select(func.count()).select_from(User)).one() == 0
            and s.exec(select(func.count()).select_from(School)).one() == 0)
