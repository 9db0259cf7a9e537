"""ui.cache: cached reads are shared by users who see the same (role, territories, schools) and
never by users who see something else; keyed on the data version."""

import pytest

from core import auth
from core.auth import Scope
from core.read import overview as overview_read
from devkit import HARNESS
from tests.helpers import run_as


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


# ---------------------------------------------------------------------------------------------
# The shared cache seen through the pages: users of one process, one after another, each must get
# only what their own scope shows (AppTest sessions share st.cache_data like a server's sessions).
# ---------------------------------------------------------------------------------------------
def _text(at) -> str:
    return "\n".join(m.value for m in at.markdown) + "\n".join(str(t.value) for t in at.table)


def _add_user(engine, login, role, **where) -> None:
    from core import users

    users.create(auth.system_scope(), login=login, password="Пароль-для-теста-1", full_name=login, role=role,
                 engine=engine, **where)


def test_two_principals_of_different_schools_never_see_each_others_cached_school(app_db):
    from sqlalchemy import text

    with app_db.connect() as c:
        ids = dict(c.execute(text("SELECT code, id FROM school WHERE code IN ('NEV-02', 'NEV-05')")).all())
    _add_user(app_db, "principal-five", "principal", school_id=ids["NEV-05"])
    _add_user(app_db, "principal-two-b", "principal", school_id=ids["NEV-02"])

    first = run_as("demo-principal")  # СОШ № 2: its view and figures are now cached
    assert "# СОШ № 2 (демо)" in _text(first)
    own = [t.value.to_dict("records") for t in first.table]
    other = run_as("principal-five")  # СОШ № 5 in the same process, right after
    assert "# СОШ № 5 (демо)" in _text(other) and "СОШ № 2 (демо)" not in _text(other)
    assert [t.value.to_dict("records") for t in other.table] != own
    # asking for СОШ № 2 by address: refused, nothing of it shown though it is cached for its principal
    asked = run_as("principal-five", school=str(ids["NEV-02"]))
    assert asked.error and "СОШ № 2 (демо)" not in _text(asked) and "# СОШ № 5 (демо)" in _text(asked)
    # another principal of СОШ № 2 sees exactly what the first one saw (the shared entry, rightly)
    same = run_as("principal-two-b")
    assert [t.value.to_dict("records") for t in same.table] == own


def test_heads_of_different_territories_never_see_each_others_cached_overview(app_db):
    from sqlalchemy import text

    with app_db.connect() as c:
        okn = c.execute(text("SELECT territory_id FROM roadmap WHERE code = 'okn-2021'")).scalar_one()
    _add_user(app_db, "head-okn", "head", territory_id=okn)

    nev = run_as("demo-head", roadmap="nev-2024")  # Невинномысск's overview cached
    assert "город Невинномысск" in _text(nev)
    other = run_as("head-okn", roadmap="nev-2024")  # the other head asks for it by address
    assert "Оконешниковский" in _text(other) and "Невинномысск" not in _text(other)
    assert "СОШ № 2 (демо)" not in _text(other)


def test_two_curators_seeing_the_same_schools_get_each_their_own_curated_list(app_db):
    """Curator A (СОШ № 1) curates № 2 and № 5; curator B (СОШ № 2) curates № 1 and № 5: both see the
    same three schools, but each list is of the schools *they* curate — the own school is in the key."""
    from sqlalchemy import text
    from sqlmodel import select

    from core.db import session_scope
    from core.models import CuratorLink, User
    from ui import cache

    with app_db.connect() as c:
        ids = dict(c.execute(text("SELECT code, id FROM school WHERE code IN ('NEV-01', 'NEV-02', 'NEV-05')")).all())
    with session_scope(app_db, write=True) as s:
        s.add(CuratorLink(curator_school_id=ids["NEV-02"], school_id=ids["NEV-01"]))
        s.add(CuratorLink(curator_school_id=ids["NEV-02"], school_id=ids["NEV-05"]))
    _add_user(app_db, "curator-two", "curator", school_id=ids["NEV-02"])
    with session_scope(app_db) as s:
        a, b = (auth.scope_for(s, s.exec(select(User).where(User.login == login)).one())
                for login in ("demo-curator", "curator-two"))
    assert a.school_ids == b.school_ids and a.territory_ids == b.territory_ids  # the same schools seen
    cache.refresh_version()
    day = cache.today()
    first = [x.school.id for x in cache.curated_schools(a, day)]
    second = [x.school.id for x in cache.curated_schools(b, day)]
    assert sorted(first) == sorted([ids["NEV-02"], ids["NEV-05"]])
    assert sorted(second) == sorted([ids["NEV-01"], ids["NEV-05"]])


