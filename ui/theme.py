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


def _rules(block: str) -> str:
    return re.sub(r"</?style>", "", block).strip()


STYLESHEET = "\n".join(_rules(x) for x in (BASE, native.CSS, PHONE_CSS)) + "\n"
