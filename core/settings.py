"""Configuration from the environment (and `.streamlit/secrets.toml`), with safe defaults.

Nothing secret lives in the repository. Every setting has one name, read here only.
"""

from __future__ import annotations

import os
import threading
import tomllib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
DEFAULT_SQLITE_PATH = DATA_DIR / "monitoring.db"
DEFAULT_DEMO_TODAY = "2024-10-15"
DEFAULT_TIME_ZONE = "Europe/Moscow"


def _secrets() -> dict:
    path = ROOT / ".streamlit" / "secrets.toml"
    if path.exists():
        with path.open("rb") as fh:
            return tomllib.load(fh)
    return {}


def _get(name: str, default: str | None = None) -> str | None:
    if name in os.environ:
        return os.environ[name]
    value = _secrets().get(name)
    return str(value) if value is not None else default


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "да"}


@dataclass(frozen=True)
class Settings:
    database_url: str
    # "auto": build the demo database when the default SQLite file does not exist yet;
    # "1": build the demo into an empty database whatever the URL; "0": never.
    demo: str
    session_hours: float
    idle_minutes: float
    secure_cookie: bool
    login_max_failures: int
    login_window_minutes: float
    # Addresses (or CIDR networks) of reverse proxies whose X-Forwarded-For is believed; none by
    # default: the client is the TCP peer.
    trusted_proxies: tuple[str, ...] = ()
    # Distinct logins failing from one address within the window before that address waits too.
    login_ip_max_logins: int = 10
    # The longest wait that repeated failures can impose (progressive delay, never a hard lock).
    login_max_delay_seconds: float = 300.0
    # «Сегодня» of the demo database (DEMO_TODAY, ISO date): the demo's roadmaps and measurements
    # describe 2020–2024, so the demo shows them as of a day inside seed 000's year. None: the real date.
    demo_today: date | None = None
    # A group's target gets a status only when at least this share of its schools reported both
    # the period and the baseline (like for like); below it «Нет данных» with the reason.
    min_coverage: float = 0.8
    # The office's time zone (TIME_ZONE, an IANA name): every time shown — pages, logs, documents, the
    # CLI — is in it («06.12.2026 20:34»); timestamps are stored in UTC.
    time_zone: str = "Europe/Moscow"
    # A request body that sends nothing for this long is cut (408): see server/limits.py.
    request_body_seconds: float = 30.0

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def is_default_sqlite(self) -> bool:
        return self.database_url == f"sqlite:///{DEFAULT_SQLITE_PATH}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    url = _get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        # psycopg 3 is the driver; accept the plain URL people copy from their hosting.
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return Settings(
        database_url=url,
        demo=(_get("MONITORING_DEMO", "auto") or "auto").lower(),
        session_hours=float(_get("SESSION_HOURS", "12")),
        idle_minutes=float(_get("SESSION_IDLE_MINUTES", "240")),
        secure_cookie=_bool(_get("SECURE_COOKIE"), False),
        login_max_failures=int(_get("LOGIN_MAX_FAILURES", "5")),
        login_window_minutes=float(_get("LOGIN_WINDOW_MINUTES", "15")),
        trusted_proxies=tuple(p.strip() for p in (_get("TRUSTED_PROXIES", "") or "").split(",") if p.strip()),
        login_ip_max_logins=int(_get("LOGIN_IP_MAX_LOGINS", "10")),
        login_max_delay_seconds=float(_get("LOGIN_MAX_DELAY_SECONDS", "300")),
        demo_today=_date(_get("DEMO_TODAY", DEFAULT_DEMO_TODAY)),
        min_coverage=float(_get("MIN_COVERAGE_PERCENT", "80")) / 100.0,
        time_zone=_zone(_get("TIME_ZONE", DEFAULT_TIME_ZONE)),
        request_body_seconds=float(_get("REQUEST_BODY_SECONDS", "30")),
    )


def _zone(value: str | None) -> str:
    """An IANA time zone name (Europe/Moscow, Asia/Yekaterinburg …); empty means the default."""
    from zoneinfo import ZoneInfo

    value = (value or "").strip() or DEFAULT_TIME_ZONE
    try:
        ZoneInfo(value)
    except (ValueError, LookupError):  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"TIME_ZONE: неизвестный часовой пояс «{value}»; ожидается имя вроде Europe/Moscow "
                         "или Asia/Yekaterinburg") from None
    return value


def _date(value: str | None) -> date | None:
    """An ISO date; empty, "0", "off" or "нет" mean the real date."""
    value = (value or "").strip()
    if value.lower() in ("", "0", "off", "false", "no", "нет"):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"DEMO_TODAY: ожидается дата вида 2024-10-15, получено «{value}»") from None


def reset_settings_cache() -> None:
    get_settings.cache_clear()


# ---------------------------------------------------------------------------------------------
# «Сегодня»: the real date, or the demo clock in the demo database
# ---------------------------------------------------------------------------------------------
_demo_urls: dict[str, bool] = {}
_demo_lock = threading.Lock()


def _is_demo_database(engine) -> bool:
    key = str(engine.url)
    with _demo_lock:
        if key in _demo_urls:
            return _demo_urls[key]
    from sqlalchemy import text  # here: core.db imports this module

    try:
        with engine.connect() as c:
            flag = c.execute(text("SELECT value FROM appmeta WHERE key = 'demo'")).scalar() == "1"
    except Exception:  # not migrated yet: no demo
        return False
    with _demo_lock:
        _demo_urls[key] = flag
    return flag


def forget_demo_flag(engine=None) -> None:
    """After building the demo (or in tests): read the database's demo flag again."""
    with _demo_lock:
        if engine is None:
            _demo_urls.clear()
        else:
            _demo_urls.pop(str(engine.url), None)


def demo_clock(engine) -> date | None:
    """The demo clock (DEMO_TODAY, by default 2024-10-15) when `engine` is the demo database; None
    otherwise. Pages show it on screen when it is in force. The caller gives the engine: settings
    know no database (core.db imports this module, never the other way round)."""
    demo_today = get_settings().demo_today
    if demo_today is None:
        return None
    return demo_today if _is_demo_database(engine) else None


def office_date() -> date:
    """The real date where the office is (TIME_ZONE): at 00:30 in Moscow it is already tomorrow, whatever
    the server's own clock says."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(get_settings().time_zone)).date()


def today(engine) -> date:
    """The date the app treats as «сегодня» in the database `engine`: the demo clock in the demo
    database, else the real date in the office's time zone."""
    return demo_clock(engine) or office_date()
