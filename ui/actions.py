"""A page runs a core write or check through here: one place that catches a refusal and says it.

Core refuses with `core.errors.Refused` (every refusal of the app derives from it) and a Russian message
that says where and what; nothing was changed. `write` runs a write: a refusal is shown under the
button, a success refreshes the data version (so this run and every cached read see the write) and is
said — at once, or after the rerun the page asks for (`flash`, shown where the page calls
`show_flash`). `check` runs the first step of preview-then-apply (upload, entry, a roadmap file);
`load`, a read the page cannot go on without.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import streamlit as st

from core.errors import Refused
from core.formatting import md_text
from ui import cache

T = TypeVar("T")
FLASH_KEY = "action_flash"
NOTHING_CHANGED = " Ничего не изменено."


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What a write or a check came to: `ok` False when core refused (the refusal is already shown)."""

    ok: bool
    value: T | None = None


def refusal(exc: Refused, *, suffix: str = "") -> None:
    """Say a refusal: its own words (user text inside it made inert) and what it means."""
    st.error(md_text(str(exc)) + suffix, icon=":material/block:")


def check(fn: Callable[..., T], *args: Any, suffix: str = "", **kwargs: Any) -> Outcome[T]:
    """Run a check that writes nothing (a preview); a refusal is said and `ok` is False."""
    try:
        return Outcome(True, fn(*args, **kwargs))
    except Refused as exc:
        refusal(exc, suffix=suffix)
        return Outcome(False)


def load(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A read the page cannot go on without (a roadmap, a school): a refusal is said, the page stops."""
    got = check(fn, *args, **kwargs)
    if not got.ok:
        st.stop()
    return got.value  # type: ignore[return-value]  # ok: the read returned it


def write(fn: Callable[..., T], *args: Any, done: str | Callable[[T], str | None] | None = None,
          flash: str | None = None, rerun: bool | Callable[[T], bool] = False, suffix: str = "",
          data: bool = True,
          **kwargs: Any) -> Outcome[T]:
    """Run one core write (one transaction in core). On a refusal: say it (+ `suffix`, e.g.
    NOTHING_CHANGED) and return `ok` False. On success: refresh the data version unless the write
    touches no monitoring data (`data=False`: users, passwords), say `done` (a text, or a function of the
    write's result; None or "" says nothing) and, with `rerun` (or when `rerun(result)` is true), start the
    page again — the message then waits under `flash` (a place name the page passes to `show_flash`)."""
    try:
        value = fn(*args, **kwargs)
    except Refused as exc:
        refusal(exc, suffix=suffix)
        return Outcome(False)
    if data:
        cache.refresh_version()  # the write bumped the data version: this run reads after it
    message = done(value) if callable(done) else done
    if rerun(value) if callable(rerun) else rerun:
        if message:
            st.session_state[FLASH_KEY] = (flash or "", message)
        st.rerun()
    if message:
        st.success(message, icon=":material/check_circle:")
    return Outcome(True, value)


def show_flash(place: str = "") -> None:
    """The message of a write made before this rerun, if it was meant for this place."""
    kept = st.session_state.get(FLASH_KEY)
    if kept and kept[0] == place:
        del st.session_state[FLASH_KEY]
        st.success(kept[1], icon=":material/check_circle:")
