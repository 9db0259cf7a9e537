"""The app's stylesheet: the theme, Streamlit's English in Russian (ui/native.py), the phone's layout
(ui/phone.py, last: its rules override below 640 px). Every page links it as one file,
`/ui/theme.css` (app.py hands it to server/inject.py, which adds the link at the start of the page's body:
after Streamlit's own styles, before any page's, which therefore win a tie as they did).

It used to come with every page's first script run as a Markdown block of HTML: the browser parsed those
9 KB with the Markdown and HTML parsers on each page (0,1-0,2 CPU-s of a first render), every page
sent them again, and the first paint came without them (issue 27). Now the browser caches the file
and applies it before the first paint."""

from __future__ import annotations

import re

from ui import native
from ui.phone import CSS as PHONE_CSS

BASE = """
  .block-container { padding-top: 2.2rem; }
  /* the room of the row these styles took when they came as Markdown (every page's layout as it was) */
  [data-testid="stMainBlockContainer"] > [data-testid="stVerticalBlock"] { margin-top: 1rem }
  .tile-title { font-size: 1.25rem; font-weight: 700; line-height: 1.25; min-height: 3.1em; color:#102a43 }
  .tile-value { font-size: 2.5rem; font-weight: 800; line-height: 1.1; color:#102a43; margin-right: 12px }
  .tile-row { display: flex; align-items: center; flex-wrap: wrap; gap: 6px; margin: 4px 0 }
  .sparkline { display: block; margin: 6px 0 2px 0 }
  table.status-table { border-collapse: separate; border-spacing: 3px; width: 100%; font-size: 1rem }
  table.status-table th { text-align: left; padding: 6px 10px; color: #102a43; background: #eef2f7 }
  table.status-table td { color: #fff; font-weight: 700; padding: 6px 10px; border-radius: 6px; white-space: nowrap }
  table.status-table td.na { color: #829ab1; background: #f5f7fa; font-weight: 400 }
  .plain-table-box { overflow-x: auto; max-width: 100% }
  table.plain-table { border-collapse: collapse; width: 100%; font-size: 1rem; margin: 0 0 1rem 0 }
  table.plain-table th, table.plain-table td { border: 1px solid #e4e7eb; padding: 6px 10px; text-align: left;
                                               vertical-align: top }
  table.plain-table th { color: #486581; font-weight: 600 }
  table.status-table .flag { font-size: .8rem; color: #486581; font-weight: 600 }
  .tile-rule { font-size: 1.05rem; color:#334e68 }
  .tile-meta { font-size: 0.95rem; color:#486581 }
  form.logout-form button { background: none; border: 0; padding: 0; color: #0b4f8a; text-decoration: underline;
                            cursor: pointer; font: inherit }
  .demo-line { font-size: .95rem; color: #7a4f01; background: #fff8e1; border-left: 4px solid #E69F00;
               padding: 4px 10px; margin: 0 0 8px 0; border-radius: 4px }
  /* a 1280-wide projector: a narrower menu and margins leave the content room */
  @media (max-width: 1440px) {
    section[data-testid="stSidebar"] { width: 250px !important; min-width: 250px !important; max-width: 250px !important }
    .block-container { padding-left: 1.5rem !important; padding-right: 1.5rem !important }
    h1 { font-size: 2.1rem !important; padding-top: .3rem !important }
  }
  @media print { [data-testid="stSidebar"], header, [data-testid="stToolbar"] { display: none !important; } }
"""


# The timeline's look (core.plan_charts.Timeline.html): a label column (--tl-label) and a track; rows 26 px
# high (core.plan_charts.ROW_PX), 15 px text (16 px legend) as on the projector; on a phone the label column
# takes a little more, and the month labels marked phone-hide go.
TIMELINE = """
.tl { --tl-label: 40%; font-size: 15px; color: #243b53; margin: 2px 0 6px 0; line-height: 1.2 }
.tl-legend { display: flex; flex-wrap: wrap; gap: 4px 24px; font-size: 16px; margin-bottom: 6px }
.tl-key i { display: inline-block; width: 14px; height: 14px; margin-right: 6px; vertical-align: -2px }
.tl-head, .tl-row, .tl-foot { display: grid; grid-template-columns: var(--tl-label) minmax(0, 1fr) }
.tl-track { position: relative; min-width: 0 }
.tl-head .tl-track, .tl-foot .tl-track { height: 22px }
.tl-head span, .tl-foot span { position: absolute; top: 2px; white-space: nowrap; transform: translateX(-50%) }
.tl-head span.tl-end { transform: translateX(-100%) }
.tl-head span.tl-start { transform: none }
.tl-foot span { color: #b71c1c; transform: none; padding-left: 4px }
.tl-foot span.tl-right { transform: translateX(-100%); padding: 0 4px 0 0 }
.tl-body { position: relative }
.tl-grid { position: absolute; top: 0; bottom: 0; left: var(--tl-label); right: 0; pointer-events: none }
.tl-grid i { position: absolute; top: 0; bottom: 0; width: 1px; background: #e4e7eb }
.tl-grid i.tl-now { width: 0; background: none; border-left: 2px dashed #b71c1c; z-index: 1 }
.tl-row { height: 26px; align-items: center }
.tl-row:hover { background: #f0f4f8 }
.tl-first { border-top: 1px solid #bcccdc }
.tl-lab { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; padding-right: 8px }
.tl-lab b { color: #486581; font-weight: 600 }
.tl-row .tl-track { height: 26px }
.tl-bar { position: absolute; top: 7px; height: 12px; min-width: 4px; border-radius: 2px }
.tl-pt { position: absolute; top: 7px; width: 11px; height: 11px; border: 1px solid #fff;
         transform: translateX(-50%) rotate(45deg) }
@media (max-width: 640px) {
  .tl { --tl-label: 45%; font-size: 13px }
}
"""


def _rules(block: str) -> str:
    return re.sub(r"</?style>", "", block).strip()


STYLESHEET = "\n".join(_rules(x) for x in (BASE, TIMELINE, native.CSS, PHONE_CSS)) + "\n"
