"""Files sent to the browser as downloads, and the names they are sent under.

Every Content-Disposition of the app comes from `attachment_header`: a name may hold what people
typed or uploaded (a form's code, a template's file name, a unit's name), and a quote, a
backslash or a line break of it must not reach the header."""

import mimetypes
import re
import unicodedata

from django.http import FileResponse, HttpResponse
from django.utils.http import content_disposition_header


def ascii_name(name: str) -> str:
    """A name fit for a file or an HTML id: ASCII letters, digits, - and _ (Đống Đa → Dong-Da)."""
    text = str(name).replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-_")
    return text or "download"


_UNSAFE_IN_FILENAME = re.compile(r'[\x00-\x1f\x7f\\/:*?"<>|]+')


def attachment_header(name: str, shown: str | None = None) -> str:
    """The Content-Disposition of a download: `filename=` an ASCII form of `name` (Báo cáo
    Đống Đa.xlsx → Bao-cao-Dong-Da.xlsx) for every client, and `filename*=` the name as people
    read it (`shown`, or else `name`; RFC 6266/5987) for the browsers that read it, all current
    ones. Both through Django's content_disposition_header."""
    stem, dot, ext = str(name).rpartition(".")
    if not dot or not re.fullmatch(r"[A-Za-z0-9]{1,10}", ext):
        stem, ext = str(name), ""
    plain = ascii_name(stem)[:100] + (f".{ext}" if ext else "")
    header = _disposition(plain)
    display = _UNSAFE_IN_FILENAME.sub(" ", str(shown if shown is not None else name)).strip()
    if len(display) > 120:
        shown_stem, dot, shown_ext = display.rpartition(".")
        tail = dot + shown_ext if dot and len(shown_ext) <= 10 else ""
        display = (shown_stem if tail else display)[:100].rstrip() + tail
    if display and display != plain:
        utf8 = _disposition(display)
        if "filename*=" in utf8:
            header += "; " + utf8.split("; ", 1)[1]
    return header


def _disposition(filename: str) -> str:
    header = content_disposition_header(True, filename)
    assert header is not None  # None for an empty name only, and these never are
    return header


def attachment(content, content_type: str, name: str, shown: str | None = None) -> HttpResponse:
    """`content` as a download named `name` (see attachment_header)."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = attachment_header(name, shown)
    return response


def file_download(stored, name: str) -> FileResponse:
    """A stored file (a FileField's file) as a download under the name it was uploaded with."""
    response = FileResponse(
        stored.open("rb"), content_type=mimetypes.guess_type(name)[0] or "application/octet-stream"
    )
    response["Content-Disposition"] = attachment_header(name)
    return response
