"""A Word template and a context in, the .docx out (docxtpl); the .docx to PDF (LibreOffice).

Charts travel in the context as `Chart` (a Vega-Lite spec); they are rendered to PNG here, by the
same vl-convert that draws them on the pages, and placed as images.
"""

import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jinja2
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage

from steer.core.charts import localised, render_png

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


def render_docx(template: bytes, context: dict, progress: Progress | None = None) -> bytes:
    """The document: the template filled with the context (charts drawn on the way)."""
    progress = progress or (lambda _percent, _step: None)
    document = _open(template)
    charts: list[Chart] = []
    _charts_in(context, charts)
    images = {}
    for i, chart in enumerate(charts, 1):
        png = render_png(localised(chart.spec, "vi"), scale=2)
        images[id(chart)] = InlineImage(document, io.BytesIO(png), width=Mm(chart.width_mm))
        progress(10 + 50 * i // max(len(charts), 1), "chart")
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    try:
        document.render(_replace(context, images), environment)
    except jinja2.TemplateSyntaxError as error:
        raise TemplateProblem(f"syntax:{error.message}") from error
    except jinja2.UndefinedError as error:
        raise TemplateProblem(f"undefined:{error.message}") from error
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


def to_pdf(docx: bytes, timeout: int = 180) -> bytes:
    """The PDF of a .docx, printed by LibreOffice headless."""
    program = office()
    if program is None:
        raise ConversionFailed("LibreOffice is not installed")
    with tempfile.TemporaryDirectory(prefix="steer-pdf-") as work:
        folder = Path(work)
        source = folder / "document.docx"
        source.write_bytes(docx)
        # Its own profile: two conversions at once must not share (and lock) one.
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
        try:
            subprocess.run(command, capture_output=True, timeout=timeout, check=False, env=env)
        except subprocess.TimeoutExpired as error:
            raise ConversionFailed("LibreOffice took too long") from error
        result = folder / "document.pdf"
        if not result.exists():
            raise ConversionFailed("LibreOffice produced no PDF")
        return result.read_bytes()
