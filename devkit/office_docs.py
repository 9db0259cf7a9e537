"""Word documents typed the way offices type them, made two ways: with python-docx (merged cells by
`merge`, line breaks inside cells, typed numbers) and with LibreOffice Writer (an HTML page with
colspan/rowspan, <br> and automatic <ol> numbering, converted by `soffice --headless --convert-to
docx`). A layout is a list of blocks: `P` paragraphs and `T` tables whose cells are text or `C`
(merged across / down, bold). These layouts are not the project's renderer's (devkit/docx_render.py).

Without soffice the LibreOffice documents are skipped (the caller is a test), unless REQUIRE_E2E=1 (CI), where that
fails."""

from __future__ import annotations

import html
import io
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass
class P:
    text: str
    bold: bool = False
    numbered: bool = False  # LibreOffice: an automatic list item (<ol>); python-docx: the number typed


@dataclass
class C:
    text: str
    span: int = 1  # merged across
    down: int = 1  # merged down
    bold: bool = False


@dataclass
class T:
    rows: list[list]


def _cells(row: list) -> list[C]:
    return [c if isinstance(c, C) else C(c) for c in row]


# ---------------------------------------------------------------------------------------------
# python-docx
# ---------------------------------------------------------------------------------------------
def _put(cell, c: C) -> None:
    cell.text = ""
    p = cell.paragraphs[0]
    for k, line in enumerate(c.text.split("\n")):
        run = p.add_run(line)
        run.bold = c.bold or None
        if k < len(c.text.split("\n")) - 1:
            run.add_break()  # a line's end inside the cell


def python_docx(blocks: list) -> bytes:
    from docx import Document

    doc = Document()
    numbered = 0
    for b in blocks:
        if isinstance(b, P):
            numbered = numbered + 1 if b.numbered else 0
            p = doc.add_paragraph()
            p.add_run(f"{numbered}. {b.text}" if b.numbered else b.text).bold = b.bold or None
            continue
        rows = [_cells(r) for r in b.rows]
        width = max(sum(c.span for c in r) for r in rows)
        t = doc.add_table(rows=len(rows), cols=width)
        t.style = "Table Grid"
        taken: set[tuple[int, int]] = set()  # grid positions covered by a cell merged down from above
        for i, r in enumerate(rows):
            j = 0
            for c in r:
                while (i, j) in taken:
                    j += 1
                cell = t.cell(i, j)
                if c.span > 1 or c.down > 1:
                    cell = cell.merge(t.cell(i + c.down - 1, j + c.span - 1))
                _put(cell, c)
                for di in range(1, c.down):
                    for dj in range(c.span):
                        taken.add((i + di, j + dj))
                j += c.span
        doc.add_paragraph()
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# LibreOffice Writer
# ---------------------------------------------------------------------------------------------
def _h(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def page(blocks: list) -> str:
    out, in_list = ['<html><head><meta charset="utf-8"></head><body>'], False
    for b in blocks:
        if in_list and not (isinstance(b, P) and b.numbered):
            out.append("</ol>")
            in_list = False
        if isinstance(b, P):
            if b.numbered and not in_list:
                out.append("<ol>")
                in_list = True
            body = f"<b>{_h(b.text)}</b>" if b.bold else _h(b.text)
            out.append(f"<li>{body}</li>" if b.numbered else f"<p>{body}</p>")
            continue
        out.append('<table border="1" cellspacing="0">')
        for r in b.rows:
            tds = []
            for c in _cells(r):
                attrs = (f' colspan="{c.span}"' if c.span > 1 else "") + (f' rowspan="{c.down}"' if c.down > 1 else "")
                tds.append(f"<td{attrs}>{f'<b>{_h(c.text)}</b>' if c.bold else _h(c.text)}</td>")
            out.append("<tr>" + "".join(tds) + "</tr>")
        out.append("</table><p></p>")
    if in_list:
        out.append("</ol>")
    out.append("</body></html>")
    return "\n".join(out)


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def libreoffice(layouts: dict[str, list]) -> dict[str, bytes]:
    """Each layout written as HTML and converted to .docx by LibreOffice Writer, all in one run."""
    exe = soffice()
    if exe is None:
        import pytest  # the caller is a test: no LibreOffice is a skip, or a failure under REQUIRE_E2E=1

        if os.environ.get("REQUIRE_E2E") == "1":
            pytest.fail("LibreOffice (soffice) is required here (REQUIRE_E2E=1): apt-get install libreoffice-writer-nogui")
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui")
    with tempfile.TemporaryDirectory(prefix="office_docs_") as tmp:
        src = Path(tmp)
        for name, blocks in layouts.items():
            (src / f"{name}.html").write_text(page(blocks), encoding="utf-8")
        profile = (src / "profile").as_uri()  # its own profile: another soffice running elsewhere is not disturbed
        subprocess.run([exe, f"-env:UserInstallation={profile}", "--headless", "--infilter=HTML (StarWriter)",
                        "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(src / "out"),
                        *[str(src / f"{n}.html") for n in layouts]],
                       check=True, capture_output=True, timeout=600)
        return {name: (src / "out" / f"{name}.docx").read_bytes() for name in layouts}
