"""The one place where core meets Streamlit's caches: thin cached wrappers of core reads.

Every write in the app calls `clear()` afterwards (explicit invalidation)."""

from __future__ import annotations

from datetime import date

import streamlit as st

from core import queries, settings
from core.auth import Scope
from core.db import ensure_database

READ_TTL_SECONDS = 600


@st.cache_resource(show_spinner="Подготовка базы данных…")
def engine():
    return ensure_database()


def today() -> date:
    """«Сегодня» of the app: the demo clock in the demo database (core.settings.today)."""
    return settings.today(engine())


def demo_clock() -> date | None:
    return settings.demo_clock(engine())


@st.cache_data(ttl=READ_TTL_SECONDS, max_entries=64, show_spinner=False)
def is_demo() -> bool:
    return queries.is_demo(engine())


@st.cache_data(ttl=READ_TTL_SECONDS, max_entries=256, show_spinner=False)
def roadmaps(scope: Scope):
    return queries.roadmaps(scope, engine())


@st.cache_data(ttl=READ_TTL_SECONDS, max_entries=64, show_spinner=False)
def periods():
    return queries.periods(engine())


@st.cache_data(ttl=READ_TTL_SECONDS, max_entries=256, show_spinner=False)
def overview(scope: Scope, roadmap_id: int, as_of: date | None):
    return queries.overview(scope, roadmap_id, as_of, engine())


def clear() -> None:
    """After every write: drop all cached reads."""
    st.cache_data.clear()


@st.cache_data(ttl=READ_TTL_SECONDS, max_entries=256, show_spinner=False)
def schools(scope: Scope):
    return queries.schools(scope, engine())


@st.cache_data(ttl=READ_TTL_SECONDS, max_entries=256, show_spinner=False)
def school_view(scope: Scope, school_id: int):
    return queries.school_view(scope, school_id, engine())


@st.cache_data(ttl=READ_TTL_SECONDS, max_entries=256, show_spinner=False)
def indicator_view(scope: Scope, roadmap_id: int, target_id: int, as_of: date | None):
    return queries.indicator_view(scope, roadmap_id, target_id, as_of, engine(), ov=overview(scope, roadmap_id, as_of))


@st.cache_data(ttl=READ_TTL_SECONDS, max_entries=256, show_spinner=False)
def roadmap_items(scope: Scope, roadmap_id: int, today: date):
    from core import roadmap_view

    return roadmap_view.items(scope, roadmap_id, today, engine())


@st.cache_data(ttl=READ_TTL_SECONDS, max_entries=256, show_spinner=False)
def risk_view(scope: Scope, roadmap_id: int, today: date):
    from core import roadmap_view

    return roadmap_view.risk_view(scope, roadmap_id, today, engine())


@st.cache_data(ttl=READ_TTL_SECONDS, max_entries=8, show_spinner=False)
def indicator_names() -> dict[str, str]:
    return queries.indicator_names(engine())


@st.cache_data(ttl=READ_TTL_SECONDS, max_entries=64, show_spinner=False)
def cycle_territories(scope: Scope):
    from core import cycle

    return cycle.territories(scope, engine())


@st.cache_data(ttl=READ_TTL_SECONDS, max_entries=64, show_spinner=False)
def collection(scope: Scope, territory_id: int, period: str, today: date):
    from core import cycle

    return cycle.collection(scope, territory_id, period, today=today, engine=engine())


@st.cache_data(ttl=READ_TTL_SECONDS, max_entries=256, show_spinner=False)
def approvals(territory_id: int, period_ids: tuple[int, ...]):
    from core import cycle

    return cycle.approvals(territory_id, period_ids, engine())
