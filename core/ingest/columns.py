"""Column mappings remembered per territory: an office's column that names no catalogue quantity
(«Призёры олимпиад»), answered once on the upload page or with the CLI's `--answer column:…`, is
kept when the upload is written, so the next quarter's same form asks nothing and a new column asks
only about itself. Like the school aliases (core.ingest.schools), a mapping serves everyone who
loads the territory: only users who see whole territories set, change or remove one, and every
change is audited."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Engine

from core import auth
from core.auth import Scope
from core.db import get_engine, session_scope
from core.ingest.parse import PARTS, norm
from core.ingest.problems import IngestError
from core.models import ColumnMapping


@dataclass(frozen=True)
class Mapping:
    id: int
    territory_id: int
    territory: str
    header: str
    answer: str  # "indicator_code:part" | "skip"
    answer_label: str  # in words
    login: str | None
    created_at: object


def for_scope(scope: Scope, engine: Engine) -> dict[str, str]:
    """normalised header -> answer, for the territories the user loads (a header the territories
    answer differently is left out: it is asked)."""
    with engine.connect() as c:
        rows = c.execute(text("SELECT territory_id, header_key, answer FROM columnmapping")).all()
    out: dict[str, str] = {}
    clash: set[str] = set()
    for tid, key, answer in rows:
        if not scope.can_see_territory(tid):
            continue
        if key in out and out[key] != answer:
            clash.add(key)
        out.setdefault(key, answer)
    return {k: v for k, v in out.items() if k not in clash}


def remember(s, scope: Scope, territory_ids: set[int], answered: list[tuple[str, str]]) -> None:
    """Inside an upload's write transaction: the column answers it was made with, kept for the
    territories it wrote (those the user sees whole), each new or changed one audited."""
    if not answered or not scope.sees_whole_territory:
        return
    for tid in sorted(t for t in territory_ids if scope.can_see_territory(t)):
        for header, answer in answered:
            key = norm(header)[:255]
            if not key:
                continue
            old = s.execute(text("SELECT id, answer FROM columnmapping WHERE territory_id = :t AND header_key = :k"),
                            {"t": tid, "k": key}).first()
            if old is not None and old.answer == answer:
                continue
            if old is None:
                s.add(ColumnMapping(territory_id=tid, header_key=key, header_text=header[:255], answer=answer,
                                    created_by=scope.user_id))
            else:
                s.execute(text("UPDATE columnmapping SET answer = :a, created_by = :u WHERE id = :i"),
                          {"a": answer, "u": scope.user_id, "i": old.id})
            auth.audit(s, "column_mapping", user_id=scope.user_id, login=scope.login, object_type="territory",
                       object_id=tid, details={"header": header[:255], "answer": answer,
                                               "old": old.answer if old else None})


def answer_label(answer: str, names: dict[str, str]) -> str:
    if answer == "skip":
        return "пропускать столбец"
    code, _, part = answer.partition(":")
    word = {"value": "значение", "numerator": "«из них»", "denominator": "«всего»"}.get(part, part)
    return f"{names.get(code, code)} — {word}"


def listing(scope: Scope, engine: Engine | None = None) -> list[Mapping]:
    """The mappings of the user's territories (everyone who loads them may see what is kept)."""
    engine = engine or get_engine()
    with engine.connect() as c:
        names: dict[str, str] = dict(c.execute(text("SELECT code, short_name FROM indicator")).all())
        rows = c.execute(text("""
            SELECT m.id, m.territory_id, t.name, m.header_text, m.answer, u.login, m.created_at
            FROM columnmapping m JOIN territory t ON t.id = m.territory_id LEFT JOIN "user" u ON u.id = m.created_by
            ORDER BY t.name, m.header_text""")).all()
    return [Mapping(r[0], r[1], r[2], r[3], r[4], answer_label(r[4], names), r[5], r[6]) for r in rows
            if scope.can_see_territory(r[1])]


def _editable(scope: Scope, mapping_id: int, what: str, engine: Engine):
    with engine.connect() as c:
        row = c.execute(text("SELECT id, territory_id, header_text, answer FROM columnmapping WHERE id = :i"),
                        {"i": mapping_id}).first()
    if row is None:
        raise IngestError(f"Сопоставление столбца № {mapping_id} не найдено (его уже удалили).")
    if not (scope.may("remember_columns") and scope.sees_whole_territory
            and scope.can_see_territory(row.territory_id)):
        raise auth.deny(scope, f"{what} сопоставления столбца «{row.header_text}»", engine)
    return row


@auth.audits_refusals("изменение сопоставления столбца")
def change(scope: Scope, mapping_id: int, answer: str, engine: Engine | None = None) -> None:
    """Another indicator (or «skip») for a remembered column. Audited."""
    engine = engine or get_engine()
    row = _editable(scope, mapping_id, "изменение", engine)
    if answer != "skip":
        code, _, part = answer.partition(":")
        with engine.connect() as c:
            known = c.execute(text("SELECT value_kind FROM indicator WHERE code = :c AND level = 'school'"),
                              {"c": code}).first()
        if known is None or part not in PARTS or (part == "value") == (known[0] == "share"):
            raise IngestError(f"«{answer}» — не показатель школы из справочника: выберите из списка.")
    with session_scope(engine, write=True) as s:
        s.execute(text("UPDATE columnmapping SET answer = :a, created_by = :u WHERE id = :i"),
                  {"a": answer, "u": scope.user_id, "i": mapping_id})
        auth.audit(s, "column_mapping", user_id=scope.user_id, login=scope.login, object_type="territory",
                   object_id=row.territory_id, details={"header": row.header_text, "answer": answer, "old": row.answer})


@auth.audits_refusals("удаление сопоставления столбца")
def remove(scope: Scope, mapping_id: int, engine: Engine | None = None) -> None:
    """Forget a remembered column: the next file with it asks again. Audited."""
    engine = engine or get_engine()
    row = _editable(scope, mapping_id, "удаление", engine)
    with session_scope(engine, write=True) as s:
        s.execute(text("DELETE FROM columnmapping WHERE id = :i"), {"i": mapping_id})
        auth.audit(s, "column_mapping_removed", user_id=scope.user_id, login=scope.login, object_type="territory",
                   object_id=row.territory_id, details={"header": row.header_text, "old": row.answer})


def choices(engine: Engine | None = None) -> list[tuple[str, str]]:
    """What a remembered column may be mapped to: «skip» or a school indicator's part, in words."""
    from core.ingest.parse import column_labels

    engine = engine or get_engine()
    with engine.connect() as c:
        inds = [dict(r._mapping) for r in c.execute(text(
            "SELECT code, short_name, unit, value_kind, numerator_label, denominator_label FROM indicator "
            "WHERE level = 'school' ORDER BY id"))]
    return [("skip", "Пропускать столбец")] + [(f"{i['code']}:{part}", label) for i in inds
                                               for part, label in column_labels(i)]
