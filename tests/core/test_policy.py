"""Issue 28 item 1: who may do what is one table (core/policy.py); nothing else compares roles."""

from __future__ import annotations

import re

import pytest

from core import auth, cycle, policy
from core.settings import ROOT
from core.vocabulary import ROLES


def test_the_table_names_every_role_and_says_what_each_may_do():
    assert set(policy.ROLES_SEE) == set(ROLES)
    assert policy.roles_for("approve") == ("admin", "head")
    assert policy.roles_for("check") == ("admin", "methodologist")
    assert policy.roles_for("upload") == ("admin", "methodologist", "principal")
    assert policy.roles_for("manage_users") == ("admin",)
    with pytest.raises(ValueError):
        policy.allowed("admin", "fly")  # an unknown action is an error, never a silent «no»


def test_no_role_literal_is_compared_outside_the_policy():
    """`role == "principal"`, `role in ("head", …)`, `role != "admin"` appear nowhere in core, ui,
    app_pages or server (the vocabulary, the policy and the navigation's page lists aside)."""
    words = "|".join(ROLES)
    pattern = re.compile(rf"""role\s*(==|!=|in|not in)\s*\(?\s*["']({words})["']""")
    offenders = []
    for folder in ("core", "ui", "app_pages", "server"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name in ("policy.py", "vocabulary.py", "navigation.py"):
                continue
            for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if pattern.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{i}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_a_new_role_with_no_rows_may_do_nothing(monkeypatch, demo_db):
    """A role added to the vocabulary but given no actions is not silently a methodologist."""
    monkeypatch.setitem(policy.ROLES_SEE, "observer", "territory")
    monkeypatch.setitem(policy.NEEDS, "observer", "territory")
    with demo_db.connect() as c:
        tid = c.exec_driver_sql("SELECT territory_id FROM roadmap WHERE code = 'nev-2024'").scalar()
        school = dict(c.exec_driver_sql(
            "SELECT id, territory_id FROM school WHERE code = 'NEV-02'").mappings().one())
    sc = auth.Scope(user_id=None, login="observer", role="observer", territory_ids=frozenset({tid}), school_ids=None)
    assert not sc.can_upload and not sc.can_edit_roadmap and not sc.is_admin
    assert not cycle.may_enter(sc, school)
    assert not cycle.is_correction(sc)
    assert not cycle.may_change_state(sc, tid, "check") and not cycle.may_change_state(sc, tid, "approve")
    with pytest.raises(auth.AccessDenied):
        cycle.mark_checked(sc, tid, "2024-Q3", engine=demo_db)
