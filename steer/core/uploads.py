"""What an uploaded file really is, judged by its content, never by its name alone.

Every upload is taken by `accept`: there is one, it is neither empty nor too large, its name is
of a kind accepted there and its content is what the name says. A file named .pdf must begin as
a PDF does; a .docx, .xlsx, .odt or .ods must be a zip archive holding the parts of that kind of
document (and no macros); a .doc or .xls an OLE compound file; a .jpg or .png the image it
claims. An HTML page or a program renamed to any of these is refused.
A .docx or .xlsx kept for others to download links to nothing outside itself but web links: a
linked picture, frame or remote template is fetched by Word or Excel when a colleague opens it
(a remote template can bring macros, a link to a network share gives away their Windows login).
"""

import io
import re
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

from django.utils.translation import gettext as _

# Documents, spreadsheets, scans and photos: what evidence is in an administration.
DOCUMENT_TYPES = (".pdf", ".doc", ".docx", ".odt", ".xls", ".xlsx", ".ods", ".jpg", ".jpeg", ".png")

PDF = b"%PDF-"
PNG = b"\x89PNG\r\n\x1a\n"
JPEG = b"\xff\xd8\xff"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = b"PK\x03\x04"

# Limits on an archive before any of it is unpacked (a zip bomb is a few kB that unpack to GBs).
MAX_PARTS = 2000
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200  # uncompressed/compressed, per part over 1 MB
MAX_MANIFEST_BYTES = 1024 * 1024

# Office Open XML: the content type of the main part, per file type.
OOXML_MAIN = {
    ".docx": b"wordprocessingml.document.main+xml",
    ".xlsx": b"spreadsheetml.sheet.main+xml",
}
# OpenDocument: the `mimetype` part, stored first and uncompressed.
ODF_MIMETYPE = {
    ".odt": b"application/vnd.oasis.opendocument.text",
    ".ods": b"application/vnd.oasis.opendocument.spreadsheet",
}


