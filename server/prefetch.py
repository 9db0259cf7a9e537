"""What a fresh browser fetches while a person types their password: the login page's script
(`SCRIPT_PATH`) fetches the Streamlit files that the first screen after the login needs, so that the
screen is drawn from the browser's cache instead of waiting for ~130 downloads after the click.

Gently: two requests at a time, once the login page has loaded, and none started after the form is
sent — the browser has six connections to the server, and the login itself must never wait behind a
prefetch (with `<link rel="prefetch">` for each file, the browser took all six and the login's POST
queued behind them).

The files are found in the installed Streamlit, not written down by name (their names carry a content
hash that changes with every release): the scripts, stylesheet and preloaded modules that Streamlit's
own index.html names; the components that the first screens of the roles draw (`COMPONENTS`: a
select box, the period slider, a Vega-Lite chart, Markdown with HTML, page links, download buttons),
each with the modules it imports; the two fonts every page uses. A component that a later Streamlit
no longer has is simply not prefetched (tests/server/test_prefetch.py names each one, so an upgrade
that renames one is seen).

The browser keeps the answers in its HTTP cache (Streamlit marks its files immutable for a year); our
server sends them compressed (server/compression.py). A browser that already has this release's entry script
and the last of the files (a font every page draws) fetches nothing at all: two looks into its cache
(`only-if-cached`, `probes()`) instead of ~125, which cost Chromium about a CPU-second on each login even
answered from the cache."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import streamlit
from starlette.requests import Request
from starlette.responses import Response

STATIC = Path(streamlit.__file__).parent / "static"
# the lazily loaded components of the first screens (file name before the content hash)
COMPONENTS = ("Selectbox", "Slider", "ButtonGroup", "PageLink", "ArrowVegaLiteChart", "rehype-raw",
              "DownloadButton")
FONTS = ("SourceSansVF-Upright.ttf", "MaterialSymbols-Rounded")
_OWN = re.compile(r'(?:src|href)="\./(static/(?:js|css)/[\w.\-]+\.(?:js|css))"')
_IMPORTS = re.compile(r'(?:from|import)\s*"\./([\w.\-]+\.js)"')  # static imports only, not import("…")


@functools.lru_cache(maxsize=1)
def index_html() -> str:
    """Streamlit's own page as installed ("" if it cannot be read)."""
    try:
        return (STATIC / "index.html").read_text(encoding="utf-8")
    except OSError:
        return ""


def component_files(name: str) -> list[Path]:
    return sorted((STATIC / "static" / "js").glob(f"{name}.*.js"))


def with_imports(names: list[str]) -> list[str]:
    """The script files `names` (in static/js) and every module they import, in that order; a name that is
    not there is left out."""
    js = STATIC / "static" / "js"
    todo, seen = list(names), {}
    while todo:
        name = todo.pop(0)
        if name in seen or not (js / name).is_file():
            continue
        seen[name] = None
        todo += _IMPORTS.findall((js / name).read_text(encoding="utf-8", errors="replace"))
    return list(seen)


@functools.lru_cache(maxsize=1)
def assets() -> tuple[str, ...]:
    """The paths (from the site's root) to prefetch, Streamlit's page's own first."""
    own = _OWN.findall(index_html())
    scripts = with_imports([Path(p).name for p in own if p.endswith(".js")]
                           + [f.name for name in COMPONENTS for f in component_files(name)])
    fonts = [f"static/media/{f.name}" for font in FONTS for f in sorted((STATIC / "static" / "media").glob(f"{font}.*"))]
    paths = [p for p in own if p.endswith(".css")] + [f"static/js/{n}" for n in scripts] + fonts
    return tuple("/" + p for p in dict.fromkeys(paths))


# What the app's page itself asks for with its own scripts (server/inject.py adds them as modulepreload):
# the tiles and every page's header are Markdown with HTML, drawn only once Streamlit has loaded its HTML
# renderer — a lazily loaded chunk that otherwise queues behind ~60 others after the first data arrives.
FIRST_PAINT = ("rehype-raw",)


@functools.lru_cache(maxsize=1)
def first_paint_links() -> bytes:
    files = with_imports([f.name for name in FIRST_PAINT for f in component_files(name)])
    return "".join(f'<link rel="modulepreload" crossorigin href="./static/js/{n}">' for n in files).encode()


SCRIPT_PATH = "/ui/prefetch.js"
TAG = f'<script src="{SCRIPT_PATH}" defer></script>'
# same-origin CORS requests with low priority, as Streamlit's modules and fonts are fetched: the page
# after the login finds them in the cache
_JS = """(() => {
  const files = %s;
  let sent = false;
  const form = document.querySelector("form");
  if (form) form.addEventListener("submit", () => { sent = true; });
  async function worker() {
    while (!sent && files.length) {
      try { await fetch(files.shift(), {mode: "cors", credentials: "same-origin", priority: "low"}); } catch (e) {}
    }
  }
  // a browser that has this Streamlit's entry script and the last file (a font every page draws) in its cache
  // has had this version of the app before: its cache answers the app's page itself, and ~125 cache look-ups
  // here would cost it a CPU-second for nothing. (The font alone would not do: its name changes only with
  // the font, the scripts' with every release.)
  const probes = %s;
  async function cached(url) {
    try { return (await fetch(url, {mode: "same-origin", cache: "only-if-cached"})).ok; } catch (e) { return false; }
  }
  const start = async () => {
    if (!files.length || (await Promise.all(probes.map(cached))).every(Boolean)) return;
    worker(); worker();
  };
  if (document.readyState === "complete") start(); else addEventListener("load", start);
})();
"""


def probes() -> list[str]:
    """What the login page asks the browser's cache for before prefetching: Streamlit's entry script (its name
    changes with every release) and the last file prefetched (fetched last, drawn on every page)."""
    files = assets()
    entry = [p for p in files if re.fullmatch(r"/static/js/index\.[\w-]+\.js", p)][:1]
    return list(dict.fromkeys(entry + list(files[-1:])))


@functools.lru_cache(maxsize=1)
def script() -> bytes:
    return (_JS % (json.dumps(list(assets())), json.dumps(probes()))).encode()


async def prefetch_js(_request: Request) -> Response:
    return Response(script(), media_type="text/javascript; charset=utf-8", headers={"Cache-Control": "no-cache"})
