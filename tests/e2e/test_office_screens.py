"""At 1280×720 the tables fit the page: no table of these pages scrolls sideways (the admin's users and
journal, the school's items, the collection, the upload log, the roadmap's items)."""

from tests.e2e.helpers import pages_as, shot, wait_idle

SHARED_SERVER = True

SHOWN = """() => [...document.querySelectorAll('[data-testid="stDataFrame"]')]
    .filter(e => e.checkVisibility() && e.getBoundingClientRect().width > 0 && e.getBoundingClientRect().height > 0)"""
# the tables shown: of the open tab, outside a closed expander
DRAWN = f"() => ({SHOWN})().every(e => {{ const s = e.querySelector('.dvn-scroller'); return s && s.clientWidth > 0; }})"
WIDE = f"() => ({SHOWN})().map(e => e.querySelector('.dvn-scroller')).map(s => [s.scrollWidth, s.clientWidth])"


def _overflowing(pg) -> list:
    pg.wait_for_function(DRAWN, timeout=30000)  # a grid draws after the script has finished
    return [w for w in pg.evaluate(WIDE) if w[0] > w[1] + 1]


def test_tables_fit_1280(server, tabs):
    seen = 0
    tabs_of = {"/admin": ["Журнал действий"], "/roadmap": ["Таблица по направлениям"], "/upload": ["Журнал загрузок"]}
    for user, paths in (("demo-admin", ["/admin"]), ("demo-principal", ["/school"]),
                        ("demo-methodist", ["/collection", "/roadmap", "/upload"])):
        pg = tabs(1280, 720)
        for path in pages_as(pg, server, user, paths):
            assert _overflowing(pg) == [], (user, path)
            seen += len(pg.evaluate(WIDE))
            for name in tabs_of.get(path, []):
                pg.get_by_role("tab", name=name).click()
                wait_idle(pg)
                assert _overflowing(pg) == [], (user, path, name)
                seen += len(pg.evaluate(WIDE))
        shot(pg, f"tables-1280-{user}")
        tabs.end_session()
    assert seen >= 8  # the tables were there to be measured
