"""Tables fit the main area of a 1280 px screen: column widths that add up to the room, the narrow
columns at their natural width, the long texts narrowed to one common width."""

import pandas as pd

from ui.table_fit import CHAR_PX, PAD_PX, ROOM_PX, column_widths


def test_a_table_that_fits_is_left_to_streamlit():
    assert column_widths(pd.DataFrame({"№": [1, 2], "Статус": ["выполнено", "просрочено"]})) == {}


def test_a_wide_table_is_fitted_to_the_room():
    long = "Проведение методических семинаров для педагогов общеобразовательных организаций " * 2
    frame = pd.DataFrame({"Статус": ["просрочено"] * 3, "Срок": ["31.12.2024"] * 3, "Что": ["мероприятие"] * 3,
                          "№": ["1.1", "1.2", "2.10"], "Содержание": [long] * 3,
                          "Ответственный": ["Управление образования, руководители ОО, ЦРО, методисты"] * 3})
    widths = column_widths(frame)
    assert set(widths) == set(frame.columns) and sum(widths.values()) <= ROOM_PX
    assert widths["Срок"] == int(PAD_PX + CHAR_PX * len("31.12.2024"))  # the narrow keep their natural width
    assert widths["Содержание"] == widths["Ответственный"] < PAD_PX + CHAR_PX * 60  # the long share what is left
