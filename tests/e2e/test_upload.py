"""In a real Chromium: download the template, fill it as a school would, upload, preview,
confirm, see the new values on the overview; a bad file gets a Russian error and changes nothing."""

import io

from openpyxl import load_workbook

from tests.e2e.helpers import login, open_from_menu, shot, upload, wait_idle, write


def test_template_round_trip_reaches_the_overview(server, page, tmp_path):
    login(page, server, "demo-methodist", then="/upload")
    page.get_by_role("tab", name="Шаблон для школ").click()
    with page.expect_download() as dl:
        page.get_by_role("button", name="Скачать шаблон (.xlsx)").click()
    wb = load_workbook(io.BytesIO(open(dl.value.path(), "rb").read()))
    ws = wb["Данные"]
    period = {r[0].value: r[1].value for r in wb["_meta"].iter_rows()}["period"]
    for r in range(4, ws.max_row + 1):  # every school: 15 of 20 for each share (a school of 19 teachers has 20), 50 for the count
        for j in range(3, ws.max_column + 1):
            key = ws.cell(2, j).value
            ws.cell(r, j).value = 20 if key.endswith(":denominator") else 15 if key.endswith(":numerator") else 50
    filled = tmp_path / "заполнено.xlsx"
    wb.save(filled)

    page.get_by_role("tab", name="Загрузить файл").click()
    upload(page, filled)
    page.wait_for_selector("text=Значений в файле")
    assert page.locator('[data-testid="stMetricValue"]').nth(0).inner_text() == "50"
    wait_idle(page)
    shot(page, "upload-preview")
    # the template's period already has values: 49 change, so warnings must be confirmed first
    box = page.get_by_text("Я проверил(а) предупреждения")
    box.wait_for(timeout=30000)
    box.click()
    wait_idle(page)
    page.get_by_role("button", name="Записать").click()
    wait_idle(page)
    page.wait_for_selector("text=Записано: загрузка №")
    shot(page, "upload-done")

    open_from_menu(page, "overview")  # as the methodologist goes on to look
    label = {"Q1": "I", "Q2": "II", "Q3": "III", "Q4": "IV"}[period[-2:]] + " кв. " + period[:4]
    page.wait_for_selector(f"text=Данные на {label}")
    tile = page.locator(".tile-title:has-text('Качество обучения')").locator("xpath=..")
    assert "75\u00a0%" in tile.inner_text()  # 15 of 20 in every school: a ratio of sums of 75 %
    shot(page, "overview-after-upload")


def test_a_bad_file_gets_a_russian_error_and_changes_nothing(server, page, tmp_path):
    login(page, server, "demo-methodist", then="/upload")
    page.get_by_role("tab", name="Журнал загрузок").click()
    before = page.locator('[data-testid="stMain"]').inner_text()
    bad = tmp_path / "отчёт.xlsx"
    bad.write_text("Код школы;Значение\nNEV-02;5\n", encoding="utf-8")
    page.get_by_role("tab", name="Загрузить файл").click()
    upload(page, bad)
    page.wait_for_selector("text=не книга Excel .xlsx, а текстовый файл")
    assert page.locator("text=База данных не изменена").count() >= 1
    shot(page, "upload-bad-file")
    page.reload()
    wait_idle(page)
    page.get_by_role("tab", name="Журнал загрузок").click()
    assert page.locator('[data-testid="stMain"]').inner_text() == before


