"""Fixtures of the ingest tests: a writable demo database with an ambiguous school name, and its
methodologist."""

import pytest

from core.db import session_scope
from core.models import School
from tests.helpers import scope_of


@pytest.fixture


def db(demo_db_rw):
    # a second «СОШ № 2 (демо)» in another territory makes that name ambiguous
    with session_scope(demo_db_rw, write=True) as s:
        s.add(School(territory_id=2, code="KHR-99", name="МБОУ «СОШ № 2 (демо)»", short_name="СОШ № 2 (демо)"))
    return demo_db_rw


@pytest.fixture


def methodist(db):
    return scope_of(db, "demo-methodist")
