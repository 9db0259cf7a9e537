"""The house rules a reader can check without running anything (issue 28): no function over 80 lines,
and no module reaching into another's private names — what two modules share is public in one of them."""

from __future__ import annotations

import ast

from core.settings import ROOT

FOLDERS = ("core", "ui", "app_pages", "server")
MAX_LINES = 80


def _files():
    for folder in FOLDERS:
        yield from sorted((ROOT / folder).rglob("*.py"))


def _module_name(path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def long_functions(source: str) -> list[tuple[str, int]]:
    tree = ast.parse(source)
    return [(n.name, n.end_lineno - n.lineno + 1) for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > MAX_LINES]


def private_reaches(source: str, own: str) -> list[str]:
    """`other._name` where `other` names one of our modules, and `from other import _name`."""
    tree = ast.parse(source)
    ours = {}  # local name -> our module it stands for
    found = []
    for n in ast.walk(tree):
        if isinstance(n, ast.Import):
            for a in n.names:
                if a.name.split(".")[0] in FOLDERS and a.asname:
                    ours[a.asname] = a.name
        elif isinstance(n, ast.ImportFrom) and n.module and n.level == 0 and n.module.split(".")[0] in FOLDERS:
            for a in n.names:
                if a.name.startswith("_") and not a.name.startswith("__") and n.module != own:
                    found.append(f"from {n.module} import {a.name}")
                ours[a.asname or a.name] = f"{n.module}.{a.name}"
    for n in ast.walk(tree):
        if (isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in ours
                and n.attr.startswith("_") and not n.attr.startswith("__") and ours[n.value.id] != own):
            found.append(f"{n.value.id}.{n.attr}")
    return found


def test_the_checks_see_what_they_look_for():
    body = "\n".join(f"    x = {i}" for i in range(80))
    assert long_functions(f"def f():\n{body}\n") == [("f", 81)]
    assert long_functions("def f():\n    return 1\n") == []
    src = "from core import reports\nfrom core.quarters import _info\nreports._para(1)\nreports.para(1)\n"
    assert private_reaches(src, "core.cycle") == ["from core.quarters import _info", "reports._para"]


def test_no_function_over_80_lines():
    found = [f"{p.relative_to(ROOT)}: {name} ({n} lines)" for p in _files()
             for name, n in long_functions(p.read_text(encoding="utf-8"))]
    assert not found, found


def test_no_private_cross_module_calls():
    found = [f"{p.relative_to(ROOT)}: {what}" for p in _files()
             for what in private_reaches(p.read_text(encoding="utf-8"), _module_name(p))]
    assert not found, found
