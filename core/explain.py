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
        "Значение группы и её база считаются по одним и тем же школам — сдавшим данные и за период, и за "
        "базовый период; под плиткой указано, у скольких школ есть данные и у кого их нет. "
        "Прогноз — тренд последних 4 измеренных периодов, продолженный от текущего значения. "
        "Рост «+10 %» от нулевой базы засчитывается при любом росте выше нуля.\n\n"
        "Доли по группе школ считаются как отношение сумм (всего «из них» / всего), а не как среднее "
        "процентов. «+5 п.п.» — рост на 5 процентных пунктов, «+10 %» — рост на 10 % от базового значения.")


def how_counted(scope: Scope, roadmap_id: int, engine: Engine | None = None) -> str:
    """The rules, then what the roadmap's «Источник» says about how it was carried over (markdown)."""
    meta = roadmap_meta(scope, roadmap_id, engine)
    parts = [rules(), approval.HOW_COUNTED]
    if meta.get("source"):
        parts.append("**Как перенесена эта дорожная карта.** " + md_text(meta["source"]).replace("\n", "  \n"))
    return "\n\n".join(parts)

