"""In a real Chromium: the office's Word document uploaded on the roadmap page, the draft workbook
downloaded, reviewed (the code typed in, as in Excel) and loaded through the regular import."""

from pathlib import Path

from devkit.docx_render import RENDERERS, read_book
from tests.e2e.helpers import login, shot, wait_idle
from tests.helpers import fill_draft

DROPZONE = '[data-testid="stFileUploaderDropzone"]'
SEED = Path("data/roadmaps/000_nevinnomyssk_2024.xlsx")


def upload(page, nth: int, path: Path) -> None:
    with page.expect_file_chooser() as fc:
        page.locator(DROPZONE).nth(nth).click()
    fc.value.set_files(str(path))
    wait_idle(page)


def test_word_document_to_draft_to_loaded_roadmap(server, page, tmp_path):
    doc = tmp_path / "Дорожная карта Невинномысск.docx"
    doc.write_bytes(RENDERERS["000"](read_book(SEED.read_bytes(), SEED.name)))
    old = tmp_path / "карта.doc"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)

    login(page, server, "demo-methodist", then="/roadmap?roadmap=nev-2024")
    page.get_by_role("tab", name="Загрузить дорожную карту").click()
    wait_idle(page)
    upload(page, 0, old)
    page.get_by_text("сохраните как .docx").first.wait_for()

    upload(page, 0, doc)
    page.get_by_text("Найдено: 25 мероприятий, 6 направлений, 10 контрольных точек").wait_for()
    assert page.get_by_text("предложен «nev-2024»").is_visible()
    tab = page.get_by_role("tab", name="Загрузить дорожную карту")
    tab.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_function("e => e.getBoundingClientRect().top < innerHeight / 2", arg=tab.element_handle())  # scrolled
    wait_idle(page)
    shot(page, "roadmap_word_draft")
    with page.expect_download() as dl:
        page.get_by_role("button", name="Скачать черновик дорожной карты (.xlsx)").click()
    assert dl.value.suggested_filename == "черновик_Дорожная карта Невинномысск.xlsx"
    reviewed = tmp_path / "черновик.xlsx"
    reviewed.write_bytes(fill_draft(Path(dl.value.path()).read_bytes(), {"code": "nev-2024-word"}))

    upload(page, 1, reviewed)
    page.get_by_text("Файл проверен").first.wait_for()
    page.get_by_role("button", name="Записать дорожную карту").click()
    wait_idle(page)
    page.get_by_text("Записана: дорожная карта «nev-2024-word», 25 мероприятий").wait_for()
    shot(page, "roadmap_word_loaded")


def test_roadmap_uploaders_refuse_an_oversized_file_in_russian(server, page, tmp_path):
    """Over the widget's limit (server.maxUploadSize; the browser refuses it before sending) the
    roadmap page's uploaders say why in Russian, as the data upload does (one ui.common.file_uploader)."""
    import re

    from tests.e2e.helpers import VISIBLE_WORDS, allowed

    big = tmp_path / "дорожная карта.docx"
    with open(big, "wb") as fh:  # sparse: its size without writing its bytes
        fh.truncate(40 * 1024 * 1024)
    login(page, server, "demo-methodist", then="/roadmap?roadmap=nev-2024")
    page.get_by_role("tab", name="Загрузить дорожную карту").click()
    wait_idle(page)
    for nth, key in ((0, "rm_docx"), (1, "rm_file")):
        upload(page, nth, big)
        page.locator(f'.st-key-{key} [data-testid="stFileChip"][aria-invalid="true"]').wait_for()
        said = page.locator(f".st-key-{key}").evaluate("e => getComputedStyle(e, '::after').content")
        assert "Файл не принят: он больше 16,0\u00a0МБ, а загружаются файлы до 15,0\u00a0МБ" in said, said
    english = page.get_by_text(re.compile("File must be|or smaller"))
    assert english.count() == 2 and not any(english.nth(i).is_visible() for i in range(2))  # screen readers only
    words = sorted({w for w in page.evaluate(VISIBLE_WORDS) if not allowed(w, "demo-methodist")})
    assert words == [], words


def test_office_typed_document_territory_question_and_the_roadmap_written(server, page, tmp_path):
    """An office's own layout (section rows «I.», «II.», recurring deadlines), drafted and loaded by an
    administrator: the territory the file names anew is asked about (it matches «Харовский
    муниципальный район» by name), and after «Записать» the picker shows the roadmap just written."""
    from tests.helpers import draft_to_load

    reviewed = tmp_path / "черновик.xlsx"
    reviewed.write_bytes(draft_to_load("khr-word"))
    login(page, server, "demo-admin", then="/roadmap?roadmap=nev-2024")
    page.get_by_role("tab", name="Загрузить дорожную карту").click()
    page.locator(DROPZONE).nth(1).wait_for(state="visible")  # the tab is open
    wait_idle(page)
    upload(page, 1, reviewed)
    # seen twice after other tests on a loaded machine: the page came back on its first tab; the lead knows
    page.get_by_role("tab", name="Загрузить дорожную карту").click()
    wait_idle(page)
    page.get_by_text("Для какой территории эта дорожная карта?").wait_for()
    assert page.get_by_role("button", name="Записать дорожную карту").count() == 0
    page.get_by_text("Это «Харовский муниципальный район» (код kharovsk) — загрузить для неё").click()
    page.get_by_role("button", name="Применить").click()
    wait_idle(page)
    page.get_by_role("button", name="Записать дорожную карту").click()
    wait_idle(page)
    page.get_by_text("Записана: дорожная карта «khr-word», 5 мероприятий").wait_for()
    shown = page.locator('[data-testid="stSelectbox"]').first.locator("input").input_value()
    assert shown.startswith("Харовский муниципальный район — Дорожная карта по поддержке школ"), shown
    shot(page, "roadmap_word_written_shown")
