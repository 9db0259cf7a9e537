"""«Как считается»: the words under that heading on the overview and the indicator page — how a
status is decided, and how this roadmap was carried from its document (the judgement calls its
workbook records in «Источник»). Text only; the pages show it as it comes."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from core import approval
from core.auth import Scope
from core.formatting import md_text
from core.roadmap_view import roadmap_meta
from core.settings import get_settings

def rules() -> str:
    """How a status is decided, in the words of the overview (markdown)."""
    return (
        "- **Достигнут** — значение не хуже целевого.\n"
        "- **По плану** — значение не хуже ожидаемого на прямой от базы к цели в этом периоде.\n"
        "- **Под угрозой** — отставание от ожидаемого не больше четверти пути от базы к цели, "
        "или прогноз по тренду достигает цели.\n"
        "- **Отстаёт** — отставание больше, или срок прошёл, а цель не достигнута.\n"
        "- **Нет данных** — нет значения за период, нет базы для расчёта цели, или данные есть меньше чем у "
        f"{round(100 * get_settings().min_coverage)} % школ группы.\n\n"
        f"**Какой период оценивается.** Последний полный: данные сдали не меньше "
        f"{round(100 * get_settings().min_coverage)} % школ группы, или период утверждён. Квартал, который ещё "
        "собирается, не заменяет его: рядом написано «идёт сбор IV кв. 2024: 1 из 5 школ».\n\n"
        "**Срок.** Когда срок цели прошёл (данные за срочный период собраны или срок их сдачи истёк), "
        "статус — это итог на срок: «вердикт к сроку (IV кв. 2024)»; более поздние значения показаны "
        "как «после срока» и статус не меняют. До базового периода статуса нет: «база ещё не измерена».\n\n"
        "**Какие школы.** Для целей роста («+5 п.п.», «+10 %») значение группы и её база считаются по одним "
        "и тем же школам — сдавшим данные и за период, и за базовый период. Для целей уровня («не менее», "
        "«не более», «не ниже среднего», «по этапам») считаются все школы, сдавшие данные за период; школа "
        "без своей базы оценивается по пути группы и может попасть в «отстают». Под плиткой указано, у "
        "скольких школ есть данные и у кого их нет.\n\n"
        "**Предварительно.** Если без данных молчащих школ статус мог бы быть другим (с их последними "
        "известными значениями он другой), статус помечен «предварительно: нет данных …» с названиями школ. "
        "Точка графика группы, за которую данных меньше порога, не рисуется (пропуск, а не падение).\n\n"
        "Прогноз — тренд последних 4 измеренных периодов, продолженный от текущего значения. "
        "Рост «+10 %» от нулевой базы засчитывается при любом росте выше нуля.\n\n"
        "Доли по группе школ считаются как отношение сумм (всего «из них» / всего), а не как среднее "
        "процентов. «+5 п.п.» — рост на 5 процентных пунктов, «+10 %» — рост на 10 % от базового значения.")


def figure_words() -> str:
    """How a figure is said on the tiles, slides and in the справка (core.figures), in words (markdown)."""
    return (
        "Под значением указано, по каким школам оно посчитано («ШНОР и ШНСУ, 5 школ»), а если цель "
        "относится к части школ — значение по всем школам территории за тот же период («по городу 61 %»). "
        "Ожидаемое по плану число людей или школ — целое и округлено в ту сторону, которая не приукрашивает: "
        "3,33 директора — это 4. Если тренд направлен против последнего изменения, прогноз принимается "
        "ровным, и подпись к нему так и говорит. Данные за год называются годом («2023 г.»).")


def how_counted(scope: Scope, roadmap_id: int, engine: Engine | None = None) -> str:
    """The rules, then what the roadmap's «Источник» says about how it was carried over (markdown)."""
    meta = roadmap_meta(scope, roadmap_id, engine)
    parts = [rules(), figure_words(), approval.HOW_COUNTED]
    if meta.get("source"):
        parts.append("**Как перенесена эта дорожная карта.** " + md_text(meta["source"]).replace("\n", "  \n"))
    return "\n\n".join(parts)



def for_document(scope: Scope, roadmap_id: int, engine: Engine | None = None) -> list[str]:
    """«Как считается» as plain paragraphs for a document (the справка): the same rules and the same
    «Источник» — how the roadmap was carried from its document — as the screen shows."""
    meta = roadmap_meta(scope, roadmap_id, engine)
    out = [line.removeprefix("- ").replace("**", "") for line in rules().split("\n") if line.strip()]
    out.append(figure_words())
    if meta.get("source"):
        out.append("Как перенесена эта дорожная карта. " + meta["source"])
    return out
