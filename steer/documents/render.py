"""A Word template and a context in, the .docx out (docxtpl); the .docx to PDF (LibreOffice).

Charts travel in the context as `Chart` (a Vega-Lite spec); they are rendered to PNG here, by the
same vl-convert that draws them on the pages, and placed as images.
"""

import contextlib
import ctypes
import io
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jinja2
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2.sandbox import SecurityError

from steer.core import processes
from steer.core.charts import localised, render_png
from steer.documents import sandbox

Progress = Callable[[int, str], None]


@dataclass
class Chart:
    spec: dict
    width_mm: float = 160


class TemplateProblem(Exception):
    """A template that cannot be used; the message says why, in the user's words."""


def _charts_in(value, found: list) -> None:
    if isinstance(value, Chart):
        found.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            _charts_in(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _charts_in(item, found)


def _replace(value, images: dict[int, InlineImage]):
    if isinstance(value, Chart):
        return images[id(value)]
    if isinstance(value, dict):
        return {key: _replace(item, images) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_replace(item, images) for item in value]
    return value


def _open(content: bytes) -> DocxTemplate:
    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise TemplateProblem("not_docx")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        if "word/document.xml" not in archive.namelist():
            raise TemplateProblem("not_docx")
    return DocxTemplate(io.BytesIO(content))


def render_docx(
    template: bytes, context: dict, progress: Progress | None = None, *, layout: str
) -> bytes:
    """The document: the template filled with the context (charts drawn on the way), in the
    sandbox, each part checked before it is rendered (steer.documents.sandbox)."""
    progress = progress or (lambda _percent, _step: None)
    document = _open(template)
    sandbox.check_links(document)  # a template stored unchecked may link to anything
    charts: list[Chart] = []
    _charts_in(context, charts)
    images = {}
    for i, chart in enumerate(charts, 1):
        png = render_png(localised(chart.spec, "vi"), scale=2)
        images[id(chart)] = InlineImage(document, io.BytesIO(png), width=Mm(chart.width_mm))
        progress(10 + 50 * i // max(len(charts), 1), "chart")
    try:
        document.render(_replace(context, images), sandbox.Environment(layout))
    except jinja2.TemplateSyntaxError as error:
        raise TemplateProblem(f"syntax:{error.message}") from error
    except jinja2.UndefinedError as error:
        raise TemplateProblem(f"undefined:{error.message}") from error
    except SecurityError as error:
        raise TemplateProblem(f"security:{error}") from error
    except sandbox.TooLarge as error:
        raise TemplateProblem("too_large") from error
    progress(80, "write")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# -- PDF ----------------------------------------------------------------------------------


def office() -> str | None:
    """The LibreOffice program on this server, if any."""
    return shutil.which("soffice") or shutil.which("libreoffice")


class ConversionFailed(Exception):
    pass


FOLDER_PREFIX = "steer-pdf-"
# LibreOffice's settings for its conversions: it loads nothing a document links to (a linked
# picture, file: or http:, would be read from the server's disk or fetched from its network),
# and its proxy is a closed port. The template check refuses such links; this holds for any
# the check does not know.
NO_LINKS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting">
 <prop oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Inet/Settings">
 <prop oor:name="ooInetProxyType" oor:op="fuse"><value>1</value></prop>
 <prop oor:name="ooInetHTTPProxyName" oor:op="fuse"><value>127.0.0.1</value></prop>
 <prop oor:name="ooInetHTTPProxyPort" oor:op="fuse"><value>9</value></prop>
 <prop oor:name="ooInetHTTPSProxyName" oor:op="fuse"><value>127.0.0.1</value></prop>
 <prop oor:name="ooInetHTTPSProxyPort" oor:op="fuse"><value>9</value></prop>
 <prop oor:name="ooInetNoProxy" oor:op="fuse"><value></value></prop></item>
</oor:items>
"""
BEAT_EVERY = 5  # seconds: while LibreOffice prints, on_wait is called this often
PR_SET_PDEATHSIG = 1
_prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None


def _dies_with(parent: int):
    """Run in LibreOffice's process before it starts: it is sent SIGTERM when its parent (this
    worker) dies, even by SIGKILL. SIGTERM, not SIGKILL: LibreOffice's launcher (oosplash) then
    stops the office process it started, which a SIGKILL would leave running."""

    def before_start() -> None:
        if _prctl is not None:
            _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the line above
            os._exit(1)

    return before_start


def to_pdf(docx: bytes, timeout: int = 180, on_wait: Callable[[], None] | None = None) -> bytes:
    """The PDF of a .docx, printed by LibreOffice headless. LibreOffice runs in a process group
    of its own, killed on a timeout or any exception, and dies with this process; its folder
    (named for this process, see sweep_folders) is removed on every way out."""
    program = office()
    if program is None:
        raise ConversionFailed("LibreOffice is not installed")
    prefix = f"{FOLDER_PREFIX}{processes.local_id()}-"
    with tempfile.TemporaryDirectory(prefix=prefix) as work:
        folder = Path(work)
        source = folder / "document.docx"
        source.write_bytes(docx)
        # Its own profile: two conversions at once must not share (and lock) one.
        (folder / "profile" / "user").mkdir(parents=True)
        (folder / "profile" / "user" / "registrymodifications.xcu").write_text(NO_LINKS)
        profile = (folder / "profile").as_uri()
        command = [
            program,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(source),
        ]
        env = {**os.environ, "HOME": str(folder)}
        office_process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            process_group=0,
            preexec_fn=_dies_with(os.getpid()),
        )
        try:
            _wait(office_process, timeout, on_wait)
        finally:
            if office_process.returncode is None:  # timed out, or this process is stopping
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(office_process.pid, signal.SIGKILL)
                office_process.wait()
        result = folder / "document.pdf"
        if not result.exists():
            raise ConversionFailed("LibreOffice produced no PDF")
        return result.read_bytes()


def _wait(process: subprocess.Popen, timeout: int, on_wait: Callable[[], None] | None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise ConversionFailed("LibreOffice took too long")
        try:
            process.wait(timeout=min(BEAT_EVERY, left))
            return
        except subprocess.TimeoutExpired:
            if on_wait is not None:
                on_wait()


def sweep_folders() -> None:
    """Remove the conversion folders (with the document in them) of processes that are gone,
    killed before they could clean up. Only this user's own folders, never through a link."""
    for folder in Path(tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*"):
        owner = folder.name.removeprefix(FOLDER_PREFIX).rpartition("-")[0]
        try:
            info = folder.lstat()
        except OSError:
            continue
        ours = stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
        if ours and processes.alive_here(owner) is False:
            shutil.rmtree(folder, ignore_errors=True)
