"""The one place where core meets Streamlit's caches: thin cached wrappers of core reads.

Every cached read is keyed on the database's data version (`core.db.data_version`, read once per
script run by `refresh_version`), which every write transaction bumps, from this app, the command
line or another server process: a cache never shows figures from before a write. A page that
wrote calls `refresh_version()` so that the rest of its run reads after the write; nobody empties
the caches (that would cost every other user's session its cached reads)."""

from __future__ import annotations

import functools
from datetime import date

import streamlit as st

from core import settings
from core.read import curated as curated_read
from core.read import indicator as indicator_read
from core.read import lists
from core.read import overview as overview_read
from core.read import school as school_read
from core.auth import Scope
from core.db import data_version
from core.startup import ensure_database

READ_TTL_SECONDS = 600
VERSION_KEY = "_data_version"


def refresh_version() -> str:
    """Read the data version (one primary-key read); called at the start of every script run and
    of every fragment rerun that reads cached data."""
    v = data_version(engine())
    st.session_state[VERSION_KEY] = v
    return v


def _current_version() -> str:
    v = st.session_state.get(VERSION_KEY)
    return v if v is not None else refresh_version()


def view_key(value):
    """What a cached read may depend on: a Scope stands for what it lets its user see (role,
    territories, schools, own school), never for who the user is, so that the twenty users of one
    territory at a meeting share one computed overview instead of computing it twenty times. A
    user with another view gets another entry; core still checks access on every computation
    (and no cached read of core depends on the user's id or login)."""
    if isinstance(value, Scope):
        return ("scope", value.role, None if value.territory_ids is None else tuple(sorted(value.territory_ids)),
                None if value.school_ids is None else tuple(sorted(value.school_ids)), value.own_school_id)
    return value


def cached(**cache_kwargs):
    """`st.cache_data` keyed on the data version and the arguments (a Scope by `view_key`; a keyword
    argument whose name starts with "_" is passed through but is not part of the key)."""
    def deco(fn):
        def versioned(data_version: str, key: tuple, _args: tuple, _kwargs: dict):
            # `_args`/`_kwargs` (the real Scope among them) are not hashed: `key` stands for them
            return fn(*_args, **_kwargs)

        # Streamlit keys a cache by the function's module, qualified name and source; the source of
        # `versioned` is the same for every function, so the name must tell them apart.
        versioned.__qualname__ = f"{fn.__qualname__}__versioned"
        versioned.__module__ = fn.__module__
        inner = st.cache_data(**cache_kwargs)(versioned)

        @functools.wraps(fn)
        def call(*args, **kwargs):
            key = (tuple(view_key(a) for a in args),
                   tuple(sorted((k, view_key(v)) for k, v in kwargs.items() if not k.startswith("_"))))
            return inner(_current_version(), key, args, kwargs)

        call.clear = inner.clear
        return call

    return deco


@st.cache_resource(show_spinner="Подготовка базы данных…")
def engine():
    return ensure_database()


def today() -> date:
    """«Сегодня» of the app: the demo clock in the demo database (core.settings.today)."""
    return settings.today(engine())


def demo_clock() -> date | None:
    return settings.demo_clock(engine())


@cached(ttl=READ_TTL_SECONDS, max_entries=64, show_spinner=False)
def is_demo() -> bool:
    return lists.is_demo(engine())


@cached(ttl=READ_TTL_SECONDS, max_entries=256, show_spinner=False)
def roadmaps(scope: Scope):
    return lists.roadmaps(scope, engine())


@cached(ttl=READ_TTL_SECONDS, max_entries=64, show_spinner=False)
def periods():
    return lists.periods(engine())


@cached(ttl=READ_TTL_SECONDS, max_entries=512, show_spinner=False)
def figure(name: str, scope: Scope, *key, _build):
    """A chart built once per data version, view (`scope`) and `name` + `key` for every session
    (each gets its own copy): `_build()` makes it. `name` and `key` must name everything the chart
    depends on besides the data and the view (roadmap, cut, target, sizes). Building an Altair
    chart was ~60 % of a warm overview run's CPU (issue 17)."""
    return _build()


