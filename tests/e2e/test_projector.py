"""A projector in the meeting room, in a real Chromium at 1280×720 and 1920×1080: the overview's first screen
holds every tile; meeting mode is legible from the back row; a date picker's calendar and a table under the
pointer speak Russian; the file chooser labels only its own buttons. Every page of every role at both sizes
(no Latin word, no clipped control, the Content-Security-Policy) is the tour of test_page_tour.py."""

import re

from tests.e2e.helpers import CLIPPED, SIZES, VISIBLE_WORDS, allowed, at_sizes, login, pages_as, shot, wait_idle

SHARED_SERVER = True  # reads only: the session's shared app (checked unchanged afterwards)


def test_first_screen_holds_every_tile(server, tabs):
    pg = tabs(*SIZES[0])
    roadmaps = {"nev-2024": 5, "okn-2021": 3}  # the demo's roadmaps with targets; the admin sees every one
    opened = pages_as(pg, server, "demo-admin", [f"/overview?roadmap={c}" for c in roadmaps])
    sizes = list(SIZES)
    for (code, n_targets), _ in zip(roadmaps.items(), opened):
        assert f"roadmap={code}" in pg.url
        for w, h in at_sizes(pg, sizes):
            tiles = pg.locator(".tile")
            n = tiles.count()
            assert n == n_targets, code
            boxes = [tiles.nth(i).bounding_box() for i in range(n)]
            shot(pg, f"overview-{code}-{w}")
            for i, b in enumerate(boxes[:6]):
                assert b["y"] >= 0 and b["y"] + b["height"] <= h, (code, w, i, b)  # inside the first screen
                assert b["x"] + b["width"] <= w, (code, w, i, b)
            if n > 6:
                assert pg.locator(f"text=ещё {n - 6} ниже").count() == 1
        sizes.reverse()  # the next page starts at the size this one ended


def test_meeting_mode_legible_from_the_back_row(server, tabs):
    pg = tabs(*SIZES[0])
    login(pg, server, "demo-head", then="/overview?roadmap=nev-2024&meeting=1")
    assert pg.locator(".st-key-slide-bar [data-testid=stCheckbox] input").is_checked()  # it plays by itself
    for w, h in at_sizes(pg):
        meeting_slides_on_one_screen(pg, w, h)


def meeting_slides_on_one_screen(pg, w: int, h: int) -> None:
    """At one size: the bar's labels and the slide's texts large, nothing clipped or Latin, and each of the
    five slides (turned with «Вперёд»; the last turn comes back to the first) on one screen."""
    shot(pg, f"meeting-{w}")
    size = lambda sel: pg.eval_on_selector(sel, "e => parseFloat(getComputedStyle(e).fontSize)")  # noqa: E731
    assert size(".slide-value") >= 96
    for sel in (".slide-title", ".slide-rule", ".slide-meta"):
        assert size(sel) >= 28, sel
    for label in ("Назад", "Вперёд", "Выйти"):
        button = pg.locator(f".st-key-slide-bar button:has-text('{label}')")
        assert button.evaluate("e => parseFloat(getComputedStyle(e.querySelector('p') || e).fontSize)") >= 28
    assert pg.evaluate(CLIPPED) == []
    # no English key name («Esc») on the bar; the help of «Авто» names the keys in Russian
    assert [w for w in pg.evaluate(VISIBLE_WORDS) if not allowed(w, "demo-head")] == []
    pg.locator(".st-key-slide-bar [data-testid=stTooltipHoverTarget]").first.hover()
    pg.wait_for_selector("text=клавиша Esc — выйти")
    pg.mouse.move(0, h - 1)
    value = pg.locator(".slide-value").bounding_box()
    assert value["y"] + value["height"] <= h
    # every slide on one screen, down to who reported and who lags (nothing below the fold)
    auto = pg.locator(".st-key-slide-bar [data-testid=stCheckbox] input")
    if auto.is_checked():
        pg.locator(".st-key-slide-bar [data-testid=stCheckbox] label").click()  # «Авто» off: we turn the slides
        wait_idle(pg)
    lagging_seen = 0
    for i in range(5):  # nev-2024 has five targets
        pg.wait_for_selector(f"text=Цель {i + 1} из 5")
        wait_idle(pg)
        shot(pg, f"meeting-{w}-slide{i + 1}")
        bottoms = pg.evaluate("""() => [...document.querySelectorAll(
            '.slide-value, .slide-meta, .slide-rule, .slide-coverage, .slide-lagging, .chart-legend')]
            .map(e => [e.className, e.getBoundingClientRect().bottom, e.innerText.slice(0, 40)])""")
        assert bottoms and all(b <= h for _, b, _ in bottoms), (i + 1, bottoms)
        assert pg.evaluate("document.documentElement.scrollHeight") <= h + 1, i + 1
        assert pg.locator(".slide-coverage").count() == 1, i + 1
        # the chart's legend, like every label, is ≥ 28 px and names what the chart draws
        legend = pg.locator(".chart-legend")
        assert legend.count() == 1 and size(".chart-legend") >= 28, i + 1
        assert min(pg.eval_on_selector_all(".chart-legend-item", "es => es.map(e => parseFloat("
                                           "getComputedStyle(e).fontSize))")) >= 28, i + 1
        assert {"Значение", "Цель"} <= set(legend.inner_text().split("\n")), (i + 1, legend.inner_text())
        assert pg.locator("[data-testid=stVegaLiteChart] .role-legend").count() == 0, i + 1  # no small Vega legend
        lagging_seen += pg.locator(".slide-lagging").count()
        pg.locator(".st-key-slide-bar button:has-text('Вперёд')").click()
    assert lagging_seen >= 1  # the demo has lagging schools: the line was measured, not absent


