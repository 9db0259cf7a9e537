"""Start-up of a database: the schema upgraded to the newest Alembic revision, the demo built when
the settings ask for it, the integrity check started — once per process and URL. The server
(`app.py`, `server/`), the Streamlit shell (`ui/`) and the command-line tools call
`ensure_database`; `core.db` only makes engines and sessions."""

from __future__ import annotations

import threading

from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from core.db import get_engine
from core.settings import ROOT, get_settings

_ready: set[str] = set()
_ready_lock = threading.RLock()  # one start-up per URL at a time (engines have their own lock in core.db)


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> None:
    from alembic import command

    url = url or get_settings().database_url
    get_engine(url)  # creates the SQLite folder
    command.upgrade(alembic_config(url), revision)


def is_empty(engine: Engine) -> bool:
    """True when the database has no schema of ours yet."""
    return "alembic_version" not in inspect(engine).get_table_names()


def ensure_database(url: str | None = None) -> Engine:
    """Upgrade to head and build the demo if settings ask for it; once per process and URL."""
    from core import demo, maintenance

    settings = get_settings()
    url = url or settings.database_url
    with _ready_lock:
        engine = get_engine(url)
        if url in _ready:
            return engine
        fresh = is_empty(engine)
        upgrade(url)
        if demo.should_build(engine, fresh=fresh, settings=settings, url=url):
            demo.build(engine)
        # Reported, never silently fixed; in the background, so a large database does not delay the start.
        threading.Thread(target=maintenance.startup_check, args=(engine,), daemon=True,
                         name="integrity-check").start()
        _ready.add(url)
        return engine


def forget(url: str) -> None:
    """The next `ensure_database(url)` starts the database up again (tests that drop or copy it)."""
    _ready.discard(url)
