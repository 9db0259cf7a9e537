"""Pages as the office reads them (AppTest): the curator school without «Куратор не назначен», the
administrator's school picker with the territory, the journal's times in the office's format."""

import re
from datetime import datetime, timezone

from sqlalchemy import text

from core import formatting as fmt

from tests.helpers import markdown_text, run_as


def test_a_curator_school_is_not_told_it_has_no_curator(app_db):  # noqa: F811
    at = run_as("demo-head", "../app_pages/school.py", school="8")  # Гимназия № 12: curates others
    text = markdown_text(at)
    assert "Курирует" in text and "не назначен" not in text
    at = run_as("demo-curator", "../app_pages/school.py")  # the curator's own school, СОШ № 1
    assert "не назначен" not in markdown_text(at)


def test_the_admins_school_picker_names_the_territory_in_natural_order(app_db):  # noqa: F811
    at = run_as("demo-admin", "../app_pages/admin.py")
    options = [o for o in at.selectbox(key="new_school").options if o != "—"]
    assert options and all(" — " in o for o in options)
    nev = [o.split(" — ")[0] for o in options if o.endswith("— город Невинномысск")]
    numbered = [int(m[1]) for o in nev if (m := re.search(r"№ (\d+)", o)) and o.startswith("СОШ")]
    assert numbered == sorted(numbered) and len(numbered) > 2  # «СОШ № 2» before «СОШ № 14»


def test_the_journal_shows_office_times(app_db):  # noqa: F811
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    with app_db.begin() as c:
        c.execute(text("INSERT INTO auditevent (at, login, action, details, ip) VALUES (:at, 'ivanova', "
                       "'login_throttled', '{\"rule\": \"login_address\", \"wait_s\": 4}', '10.0.0.7')"),
                  {"at": now.strftime("%Y-%m-%d %H:%M:%S.000000")})
    at = run_as("demo-admin", "../app_pages/admin.py")
    journal = [d.value for d in at.dataframe if "Что произошло" in d.value.columns][0]
    assert journal.columns[0] == "Когда"
    row = journal[journal["Пользователь"] == "ivanova"].iloc[0]
    assert row["Когда"] == fmt.moment(now)  # Moscow time, «06.12.2026 20:34»
    assert "логин с адреса" in row["Что произошло"]
    assert not journal["Что произошло"].str.contains(r"[a-z]+_[a-z]+").any()