def drawn(chart) -> tuple:
    """`(chart, spec)`: the chart with the Vega-Lite spec that `st.altair_chart` would send for it
    (Streamlit 1.67's own conversion, its schema validation included — that conversion was most
    of a warm overview run's CPU), to be cached with the chart by `figure` and drawn by
    `ui.common.chart_with_downloads(..., spec=spec)` without converting again."""
    from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

    return chart, _convert_altair_to_vega_lite_spec(chart)


@cached(ttl=READ_TTL_SECONDS, max_entries=256, show_spinner=False)
def overview(scope: Scope, roadmap_id: int, as_of: date | None):
    return overview_read.overview(scope, roadmap_id, as_of, engine())


@cached(ttl=READ_TTL_SECONDS, max_entries=256, show_spinner=False)
def schools(scope: Scope):
    """The user's schools, by territory and then in natural order («СОШ № 2» before «СОШ № 14»)."""
    from core.formatting import natural_key

    return tuple(sorted(lists.schools(scope, engine()), key=lambda s: (s.territory, natural_key(s.short_name))))


@cached(ttl=READ_TTL_SECONDS, max_entries=256, show_spinner=False)
def school_view(scope: Scope, school_id: int, as_of: date | None = None):
    return school_read.school_view(scope, school_id, engine(), as_of=as_of)


@cached(ttl=READ_TTL_SECONDS, max_entries=256, show_spinner=False)
def school_indicators(scope: Scope, school_id: int, cut: date):
    from core import school_plan

    return school_plan.school_indicators(scope, school_id, cut, engine())


@cached(ttl=READ_TTL_SECONDS, max_entries=256, show_spinner=False)
def control_points(scope: Scope, school_id: int, target_ids: tuple[int, ...]):
    from core import school_plan

    return school_plan.control_points(scope, school_id, list(target_ids), engine())


@cached(ttl=READ_TTL_SECONDS, max_entries=256, show_spinner=False)
def indicator_view(scope: Scope, roadmap_id: int, target_id: int, as_of: date | None):
    return indicator_read.indicator_view(scope, roadmap_id, target_id, as_of, engine(),
                                        ov=overview(scope, roadmap_id, as_of))


@cached(ttl=READ_TTL_SECONDS, max_entries=256, show_spinner=False)
def roadmap_items(scope: Scope, roadmap_id: int, today: date):
    from core import roadmap_view

    return roadmap_view.items(scope, roadmap_id, today, engine())


@cached(ttl=READ_TTL_SECONDS, max_entries=256, show_spinner=False)
def risk_view(scope: Scope, roadmap_id: int, today: date):
    from core import roadmap_view

    return roadmap_view.risk_view(scope, roadmap_id, today, engine())


@cached(ttl=READ_TTL_SECONDS, max_entries=8, show_spinner=False)
def indicator_names() -> dict[str, str]:
    return lists.indicator_names(engine())


@cached(ttl=READ_TTL_SECONDS, max_entries=64, show_spinner=False)
def cycle_territories(scope: Scope):
    from core import cycle

    return cycle.territories(scope, engine())


@cached(ttl=READ_TTL_SECONDS, max_entries=64, show_spinner=False)
def collection(scope: Scope, territory_id: int, period: str, today: date):
    from core import cycle

    return cycle.collection(scope, territory_id, period, today=today, engine=engine())


@cached(ttl=READ_TTL_SECONDS, max_entries=256, show_spinner=False)
def approvals(scope: Scope, territory_id: int, period_ids: tuple[int, ...]):
    from core import cycle

    return cycle.approvals(scope, territory_id, period_ids, engine())


@cached(ttl=READ_TTL_SECONDS, max_entries=64, show_spinner=False)
def curated_schools(scope: Scope, today: date):
    return curated_read.curated_schools(scope, engine(), today)
