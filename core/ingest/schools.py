"""Which school a row means, as offices write it: a code, the official name, «МБОУ "СОШ №2"
г. Невинномысска», «сош 2», a name the user confirmed once (an alias). Matched within the
uploader's own schools first, so a name of another municipality never takes a row that the
uploader's own territory has; a row that matches nothing gets the three closest names
(rapidfuzz)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from rapidfuzz import fuzz, process
from sqlalchemy import text
from sqlalchemy.engine import Engine

from core import auth
from core.auth import Scope
from core.db import get_engine, session_scope
from core.ingest.numbers import cell_text
from core.ingest.problems import IngestError
from core.models import SchoolAlias

_LONG_FORMS = [  # the full words of a school's kind, as in the charter -> the abbreviation people use
    (r"средн\w* общеобразовательн\w* школ\w*", "сош"),
    (r"основн\w* общеобразовательн\w* школ\w*", "оош"),
    (r"начальн\w* общеобразовательн\w* школ\w*", "нош"),
    (r"средн\w* школ\w*", "сш"),
]
_LEGAL = re.compile(r"\b(муниципальн|государствен|бюджетн|автономн|казенн|частн|общеобразовательн|образовательн|"
                    r"учрежден|организац|некоммерческ)\w*")
_FORMS = {"мбоу", "маоу", "мкоу", "моу", "гбоу", "гаоу", "гкоу", "гоу", "мобу", "моау", "мбу", "боу", "аноо", "чоу",
          "оу", "мбнoу", "мау", "мку", "мбобу", "мкобу"}
_TOWN_WORDS = {"г", "гор", "город", "города", "городе", "пос", "поселок", "поселка", "с", "село", "села", "ст",
               "станица", "станицы", "х", "хутор", "п", "пгт", "демо", "no", "n"}
_GENERIC = {"город", "района", "район", "муниципальный", "муниципального", "округ", "округа", "городской",
            "область", "край", "республика", "сельское", "поселение", "мо", "администрация"}
_SPLIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")


def town_stems(territory_names: list[str]) -> tuple[str, ...]:
    """The stems of the towns and districts named by the territories («город Невинномысск» ->
    «невинномыс»), so that «г. Невинномысска» in a school's name is ignored."""
    stems = set()
    for name in territory_names:
        for w in re.findall(r"[^\W\d_]+", cell_text(name).lower().replace("ё", "е")):
            if w not in _GENERIC and len(w) >= 5:
                stems.add(w[:max(5, len(w) - 2)])
    return tuple(sorted(stems))


def school_key(name, towns: tuple[str, ...] = ()) -> str:
    """A school name normalised for matching: no organisational form (МБОУ, «муниципальное
    бюджетное…»), quotes, «№», case, ё, extra spaces or the town's name; «средняя
    общеобразовательная школа» is «сош»."""
    t = cell_text(name).lower().replace("ё", "е")
    for pattern, short in _LONG_FORMS:
        t = re.sub(pattern, short, t)
    t = _LEGAL.sub(" ", t)
    t = re.sub(r"[^\w]+", " ", t.replace("_", " "))
    t = _SPLIT.sub(" ", t)
    words = [w for w in t.split() if w not in _FORMS and w not in _TOWN_WORDS
             and not (towns and w.startswith(towns))]
    return " ".join(words)


@dataclass
class Match:
    school: dict | None
    error: str | None = None
    candidates: list[dict] = field(default_factory=list)  # closest schools in scope, for «did you mean»


