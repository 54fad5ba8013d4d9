"""Guards for files that come in and text that goes out.

Uploaded workbooks are zip archives: they are opened only after their size, the size they would
unpack to, and their parts have been checked. Text written to CSV or Excel that a spreadsheet
would run as a formula (it starts with = + - @) is neutralised.
"""

import re
import zipfile
from collections.abc import Iterator
from xml.etree import ElementTree

from django.utils.translation import gettext as _

from steer.core.uploads import UnsafeUpload, has_ooxml_macros, ooxml_content_types, open_archive

MAX_UPLOAD_BYTES = 20 * 1024 * 1024

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class UnsafeFile(ValueError):
    pass


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
    head = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    if head[:1] in (b"{", b"["):
        return "json"
    # A web page, an XML file or a PDF is text-like enough to be read as a CSV file, and a
    # program has a NUL byte: all are refused by what they hold, whatever their name.
    if head[:1] == b"<" or head.startswith(b"%PDF") or b"\x00" in data[:4096]:
        raise UnsafeFile(_("This file is neither a workbook nor a CSV or JSON file."))
    return "csv"


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
    content_types = ooxml_content_types(archive)
    if has_ooxml_macros(archive, content_types):
        raise UnsafeFile(
            _("The workbook contains macros (.xlsm). Save it as a plain .xlsx workbook.")
        )
    if b"spreadsheetml" not in content_types or "xl/workbook.xml" not in archive.namelist():
        raise UnsafeFile(_("This file is not an Excel workbook."))
    return archive


_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}
# A cell element that is not self-closing (<c r="G9" s="5"/> holds nothing) and holds an <f>
# before its end or the next cell; namespace prefixes (<x:c>) allowed. Each match attempt stops at
# the end of its own cell, so the scan stays linear however many empty cells a sheet has.
_FORMULA_CELL = re.compile(
    rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]+[0-9]+)"[^>]*?(?<!/)>'
    rb"(?:(?!</(?:\w+:)?c>|<(?:\w+:)?c\b).)*?<(?:\w+:)?f[\s>/]",
    re.S,
)
# Most workbooks hold no formula at all: one plain scan settles that before the cell-by-cell one.
_ANY_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _sheet_parts(archive: zipfile.ZipFile) -> Iterator[tuple[str, str]]:
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels.findall("rel:Relationship", _NS)}
    for sheet in workbook.findall("m:sheets/m:sheet", _NS):
        target = targets.get(sheet.get(f"{{{_NS['r']}}}id"), "")
        path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        yield sheet.get("name"), path


def formula_cells(archive: zipfile.ZipFile, sheet_name: str) -> list[str]:
    """The cells of a sheet that hold a formula rather than a value."""
    try:
        for name, path in _sheet_parts(archive):
            if name == sheet_name:
                xml = archive.read(path)
                if not _ANY_FORMULA.search(xml):
                    return []
                return [m.decode() for m in _FORMULA_CELL.findall(xml)]
    except (KeyError, ElementTree.ParseError):
        raise UnsafeFile(_("The workbook is damaged and cannot be read.")) from None
    return []


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value):
    """Text a spreadsheet will show as text, never run: a leading ' where it could be a formula.

    Text that already starts with ' before such a character gets one more, so `plain_text`
    gives back exactly what was written."""
    if isinstance(value, str) and value.lstrip("'").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def plain_text(value):
    """The text `safe_text` was given: a file exported and uploaded again changes nothing."""
    if isinstance(value, str) and value[:1] == "'" and value.lstrip("'").startswith(FORMULA_STARTS):
        return value[1:]
    return value
