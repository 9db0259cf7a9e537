"""Charts say what the page says: tooltips in Russian with the page's precision and dates, no axes
for a series without data, no repeated rounded ticks."""

import re
from datetime import date
from types import SimpleNamespace as Point

from core import charts


def _layers(spec: dict) -> list[dict]:
    return spec.get("layer", [spec])


def _rows(spec: dict) -> list[dict]:
    return [r for rows in spec.get("datasets", {}).values() for r in rows]


def test_trend_tooltips_read_as_the_page():
    series = [Point(label="I кв. 2022", end=date(2022, 3, 31), value=93.75),
              Point(label="II кв. 2022", end=date(2022, 6, 30), value=90.0)]
    spec = charts.trend(series, unit="%", target_value=95.0,
                        milestones=[Point(label="2022 г.", end=date(2022, 12, 31), value=96.0)]).to_dict()
    assert spec["config"]["mark"]["tooltip"] is False  # Streamlit's theme shows every field otherwise
    for layer in _layers(spec):
        tips = layer["encoding"]["tooltip"]
        assert {t.get("title", t["field"]) for t in tips} == {"Линия", "Период", "Дата", "Значение"}
        assert all(t["type"] == "nominal" for t in tips)  # texts written by the page's formatter
    rows = _rows(spec)
    first = next(r for r in rows if r["Ряд"] == "Значение" and r["Дата"] == "2022-03-31")
    assert (first["Значение (текст)"], first["Дата (текст)"]) == ("93,8\u00a0%", "31.03.2022")
    assert next(r for r in rows if r["Ряд"] == "Значение" and r["Дата"] == "2022-06-30")["Значение (текст)"] == "90\u00a0%"


def test_an_empty_series_says_no_data_without_axes():
    for chart in (charts.trend([], unit="чел.", target_value=3.0),
                  charts.trend([Point(label="I кв. 2022", end=date(2022, 3, 31), value=None)], unit="%"),
                  charts.ranking([], unit="%"), charts.distribution([], unit="%")):
        spec = chart.to_dict()
        assert spec["mark"]["type"] == "text" and "x" not in spec["encoding"] and "y" not in spec["encoding"]
        assert _rows(spec) == [{"Текст": "нет данных"}]


def test_whole_counts_step_by_one():
    series = [Point(label="2022 г.", end=date(2022, 12, 31), value=1.0),
              Point(label="2023 г.", end=date(2023, 12, 31), value=0.0)]
    spec = charts.trend(series, unit="школ", target_value=1.0).to_dict()
    assert _layers(spec)[0]["encoding"]["y"]["axis"]["tickMinStep"] == 1
    ranked = charts.ranking([{"name": "СОШ № 1", "value": 1.0, "status": "achieved"}], unit="чел.").to_dict()
    bars = [la for la in _layers(ranked) if la.get("mark", {}).get("type") == "bar"][0]
    assert bars["encoding"]["x"]["axis"]["tickMinStep"] == 1
    assert {t.get("title") for t in bars["encoding"]["tooltip"]} == {"Школа", "Значение", None}


def test_every_layer_writes_its_own_tooltip():
    """Streamlit's theme shows every encoded field of a mark without a tooltip of its own, by its
    field name («value», «name») and axis format: no mark is left to it."""
    series = [Point(label="I кв. 2022", end=date(2022, 3, 31), value=93.75)]
    for chart in (charts.trend(series, unit="%", target_value=95.0, average_series=series),
                  charts.ranking([{"name": "СОШ № 1", "value": 93.75, "status": "achieved"},
                                  {"name": "СОШ № 2", "value": 90.0, "status": None}], unit="%",
                                 target_value=95.0, average=92.0),
                  charts.distribution([90.0, 93.75], unit="%")):
        for layer in _layers(chart.to_dict()):
            tips = layer["encoding"]["tooltip"]
            names = [t.get("title") or t["field"] for t in tips]
            assert names and all(re.fullmatch(r"[А-Яа-яЁё ]+", n) for n in names), names
