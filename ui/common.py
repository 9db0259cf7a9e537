"""Small UI helpers shared by the pages: the current user and scope, status badges, messages."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from core.formatting import md_text as escape  # user text: Markdown and HTML both inert

import streamlit as st

from core import formatting as fmt
from core.auth import Scope
from core.ingest.excel import MAX_FILE_BYTES
from core.ingest.numbers import megabytes
from core.models import User
from core.vocabulary import GROUP_LABELS, STATUS_COLORS, STATUS_ICONS, STATUS_INK, STATUS_LABELS

USER_KEY = "_user"
SCOPE_KEY = "_scope"
PAGES_KEY = "_pages"


def current_user() -> User:
    return st.session_state[USER_KEY]


def scope() -> Scope:
    return st.session_state[SCOPE_KEY]


def page_for(key: str):
    """The st.Page of this run for a page key ("indicator", "school", ...), or None when the user's
    role does not have that page."""
    return st.session_state.get(PAGES_KEY, {}).get(key)


def status_badge(status: str, *, size: int = 18) -> str:
    """HTML of a status: colour plus icon plus word (readable in greyscale and on a projector)."""
    return (f'<span class="status-badge" style="background:{STATUS_COLORS[status]};color:{STATUS_INK[status]};'
            f'padding:3px 12px;border-radius:14px;font-weight:700;font-size:{size}px;white-space:nowrap">'
            f'{STATUS_ICONS[status]} {escape(STATUS_LABELS[status])}</span>')


def lazy_tabs(panes: dict[str, Callable[[], None]], key: str) -> None:
    """Tabs of which only the open one is built and sent to the browser: choosing another tab reruns the
    page with that tab open, and its content comes then. A hidden tab costs the browser as much as a
    shown one (its charts, grids and Markdown are drawn all the same), and the first screen waits for it
    (issue 27: the overview's tiles 1,8 s after the login click with all three tabs sent, 1,1 s with one)."""
    for pane, fill in zip(st.tabs(list(panes), key=key, on_change="rerun"), panes.values()):
        if pane.open:
            with pane:
                fill()


def lazy_expander(label: str, fill: Callable[[], None], key: str) -> None:
    """An expander whose content is built when it is opened (opening reruns the page, and the content
    comes then). A closed expander's content costs the browser as much as a shown one: the grids of
    «Все периоды» and the school's office items, the roadmap's goal and tasks, all drawn out of sight
    on every first screen."""
    box = st.expander(label, key=key, on_change="rerun")
    if box.open:
        with box:
            fill()


def demo_banner(is_demo: bool) -> None:
    """One line (the projector's first screen is precious): what is invented, and the demo's «сегодня»."""
    if is_demo:
        from ui import cache

        clock = cache.demo_clock()
        st.markdown('<div class="demo-line" title="Школы с пометкой «демо» и все значения показателей вымышлены для '
                    'показа возможностей; дорожные карты и целевые показатели взяты из реальных документов.">'
                    "Демонстрационные данные: значения вымышлены<span class=\"phone-hide\">, дорожные карты и цели — "
                    "реальные</span>"
                    + (f"; «сегодня» — {fmt.day_month_year(clock)} г." if clock else "") + "</div>",
                    unsafe_allow_html=True)


def status_table(rows, unit_col: str, target_columns: list[tuple], link: str | None = None) -> str:
    """The units x targets matrix (core.read.types.MatrixRow) as an HTML table: each cell colour plus
    icon plus word. `target_columns`: (target id, heading) pairs; `link`: each unit's address with
    "{id}" for its id (e.g. "school?school={id}")."""
    head = "".join(f"<th>{escape(str(c))}</th>" for c in [unit_col] + [label for _, label in target_columns])
    body = []
    for row in rows:
        flags = " ".join(GROUP_LABELS[g] for g in ("shnor", "shnsu") if g in row.groups)
        name = escape(row.name) + (f' <span class="flag">{flags}</span>' if flags else "")
        if link:
            name = f'<a href="{escape(link.format(id=int(row.unit_id)))}" target="_self">{name}</a>'
        cells = []
        for c, _ in target_columns:
            s = row.status(c)
            if s is None:  # not in the target's group
                cells.append('<td class="na">—</td>')
            else:
                cells.append(f'<td style="background:{STATUS_COLORS[s]};color:{STATUS_INK[s]}">{STATUS_ICONS[s]} '
                             f'{escape(STATUS_LABELS[s])}</td>')
        body.append(f"<tr><th>{name}</th>{''.join(cells)}</tr>")
    return (f'<table class="status-table"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>')


def chart_with_downloads(chart, name: str, key: str, *, spec: dict | None = None) -> None:
    """An Altair chart with PNG and SVG download buttons (rendered offline on click). `spec`: its
    Vega-Lite spec already converted and cached (`ui.cache.drawn`), drawn as it is."""
    from core import reports

    if spec is None:
        st.altair_chart(chart, width="stretch")
    else:
        st.vega_lite_chart(spec=spec, width="stretch")
    row = st.container(horizontal=True, wrap=True)  # buttons at their own width, wrapping when narrow
    row.download_button("Рисунок .png", lambda: reports.chart_png(chart), file_name=f"{name}.png", mime="image/png",
                        key=f"{key}_png", icon=":material/image:", help="Скачать график картинкой",
                        on_click="ignore")
    row.download_button("Вектор .svg", lambda: reports.chart_svg(chart), file_name=f"{name}.svg", mime="image/svg+xml",
                        key=f"{key}_svg", icon=":material/image:",
                        help="Скачать график в векторе (для печати)", on_click="ignore")


def problems_table(problems, *, cell: bool = True) -> None:
    """The problems of a file's check (core.ingest.problems.Problem) as an HTML table that wraps — a
    grid clipped «Что не так» at 1280 px; what is wrong first. `cell`: with the cell's value column."""
    from core.ingest.problems import problems_frame
    from ui.tables import text_table

    frame = problems_frame(problems)
    text_table(frame if cell else frame.drop(columns=["Значение в ячейке"]))


def table_with_download(frame, name: str, key: str, *, container=None, phone_title: str | None = None,
                        room_px: int | None = None, **dataframe_kwargs) -> None:
    """A table (st.dataframe of `frame`, drawn with `dataframe_kwargs`) and, under it, «Скачать (.xlsx)»
    of the very same rows and columns — the download holds exactly what the user is shown (the same
    core call, the same scope). Streamlit's hover toolbar with its own CSV download is hidden app-wide
    (ui.shell), so this is the table's way out. `name`: the file's name without extension. `phone_title`:
    on a phone the rows are cards titled by this column (ui.phone), not a grid scrolling sideways. `room_px`:
    the width the columns must fit in (ui.table_fit: the main area's by default, IN_EXPANDER_PX in an expander)."""
    from core import reports

    from ui import phone
    from ui.table_fit import ROOM_PX, fitted

    where = container or st
    dataframe_kwargs["column_config"] = fitted(frame, room_px=room_px or ROOM_PX,  # 1280 px
                                               **(dataframe_kwargs.get("column_config") or {}))
    kwargs = {"hide_index": True, "width": "stretch", **dataframe_kwargs}
    if phone_title is None:
        where.dataframe(frame, **kwargs)
    else:
        with where.container():
            with phone.desk(key):
                st.dataframe(frame, **kwargs)
            with phone.phone(key):
                phone.rows_as_cards(frame.to_dict("records"), phone_title)
    where.download_button("Скачать (.xlsx)", lambda: reports.frame_xlsx(frame, name), file_name=f"{name}.xlsx",
                          mime=reports.XLSX_MIME, key=key, on_click="ignore", icon=":material/download:",
                          help="Таблица как на экране — файлом Excel")


def roadmap_picker(sc: Scope, key: str, *, container=None, prefer_targets: bool = False):
    """The roadmap select box shared by the pages, kept in the URL (?roadmap=code). Returns the
    roadmap (core.read.lists.RoadmapRow) or None when the user sees no roadmap."""
    from ui import cache

    roadmaps = cache.roadmaps(sc)
    if not roadmaps:
        st.info("Вам не доступна ни одна дорожная карта.")
        return None
    by_code = {r.code: r for r in roadmaps}
    codes = list(by_code)
    wanted = st.query_params.get("roadmap")
    default = codes.index(wanted) if wanted in codes else (
        next((i for i, r in enumerate(roadmaps) if r.n_targets > 0), 0) if prefer_targets else 0)
    code = (container or st).selectbox("Дорожная карта", codes, index=default, format_func=picker_labels(roadmaps).get,
                                       key=key)
    st.query_params["roadmap"] = code
    return by_code[code]


def picker_labels(roadmaps) -> dict[str, str]:
    """Code -> the picker's label; labels that read alike (a roadmap loaded again under another code)
    get their code added: Streamlit maps the label the browser sends back to an option, and two alike
    would both mean the later one (the page jumped to it on the next rerun)."""
    labels = {r.code: r.label for r in roadmaps}
    alike = Counter(labels.values())
    return {c: f"{lab} ({c})" if alike[lab] > 1 else lab for c, lab in labels.items()}


def quarter_choices(today) -> tuple[list[str], dict[str, str], str]:
    """The quarters a collection or an entry page offers: every quarter of the last three years up
    to the last finished one, and those in the database; their labels; the last finished one."""
    from core import periods as calendar
    from ui import cache

    quarters = [p for p in calendar.upload_choices([p.code for p in cache.periods()], today) if p.kind == "quarter"]
    return [p.code for p in quarters], {p.code: p.label for p in quarters}, calendar.last_finished_quarter(today).code


def file_uploader(label: str, key: str, *, multiple: bool = False, help: str | None = None):
    """Streamlit's uploader with no type= and no widget limit of its own: every refusal (format,
    size) is core's Russian message — up to server.maxUploadSize, set just above core's limit. A
    bigger file never leaves the browser: the widget marks its chip invalid and keeps its English
    reason for screen readers only; the reason is said here in Russian, under the widget."""
    widget_mb = st.get_option("server.maxUploadSize")
    st.markdown(f"""<style>
      .st-key-{key} [data-testid="stFileChip"][aria-invalid="true"] span[role="alert"] {{ display: none }}
      .st-key-{key}:has([data-testid="stFileChip"][aria-invalid="true"]:not([role="button"]))::after {{
          content: "Файл не принят: он больше {megabytes(widget_mb * 1024 * 1024)}, а загружаются файлы до {megabytes(MAX_FILE_BYTES)}. \\A"
                   "Удалите лишнее или разделите файл на несколько. База данных не изменена.";
          white-space: pre-line; display: block; margin-top: .5rem; padding: .6rem 1rem; border-radius: .5rem;
          color: #7d1a1a; background: #fdecea; font-size: 1rem }}
    </style>""", unsafe_allow_html=True)
    return st.file_uploader(label, accept_multiple_files=multiple, key=key, help=help)
