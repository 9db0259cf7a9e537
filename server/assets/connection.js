// Lost connection, in Russian (issue 29). Streamlit 1.67 shows an English «Connection error» dialog
// and reconnects by itself; here that dialog speaks Russian, and once the server answers again the
// page is reloaded if the app has not reconnected on its own — the login gate then decides: the app,
// or the login page when the session has ended meanwhile (a logout elsewhere, a restore). A websocket
// closed by the server because its session ended (4401) reloads the page at once.
(() => {
  const TITLE = "Нет связи с сервером";
  const TEXT = "Соединение с сервером потеряно. Переподключаемся автоматически — ничего делать не нужно. " +
               "Если это продолжается долго, проверьте подключение к сети или сообщите администратору.";
  let lostSince = 0, polling = false;

  function dialogOfConnection() {
    for (const d of document.querySelectorAll('[data-testid="stDialog"]')) {
      if (/Connection error|Нет связи с сервером/.test(d.textContent)) return d;
    }
    return null;
  }

  function russify(d) {
    if (d.dataset.ru === "1") return;
    d.dataset.ru = "1";
    const heading = d.querySelector("h1, h2, h3, [role=heading]");
    const walker = document.createTreeWalker(d, NodeFilter.SHOW_TEXT);
    const texts = [];
    while (walker.nextNode()) texts.push(walker.currentNode);
    let first = true;
    for (const t of texts) {
      if (!t.nodeValue.trim()) continue;
      if (/Connection error/.test(t.nodeValue) || (heading && heading.contains(t) && first)) {
        t.nodeValue = TITLE;
      } else if (first || !heading || !heading.contains(t)) {
        t.nodeValue = "";
      }
      first = false;
    }
    const body = document.createElement("p");
    body.className = "ru-connection-text";
    body.textContent = TEXT;
    body.style.cssText = "margin: 0; padding: 0 1.5rem 1.5rem; line-height: 1.45";
    (d.querySelector('[role="dialog"]') || d).appendChild(body);
  }

  function statusLabel() {
    const s = document.querySelector('[data-testid="stConnectionStatus"]');
    if (!s) return false;
    for (const el of s.querySelectorAll("*")) {
      if (el.childElementCount === 0 && /Connecting|Error|Reconnecting/i.test(el.textContent)) {
        el.textContent = "Нет связи";
      }
    }
    return true;
  }

  async function pollServer() {
    if (polling) return;
    polling = true;
    try {
      for (;;) {
        await new Promise(r => setTimeout(r, 2000));
        if (!dialogOfConnection() && !document.querySelector('[data-testid="stConnectionStatus"]')) {
          lostSince = 0;
          return;  // reconnected by itself
        }
        try {
          const r = await fetch("/_stcore/health", {cache: "no-store"});
          if (r.ok && Date.now() - lostSince > 4000) { location.reload(); return; }
        } catch (e) { /* still down: keep waiting */ }
      }
    } finally {
      polling = false;
    }
  }

  function check() {
    const d = dialogOfConnection();
    const status = statusLabel();
    if (d) russify(d);
    if (d || status) {
      if (!lostSince) lostSince = Date.now();
      pollServer();
    }
  }

  new MutationObserver(check).observe(document.documentElement, {subtree: true, childList: true});

  // The server closes the websocket of a session that has ended (4401: a logout elsewhere, a changed
  // password, a change of role, a restore): the login page at once, saying why (`ended=1`).
  const WS = window.WebSocket;
  window.WebSocket = class extends WS {
    constructor(...a) {
      super(...a);
      this.addEventListener("close", e => {
        if (e.code === 4401) location.assign("/login?ended=1&next=" + encodeURIComponent(location.pathname + location.search));
      });
    }
  };
})();