class SchoolMatcher:
    """Resolves the school references of one upload for one user (cached per reference)."""

    def __init__(self, scope: Scope, schools: list[dict], territories: dict[int, str], aliases: list[dict],
                 answers: dict[str, str] | None = None):
        self.scope = scope
        # the user's answers for this upload: a name as written -> a school code («--answer school:…=CODE»)
        self.answers = {k.strip(): v.strip().lower() for k, v in (answers or {}).items()}
        self.territories = territories
        self.towns = town_stems(list(territories.values()))
        self.by_code = {s["code"].lower(): s for s in schools}
        self.mine = [s for s in schools if scope.can_see_school(s["id"], s["territory_id"])]
        self.others = [s for s in schools if not scope.can_see_school(s["id"], s["territory_id"])]
        by_id = {s["id"]: s for s in self.mine}
        self.aliases = {a["alias_key"]: by_id[a["school_id"]] for a in aliases if a["school_id"] in by_id}
        self._cache: dict[str, Match] = {}

    # the name indexes are built on the first name that is not a code (a file of codes needs none)
    @cached_property
    def mine_by_key(self) -> dict[str, dict[int, dict]]:
        return self._index(self.mine)

    @cached_property
    def others_by_key(self) -> dict[str, dict[int, dict]]:
        return self._index(self.others)

    @cached_property
    def _choices(self) -> dict[int, str]:
        return {s["id"]: school_key(s["short_name"] or s["name"], self.towns) for s in self.mine}

    def _index(self, schools: list[dict]) -> dict[str, dict[int, dict]]:
        out: dict[str, dict[int, dict]] = {}
        for s in schools:
            for n in (s["name"], s["short_name"]):
                k = school_key(n, self.towns)
                if k:
                    out.setdefault(k, {})[s["id"]] = s
        return out

    def key(self, ref: str) -> str:
        return school_key(ref, self.towns)

    def resolve(self, ref: str) -> Match:
        if ref not in self._cache:
            self._cache[ref] = self._resolve(ref)
        return self._cache[ref]

    def _resolve(self, ref: str) -> Match:
        s = self.by_code.get(ref.strip().lower())
        if s:
            return Match(s)
        answered = self.answers.get(ref.strip())
        if answered is not None:
            s = self.by_code.get(answered)
            if s is None:
                return Match(None, f"школа «{ref}»: в ответе указан код «{answered}», такой школы нет в справочнике")
            return Match(s)
        key = self.key(ref)
        mine = self.mine_by_key.get(key, {})
        if not mine and key in self.aliases:  # a remembered spelling never overrides a school's own name
            return Match(self.aliases[key])
        if len(mine) == 1:
            return Match(next(iter(mine.values())))
        if len(mine) > 1:
            names = "; ".join(f"{m['code']} {m['short_name']}" for m in mine.values())
            return Match(None, f"школа «{ref}» неоднозначна: подходят {names}. Укажите код школы")
        others = self.others_by_key.get(key, {})
        if others:
            o = next(iter(others.values()))
            terr = ", ".join(sorted({self.territories.get(x["territory_id"], "?") for x in others.values()}))
            return Match(o, f"школы «{ref}» нет среди школ, данные которых вы загружаете; так называется школа "
                            f"другой территории ({terr}). Проверьте наименование или укажите код школы")
        cands = self.closest(ref)
        hint = (" Похожие: " + ", ".join(f"«{c['short_name']}» ({c['code']})" for c in cands) + "."
                if cands else "")
        return Match(None, f"школа «{ref}» не найдена в справочнике (ни по коду, ни по наименованию).{hint}", cands)

    def closest(self, ref: str, limit: int = 3) -> list[dict]:
        """The names nearest to `ref`, those with the school's own number first («СОШ №2 им. Героя
        …» -> «СОШ № 2» before «СОШ № 14», however alike the rest of the words)."""
        if not self._choices:
            return []
        key = self.key(ref)
        number = next((w for w in key.split() if w.isdigit()), None)
        found = process.extract(key, self._choices, scorer=fuzz.WRatio, limit=None)
        by_id = {s["id"]: s for s in self.mine}
        if number is not None:
            found.sort(key=lambda x: (number not in self._choices[x[2]].split(), -x[1]))
        return [by_id[sid] for _, _, sid in found[:limit]]


def load_aliases(engine: Engine) -> list[dict]:
    with engine.connect() as c:
        return [dict(r._mapping) for r in c.execute(text("SELECT alias_key, school_id FROM schoolalias"))]


@auth.audits_refusals("запоминание написания школы")
def learn_alias(scope: Scope, written: str, school_id: int, engine: Engine | None = None) -> None:
    """Remember that `written` (a name as the office writes it) means this school, for the
    uploads of everyone who may load that school. Audited; a school outside the scope is refused."""
    engine = engine or get_engine()
    written = cell_text(written)[:255]
    with engine.connect() as c:
        school = c.execute(text("SELECT id, territory_id, short_name FROM school WHERE id = :i"), {"i": school_id}).first()
        terr = [r[0] for r in c.execute(text("SELECT name FROM territory"))]
    # an alias serves everyone who loads the territory: only those who see the whole territory set one
    if (not scope.can_upload or not scope.sees_whole_territory or school is None
            or not scope.can_see_school(school.id, school.territory_id)):
        raise auth.deny(scope, f"сопоставление наименования «{written}» со школой № {school_id}", engine)
    key = school_key(written, town_stems(terr))
    if not key:
        raise IngestError(f"Наименование «{written}» пустое после нормализации: сопоставлять нечего.")
    with engine.connect() as c:  # the spelling is another school's own name: remembering it would misdirect
        rows = c.execute(text("SELECT id, name, short_name FROM school WHERE territory_id = :t AND id <> :i"),
                         {"t": school.territory_id, "i": school.id}).all()
    clash = next((r for r in rows if key in {school_key(r.name, town_stems(terr)), school_key(r.short_name or "", town_stems(terr))}), None)
    if clash is not None:
        raise IngestError(f"«{written}» — это наименование другой школы («{clash.short_name or clash.name}»); "
                          "такое сопоставление не запоминается. Укажите в файле код школы.")
    with session_scope(engine, write=True) as s:
        old = s.execute(text("SELECT id, school_id FROM schoolalias WHERE territory_id = :t AND alias_key = :k"),
                        {"t": school.territory_id, "k": key}).first()
        if old is None:
            s.add(SchoolAlias(territory_id=school.territory_id, alias_key=key, alias_text=written, school_id=school.id,
                              created_by=scope.user_id))
        elif old.school_id != school.id:
            s.execute(text("UPDATE schoolalias SET school_id = :s, alias_text = :a, created_by = :u WHERE id = :i"),
                      {"s": school.id, "a": written, "u": scope.user_id, "i": old.id})
        auth.audit(s, "school_alias", user_id=scope.user_id, login=scope.login, object_type="school",
                   object_id=school.id, details={"written": written, "key": key, "school": school.short_name,
                                                 "replaced_school_id": old.school_id if old else None})