MONTHS = ("январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь", "ноябрь",
          "декабрь")


def test_date_picker_and_table_hover_in_russian(server, tabs):
    """What the Latin-text scan of a page at rest does not see: the calendar of a date picker (it follows the
    browser's language, and the offices' browsers are Russian) and a table's hover toolbar (its tooltips are
    English, so it is hidden; the pages give their own Russian downloads)."""
    pg = tabs(*SIZES[0])
    login(pg, server, "demo-head", then="/roadmap?roadmap=nev-2024")
    for w, _ in at_sizes(pg):
        calendar_and_table_hover(pg, w)


def calendar_and_table_hover(pg, w: int) -> None:
    """At one size: the calendar of «Изменения» in Russian, then the table of «Таблица по направлениям» under
    the pointer without its English toolbar."""
    pg.get_by_role("tab", name="Изменения").click()
    wait_idle(pg)
    pg.locator("[data-testid=stDateInputCalendarButton]:visible").first.click()
    calendar = pg.locator("[role=dialog]:visible, [role=grid]:visible").first
    calendar.wait_for()
    shot(pg, f"calendar-{w}")
    text = calendar.inner_text() if calendar.count() else ""
    page_text = pg.locator("body").inner_text()
    assert any(m in page_text for m in MONTHS), page_text[:500]  # «сентябрь» above the days
    heads = pg.eval_on_selector_all("[role=grid] th, [role=columnheader]", "es => es.map(e => e.innerText.trim())")
    assert heads and heads[0] in ("П", "Пн", "пн") and all(re.fullmatch(r"[А-Яа-я]{1,2}", x) for x in heads), heads
    words = sorted({x for x in pg.evaluate(VISIBLE_WORDS) if not allowed(x, "demo-head")})
    assert words == [], (words, text[:200])
    pg.keyboard.press("Escape")
    # a table under the pointer: no toolbar, no English tooltip
    pg.get_by_role("tab", name="Таблица по направлениям").click()
    wait_idle(pg)
    table = pg.locator("[data-testid=stDataFrame]:visible").first
    table.hover()
    pg.wait_for_function("e => e.matches(':hover')", arg=table.element_handle())  # the pointer is over it
    wait_idle(pg)  # and what the hover draws is drawn (the page quiet again)
    assert pg.locator("[data-testid=stElementToolbar]:visible").count() == 0
    box = table.bounding_box()
    pg.mouse.move(box["x"] + box["width"] - 20, box["y"] + 10)  # where the toolbar's buttons were
    wait_idle(pg)
    shot(pg, f"table-hover-{w}")
    words = sorted({x for x in pg.evaluate(VISIBLE_WORDS) if not allowed(x, "demo-head")})
    assert words == [], words


UPLOADER = r"""() => {
  const zone = document.querySelector('[data-testid=stFileUploaderDropzone]');
  const after = b => getComputedStyle(b, '::after').content;
  const lines = b => { const r = b.getBoundingClientRect();
                       return Math.round(r.height / parseFloat(getComputedStyle(b).lineHeight || 24)); };
  const size = document.querySelector('[data-testid=stFileChipName] + div');
  return {
    del: [...zone.querySelectorAll('[data-testid=stFileChipDeleteBtn] button')].map(after),
    buttons: [...zone.querySelectorAll('button:not([data-testid=stFileChipDeleteBtn] button)')]
      .filter(b => !b.closest('[data-testid=stFileChipDeleteBtn]'))
      .map(b => ({label: after(b), height: b.getBoundingClientRect().height,
                  text: b.innerText})),
    sizeShown: !!size && size.getBoundingClientRect().height > 0,
  };
}"""


def test_file_uploader_labels_only_its_own_buttons(server, tabs, tmp_path):
    """The Russian «Выбрать файл» sits on the dropzone's browse button on one line; a chosen file's
    chip keeps a clean delete (×) button and shows no English «5.1KB» (at both sizes, before and after)."""
    pg = tabs(*SIZES[0])
    login(pg, server, "demo-methodist", then="/upload")
    for w, _ in at_sizes(pg):
        before = pg.evaluate(UPLOADER)
        assert [b["label"] for b in before["buttons"]] == ['"Выбрать файл"'], w
        assert all(b["height"] < 48 for b in before["buttons"]), (w, before)  # one line
    f = tmp_path / "hand.xlsx"
    f.write_bytes(b"x" * 5200)
    pg.locator("input[type=file]").first.set_input_files(str(f))
    pg.wait_for_selector("[data-testid=stFileChip]")
    for w, _ in at_sizes(pg, SIZES[::-1]):
        shot(pg, f"upload-chip-{w}")
        after = pg.evaluate(UPLOADER)
        assert after["del"] and all(c in ("none", "normal") for c in after["del"]), (w, after)  # no label over ×
        assert not after["sizeShown"], (w, after)
        assert [b["label"] for b in after["buttons"]] == ['"Добавить файл"'], w
        assert all(b["height"] < 48 for b in after["buttons"]), (w, after)
