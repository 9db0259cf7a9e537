"""Tables fit the main area of a 1280 px screen: column widths that add up to the room, the narrow
columns at their natural width, the long texts narrowed to one common width."""

import pandas as pd

from ui.table_fit import CHAR_PX, IN_EXPANDER_PX, MIN_PX, PAD_PX, ROOM_PX, column_widths, natural_width


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


def test_a_table_in_an_expander_fits_its_narrower_room():
    """The school page's office items sit in an expander (a grid box of 941 px, not 977): fitted to the
    main area they scrolled sideways by 16 px (the page tour measured it once the expander was opened)."""
    long = "Мониторинг участия руководителей и педагогов в мероприятиях по повышению квалификации"
    frame = pd.DataFrame({"Статус": ["запланировано"], "Срок": ["В течение 2024-2025 года в соответствии с планом"],
                          "Что": ["Контрольная точка"], "№": ["3.3"], "Содержание": [long],
                          "Ответственный": ["УО, МБУ «ЦРО», руководители ОО"]})
    assert sum(column_widths(frame, IN_EXPANDER_PX).values()) <= IN_EXPANDER_PX < ROOM_PX
    assert natural_width(frame, "№") == MIN_PX  # a short column: the least width, not less
    assert natural_width(frame, "Содержание") == int(PAD_PX + CHAR_PX * len(long))
