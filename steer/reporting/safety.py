"""Guards for files that come in and text that goes out.

Uploaded workbooks are zip archives: they are opened only after their size, the size they would
unpack to, and their parts have been checked. (Text going out is neutralised by
`steer.core.cells`.)
"""

import io
import re
import zipfile
import zlib
from typing import NamedTuple
from xml.etree import ElementTree

from django.utils.translation import gettext as _
from openpyxl.utils.cell import column_index_from_string, get_column_letter

from steer.core.uploads import (
    ODF_MIMETYPE,
    UnsafeUpload,
    has_ooxml_macros,
    odf_mimetype,
    ooxml_content_types,
    open_archive,
)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# What a file to import may be called: the formats read (a CSV file saved as .txt too), and the
# workbooks refused, by their content, with advice on saving them as .xlsx.
IMPORT_TYPES = (".xlsx", ".csv", ".txt", ".json", ".xls", ".xlsm", ".ods")

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class UnsafeFile(UnsafeUpload):
    """A file to import refused for what it holds; the message says why, and where."""

    def __init__(self, message: str, code: str = "content"):
        super().__init__(message, code)


def check_import(upload) -> None:
    """The content check of `uploads.accept` for a file to import: a workbook, a CSV or a JSON
    file, whatever its name (`kind_of`)."""
    upload.seek(0)
    try:
        kind_of(upload.read())
    finally:
        upload.seek(0)


