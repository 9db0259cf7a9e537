"""Drafting a roadmap workbook from a Word document (core.roadmap_docx).

    python bench/word.py

Prints, median of 5: reading a 60-activity .docx (seed 004's layout: numbered sections, italic
subsections, a risk groups table) into the draft, writing the draft workbook with the «Проверить»
column, and both together; the same for 60 activities in an office's layout (roman section rows merged
across, «ежеквартально», «2024-2025 уч. год», hyphenated line ends); then for each of the five seeds
rendered in their layouts."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.roadmaps import median_ms  # noqa: E402


def main() -> None:
    from core import roadmap_docx
    from devkit.docx_render import RENDERERS, read_book

    seeds = sorted((ROOT / "data" / "roadmaps").glob("*.xlsx"))
    book = read_book(seeds[4].read_bytes(), seeds[4].name)
    acts = book["Мероприятия"]
    extra = dict(acts[-1], number="4.4", title="Итоговое совещание по реализации дорожной карты")
    book["Мероприятия"] = acts + [extra] * (60 - len(acts))  # 60 activities
    data = RENDERERS["004"](book)
    d = roadmap_docx.draft(data, "60.docx")
    assert len(d.rows("Мероприятия")) == 60, len(d.rows("Мероприятия"))
    print(f"60-activity document ({len(data) // 1024} KB):")
    print(f"  read into the draft      {median_ms(lambda: roadmap_docx.draft(data, '60.docx')):7.1f} ms")
    print(f"  write the draft workbook {median_ms(lambda: roadmap_docx.workbook(d)):7.1f} ms")
    print(f"  both (page and CLI)      {median_ms(lambda: roadmap_docx.draft_workbook(data, '60.docx')):7.1f} ms")
    from devkit.office_docs import C, T, python_docx

    rows = [["№ п/п", "Мероприятие", "Срок исполнения", "Ответственные", "Ожидаемый результат"]]
    for k in range(60):  # an office's layout: «I.»…«VI.» merged across, recurring and school-year deadlines
        if k % 10 == 0:
            rows.append([f"{'I II III IV V VI'.split()[k // 10]}.", C(f"Направление работы {k // 10 + 1}", span=4)])
        rows.append([f"{k % 10 + 1}.", f"Монито-\nринг и семинар № {k + 1}", ["ежеквартально", "2024-2025 уч. год",
                     "Март 2024 года"][k % 3], "Управление образования", "Справка"])
    office = python_docx([T(rows)])
    d = roadmap_docx.draft(office, "office.docx")
    assert len(d.rows("Мероприятия")) == 60 and len(d.rows("Направления")) == 6
    print(f"  office layout, 60 activities, both {median_ms(lambda: roadmap_docx.draft_workbook(office, 'o.docx')):7.1f} ms")
    for path in seeds:
        doc = RENDERERS[path.name[:3]](read_book(path.read_bytes(), path.name))
        d = roadmap_docx.draft(doc, path.name)
        ms = median_ms(lambda: roadmap_docx.draft_workbook(doc, path.name))
        print(f"  {path.stem:28s} {len(d.rows('Мероприятия')):3d} activities  {ms:7.1f} ms")


if __name__ == "__main__":
    main()
