"""ui.cache: cached reads are shared by users who see the same (role, territories, schools) and
never by users who see something else; keyed on the data version."""

import pytest
import streamlit as st

from core import auth
from core.auth import Scope
from core.read import overview as overview_read


@pytest.fixture
def app_db(env_demo_url):
    st.cache_data.clear()
    st.cache_resource.clear()
    from core.startup import ensure_database

    yield ensure_database(env_demo_url)
    st.cache_data.clear()
    st.cache_resource.clear()


def head(user_id: int, login: str, territory: int) -> Scope:
    return Scope(user_id, login, "head", frozenset({territory}), None)


# the demo's users (ids 1-5): an access denial is audited against a real user



def test_one_overview_computation_for_every_user_of_the_same_view(app_db, monkeypatch):
    from ui import cache

    calls = []
    real = overview_read.overview
    monkeypatch.setattr(overview_read, "overview", lambda sc, *a: (calls.append(sc.login), real(sc, *a))[1])
    first = cache.overview(head(1, "head-a", 1), 1, None)
    second = cache.overview(head(2, "head-b", 1), 1, None)  # another person, the same view
    assert calls == ["head-a"] and second == first
    # another role with the same territory, a principal (one school): their own computations
    cache.overview(Scope(3, "meth", "methodologist", frozenset({1}), None), 1, None)
    principal = Scope(4, "dir", "principal", frozenset({1}), frozenset({2}), own_school_id=2)
    try:
        cache.overview(principal, 1, None)
    except auth.AccessDenied:
        pass
    assert calls == ["head-a", "meth", "dir"]
    # a head of another territory is never served the cached overview: core refuses him
    with pytest.raises(auth.AccessDenied):
        cache.overview(head(5, "head-other", 2), 1, None)
    with pytest.raises(auth.AccessDenied):  # refusals are not cached either
        cache.overview(head(1, "head-other-2", 2), 1, None)
    assert calls[-2:] == ["head-other", "head-other-2"]


def test_view_key_hides_who_and_keeps_what_is_seen():
    from ui.cache import view_key

    a, b = head(1, "a", 1), head(2, "b", 1)
    assert view_key(a) == view_key(b)
    assert view_key(a) != view_key(head(1, "a", 2))
    assert view_key(a) != view_key(Scope(1, "a", "methodologist", frozenset({1}), None))
    assert view_key(a) != view_key(Scope(1, "a", "head", frozenset({1}), frozenset({3})))
    assert view_key(auth.system_scope()) != view_key(a)
    assert view_key(7) == 7


def test_a_figure_is_built_once_per_view_and_data_version(app_db):
    from core.db import session_scope
    from ui import cache

    built = []

    def build(tag):
        built.append(tag)
        return {"chart": tag}

    a, b, other = head(1, "head-a", 1), head(2, "head-b", 1), head(1, "head-a", 2)
    assert cache.figure("t", a, 1, None, 7, _build=lambda: build("a")) == {"chart": "a"}
    assert cache.figure("t", b, 1, None, 7, _build=lambda: build("b")) == {"chart": "a"}  # same view: shared
    cache.figure("t", other, 1, None, 7, _build=lambda: build("other"))  # another territory: its own
    cache.figure("t", a, 1, None, 8, _build=lambda: build("a8"))  # another key: its own
    assert built == ["a", "other", "a8"]
    with session_scope(app_db, write=True):  # any write bumps the data version
        pass
    cache.refresh_version()
    assert cache.figure("t", b, 1, None, 7, _build=lambda: build("b")) == {"chart": "b"}
    assert built[-1] == "b"