class UnsafeUpload(ValueError):
    """A file refused; the message names it and says why. `code`: missing (no file), type (a
    name not accepted), size (over the limit), empty, mismatch (not what its name says),
    damaged, oversized (as an archive), macros, links (to content outside the file), or content
    (refused for what it holds)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def _mismatch(name: str, suffix: str) -> UnsafeUpload:
    return UnsafeUpload(
        _("%(name)s is not a real %(type)s file: its content does not match its name.")
        % {"name": name, "type": suffix.lstrip(".").upper()},
        "mismatch",
    )


def _not_accepted(name: str, kinds: Sequence[str]) -> UnsafeUpload:
    return UnsafeUpload(
        _("%(name)s: files of this type are not accepted (allowed: %(types)s).")
        % {"name": name, "types": ", ".join(t.lstrip(".") for t in kinds)},
        "type",
    )


def open_archive(data, name: str) -> zipfile.ZipFile:
    """The zip archive, once it is known not to unpack to an abnormal size."""
    try:
        archive = zipfile.ZipFile(data if hasattr(data, "read") else io.BytesIO(data))
        parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UnsafeUpload(
            _("%(name)s is damaged and cannot be read.") % {"name": name}, "damaged"
        ) from None
    too_dense = any(
        p.file_size > 1024 * 1024 and p.file_size > MAX_RATIO * max(p.compress_size, 1)
        for p in parts
    )
    if len(parts) > MAX_PARTS or sum(p.file_size for p in parts) > MAX_UNPACKED_BYTES or too_dense:
        raise UnsafeUpload(
            _("%(name)s would unpack to an abnormal size; it was refused for safety.")
            % {"name": name},
            "oversized",
        )
    return archive


def _part(archive: zipfile.ZipFile, part: str) -> bytes:
    try:
        with archive.open(part) as stream:
            return stream.read(MAX_MANIFEST_BYTES)
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return b""


def ooxml_content_types(archive: zipfile.ZipFile) -> bytes:
    return _part(archive, "[Content_Types].xml")


def odf_mimetype(archive: zipfile.ZipFile) -> bytes:
    return _part(archive, "mimetype").strip()


def has_ooxml_macros(archive: zipfile.ZipFile, content_types: bytes) -> bool:
    """A Word or Excel file with a VBA project (.docm, .xlsm saved under another name)."""
    names = (n.lower() for n in archive.namelist())
    return any(n.endswith("vbaproject.bin") for n in names) or b"macroEnabled" in content_types


_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_EXTERNAL = re.compile(rb"""\bTargetMode\s*=\s*["']External["']""")
_TYPE = re.compile(rb"""\bType\s*=\s*["']([^"']*)["']""")
_TARGET = re.compile(rb"""\bTarget\s*=\s*["']([^"']*)["']""")


def external_link(archive: zipfile.ZipFile) -> str | None:
    """The first target outside the file that an Office Open XML part links to, web links
    (hyperlinks) aside; "…" for a list of links too long to read whole (none is, in a real
    document), which may hide one."""
    for info in archive.infolist():
        if not info.filename.lower().endswith(".rels"):
            continue
        if info.file_size > MAX_MANIFEST_BYTES:
            return "…"
        for tag in _RELATIONSHIP.findall(_part(archive, info.filename)):
            kind = _TYPE.search(tag)
            if _EXTERNAL.search(tag) and not (kind and kind.group(1).endswith(b"/hyperlink")):
                target = _TARGET.search(tag)
                return (target.group(1) if target else b"").decode("utf-8", "replace")[:120]
    return None


def check_links(data, name: str) -> None:
    """A .docx/.xlsx that links to content outside itself is refused (see the module)."""
    target = external_link(open_archive(data, name))
    if target is not None:
        raise UnsafeUpload(
            _(
                "%(name)s links to a file or address outside itself (%(target)s). Insert pictures "
                "and other content into the document instead of linking them, and upload it again."
            )
            % {"name": name, "target": target},
            "links",
        )


def check_office_archive(data, name: str, suffix: str) -> None:
    """A .docx/.xlsx/.odt/.ods: the archive holds that kind of document and no macros."""
    archive = open_archive(data, name)
    names = {n.lower() for n in archive.namelist()}
    if suffix in OOXML_MAIN:
        content_types = ooxml_content_types(archive)
        if has_ooxml_macros(archive, content_types):
            raise UnsafeUpload(
                _(
                    "%(name)s contains macros. Save it as a plain document (.docx or .xlsx) and "
                    "upload it again."
                )
                % {"name": name},
                "macros",
            )
        if OOXML_MAIN[suffix] not in content_types:
            raise _mismatch(name, suffix)
    else:
        if odf_mimetype(archive) != ODF_MIMETYPE[suffix]:
            raise _mismatch(name, suffix)
        if any(n.startswith("basic/") for n in names):
            raise UnsafeUpload(
                _("%(name)s contains macros. Save it without macros and upload it again.")
                % {"name": name},
                "macros",
            )


def check_content(upload, allowed=DOCUMENT_TYPES) -> None:
    """Refuse an uploaded file (Django's UploadedFile) whose name is not of an allowed type or
    whose content is not what its name says. The file is read from its start and put back."""
    name = Path(upload.name or "").name
    suffix = Path(name).suffix.lower()
    if suffix not in allowed:
        raise _not_accepted(name, allowed)
    upload.seek(0)
    head = upload.read(16)
    try:
        if suffix == ".pdf":
            ok = head.startswith(PDF)
        elif suffix == ".png":
            ok = head.startswith(PNG)
        elif suffix in (".jpg", ".jpeg"):
            ok = head.startswith(JPEG)
        elif suffix in (".doc", ".xls"):
            ok = head.startswith(OLE)
        elif suffix in OOXML_MAIN or suffix in ODF_MIMETYPE:
            if not head.startswith(ZIP):
                raise _mismatch(name, suffix)
            upload.seek(0)
            check_office_archive(upload, name, suffix)
            if suffix in OOXML_MAIN:
                upload.seek(0)
                check_links(upload, name)
            ok = True
        else:  # a type added to `allowed` without a rule here: refuse rather than trust the name
            ok = False
    finally:
        upload.seek(0)
    if not ok:
        raise _mismatch(name, suffix)


def accept(
    upload,
    *,
    kinds: Sequence[str] = DOCUMENT_TYPES,
    max_bytes: int,
    content: Callable[..., None] | None = None,
) -> None:
    """Take an uploaded file (Django's UploadedFile, or None when none was chosen), or refuse it
    with UnsafeUpload: its name ends in one of `kinds`, it holds at most `max_bytes` and is not
    empty, and `content(upload)` (by default `check_content`) finds it is what it says."""
    if upload is None:
        raise UnsafeUpload(_("Choose a file to upload."), "missing")
    name = Path(upload.name or "").name
    if Path(name).suffix.lower() not in kinds:
        raise _not_accepted(name, kinds)
    if upload.size > max_bytes:
        raise UnsafeUpload(
            _("%(name)s is larger than %(mb)s MB.") % {"name": name, "mb": max_bytes // 2**20},
            "size",
        )
    if not upload.size:
        raise UnsafeUpload(_("%(name)s is empty.") % {"name": name}, "empty")
    if content is None:
        check_content(upload, tuple(kinds))
    else:
        content(upload)
