"""The house's import rules, read from the source (ast) and checked by importing each module alone.

- `core/` never imports streamlit, `ui/`, `server/` or `app_pages/`;
- `core/db.py` only makes engines and sessions: it imports nothing of ours but `core.settings`
  (start-up — migrations, the demo, checks — is `core/startup.py`);
- `server/` imports nothing from `ui/` (nor streamlit's script side);
- no import cycle between our modules at import time;
- every module imports on its own, in a fresh interpreter state.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import pytest

from core.settings import ROOT

PACKAGES = ("core", "server", "ui")


def _modules() -> dict[str, object]:
    out = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(path, *, top_level_only: bool = False) -> set[str]:
    """Modules a file imports (absolute names); `top_level_only`: those run at import time (not
    inside a function)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    if top_level_only:  # imports under `if`/`try` at module level run at import time too
        nodes = [n for top in tree.body if not isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                 for n in ast.walk(top)]
    found = set()
    for n in nodes:
        if isinstance(n, ast.Import):
            found |= {a.name for a in n.names}
        elif isinstance(n, ast.ImportFrom) and n.module and n.level == 0:
            found.add(n.module)
            found |= {f"{n.module}.{a.name}" for a in n.names}  # `from core import demo` imports core.demo
    return found


def _ours(names: set[str]) -> set[str]:
    return {n for n in names if n in MODULES}


def test_the_tree_is_found():
    assert {"core.db", "core.startup", "core.periods", "server.routes", "ui.shell"} <= set(MODULES)


@pytest.mark.parametrize("name", [m for m in MODULES if m.startswith("core")])
def test_core_imports_no_streamlit_ui_or_server(name):
    bad = {n for n in _imports(MODULES[name]) if n.split(".")[0] in ("streamlit", "ui", "server", "app_pages")}
    assert not bad, f"{name} imports {sorted(bad)}"


def test_db_only_makes_engines_and_sessions():
    ours = _ours(_imports(MODULES["core.db"]))
    assert ours <= {"core", "core.settings"}, f"core.db imports {sorted(ours - {'core', 'core.settings'})}"


@pytest.mark.parametrize("name", [m for m in MODULES if m.startswith("server")])
def test_server_imports_nothing_from_ui(name):
    bad = {n for n in _imports(MODULES[name]) if n.split(".")[0] in ("ui", "app_pages", "main")}
    assert not bad, f"{name} imports {sorted(bad)}"


def test_no_import_cycles():
    graph = {m: _ours(_imports(p, top_level_only=True)) - {m} for m, p in MODULES.items()}
    cycles, state = [], {}

    def visit(m, stack):
        state[m] = "open"
        for n in sorted(graph.get(m, ())):
            if state.get(n) == "open":
                cycles.append(stack[stack.index(n):] + [n])
            elif n not in state:
                visit(n, stack + [n])
        state[m] = "done"

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert not cycles, "import cycles: " + "; ".join(" → ".join(c) for c in cycles)


def test_every_module_imports_on_its_own():
    """One interpreter; before each module all of ours are forgotten (but core.models, whose tables
    can be declared once per process), so each is imported first."""
    script = f"""
import importlib, json, sys, traceback
names = {json.dumps(sorted(MODULES))}
failed = {{}}
for name in names:
    for m in [m for m in sys.modules if m.split(".")[0] in {PACKAGES!r} and m not in ("core", "core.models")]:
        del sys.modules[m]
    try:
        importlib.import_module(name)
    except Exception:
        failed[name] = traceback.format_exc(limit=3)
print(json.dumps(failed))
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    failed = json.loads(out.stdout.strip().splitlines()[-1])
    assert not failed, failed


# Cycles through imports made inside functions (run on first call, not at import time) are cycles
# too: none may appear.
KNOWN_LAZY_CYCLES: set[tuple[str, ...]] = set()


def _cycles(graph: dict[str, set[str]]) -> set[tuple[str, ...]]:
    found = set()

    def visit(m, stack, seen):
        for n in graph.get(m, ()):
            if n in stack:
                c = stack[stack.index(n):]
                i = c.index(min(c))
                found.add(tuple(c[i:] + c[:i]))
            elif n not in seen:
                seen.add(n)
                visit(n, stack + [n], seen)

    for m in graph:
        visit(m, [m], {m})
    return found


def test_no_new_cycle_even_through_lazy_imports():
    graph = {m: _ours(_imports(p)) - {m} for m, p in MODULES.items()}
    new = _cycles(graph) - KNOWN_LAZY_CYCLES
    assert not new, "new import cycles: " + "; ".join(" → ".join(c) for c in sorted(new))


def test_tests_share_through_helpers_and_bench_needs_no_tests():
    """A test module imports no other test module (what several share is in a conftest.py or a helpers
    module), the app imports nothing of devkit/ or tests/, and bench/ imports nothing from tests/ (what it
    shares with them is devkit/)."""
    tests = sorted((ROOT / "tests").rglob("test_*.py"))
    assert len(tests) > 50
    bad = {str(p.relative_to(ROOT)): sorted(n for n in _imports(p) if n.split(".")[-1].startswith("test_"))
           for p in tests}
    bad |= {str(p.relative_to(ROOT)): sorted(n for n in _imports(p) if n.split(".")[0] in ("tests", "devkit"))
            for p in MODULES.values()}
    bad |= {str(p.relative_to(ROOT)): sorted(n for n in _imports(p) if n.split(".")[0] == "tests")
            for p in sorted((ROOT / "bench").glob("*.py"))}
    assert not {k: v for k, v in bad.items() if v}, {k: v for k, v in bad.items() if v}
