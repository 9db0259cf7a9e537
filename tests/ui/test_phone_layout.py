"""The phone layout's pure parts: the cards (escaped, every field kept), the chart whose legend goes to one
column on a narrow screen while its downloads stay as they were."""

from datetime import date

from core import charts, reports
from core.read.types import SeriesPoint
from ui import phone


def _chart(**kw):
    series = [SeriesPoint(1, f"{q} кв.", None, date(2024, 3 * q, 28), 40.0 + q) for q in (1, 2, 3)]
    average = [SeriesPoint(1, f"{q} кв.", None, date(2024, 3 * q, 28), 45.0 + q) for q in (1, 2, 3)]
    path = [SeriesPoint(1, "база", None, date(2024, 3, 28), 40.0), SeriesPoint(1, "срок", None, date(2024, 12, 31), 60.0)]
    return charts.trend(series, unit="%", target_value=60, expected_path=path, average_series=average,
                        forecast={"end": date(2024, 12, 31), "value": 50.0}, height=220, **kw)


def test_a_card_escapes_what_users_typed_and_keeps_empty_fields():
    html = phone.card('<img src=x onerror="alert(1)">', [("Сейчас", "<b>5</b>"), ("Нужно", "")], status="off_track",
                      strong=("Сейчас",))
    assert "<img" not in html and "&#60;img" in html and "&#60;b&#62;5&#60;/b&#62;" in html  # md_text: Markdown too
    assert "Отстаёт" in html and "✖" in html  # the status word with its icon
    assert "<dt>Нужно</dt><dd>—</dd>" in html  # an empty value keeps its row
    assert "<dd class=phone-strong>&#60;b&#62;5" in html


def test_the_narrow_legend_is_one_column_on_a_phone_and_the_downloads_are_unchanged():
    narrow = _chart(narrow_legend=True)
    columns = narrow.to_dict()["config"]["legend"]["columns"]
    assert columns == {"expr": "width > 0 && containerSize()[0] < 560 ? 1 : 3"}
    # an export has no container: three columns, the very picture the chart gave before
    assert reports.chart_svg(narrow) == reports.chart_svg(_chart())


def test_the_page_spec_grows_with_the_legend_instead_of_squashing_the_plot():
    chart = _chart(narrow_legend=True)
    spec = {"mark": "line", "height": 220}
    same, drawn = phone.legend_grows((chart, spec), height=220)
    assert same is chart and spec == {"mark": "line", "height": 220}  # neither the chart nor the cached spec changed
    # five series: two rows of three on a desktop, whose plot «fit» made 99 px high
    assert drawn["autosize"] == {"type": "fit-x", "contains": "padding"} and drawn["height"] == 99


def test_a_card_keeps_its_html_in_one_block():
    """A blank line typed in a cell (Alt+Enter twice, CRLF CRLF) would end the cards' HTML block in Markdown and
    spill the rest of them onto the page as text: every text of a card is on one line."""
    from ui.phone import card

    out = card("Первая\n\nвторая", [("Ответственные", "Иванов\r\n\r\nПетров\n \nСидоров"), ("Срок", None)])
    assert "\n" not in out and "\r" not in out
    assert ">Первая вторая<" in out and "<dd>Иванов Петров Сидоров</dd>" in out and "<dd>—</dd>" in out
