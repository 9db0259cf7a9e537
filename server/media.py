"""Download and media URLs (`/media/<id>`) bound to the login session whose script made them.

Streamlit serves `st.download_button`/`st.image` files from `/media/<id>` to any request that knows
the id; behind our gate that means any logged-in user holding the URL. Here the gate learns which
Streamlit session a file belongs to — a file rendered by a script run, or the result of a download
made on click (a deferred callable, which Streamlit 1.67 records against no session: `install`
notes its owner) — and `ui.shell` tells which login session each Streamlit session runs for
(`core.auth.bind_script_session`). A file whose owner is another login session, or unknown, is
answered 404. Relies on Streamlit 1.67's MediaFileManager internals; checked by
tests/e2e/test_security_browser.py.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict

from core import auth

_RESULT_OWNER: OrderedDict[str, str] = OrderedDict()  # file id made on click -> Streamlit session id
_LOCK = threading.Lock()
_MAX = 10000


def install() -> None:
    from streamlit.runtime.media_file_manager import MediaFileManager

    original = MediaFileManager.execute_deferred
    if getattr(original, "_bound", False):
        return

    def execute_deferred(self, file_id: str) -> str:
        entry = self._deferred_callables.get(file_id) or {}
        url = original(self, file_id)
        session_id = entry.get("session_id")
        if session_id:
            made = os.path.splitext(url.rsplit("/", 1)[-1])[0]
            with _LOCK:
                _RESULT_OWNER[made] = session_id
                while len(_RESULT_OWNER) > _MAX:
                    _RESULT_OWNER.popitem(last=False)
        return url

    execute_deferred._bound = True
    MediaFileManager.execute_deferred = execute_deferred


def _owner(file_id: str) -> str | None:
    with _LOCK:
        if file_id in _RESULT_OWNER:
            return _RESULT_OWNER[file_id]
    try:
        from streamlit.runtime import Runtime

        mgr = Runtime.instance().media_file_mgr
    except Exception:  # noqa: BLE001 - no runtime: nothing is served anyway
        return None
    with mgr._lock:
        for session_id, files in mgr._files_by_session_and_coord.items():
            if file_id in files.values():
                return session_id
    return None


def may_fetch(path: str, session_token: str | None) -> bool:
    """May the holder of `session_token` fetch `/media/<name>`?"""
    file_id = os.path.splitext(path.rsplit("/", 1)[-1])[0]
    owner = _owner(file_id)
    return owner is not None and auth.script_session_owner(owner) == auth.token_hash(session_token or "")
