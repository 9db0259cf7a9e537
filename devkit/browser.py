"""The browser side shared by the e2e tests and the benchmarks that drive Chromium: where Chromium is, the
selector of an app whose script is not running, the page-side recorder of what the page sends and
receives (`WIRE`, added before the app's own scripts) with the condition of an idle app (`IDLE_NOW`), and
`Wire`, the bytes the page's network saw (CDP)."""

from __future__ import annotations

import base64
import os

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
# What the page sends and receives, and when its DOM last changed, for wait_idle: every tab of a `Tabs`
# session gets it before the app's own scripts. A rerun request (a BackMsg whose first byte is 0x5a: field 11
# `rerun_script`) is pending until the server's next message; requests over HTTP (a file upload) are counted
# while in flight; the app drawing what it received shows as changes of the DOM.
WIRE = r"""(() => {
  const w = window.__wire = {rerunPending: false, http: 0, last: 0, mark: 0, dom: 0, received: 0};
  document.addEventListener('DOMContentLoaded', () => new MutationObserver(() => { w.dom = performance.now(); })
    .observe(document.documentElement, {subtree: true, childList: true, attributes: true, characterData: true}));
  const WS = window.WebSocket;
  window.WebSocket = class extends WS {
    constructor(...a) {
      super(...a);
      this.addEventListener('message', () => { w.rerunPending = false; w.received++; w.last = performance.now(); });
    }
    send(d) {
      const b = d instanceof ArrayBuffer ? new Uint8Array(d)
        : ArrayBuffer.isView(d) ? new Uint8Array(d.buffer, d.byteOffset, 1) : [];
      if (b[0] === 0x5a) w.rerunPending = true;
      w.last = performance.now();
      return super.send(d);
    }
  };
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (...a) {
    w.http++;
    this.addEventListener('loadend', () => { w.http--; w.last = performance.now(); });
    return send.apply(this, a);
  };
  const f = window.fetch;
  window.fetch = (...a) => { w.http++; return f(...a).finally(() => { w.http--; w.last = performance.now(); }); };
})();"""
QUIET_MS = 150
IDLE_NOW = r"""q => {
  const app = document.querySelector('[data-testid=stApp]');
  const w = window.__wire;
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  // an element whose script is still loading shows Streamlit's placeholder (stSkeleton)
  if (document.querySelector('[data-testid=stSkeleton]')) return false;
  // nothing received yet: the app has not connected, so its first run has not even been asked for
  return w.received > 0 && !w.rerunPending && w.http === 0 && performance.now() - Math.max(w.last, w.mark, w.dom) >= q;
}"""


# the types a server can compress with gain (fonts in woff2 and images are compressed formats already)
TEXT_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml")


class Wire:
    """Bytes the page's network saw (CDP): each HTTP response's encoded length as it arrived, its
    content-encoding, and the websocket frames both ways; `text`/`text_compressed`: the same for the
    responses of text types (scripts, styles, JSON, SVG, HTML), the ones worth compressing."""

    def __init__(self, page):
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.reset()
        self.encoding: dict[str, str] = {}
        self.textual: set[str] = set()
        self.cdp.on("Network.responseReceived", self._response)
        self.cdp.on("Network.loadingFinished", self._finished)
        self.cdp.on("Network.webSocketFrameReceived", lambda e: self._frame(e, "ws_in"))
        self.cdp.on("Network.webSocketFrameSent", lambda e: self._frame(e, "ws_out"))

    def reset(self) -> None:
        self.http = self.http_compressed = self.ws_in = self.ws_out = self.requests = 0
        self.text = self.text_compressed = 0
        self.urls: list[str] = []

    def _response(self, e) -> None:
        headers = {k.lower(): v for k, v in e["response"].get("headers", {}).items()}
        self.encoding[e["requestId"]] = headers.get("content-encoding", "")
        if e["response"].get("mimeType", "").startswith(TEXT_TYPES):
            self.textual.add(e["requestId"])
        self.urls.append(e["response"]["url"])

    def _finished(self, e) -> None:
        n = int(e.get("encodedDataLength", 0))
        self.http += n
        self.requests += 1
        compressed = bool(self.encoding.get(e["requestId"]))
        if compressed:
            self.http_compressed += n
        if e["requestId"] in self.textual:
            self.text += n
            self.text_compressed += n if compressed else 0

    def _frame(self, e, side: str) -> None:
        r = e["response"]
        data = r.get("payloadData", "")
        n = len(base64.b64decode(data)) if r.get("opcode") == 2 else len(data.encode())
        setattr(self, side, getattr(self, side) + n)

    @property
    def total(self) -> int:
        return self.http + self.ws_in + self.ws_out
