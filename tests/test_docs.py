"""The README and docs/ stand on their own: no pointer outside the repository, every link resolves."""

import re

import pytest

from core.settings import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("path", DOCS, ids=[p.name for p in DOCS])
def test_nothing_points_outside_the_repository(path):
    text = path.read_text(encoding="utf-8")
    assert "../" not in text, path.name
    assert "shared/" not in text and "/work/" not in text, path.name
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        assert (path.parent / target).resolve().is_relative_to(ROOT.resolve()), (path.name, target)
        assert (path.parent / target).exists(), (path.name, target)


def test_the_readme_points_to_the_design_and_the_seeds():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/design.md" in text and "docs/seeds.md" in text
