"""The crash sweep: every page × every roadmap × every target × every school a role may see, for
every demo role, on the demo database (AppTest). Any exception (Streamlit's error box) fails.

One AppTest per role, driven by query parameters and switch_page, keeps it to tens of seconds."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core import auth
from core.read import lists
from core.read import overview as read_overview
from core.startup import ensure_database
from tests.databases import BACKENDS, cleanup, require_backend
from tests.helpers import expand
from ui import shell
from devkit import HARNESS

ROLES = {"demo-head": "head", "demo-methodist": "methodologist", "demo-principal": "principal",
         "demo-curator": "curator", "demo-admin": "admin"}


@pytest.fixture(params=BACKENDS)
def app_db(request, tmp_path, monkeypatch, db_templates):
    """The demo database on each backend as `streamlit run` would see it (DATABASE_URL)."""
    from core.settings import reset_settings_cache

    require_backend(request.param)
    url = db_templates.copy(request.param, "demo", tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MONITORING_DEMO", "1")
    reset_settings_cache()
    st.cache_data.clear()
    st.cache_resource.clear()
    yield ensure_database(url)
    st.cache_data.clear()
    st.cache_resource.clear()
    reset_settings_cache()
    cleanup(url)


def _scope(engine, login):
    from sqlmodel import select

    from core.db import session_scope
    from core.models import User

    with session_scope(engine) as s:
        user = s.exec(select(User).where(User.login == login)).one()
        return auth.scope_for(s, user)


def _visit(at: AppTest, page: str, params: dict[str, str], seen: list[str], previous: str | None,
           filler: str) -> None:
    # A page's widgets keep their state while the page stays on: each visit comes from another page
    # (the plan alternates pages; where it cannot, `filler` is passed through first), so that each
    # visit starts from its URL, as a click on a link does.
    if previous in (None, page):
        at.query_params.clear()
        at.switch_page(PAGE_FILES[filler])
        at.run()
    at.query_params.clear()
    for k, v in params.items():
        at.query_params[k] = v
    at.switch_page(PAGE_FILES[page])
    at.run()
    where = f"{page} {params}"
    seen.append(where)
    assert not at.exception, f"{where}: {at.exception}"
    errors = [e.value for e in at.error if "Traceback" in str(e.value) or "Error:" in str(e.value)]
    assert not errors, f"{where}: {errors}"
    # the visit showed what its URL asked for (not a widget's leftover choice)
    if page == "indicator":
        assert at.selectbox(key="ind_target").value == int(params["target"]), where
    if page == "school" and "school_pick" in [w.key for w in at.selectbox]:
        assert at.selectbox(key="school_pick").value == int(params["school"]), where


def _alternating(visits: dict[str, list[dict[str, str]]]) -> list[tuple[str, dict[str, str]]]:
    """Every visit once, ordered so that a page rarely follows itself: the page with the most visits
    left that is not the previous one goes next."""
    left = {page: list(v) for page, v in visits.items()}
    plan: list[tuple[str, dict[str, str]]] = []
    previous = None
    while any(left.values()):
        others = [p for p, v in left.items() if v and p != previous]
        page = max(others, key=lambda p: len(left[p])) if others else previous
        plan.append((page, left[page].pop(0)))
        previous = page
    return plan


PAGE_FILES = {k: "../" + v["page"] for k, v in shell.PAGES.items()}


@pytest.mark.parametrize("login", list(ROLES))
def test_every_page_roadmap_target_and_school_opens(app_db, login):
    sc = _scope(app_db, login)
    pages = shell.ROLE_PAGES[ROLES[login]]
    rms = lists.roadmaps(sc, app_db)
    schools = [s.id for s in lists.schools(sc, app_db)]
    at = AppTest.from_file(HARNESS, default_timeout=120)
    at.session_state["test_login"] = login
    at.run()
    assert not at.exception, at.exception
    visits: dict[str, list[dict[str, str]]] = {}
    for page in pages:
        if page in ("overview", "roadmap", "risks", "reports"):
            visits[page] = [{"roadmap": r.code} for r in rms]
        elif page == "indicator":
            visits[page] = [{"roadmap": rm.code, "target": str(card.target_id)}
                            for rm in rms for card in read_overview.overview(sc, rm.id, engine=app_db).cards]
        elif page == "school":
            visits[page] = [{"school": str(sid)} for sid in schools]
        else:
            visits[page] = [{}]
    seen: list[str] = []
    previous = None
    for page, params in _alternating(visits):
        filler = "account" if page != "account" else next(p for p in pages if p != "account")
        _visit(at, page, params, seen, previous, filler)
        previous = page
    assert len(seen) >= len(pages)


def test_the_indicator_page_with_a_school_missing_periods(app_db):
    """The crash of issue 13: /indicator?roadmap=nev-2024&target=4 (a school without a value in
    «Все периоды») raised ValueError: cannot convert float NaN to integer."""
    at = AppTest.from_file(HARNESS, default_timeout=60)
    at.session_state["test_login"] = "demo-head"
    at.run()
    at.query_params["roadmap"] = "nev-2024"
    at.query_params["target"] = "4"
    at.switch_page(PAGE_FILES["indicator"])
    at.run()
    assert not at.exception, at.exception
    assert any("Все периоды" in e.label for e in at.expander)
    expand(at, "ind_periods")  # built when opened (ui.common.lazy_expander): the table that crashed
    periods = at.expander[[e.label for e in at.expander].index("Все периоды")].dataframe[0].value
    assert (periods == "—").to_numpy().any()