def test_an_office_table_for_another_quarter_asks_the_period_then_writes(server, page, tmp_path):
    """The office's own table (merged two-row header, title «за III квартал 2024 г.», a renamed
    count column) uploaded with IV quarter chosen: two questions, answered on the page, then
    written for the period the user picked."""
    from tests import ingest_files as f

    login(page, server, "demo-methodist", then="/upload")
    page.get_by_role("combobox", name="Период данных").click()
    page.get_by_role("option", name="IV кв. 2024").click()
    wait_idle(page)
    path = tmp_path / "свод за III квартал.xlsx"
    path.write_bytes(f.office_table([[1, 'МБОУ "СОШ №2"', 38, 30, "78,9 %", 100, 45, None, 12]],
                                    title="Мониторинг показателей за III квартал 2024 г.", extra=["Олимпиадники"]))
    upload(page, path)
    page.wait_for_selector("text=Файл задаёт вопросов: 2")
    assert page.get_by_role("button", name="Записать").count() == 0
    shot(page, "upload-questions")
    page.get_by_text("IV кв. 2024 — как выбрано").click()
    wait_idle(page)
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Олимпиадники").locator("input").click()
    page.get_by_role("option", name="Участники олимпиад и конкурсов, чел.").click()
    wait_idle(page)
    page.wait_for_selector("text=Ваши ответы")
    assert page.locator('[data-testid="stMetricValue"]').nth(0).inner_text() == "3"
    box = page.get_by_text("Я проверил(а) предупреждения")
    if box.count():
        box.click()
        wait_idle(page)
    shot(page, "upload-questions-answered")
    page.get_by_role("button", name="Записать").click()
    wait_idle(page)
    page.wait_for_selector("text=Записано: загрузка №")


def _sparse(path, size: int):
    with open(path, "wb") as fh:  # a sparse file: its size without writing its bytes
        fh.truncate(size)
    return path


def test_a_file_over_the_limit_is_refused_in_russian_whatever_its_size(server, page, tmp_path):
    """Just over our 15 MB: the page's own Russian refusal. Over the widget's limit (server.
    maxUploadSize, 16 MB; the browser refuses it before sending): the widget's English «File must
    be 16.0MB or smaller.» is replaced by a Russian text, and no Latin word is visible."""
    import re

    from core.ingest.excel import MAX_FILE_BYTES
    from tests.e2e.helpers import VISIBLE_WORDS, allowed

    login(page, server, "demo-methodist", then="/upload")
    upload(page, _sparse(tmp_path / "свод.xlsx", MAX_FILE_BYTES + 1024))
    page.wait_for_selector("text=База данных не изменена")
    main = page.locator('[data-testid="stMain"]')
    assert "слишком большой: 15\u00a0729\u00a0664 байт, допускается не больше 15,0\u00a0МБ" in main.inner_text(), \
        main.inner_text()
    shot(page, "upload-over-our-limit")

    page.goto(server + "/upload")
    wait_idle(page)
    upload(page, _sparse(tmp_path / "большой свод.xlsx", 40 * 1024 * 1024))
    page.locator('[data-testid="stFileChip"][aria-invalid="true"]').wait_for()
    said = page.locator(".st-key-up_files").evaluate("e => getComputedStyle(e, '::after').content")
    assert "Файл не принят: он больше 16,0\u00a0МБ, а загружаются файлы до 15,0\u00a0МБ" in said, said
    assert "База данных не изменена" in said, said
    wait_idle(page)
    shot(page, "upload-over-widget-limit")
    words = sorted({w for w in page.evaluate(VISIBLE_WORDS) if not allowed(w, "demo-methodist")})
    assert words == [], words  # «File must be 16.0MB or smaller.», the chip's «41.9MB»: not shown
    assert not page.get_by_text(re.compile("File must be|or smaller")).is_visible()
    assert page.locator('[data-testid="stMetricValue"]').count() == 0  # nothing was read: no preview


def test_an_office_report_with_groups_and_a_signature_lands_for_its_own_period(server, page, tmp_path):
    """Issue 25: the town's report (ШНОР/ШНСУ group rows, subtotals, a footnote, the signature block)
    uploaded without choosing a period: the file's IV quarter is preselected and said, the rows that
    are not schools are listed as skipped, nothing is asked, and it is written."""
    from tests import ingest_files as f

    login(page, server, "demo-methodist", then="/upload")
    path = tmp_path / "отчёт ШНОР ШНСУ.xlsx"
    path.write_bytes(f.signed_group_form())
    upload(page, path)
    page.wait_for_selector("text=Пропущено при чтении (не данные школ)")
    page.wait_for_selector("text=взят из файла")
    assert page.get_by_role("combobox", name="Период данных").input_value() == "IV кв. 2024"
    assert page.locator('[data-testid="stMetricValue"]').nth(0).inner_text() == "12"
    assert page.get_by_text("Файл задаёт вопросов").count() == 0
    shot(page, "upload-office-report")
    write(page)
    page.wait_for_selector("text=Записано: загрузка №")
