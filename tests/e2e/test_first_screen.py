"""The head's first screen at 1280×720 (issue 27): the line «Отстают: СОШ № … (цель …), …» above the fold, each
tile a link to its target's page, and the tiles' secondary text at least 18 px."""

import re

from tests.e2e.helpers import login, shot, wait_idle

SHARED_SERVER = True  # reads only: the session's shared app (checked unchanged afterwards)


def test_the_first_screen_names_who_lags_and_tiles_open_their_targets(server, tabs):
    pg = tabs(1280, 720)
    login(pg, server, "demo-head", then="/overview?roadmap=nev-2024")
    line = pg.locator(".lagging-line")
    assert line.count() == 1
    text = line.inner_text()
    assert re.match(r"Отстают: СОШ № \d+ \(демо\) \(цел[ьи] \d", text), text
    box = line.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 720, box  # above the fold
    tiles = pg.locator(".tile")
    for i in range(tiles.count()):  # every tile still on the first screen
        b = tiles.nth(i).bounding_box()
        assert b["y"] + b["height"] <= 720, (i, b)
    sizes = pg.evaluate("""() => [...document.querySelectorAll('.tile .tile-rule, .tile .tile-meta, .tile .status-badge')]
        .map(e => [e.className, parseFloat(getComputedStyle(e).fontSize)])""")
    assert sizes and all(px >= 18 for _, px in sizes), sizes
    shot(pg, "first-screen-head-1280")
    # a school named in the line opens its page
    first = line.locator("a").first
    assert re.search(r"school\?school=\d+$", first.get_attribute("href"))
    # a tile opens its target's page, that target chosen
    tile = tiles.nth(1)
    title = tile.locator(".tile-title").inner_text()  # «2. Качество обучения»
    tile.click()
    pg.wait_for_url(re.compile(r"/indicator\?.*target=\d+"))
    wait_idle(pg)
    chosen = pg.locator(".st-key-ind_target [data-testid=stSelectbox] input, .st-key-ind_target input").first
    assert chosen.input_value() == title, (chosen.input_value(), title)
    shot(pg, "first-screen-tile-opens-indicator")