def kind_of(data: bytes) -> str:
    """xlsx, json or csv, judged by the content, not by the name."""
    if not data or not data.strip():
        raise UnsafeFile(_("The file is empty."))
    if len(data) > MAX_UPLOAD_BYTES:
        raise UnsafeFile(
            _("The file is larger than %(mb)s MB.") % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    if data.startswith(OLE_MAGIC):
        raise UnsafeFile(
            _(
                "This is an old-format (.xls) or password-protected workbook. "
                "Save it as an Excel workbook (.xlsx) without a password and upload it again."
            )
        )
    if data.startswith(ZIP_MAGIC):
        return "xlsx"
    encoding = wide_encoding(data)
    if encoding:
        raise UnsafeFile(
            _(
                "This text file is saved as %(encoding)s (Excel calls it “Unicode Text”). Save "
                "it as UTF-8: in Excel, “CSV UTF-8 (Comma delimited)”; then upload it again."
            )
            % {"encoding": encoding}
        )
    head = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    if head[:1] in (b"{", b"["):
        return "json"
    # A web page, an XML file or a PDF is text-like enough to be read as a CSV file, and a
    # program has a NUL byte: all are refused by what they hold, whatever their name.
    if head[:1] == b"<" or head.startswith(b"%PDF") or b"\x00" in data[:4096]:
        raise UnsafeFile(_("This file is neither a workbook nor a CSV or JSON file."))
    return "csv"


_WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


def wide_encoding(data: bytes) -> str | None:
    """UTF-16 or UTF-32 when the text is in one of them (with or without a byte order mark).
    Without one, it shows in the NUL bytes of the ASCII characters (digits, commas, codes) that
    fill a table: one byte in two (UTF-16) or three in four (UTF-32) at the same place."""
    for bom, name in _WIDE_BOMS:
        if data.startswith(bom):
            return name
    sample = data[:4096]
    if len(sample) < 8 or b"\x00" not in sample:
        return None
    for width, name in ((4, "UTF-32"), (2, "UTF-16")):
        units = len(sample) // width
        for low in (0, width - 1):  # where the character is: little endian, big endian
            ascii_units = sum(
                1
                for start in range(0, units * width, width)
                if sample[start + low]
                and not any(sample[start : start + low] + sample[start + low + 1 : start + width])
            )
            if ascii_units >= units * 0.6:
                return name
    return None


def check_workbook_archive(data: bytes) -> zipfile.ZipFile:
    """Open the archive after checking it cannot blow up, holds no macros and is a workbook."""
    try:
        archive = open_archive(data, "")
    except UnsafeUpload as refused:
        if refused.code == "damaged":
            raise UnsafeFile(_("The workbook is damaged and cannot be read.")) from None
        raise UnsafeFile(
            _("The workbook would unpack to an abnormal size; it was refused for safety.")
        ) from None
    if odf_mimetype(archive) == ODF_MIMETYPE[".ods"]:
        raise UnsafeFile(
            _(
                "This is an OpenDocument spreadsheet (.ods). Save it as an Excel workbook "
                "(.xlsx) and upload it again."
            )
        )
    content_types = ooxml_content_types(archive)
    if has_ooxml_macros(archive, content_types):
        raise UnsafeFile(
            _("The workbook contains macros (.xlsm). Save it as a plain .xlsx workbook.")
        )
    if b"spreadsheetml" not in content_types or "xl/workbook.xml" not in archive.namelist():
        raise UnsafeFile(_("This file is not an Excel workbook."))
    return archive


# Namespaces are matched by local name only: a workbook saved as "Strict Open XML" uses other
# URIs for the same elements, and a scan that missed its cells would let a formula through.
_ANY_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_ANY_ERROR = re.compile(rb"\bt\s*=\s*[\"']e[\"']")
# Byte searches, much faster than the patterns above, that every match of them needs.
_FORMULA_HINTS = (b"<f", b":f")
_ERROR_HINTS = (b'"e"', b"'e'")
# Text that could be an error typed as text ('#N/A): a # and a letter, but not &#x (the hex
# character references openpyxl writes for every Vietnamese letter).
_ERROR_TEXT = re.compile(rb"#[A-WYZa-wyz]")
_REFERENCE = re.compile(r"([A-Z]{1,3})([0-9]{1,7})", re.I)
_RELATIONSHIP_ID = "}id"  # r:id, in whichever namespace the workbook uses


# What reading a part of a damaged archive raises: a missing part or sheet, XML that does not
# parse, a bad checksum, a broken compressed stream, an encrypted or unknown compression.
DAMAGED = (
    KeyError,
    ElementTree.ParseError,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
)


class SheetScan(NamedTuple):
    """The cells of a sheet whose value is not what calamine reads (A1 references)."""

    formulas: list[str]  # a formula: calamine gives its cached result, or nothing
    errors: dict[str, str]  # an error value (#N/A…): calamine gives an empty cell, or fails
    percents: list[str]  # a number shown as a percentage: 95,6 % holds 0.956
    # Whether any text of the sheet could be an error typed as text ('#N/A).
    hash_text: bool = True


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _workbook_parts(archive: zipfile.ZipFile) -> tuple[dict[str, str], dict[str, str]]:
    """The path of each sheet by name, and of the other parts by type (styles,
    sharedStrings)."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets: dict[str, str] = {}
    parts: dict[str, str] = {}
    for rel in rels:
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        rel_id = rel.get("Id")
        if rel_id is not None:  # one without could never be looked up
            targets[rel_id] = path
        parts[rel.get("Type", "").rpartition("/")[2]] = path
    sheets: dict[str, str] = {}
    for element in workbook.iter():
        name = element.get("name")
        if _local(element.tag) == "sheet" and name is not None:
            rid = next((v for k, v in element.attrib.items() if k.endswith(_RELATIONSHIP_ID)), "")
            sheets[name] = targets.get(rid, "")
    return sheets, parts


def _percent_styles(archive: zipfile.ZipFile, path: str | None) -> set[str]:
    """The cell styles (indexes into cellXfs) that show a number as a percentage."""
    if path is None or path not in archive.namelist():
        return set()
    root = ElementTree.fromstring(archive.read(path))
    # Excel's built-in 0% and 0.00%; None: a format without its id, matching a style without one.
    percent_formats: set[str | None] = {"9", "10"}
    for element in root.iter():
        if _local(element.tag) == "numFmt" and _shows_percent(element.get("formatCode", "")):
            percent_formats.add(element.get("numFmtId"))
    for element in root.iter():
        if _local(element.tag) == "cellXfs":
            return {
                str(index)
                for index, xf in enumerate(x for x in element if _local(x.tag) == "xf")
                if xf.get("numFmtId") in percent_formats
            }
    return set()


def _shows_percent(code: str) -> bool:
    """Whether a number format multiplies by 100: a % outside quotes, escapes and [..]."""
    return "%" in re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code)


def scan_sheet(archive: zipfile.ZipFile, sheet_name: str) -> SheetScan:
    """The cells of a sheet whose content is not what it seems; raises UnsafeFile if the sheet
    cannot be found or read."""
    try:
        sheets, parts = _workbook_parts(archive)
        xml = archive.read(sheets[sheet_name])
        percent = _percent_styles(archive, parts.get("styles"))
        strings = parts.get("sharedStrings")
        hash_text = bool(
            _ERROR_TEXT.search(xml)
            or (strings in archive.namelist() and _ERROR_TEXT.search(archive.read(strings)))
        )
    except DAMAGED:
        raise UnsafeFile(_("The workbook is damaged and cannot be read.")) from None
    percent_cell = (
        re.compile(rb"\bs\s*=\s*[\"'](?:%s)[\"']" % b"|".join(x.encode() for x in percent))
        if percent
        else None
    )
    # Most sheets hold none of these: plain scans of the bytes settle that at once.
    if not (
        (any(hint in xml for hint in _FORMULA_HINTS) and _ANY_FORMULA.search(xml))
        or (any(hint in xml for hint in _ERROR_HINTS) and _ANY_ERROR.search(xml))
        or (percent_cell is not None and percent_cell.search(xml))
    ):
        return SheetScan([], {}, [], hash_text)
    try:
        return _scan_cells(xml, percent)._replace(hash_text=hash_text)
    except (ElementTree.ParseError, ValueError):
        raise UnsafeFile(_("The workbook is damaged and cannot be read.")) from None


def _scan_cells(xml: bytes, percent: set[str]) -> SheetScan:
    """Every cell read in order, with its position as a spreadsheet counts it: a row or a cell
    without its reference follows the one before."""
    scan = SheetScan([], {}, [])
    row = column = 0
    for event, element in ElementTree.iterparse(io.BytesIO(xml), events=("start", "end")):
        name = _local(element.tag)
        if event == "start":
            if name == "row":
                row = int(element.get("r") or row + 1)
                column = 0
            elif name == "c":
                reference = element.get("r")
                if reference:
                    found = _REFERENCE.fullmatch(reference)
                    if found is None:
                        raise ValueError(reference)
                    column = column_index_from_string(found.group(1).upper())
                    row = int(found.group(2))
                else:
                    column += 1
            continue
        if name == "c":
            reference = f"{get_column_letter(column)}{row}"
            children = {_local(child.tag): child for child in element}
            kind = element.get("t", "n")
            value = children["v"].text if "v" in children else None
            if "f" in children:
                scan.formulas.append(reference)
            elif kind == "e":
                scan.errors[reference] = (value or "").strip() or "#N/A"
            elif kind == "n" and value and element.get("s") in percent:
                scan.percents.append(reference)
            element.clear()
        elif name == "row":
            element.clear()
    return scan


def formula_cells(archive: zipfile.ZipFile, sheet_name: str) -> list[str]:
    """The cells of a sheet that hold a formula rather than a value."""
    return scan_sheet(archive, sheet_name).formulas


# What a spreadsheet shows in a cell whose formula failed (Excel's, LibreOffice's and the newer
# dynamic-array, data-type and connection errors). Typed as text, or exported to CSV, it is still
# no value.
SPREADSHEET_ERRORS = frozenset(
    {
        "#NULL!",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#N/A",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#BUSY!",
        "#UNKNOWN!",
        "#EXTERNAL!",
        "#PYTHON!",
        "#TIMEOUT!",
    }
)


def spreadsheet_error(cell) -> str | None:
    """The spreadsheet error (#N/A, #DIV/0!…) a cell or a field holds instead of a value."""
    if isinstance(cell, str) and cell.lstrip()[:1] == "#":
        text = cell.strip().upper()
        if text in SPREADSHEET_ERRORS:
            return text
    return None
