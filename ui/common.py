"""Small UI helpers shared by the pages: the current user and scope, status badges, messages."""

from __future__ import annotations

from html import escape

import streamlit as st

from core import formatting as fmt
from core.auth import Scope
from core.models import User
from core.targets import STATUS_COLORS, STATUS_ICONS, STATUS_LABELS

USER_KEY = "_user"
SCOPE_KEY = "_scope"


def current_user() -> User:
    return st.session_state[USER_KEY]


def scope() -> Scope:
    return st.session_state[SCOPE_KEY]


def status_badge(status: str, *, size: int = 18) -> str:
    """HTML of a status: colour plus icon plus word (readable in greyscale and on a projector)."""
    return (f'<span class="status-badge" style="background:{STATUS_COLORS[status]};color:#fff;'
            f'padding:3px 12px;border-radius:14px;font-weight:700;font-size:{size}px;white-space:nowrap">'
            f'{STATUS_ICONS[status]} {escape(STATUS_LABELS[status])}</span>')


def demo_banner(is_demo: bool) -> None:
    if is_demo:
        st.warning("**Демонстрационные данные.** Школы с пометкой «демо» и все значения показателей "
                   "вымышлены для показа возможностей; дорожные карты и целевые показатели взяты из "
                   "реальных документов.", icon=":material/science:")


def fmt_value(x, unit: str) -> str:
    return fmt.value(x, unit)
