"""A small .xlsb (Excel binary workbook) writer, for tests only: nothing installable from the
registries writes .xlsb, and the upload must read the ones Excel saves. It writes the parts and
records Excel writes (MS-XLSB), no more than a sheet of numbers and text needs:

    [Content_Types].xml, _rels/.rels            the package (Open Packaging Conventions)
    xl/workbook.bin, xl/_rels/workbook.bin.rels the sheets and their parts
    xl/worksheets/sheetN.bin                    rows and cells, merged cells
    xl/sharedStrings.bin                        every text once (cells point at it: BrtCellIsst)
    xl/styles.bin                               one cell format (the default)

A record is BIFF12: its type as 1-2 bytes of 7-bit varint, its size as 1-4 bytes of 7-bit varint,
then its payload. Integers are little-endian; a string is its length in UTF-16 code units (4 bytes)
and the UTF-16LE text.

    write_xlsb({"Лист1": [["Школа", "Значение"], ["СОШ № 2", 40]]}, merged={"Лист1": ["A1:B1"]})
"""

from __future__ import annotations

import io
import struct
import zipfile

# record types (MS-XLSB 2.3)
BrtRowHdr, BrtCellBlank, BrtCellRk, BrtCellReal, BrtCellIsst = 0x00, 0x01, 0x02, 0x05, 0x07
BrtSSTItem, BrtXF = 0x13, 0x2F
BrtBeginSheet, BrtEndSheet, BrtBeginBook, BrtEndBook = 0x81, 0x82, 0x83, 0x84
BrtBeginBundleShs, BrtEndBundleShs, BrtBeginSheetData, BrtEndSheetData = 0x8F, 0x90, 0x91, 0x92
BrtWsDim, BrtBundleSh, BrtBeginSst, BrtEndSst = 0x94, 0x9C, 0x9F, 0xA0
BrtMergeCell, BrtBeginMergeCells, BrtEndMergeCells = 0xB0, 0xB1, 0xB2
BrtBeginCellXFs, BrtEndCellXFs, BrtBeginStyleSheet, BrtEndStyleSheet = 0x269, 0x26A, 0x296, 0x297

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
<Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/>\
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
<Default Extension="xml" ContentType="application/xml"/>\
{sheets}\
<Override PartName="/xl/styles.bin" ContentType="application/vnd.ms-excel.styles"/>\
<Override PartName="/xl/sharedStrings.bin" ContentType="application/vnd.ms-excel.sharedStrings"/>\
</Types>"""
SHEET_TYPE = '<Override PartName="/xl/worksheets/sheet{n}.bin" ContentType="application/vnd.ms-excel.worksheet"/>'
REL = '<Relationship Id="{id}" Type="http://schemas.openxmlformats.org/{kind}" Target="{target}"/>'
RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{}</Relationships>')


def varint(n: int, max_bytes: int) -> bytes:
    """7 bits a byte, low first; the high bit says another byte follows."""
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            break
    if len(out) > max_bytes:
        raise ValueError("record type or size too large")
    return bytes(out)


def record(rtype: int, payload: bytes = b"") -> bytes:
    return varint(rtype, 2) + varint(len(payload), 4) + payload


def wide(text: str) -> bytes:
    """XLWideString: the count of UTF-16 code units, then the UTF-16LE text."""
    data = text.encode("utf-16-le")
    return struct.pack("<I", len(data) // 2) + data


def rk(value: float) -> bytes | None:
    """An RkNumber for an integer that fits 30 bits (fInt set), else None (written as a double)."""
    if float(value).is_integer() and -(1 << 29) <= value < (1 << 29):
        return struct.pack("<i", (int(value) << 2) | 0x2)
    return None


def _cell(col: int, style: int = 0) -> bytes:
    return struct.pack("<II", col, style & 0xFFFFFF)  # column; iStyleRef (24 bits), no flags


def _ref(a1: str) -> tuple[int, int]:
    letters = "".join(ch for ch in a1 if ch.isalpha()).upper()
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return int(a1[len(letters):]) - 1, col - 1


def _sheet(rows: list[list], sst: dict[str, int], merged: list[str]) -> bytes:
    used = [(r, c) for r, row in enumerate(rows) for c, v in enumerate(row) if v is not None]
    last_row = max((r for r, _ in used), default=0)
    last_col = max((c for _, c in used), default=0)
    out = [record(BrtBeginSheet), record(BrtWsDim, struct.pack("<IIII", 0, last_row, 0, last_col)),
           record(BrtBeginSheetData)]
    for r, row in enumerate(rows):
        cols = [c for c, v in enumerate(row) if v is not None]
        if not cols:
            continue
        # rw, ixfe, miyRw (height in twips), three bytes of flags, one column span
        out.append(record(BrtRowHdr, struct.pack("<IIH3sI", r, 0, 300, b"\0\0\0", 1)
                          + struct.pack("<II", cols[0], cols[-1])))
        for c in cols:
            v = row[c]
            if isinstance(v, str):
                if v == "":
                    out.append(record(BrtCellBlank, _cell(c)))
                    continue
                index = sst.setdefault(v, len(sst))
                out.append(record(BrtCellIsst, _cell(c) + struct.pack("<I", index)))
            elif isinstance(v, bool) or not isinstance(v, (int, float)):
                raise TypeError(f"a cell holds text or a number, not {v!r}")
            elif (packed := rk(v)) is not None:
                out.append(record(BrtCellRk, _cell(c) + packed))
            else:
                out.append(record(BrtCellReal, _cell(c) + struct.pack("<d", float(v))))
    out.append(record(BrtEndSheetData))
    if merged:
        out.append(record(BrtBeginMergeCells, struct.pack("<I", len(merged))))
        for span in merged:
            (r1, c1), (r2, c2) = (_ref(x) for x in span.split(":"))
            out.append(record(BrtMergeCell, struct.pack("<IIII", r1, r2, c1, c2)))
        out.append(record(BrtEndMergeCells))
    out.append(record(BrtEndSheet))
    return b"".join(out)


def _workbook(names: list[str]) -> bytes:
    out = [record(BrtBeginBook), record(BrtBeginBundleShs)]
    for n, name in enumerate(names, 1):
        # hsState (visible), iTabID, strRelID, strName
        out.append(record(BrtBundleSh, struct.pack("<II", 0, n) + wide(f"rId{n}") + wide(name)))
    out += [record(BrtEndBundleShs), record(BrtEndBook)]
    return b"".join(out)


def _shared_strings(sst: dict[str, int]) -> bytes:
    out = [record(BrtBeginSst, struct.pack("<ii", len(sst), len(sst)))]
    for text in sorted(sst, key=sst.get):
        out.append(record(BrtSSTItem, b"\0" + wide(text)))  # RichStr: no runs, no phonetics
    out.append(record(BrtEndSst))
    return b"".join(out)


def _styles() -> bytes:
    # one cell format: ixfeParent (none), number format 0 (General), font 0, fill 0, border 0,
    # no rotation or indent, the flags Excel sets on the default format (locked)
    xf = struct.pack("<HHHHHBBHH", 0xFFFF, 0, 0, 0, 0, 0, 0, 0x1000, 0)
    return b"".join([record(BrtBeginStyleSheet), record(BrtBeginCellXFs, struct.pack("<I", 1)), record(BrtXF, xf),
                     record(BrtEndCellXFs), record(BrtEndStyleSheet)])


def write_xlsb(sheets: dict[str, list[list]], merged: dict[str, list[str]] | None = None) -> bytes:
    """The bytes of an .xlsb holding these sheets (name -> rows of text, numbers or None), with
    the merged ranges given per sheet («A3:A4»)."""
    merged = merged or {}
    names = list(sheets)
    sst: dict[str, int] = {}
    parts = {f"xl/worksheets/sheet{n}.bin": _sheet(sheets[name], sst, merged.get(name, []))
             for n, name in enumerate(names, 1)}
    rels = [REL.format(id=f"rId{n}", kind="officeDocument/2006/relationships/worksheet",
                       target=f"worksheets/sheet{n}.bin") for n in range(1, len(names) + 1)]
    rels.append(REL.format(id=f"rId{len(names) + 1}", kind="officeDocument/2006/relationships/styles",
                           target="styles.bin"))
    rels.append(REL.format(id=f"rId{len(names) + 2}", kind="officeDocument/2006/relationships/sharedStrings",
                           target="sharedStrings.bin"))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES.format(
            sheets="".join(SHEET_TYPE.format(n=n) for n in range(1, len(names) + 1))))
        zf.writestr("_rels/.rels", RELS.format(REL.format(
            id="rId1", kind="officeDocument/2006/relationships/officeDocument", target="xl/workbook.bin")))
        zf.writestr("xl/workbook.bin", _workbook(names))
        zf.writestr("xl/_rels/workbook.bin.rels", RELS.format("".join(rels)))
        for path, data in parts.items():
            zf.writestr(path, data)
        zf.writestr("xl/sharedStrings.bin", _shared_strings(sst))
        zf.writestr("xl/styles.bin", _styles())
    return buf.getvalue()
