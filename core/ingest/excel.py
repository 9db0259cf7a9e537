"""Safe opening of an uploaded workbook, whatever program saved it: size, format (by content, not\nby name), password and zip-bomb checks before any parsing, then the raw grid of every sheet\n(python-calamine reads .xlsx/.xlsm/.xlsb/.xls/.ods and never runs macros; .csv is read here),\nthe merged cells, and for .xlsx the cells that hold formulas and the hidden rows."""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from dataclasses import dataclass, field

from core.formatting import num
from core.ingest.numbers import megabytes
from core.ingest.problems import IngestError

# Limits, in one place (server.maxUploadSize in .streamlit/config.toml is 16 MB, just above, so that
# the upload page, not the widget, refuses a file over MAX_FILE_BYTES, with a Russian message; a file
# over 16 MB never leaves the browser, and ui/shell.py says the widget's refusal in Russian)
MAX_FILE_BYTES = 15 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 150
MAX_ROWS = 200_000
MAX_SHEETS = 50

_FORMULA_CELL = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"[^>]*>(?:(?!</c>).)*?<f[ >/]', re.S)


FORMATS = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".csv")  # what the upload reads
FORMATS_TEXT = ".xlsx, .xlsm, .xls, .xlsb, .ods, .csv"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_OOXML = "EncryptionInfo".encode("utf-16-le")
_ROW_TAG = re.compile(rb"<row\b([^>]*)>")
_ROW_NUMBER = re.compile(rb'\br="(\d+)"')


@dataclass
class Workbook:
    sheets: dict[str, list[list]]  # sheet name -> rows of cell values (as calamine gives them)
    hidden: set[str] = field(default_factory=set)
    formulas: dict[str, set[tuple[int, int]]] = field(default_factory=dict)  # sheet -> {(row, col)} 1-based
    hidden_rows: dict[str, set[int]] = field(default_factory=dict)  # sheet -> 1-based rows hidden in the file
    merged: dict[str, list[tuple[int, int, int, int]]] = field(default_factory=dict)  # sheet -> (r0, c0, r1, c1), 0-based
    format: str = "xlsx"  # xlsx | xlsb | xls | ods | csv


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


def _password(name: str) -> IngestError:
    return IngestError(f"Файл «{name}» защищён паролем — снимите пароль (в Excel: «Файл» → «Сведения» → «Защита "
                       "книги» → «Зашифровать с использованием пароля», очистите поле), сохраните и загрузите снова.")


def check_size(data: bytes, name: str) -> None:
    """Refuse a file over MAX_FILE_BYTES (every upload: data, roadmap workbook, Word document)."""
    if len(data) > MAX_FILE_BYTES:
        size = megabytes(len(data))
        if size == megabytes(MAX_FILE_BYTES):  # «15,0 МБ, допускается 15,0 МБ» would read as no reason
            size = f"{num(len(data))} байт"
            limit = f"{megabytes(MAX_FILE_BYTES)} ({num(MAX_FILE_BYTES)} байт)"
        else:
            limit = megabytes(MAX_FILE_BYTES)
        raise IngestError(f"Файл «{name}» слишком большой: {size}, допускается не больше {limit}.")


def sniff(data: bytes, file_name: str) -> str:
    """What the bytes are, whatever the name says: xlsx | xlsb | ods | xls | csv. Refuses the rest
    (empty, too large, PDF, a password, a corrupt or malicious archive) with a Russian message."""
    name = file_name or "файл"
    ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if not data:
        raise IngestError(f"Файл «{name}» пустой (0 байт).")
    check_size(data, name)
    if data.startswith(_OLE):
        if _ENCRYPTED_OOXML in data[:1024 * 1024]:
            raise _password(name)
        return "xls"
    if data.startswith(b"PK"):
        return _zip_kind(data, name)
    if data.startswith(b"%PDF"):
        kind = "PDF"
    elif _looks_like_text(data):
        if ext in ("", ".csv", ".txt"):
            return "csv"
        kind = "текстовый файл (например, CSV)"
    else:
        kind = "файл другого формата"
    ext_name = ext if ext in FORMATS else ".xlsx"
    raise IngestError(f"Файл «{name}» — не книга Excel {ext_name}, а {kind}. Принимаются {FORMATS_TEXT}: "
                      "сохраните таблицу в одном из них (например, «Книга Excel (*.xlsx)») и загрузите снова."
                      + (" Текстовую таблицу назовите с расширением .csv." if "текстовый" in kind else ""))


def _zip_kind(data: bytes, name: str) -> str:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise IngestError(f"Файл «{name}» повреждён: архив книги не читается. Откройте его в Excel (или LibreOffice), "
                          "сохраните заново и загрузите.") from None
    names = {i.filename for i in infos}
    if "mimetype" in names and b"opendocument.spreadsheet" in zf.read("mimetype")[:100]:
        kind = "ods"
    elif "xl/workbook.bin" in names:
        kind = "xlsb"
    elif "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
        kind = "xlsx"  # .xlsm too: calamine reads the cells, the macros are never run
    else:
        raise IngestError(f"Файл «{name}» — не книга Excel (в архиве нет частей книги).")
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > MAX_UNCOMPRESSED_BYTES or total / packed > MAX_COMPRESSION_RATIO:
        raise IngestError(f"Файл «{name}» отклонён: после распаковки он занял бы {megabytes(total)} "
                          f"(сжатие в {total / packed:.0f} раз). Так выглядят повреждённые или вредоносные файлы.")
    return kind


def _looks_like_text(data: bytes) -> bool:
    head = data[:2048]
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return all(b >= 9 for b in head)