def test_a_meeting_slide_after_a_write_caches_its_chart_from_the_new_data(app_db, monkeypatch):
    """Meeting mode's slide is a fragment that reruns by itself and reads the data version afresh
    (shell.fragment_guard); the chart it draws is cached by that version for every session of the
    view (cache.figure). A write landing between the page's run and the slide's rerun: the chart
    cached under the new version must show the new figures, not the cards of the run before."""
    from streamlit.testing.v1 import AppTest
    from sqlalchemy import text
    from sqlmodel import select

    from core import summary
    from core.db import session_scope
    from core.models import User
    from ui import cache, shell

    before = overview_read.overview(auth.system_scope(), 1, engine=app_db)
    slide, card = next((i, c) for i, c in enumerate(before.cards) if c.value_kind == "count" and c.period_id)
    real_guard, wrote = shell.fragment_guard, []

    def guard_after_a_write():  # another session's upload lands just before the slide's (re)run
        if not wrote:
            with session_scope(app_db, write=True) as s:
                s.execute(text("UPDATE measurement SET value = value + 1000 WHERE indicator_id = :i "
                               "AND period_id = :p"), {"i": card.indicator_id, "p": card.period_id})
                summary.refresh(s)
            wrote.append(1)
        real_guard()

    monkeypatch.setattr(shell, "fragment_guard", guard_after_a_write)
    at = AppTest.from_file(HARNESS, default_timeout=60)
    at.session_state["test_login"] = "demo-head"
    at.session_state["slide"] = slide
    at.query_params["roadmap"] = "nev-2024"
    at.query_params["meeting"] = "1"
    at.run()
    assert not at.exception, at.exception
    assert wrote and card.short_name in "\n".join(m.value for m in at.markdown)
    after = overview_read.overview(auth.system_scope(), 1, engine=app_db).card(card.target_id)
    assert after.evaluation.value != card.evaluation.value
    with session_scope(app_db) as s:
        head = auth.scope_for(s, s.exec(select(User).where(User.login == "demo-head")).one())
    cache.refresh_version()  # the version after the write: what every session's next run reads
    chart = cache.figure("overview_trend", head, 1, None, card.target_id, 290, 28, False,
                         _build=lambda: pytest.fail("the slide's chart is not cached under the new version"))
    data = chart.data
    shown = data[(data["Ряд"] == "Значение") & (data["Период"] == after.as_of_label)]["Значение"].tolist()
    assert shown == [pytest.approx(after.evaluation.value)], (shown, after.evaluation.value, card.evaluation.value)


def test_the_server_runs_no_forced_garbage_collection_and_watches_no_source():
    """What the app's .streamlit/config.toml sets for the server's CPU, as Streamlit reads it: no full
    garbage collection after every script run (~80 % of a page run's CPU on the server) and no source
    watching (a walk over sys.modules after every run)."""
    from streamlit import config

    config.get_config_options(force_reparse=True)
    assert config.get_option("runner.postScriptGC") is False
    assert config.get_option("server.fileWatcherType") == "none"
    assert config.get_option("server.runOnSave") is False
