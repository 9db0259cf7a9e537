"""In a real Chromium: the справка and a chart image are downloaded and open."""

import io

from docx import Document

from tests.e2e.helpers import login, shot, wait_idle

SHARED_SERVER = True  # reads only: the session's shared app (checked unchanged afterwards)


def test_download_the_spravka_and_a_chart(server, page):
    login(page, server, "demo-head", then="/reports")
    shot(page, "reports")
    with page.expect_download(timeout=120000) as dl:
        page.get_by_role("button", name="Справка (.docx)").click()
    doc = Document(io.BytesIO(open(dl.value.path(), "rb").read()))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "СПРАВКА" in text and "город Невинномысск" in text
    assert len(doc.tables[0].rows) == 6 and len(doc.inline_shapes) == 5
    page.goto(server + "/indicator?roadmap=nev-2024")
    wait_idle(page)
    with page.expect_download(timeout=60000) as dl:
        page.get_by_role("button", name="Рисунок .png").first.click()
    assert open(dl.value.path(), "rb").read()[:4] == b"\x89PNG"
