"""The schools that have not reported, as a spreadsheet and as a reminder letter (DOCX)."""

from __future__ import annotations

from datetime import date

from core import docs_parts
from core import formatting as fmt
from core.cycle.reported import Collection


def not_reported_xlsx(col: Collection) -> bytes:
    rows = [[r.code, r.school, r.reported_values, r.expected, r.status] for r in col.not_reported.itertuples()]
    return docs_parts.workbook({"Не представили": (
        ["Код школы", "Школа", "Представлено значений", "Ожидается значений", "Состояние"], rows)})


def not_reported_letter(col: Collection, *, today: date | None = None) -> bytes:
    """A short letter «О представлении данных мониторинга…» to the schools that have not reported."""
    today = today or col.today
    info = col.info
    doc = docs_parts.new_document()
    docs_parts.para(doc, f"{fmt.day_month_year(today)}", center=False)
    docs_parts.para(doc, "Руководителям общеобразовательных организаций (по списку)", italic=True)
    docs_parts.para(doc, f"О представлении данных мониторинга целевых показателей дорожной карты за {info.period_label}",
                    bold=True, center=True)
    missing = col.not_reported
    deadline = info.deadline
    if today <= deadline:
        lead = f"Напоминаем, что данные мониторинга за {info.period_label} представляются до {deadline:%d.%m.%Y}."
    else:
        lead = (f"Срок представления данных мониторинга за {info.period_label} истёк {deadline:%d.%m.%Y}. "
                f"На {today:%d.%m.%Y} данные не представили {len(missing)} "
                f"{fmt.plural(len(missing), ('организация', 'организации', 'организаций'))}.")
    docs_parts.para(doc, lead)
    docs_parts.para(doc, "Просим в течение трёх рабочих дней заполнить форму мониторинга (файл Excel или ввод в "
                         "системе мониторинга) и представить её в управление образования.")
    if len(missing):
        docs_parts.table(doc, ["№", "Код", "Организация"],
                         [[str(i), r.code, r.school] for i, r in enumerate(missing.itertuples(), 1)], [1.2, 3.0, 12.0])
    else:
        docs_parts.para(doc, "Все организации данные представили.")
    docs_parts.para(doc, "")
    docs_parts.para(doc, "Руководитель управления образования  ____________________")
    docs_parts.para(doc, f"Территория: {info.territory}.", italic=True)
    return docs_parts.save(doc)
