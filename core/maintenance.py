"""Backups of the SQLite database (online, with SQLite's backup API) and the integrity check.

Problems are reported, never silently fixed."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

from core import auth, policy
from core.auth import Scope
from core.db import get_engine, make_engine, session_scope
from core.errors import Refused
from core.ingest import value_ranges
from core.settings import DATA_DIR

BACKUP_DIR = DATA_DIR / "backups"


class MaintenanceError(Refused, RuntimeError):
    """A Russian message for the operator."""



def _sqlite_path(engine: Engine) -> Path:
    if engine.dialect.name != "sqlite":
        raise MaintenanceError("Резервные копии из приложения делаются только для SQLite. Для PostgreSQL "
                               "используйте pg_dump (см. README).")
    return Path(engine.url.database)


def _require_admin(scope: Scope, what: str, engine: Engine) -> None:
    auth.require(scope, "maintain", what, engine)


@auth.audits_refusals("резервная копия")
def backup(scope: Scope, engine: Engine | None = None, directory: Path = BACKUP_DIR) -> Path:
    """A consistent copy of the live database (other connections may keep reading and writing)."""
    engine = engine or get_engine()
    _require_admin(scope, "резервное копирование", engine)
    src = _sqlite_path(engine)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-%f")
    dest = directory / f"{src.stem}-{stamp}.db"
    with sqlite3.connect(src, timeout=30) as a, sqlite3.connect(dest) as b:
        a.backup(b)
    with session_scope(engine, write=True, data=False) as s:
        auth.audit(s, "backup_made", user_id=scope.user_id, login=scope.login, details={"file": dest.name})
    return dest


def list_backups(directory: Path = BACKUP_DIR) -> list[dict]:
    if not directory.exists():
        return []
    return [{"name": p.name, "size": p.stat().st_size,
             "made": datetime.fromtimestamp(p.stat().st_mtime, timezone.utc)}
            for p in sorted(directory.glob("*.db"), reverse=True)]


@auth.audits_refusals("восстановление из резервной копии")
def restore(scope: Scope, name: str, *, confirm: bool, engine: Engine | None = None,
            directory: Path = BACKUP_DIR) -> Path:
    """Replace the live database with a backup. The current state is saved first as a backup of its
    own, so a restore can itself be undone."""
    engine = engine or get_engine()
    _require_admin(scope, "восстановление из резервной копии", engine)
    if not confirm:
        raise MaintenanceError("Восстановление заменит все текущие данные. Подтвердите его явно.")
    path = directory / Path(name).name
    if not path.exists():
        raise MaintenanceError(f"Резервная копия «{name}» не найдена.")
    with sqlite3.connect(path) as check:
        if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise MaintenanceError(f"Резервная копия «{name}» повреждена; восстановление отменено.")
    before = backup(scope, engine, directory)
    dest = _sqlite_path(engine)
    staged = dest.with_name(dest.name + ".restoring")
    staged.unlink(missing_ok=True)
    with sqlite3.connect(path) as a, sqlite3.connect(staged) as b:
        a.backup(b)
    with engine.connect() as c:
        open_now = c.execute(text("SELECT COUNT(*) FROM authsession WHERE revoked_at IS NULL")).scalar()
    # The copy brings back the sessions open when it was made (a logged-out one among them): they
    # end in the staged copy, with the audit entry, BEFORE it replaces the live database, so the
    # swap is the one step that ends every session — the live ones vanish with the live data, the
    # copy's arrive already ended. A restore that dies before the swap leaves the live database as
    # it was; after it, nothing of the copy is valid. Everybody logs in again (the administrator
    # too), with the restored passwords.
    staged_engine = make_engine(f"sqlite:///{staged}")
    try:
        with session_scope(staged_engine, write=True) as s:
            ended = auth.revoke_all_sessions(s)
            auth.audit(s, "backup_restored", user_id=scope.user_id, login=scope.login,
                       details={"file": path.name, "saved_before": before.name,
                                "sessions_ended": (open_now or 0) + ended})
    finally:
        staged_engine.dispose()
    with sqlite3.connect(staged) as a, sqlite3.connect(dest, timeout=30) as b:
        a.backup(b)  # one step (all pages, one write transaction): readers see the old or the new
    for leftover in (staged, staged.with_name(staged.name + "-wal"), staged.with_name(staged.name + "-shm")):
        leftover.unlink(missing_ok=True)
    auth.sessions_ended()  # the open websockets of this server close now (server/sockets.py)
    return before


@dataclass(frozen=True)
class Finding:
    check: str
    count: int
    detail: str


def integrity(engine: Engine | None = None) -> list[Finding]:
    """Foreign keys, the summary against the measurements, orphans. Empty list: all is well."""
    engine = engine or get_engine()
    out: list[Finding] = []
    with engine.connect() as c:
        if engine.dialect.name == "sqlite":
            bad = c.exec_driver_sql("PRAGMA foreign_key_check").all()
            if bad:
                tables = sorted({r[0] for r in bad})
                out.append(Finding("foreign_keys", len(bad), "ссылки на несуществующие записи в таблицах: "
                                   + ", ".join(tables)))
        orphan_sql = {
            "measurement_school_territory": ("SELECT COUNT(*) FROM measurement m JOIN school s ON s.id = m.school_id "
                                             "WHERE s.territory_id <> m.territory_id",
                                             "значения школы записаны не на её территорию"),
            "territory_closure": ("SELECT COUNT(*) FROM territory t WHERE NOT EXISTS (SELECT 1 FROM territoryclosure "
                                  "c WHERE c.ancestor_id = t.id AND c.descendant_id = t.id)",
                                  "территории без записи в дереве территорий"),
            "share_parts": ("SELECT COUNT(*) FROM measurement m JOIN indicator i ON i.id = m.indicator_id "
                            "WHERE i.value_kind = 'share' AND m.value IS NOT NULL AND (m.numerator IS NULL OR "
                            "m.denominator IS NULL OR m.numerator > m.denominator)",
                            "доли без числителя или знаменателя, или числитель больше знаменателя"),
            "uploads_without_file": ("SELECT COUNT(*) FROM upload WHERE status = 'applied' AND content IS NULL",
                                     "записанные загрузки без исходного файла"),
        }
        for name, (sql, what) in orphan_sql.items():
            n = c.execute(text(sql)).scalar()
            if n:
                out.append(Finding(name, n, what))
        # the summary must equal what the measurements give, at every level of the tree
        diff = c.execute(text("""
            WITH fresh AS (
                SELECT cl.ancestor_id AS territory_id, m.indicator_id, m.period_id, COUNT(m.value) AS n,
                       COALESCE(SUM(CASE WHEN m.denominator > 0 AND m.numerator IS NOT NULL THEN m.numerator END), 0) AS sn,
                       COALESCE(SUM(CASE WHEN m.denominator > 0 AND m.numerator IS NOT NULL THEN m.denominator END), 0) AS sd
                FROM measurement m JOIN territoryclosure cl ON cl.descendant_id = m.territory_id
                WHERE m.school_id IS NOT NULL
                GROUP BY cl.ancestor_id, m.indicator_id, m.period_id)
            SELECT COUNT(*) FROM (
                SELECT f.territory_id FROM fresh f LEFT JOIN measurementsummary s
                  ON s.territory_id = f.territory_id AND s.indicator_id = f.indicator_id
                 AND s.period_id = f.period_id AND s.grp = 'all'
                WHERE s.id IS NULL OR s.n_schools <> f.n OR ABS(s.sum_numerator - f.sn) > 1e-6
                   OR ABS(s.sum_denominator - f.sd) > 1e-6
                UNION ALL
                SELECT s.territory_id FROM measurementsummary s LEFT JOIN fresh f
                  ON s.territory_id = f.territory_id AND s.indicator_id = f.indicator_id AND s.period_id = f.period_id
                WHERE s.grp = 'all' AND f.territory_id IS NULL AND s.n_schools > 0) d""")).scalar()
        if diff:
            out.append(Finding("summary", diff, "сводная таблица расходится со значениями показателей "
                                                "(исправляется командой python -m core.cli recount)"))
    outside = value_ranges.stored_outside(engine)
    if outside:
        from core.formatting import num

        shown = "; ".join(f"«{o['school']}», {o['indicator']} ({o['part']}), {o['period']}: {num(o['value'], 2)} "
                          f"(допустимо от 0 до {num(o['top'], 0)})" for o in outside[:5])
        out.append(Finding("value_range", len(outside), "значения вне допустимого диапазона"
                           + (" (показаны первые 50)" if len(outside) >= 50 else "") + ": " + shown
                           + (" …" if len(outside) > 5 else "")
                           + " — исправьте их на странице «Ввод данных» или отмените загрузку"))
    return out


LAST_CHECK: dict[str, tuple[datetime, list[Finding]]] = {}  # database URL -> (when, findings) of the start-up check


def startup_check(engine: Engine) -> None:
    import logging

    log = logging.getLogger("monitoring")
    try:
        findings = integrity(engine)
    except Exception as exc:  # noqa: BLE001 - a failed check is reported, not fatal
        log.error("Проверка целостности при запуске не выполнена: %s", exc)
        return
    LAST_CHECK[str(engine.url)] = (datetime.now(timezone.utc), findings)
    for f in findings:
        log.warning("Проверка целостности: %s — %s (%d)", f.check, f.detail, f.count)
