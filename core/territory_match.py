"""A territory named in a document or a workbook, matched to those in the system by its name, fuzzily:
«Харовский район», «Харовского муниципального района» and «Харовский муниципальный район» are one.
Used by the Word draft (it proposes the system's territory and code) and by the roadmap importer (a
new code whose name matches an existing territory is asked about, not created twice)."""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from core.auth import Scope

# words every territory's name may or may not carry: they do not tell two territories apart
_GENERIC = {"муниципальный", "муниципальное", "муниципального", "муниципальном", "район", "района", "районе", "округ",
            "округа", "округе", "городской", "городского", "городском", "город", "города", "г", "образование",
            "образования", "образовании", "мо", "го", "мр", "рн", "р-н", "область", "края", "край", "области"}
CUTOFF = 88  # a score at or above it is «the same territory»


def key(name: str) -> str:
    """The distinctive words of a territory's name, their case endings cut («харовск»)."""
    words = re.findall(r"[а-яa-z0-9-]+", (name or "").lower().replace("ё", "е"))
    stems = [re.sub(r"(ий|ый|ой|ого|ом|ому|ая|ое|ск)$", "", w) if len(w) > 5 else w
             for w in words if w not in _GENERIC]
    return " ".join(stems)


def similar(name: str, territories: list[tuple[str, str]], cutoff: int = CUTOFF) -> list[tuple[str, str, int]]:
    """(code, name, score) of the territories whose name matches `name`, best first."""
    k = key(name)
    if not k:
        return []
    out = []
    for code, other in territories:
        ko = key(other)
        if not ko:
            continue
        score = int(round(fuzz.token_sort_ratio(k, ko)))
        if score >= cutoff:
            out.append((code, other, score))
    return sorted(out, key=lambda x: -x[2])


def visible(scope: Scope, connection) -> list[tuple[str, str]]:
    """(code, name) of the territories the user may load a roadmap for (an administrator: all)."""
    from sqlalchemy import text

    rows = connection.execute(text("SELECT id, code, name FROM territory ORDER BY name")).all()
    return [(r.code, r.name) for r in rows if scope.is_admin or scope.can_see_territory(r.id)]
