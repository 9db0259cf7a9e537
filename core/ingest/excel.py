"""Safe opening of an uploaded workbook: size, type, macro and zip-bomb checks before any parsing,
then the raw grid of every sheet (python-calamine) and the cells that hold formulas."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

from core.ingest.numbers import megabytes
from core.ingest.problems import IngestError

# Limits, in one place (server.maxUploadSize in .streamlit/config.toml is 20 MB)
MAX_FILE_BYTES = 15 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 150
MAX_ROWS = 200_000
MAX_SHEETS = 50

_FORMULA_CELL = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"[^>]*>(?:(?!</c>).)*?<f[ >/]', re.S)


@dataclass
class Workbook:
    sheets: dict[str, list[list]]  # sheet name -> rows of cell values (as calamine gives them)
    hidden: set[str] = field(default_factory=set)
    formulas: dict[str, set[tuple[int, int]]] = field(default_factory=dict)  # sheet -> {(row, col)} 1-based


def col_letter(col: int) -> str:
    """1 -> A, 27 -> AA."""
    out = ""
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def check_container(data: bytes, file_name: str) -> zipfile.ZipFile:
    """Refuse what is not a plain .xlsx before parsing: empty, too large, another format renamed,
    a corrupt archive, macros, a zip bomb."""
    name = file_name or "файл"
    if not data:
        raise IngestError(f"Файл «{name}» пустой (0 байт).")
    if len(data) > MAX_FILE_BYTES:
        raise IngestError(f"Файл «{name}» слишком большой: {megabytes(len(data))}, "
                          f"допускается не больше {megabytes(MAX_FILE_BYTES)}.")
    if not data.startswith(b"PK"):
        kind = ("PDF" if data.startswith(b"%PDF") else "старый формат Excel (.xls)"
                if data.startswith(b"\xd0\xcf\x11\xe0") else "текстовый файл (например, CSV)"
                if _looks_like_text(data) else "файл другого формата")
        raise IngestError(f"Файл «{name}» — не книга Excel .xlsx, а {kind}. Сохраните таблицу в Excel "
                          "как «Книга Excel (*.xlsx)» и загрузите снова.")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise IngestError(f"Файл «{name}» повреждён: архив .xlsx не читается. Откройте его в Excel, "
                          "сохраните заново и загрузите.") from None
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise IngestError(f"Файл «{name}» — не книга Excel .xlsx (в архиве нет частей книги).")
    if any(n.lower().endswith("vbaproject.bin") for n in names) or file_name.lower().endswith((".xlsm", ".xlsb")):
        raise IngestError(f"Файл «{name}» содержит макросы (.xlsm). Такие файлы не принимаются: сохраните "
                          "книгу как «Книга Excel (*.xlsx)» без макросов.")
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > MAX_UNCOMPRESSED_BYTES or total / packed > MAX_COMPRESSION_RATIO:
        raise IngestError(f"Файл «{name}» отклонён: после распаковки он занял бы {megabytes(total)} "
                          f"(сжатие в {total / packed:.0f} раз). Так выглядят повреждённые или вредоносные файлы.")
    return zf


def _looks_like_text(data: bytes) -> bool:
    head = data[:2048]
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return all(b >= 9 for b in head)


def _formula_cells(zf: zipfile.ZipFile) -> dict[str, set[tuple[int, int]]]:
    """Which cells of which sheet hold a formula (read from the sheet XML, by sheet name)."""
    try:
        wb_xml = zf.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    except KeyError:
        return {}
    targets = dict(re.findall(r'<Relationship[^>]*Id="([^"]+)"[^>]*Target="([^"]+)"', rels))
    targets.update({k: v for v, k in re.findall(r'<Relationship[^>]*Target="([^"]+)"[^>]*Id="([^"]+)"', rels)})
    out: dict[str, set[tuple[int, int]]] = {}
    for sheet_name, rid in re.findall(r'<sheet[^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', wb_xml):
        target = targets.get(rid, "")
        path = target.lstrip("/") if target.startswith("/") else "xl/" + target
        try:
            xml = zf.read(path)
        except KeyError:
            continue
        if b"<f" not in xml:
            continue
        import html

        out[html.unescape(sheet_name)] = {(int(r), col_number(c.decode())) for c, r in _FORMULA_CELL.findall(xml)}
    return out


def open_workbook(data: bytes, file_name: str) -> Workbook:
    zf = check_container(data, file_name)
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        meta = {m.name: m for m in wb.sheets_metadata}
        if len(wb.sheet_names) > MAX_SHEETS:
            raise IngestError(f"В книге {len(wb.sheet_names)} листов; допускается не больше {MAX_SHEETS}.")
        sheets, hidden = {}, set()
        for name in wb.sheet_names:
            sheet = wb.get_sheet_by_name(name)
            if sheet.height > MAX_ROWS:
                raise IngestError(f"Лист «{name}»: {sheet.height} строк, допускается не больше {MAX_ROWS}.")
            sheets[name] = sheet.to_python(skip_empty_area=False)
            if str(getattr(meta.get(name), "visible", "")).lower().endswith(("hidden", "veryhidden")):
                hidden.add(name)
    except IngestError:
        raise
    except Exception as exc:  # noqa: BLE001 - calamine raises many kinds; the user gets one message
        raise IngestError(f"Файл «{file_name}» не удалось прочитать как книгу Excel: {type(exc).__name__}. "
                          "Откройте его в Excel, сохраните заново и загрузите.") from None
    return Workbook(sheets=sheets, hidden=hidden, formulas=_formula_cells(zf))