def _sheet_xml_facts(data: bytes) -> tuple[dict[str, set[tuple[int, int]]], dict[str, set[int]]]:
    """From an .xlsx's sheet XML, by sheet name: the cells that hold a formula and the hidden rows."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    try:
        wb_xml = zf.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    except KeyError:
        return {}, {}
    targets = dict(re.findall(r'<Relationship[^>]*Id="([^"]+)"[^>]*Target="([^"]+)"', rels))
    targets.update({k: v for v, k in re.findall(r'<Relationship[^>]*Target="([^"]+)"[^>]*Id="([^"]+)"', rels)})
    formulas: dict[str, set[tuple[int, int]]] = {}
    hidden: dict[str, set[int]] = {}
    for sheet_name, rid in re.findall(r'<sheet[^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', wb_xml):
        target = targets.get(rid, "")
        path = target.lstrip("/") if target.startswith("/") else "xl/" + target
        try:
            xml = zf.read(path)
        except KeyError:
            continue
        sheet_name = html.unescape(sheet_name)
        if b"<f" in xml:
            formulas[sheet_name] = {(int(r), col_number(c.decode())) for c, r in _FORMULA_CELL.findall(xml)}
        if b'hidden="1"' in xml or b'hidden="true"' in xml:
            rows = set()
            for attrs in _ROW_TAG.findall(xml):
                if b'hidden="1"' in attrs or b'hidden="true"' in attrs:
                    m = _ROW_NUMBER.search(attrs)
                    if m:
                        rows.add(int(m.group(1)))
            hidden[sheet_name] = rows
    return formulas, hidden


def _delimiter(body: str) -> str:
    """«;», tab or «,»: the one that splits the first lines (quotes respected) into the same number
    of columns, more than one, most often; a tie goes to «;» (Excel's Russian CSV), then tab. A
    header «Качество обучения, %» in a «;» file no longer makes it a «,» file."""
    lines = [ln for ln in body.splitlines()[:60] if ln.strip()][:20]
    best, best_score = ";", (-1.0, 0)
    for d in ";\t,":
        try:
            counts = [len(r) for r in csv.reader(lines, delimiter=d)]
        except csv.Error:
            continue
        if not counts:
            continue
        width = max(set(counts), key=lambda c: (counts.count(c), c))
        score = (counts.count(width) / len(counts) if width > 1 else 0.0, width)
        if score[0] > best_score[0]:
            best, best_score = d, score
    return best


def _read_csv(data: bytes, name: str) -> Workbook:
    """A CSV as Excel or a script writes it: UTF-8 (with or without BOM) or Windows-1251, «;» or «,»."""
    for enc in ("utf-8-sig", "cp1251"):
        try:
            body = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1251 decodes every byte but 0x98
        raise IngestError(f"Файл «{name}»: не удалось определить кодировку; сохраните его как CSV (UTF-8).")
    delimiter = _delimiter(body)
    rows = [list(r) for r in csv.reader(io.StringIO(body, newline=""), delimiter=delimiter)]
    if len(rows) > MAX_ROWS:
        raise IngestError(f"Файл «{name}»: {num(len(rows))} строк, допускается не больше {num(MAX_ROWS)}.")
    sheet = name.rsplit(".", 1)[0] or "CSV"
    return Workbook(sheets={sheet: rows}, format="csv")


def open_workbook(data: bytes, file_name: str) -> Workbook:
    kind = sniff(data, file_name)
    if kind == "csv":
        return _read_csv(data, file_name)
    from python_calamine import CalamineWorkbook, PasswordError

    name = file_name or "файл"
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        meta = {m.name: m for m in wb.sheets_metadata}
        if len(wb.sheet_names) > MAX_SHEETS:
            raise IngestError(f"В книге {num(len(wb.sheet_names))} листов; допускается не больше {MAX_SHEETS}.")
        sheets, hidden, merged = {}, set(), {}
        for sname in wb.sheet_names:
            if not str(getattr(meta.get(sname), "typ", "WorkSheet")).lower().endswith("worksheet"):
                continue  # a chart sheet, a dialog or macro sheet: no table
            sheet = wb.get_sheet_by_name(sname)
            if sheet.height > MAX_ROWS:
                raise IngestError(f"Лист «{sname}»: {num(sheet.height)} строк, допускается не больше {num(MAX_ROWS)}.")
            sheets[sname] = sheet.to_python(skip_empty_area=False)
            merged[sname] = [(a[0], a[1], b[0], b[1]) for a, b in (sheet.merged_cell_ranges or [])]
            if str(getattr(meta.get(sname), "visible", "")).lower().endswith(("hidden", "veryhidden")):
                hidden.add(sname)
    except IngestError:
        raise
    except PasswordError:
        raise _password(name) from None
    except Exception as exc:  # noqa: BLE001 - calamine raises many kinds; the user gets one message
        if "password" in str(exc).lower() or "encrypt" in str(exc).lower():
            raise _password(name) from None
        what = {"xls": "старый формат Excel, .xls", "ods": "таблица OpenDocument, .ods",
                "xlsb": "двоичная книга Excel, .xlsb"}.get(kind, "книга Excel")
        raise IngestError(f"Файл «{name}» ({what}) повреждён: его не удалось прочитать. Откройте его в Excel "
                          "(или LibreOffice), сохраните заново как «Книга Excel (*.xlsx)» и загрузите.") from None
    formulas, hidden_rows = _sheet_xml_facts(data) if kind == "xlsx" else ({}, {})
    return Workbook(sheets=sheets, hidden=hidden, formulas=formulas, hidden_rows=hidden_rows, merged=merged,
                    format=kind)
