"""Dashboard tables that download as Excel and CSV, and the downloads of charts.

A view describes each table once (`Table`, `Column`), shows it with
`{% include "core/_table.html" with table=... %}` and answers its downloads first:

    response = download(request, {"units": units_table}, {"progress": progress_spec})
    if response:
        return response

Links on the page add ?download=<name>.xlsx / .csv (tables) or .svg / .png (charts) to the
current URL, so a download holds exactly what the page shows with its filters.
"""

import csv
import datetime
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import get_language
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from steer.core import charts as chart_lib
from steer.core.cells import safe_text
from steer.core.files import attachment

KINDS = ("text", "number", "percent", "integer", "date", "status")
NUMERIC_KINDS = frozenset({"number", "percent", "integer"})


class Status(NamedTuple):
    """A status cell: a code for the colour (on_track, overdue…) and the label people read."""

    code: str
    label: str


@dataclass(frozen=True)
class Column:
    """One column: the row field it shows, its heading and the kind of its values.

    `link` names a row field holding a URL for the cell; the link is shown on the page only.
    Percent values are 0-100 numbers; the heading carries the unit, e.g. "Tỷ lệ (%)"."""

    key: str
    label: str
    kind: str = "text"
    link: str | None = None
    on_page: bool = True  # False: in the downloads only, to keep a wide table readable

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"Unknown column kind {self.kind!r}; one of {', '.join(KINDS)}.")

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS


@dataclass(slots=True)
class Cell:
    """A cell as the page shows it: its value (a status's label), status code and link.

    `shown_as` tells the template how: empty, status, integer, number, date or text."""

    column: Column
    value: Any
    code: str = ""
    link: str = ""

    @property
    def shown_as(self) -> str:
        if self.value is None or self.value == "":
            return "empty"
        if self.column.kind == "status":
            return "status"
        if self.column.numeric and _is_number(self.value):
            return "integer" if self.column.kind == "integer" else "number"
        if self.column.kind == "date" and isinstance(self.value, datetime.date):
            return "date"
        return "text"


@dataclass
class Table:
    """A named table: `name` identifies it in ?download=, `title` heads it and its files."""

    name: str
    title: str
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)

    @property
    def page_columns(self) -> list[Column]:
        return [column for column in self.columns if column.on_page]

    @property
    def cells(self) -> list[list[Cell]]:
        shown = self.page_columns
        return [[_cell(column, row) for column in shown] for row in self.rows]


def _status(value) -> Status | None:
    if value is None or value == "":
        return None
    if isinstance(value, dict):
        return Status(str(value["code"]), str(value["label"]))
    if isinstance(value, tuple):
        return Status(str(value[0]), str(value[1]))
    return Status(str(value.code), str(value.label))


_SAFE_LINK = re.compile(r"^(?:/(?!/)|https?://)", re.I)


def _cell(column: Column, row: dict) -> Cell:
    value = row.get(column.key)
    link = row.get(column.link) if column.link else None
    # Only site paths and web addresses: never javascript: or data: in an href.
    link = str(link) if link and _SAFE_LINK.match(str(link)) else ""
    if column.kind == "status":
        status = _status(value)
        return Cell(column, status.label if status else None, status.code if status else "", link)
    if column.kind == "percent" and _is_number(value):
        value = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if column.kind == "date":
        value = _as_date(value)
    return Cell(column, value, "", link)


def _as_date(value):
    if isinstance(value, datetime.datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).date()
    return value


def _plain_number(value) -> str:
    """Machine-readable: dot decimal, no grouping, no exponent, no trailing zeros."""
    if isinstance(value, int):
        return str(value)
    return format(Decimal(str(value)).normalize(), "f")


def _is_number(value) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _export_value(column: Column, value):
    """The value a file holds: numbers as numbers, dates as dates, text neutralised."""
    if value is None or value == "":
        return None
    if column.kind == "status":
        status = _status(value)
        return safe_text(status.label) if status else None
    if column.numeric and _is_number(value):
        return value
    if column.kind == "date" and isinstance(value, datetime.date):
        return _as_date(value)
    return safe_text(str(value))


def to_csv(table: Table) -> bytes:
    """UTF-8 with a BOM (so Excel reads Vietnamese right), comma-separated, a heading row;
    numbers machine-readable (1234.5), dates dd/mm/yyyy, nothing for a missing value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_text(str(column.label)) for column in table.columns])
    for row in table.rows:
        line = []
        for column in table.columns:
            value = _export_value(column, row.get(column.key))
            if value is None:
                line.append("")
            elif isinstance(value, datetime.date):
                line.append(value.strftime("%d/%m/%Y"))
            elif _is_number(value):
                line.append(_plain_number(value))
            else:
                line.append(value)
        writer.writerow(line)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


DATE_FORMAT = "dd/mm/yyyy"


def _number_format(kind: str, value) -> str:
    # Excel shows the separators of the reader's own settings: 1.234,5 on a Vietnamese Windows.
    if kind == "integer" or isinstance(value, int) or float(value).is_integer():
        return "#,##0"
    return "#,##0.0" if kind == "percent" else "#,##0.##"


def _width(column: Column, value) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime.date):
        return 10
    if _is_number(value):
        return len(f"{value:,.2f}") if column.kind != "integer" else len(f"{value:,}")
    return max((len(line) for line in str(value).splitlines()), default=0)


_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def to_xlsx(table: Table) -> bytes:
    """A workbook: the title, a bold frozen heading row with a filter, numbers as numbers with
    thousands grouping, dates as dates (dd/mm/yyyy), text that could run as a formula neutralised.
    """
    wb = Workbook()
    sheet = wb.active
    sheet.title = _SHEET_FORBIDDEN.sub(" ", str(table.title)).strip()[:31] or "Sheet1"
    wb.properties.title = str(table.title)
    sheet.cell(1, 1, safe_text(str(table.title))).font = Font(bold=True, size=13)
    bold = Font(bold=True)
    widths = []
    for index, column in enumerate(table.columns, start=1):
        label = safe_text(str(column.label))
        sheet.cell(2, index, label).font = bold
        widths.append(len(label))
    for row_index, row in enumerate(table.rows, start=3):
        for index, column in enumerate(table.columns, start=1):
            value = _export_value(column, row.get(column.key))
            if isinstance(value, Decimal):
                value = int(value) if value == value.to_integral_value() else float(value)
            cell = sheet.cell(row_index, index, value)
            if isinstance(value, datetime.date):
                cell.number_format = DATE_FORMAT
            elif _is_number(value):
                cell.number_format = _number_format(column.kind, value)
            widths[index - 1] = max(widths[index - 1], _width(column, value))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    sheet.freeze_panes = "A3"
    if table.columns:
        last = get_column_letter(len(table.columns))
        sheet.auto_filter.ref = f"A2:{last}{max(len(table.rows) + 2, 2)}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


TABLE_FORMATS = {
    "csv": (to_csv, "text/csv; charset=utf-8"),
    "xlsx": (to_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
CHART_FORMATS: dict[str, tuple[Callable[[dict[str, Any]], str | bytes], str]] = {
    "svg": (chart_lib.render_svg, "image/svg+xml; charset=utf-8"),
    "png": (chart_lib.render_png, "image/png"),
}


def _chart_title(spec: dict, name: str) -> str:
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(str(t) for t in title)
    return str(title) if title else name


def download(
    request, tables: dict[str, Table], charts: dict[str, dict] | None = None
) -> HttpResponse | None:
    """The file ?download=<name>.<format> asks for, None if it asks for none.

    Tables download as .csv or .xlsx, charts (Vega-Lite specs) as .svg or .png, rendered in
    the page's language. An unknown name or format is a 404."""
    wanted = request.GET.get("download")
    if wanted is None:
        return None
    name, _dot, ext = wanted.rpartition(".")
    if ext in TABLE_FORMATS and name in tables:
        table = tables[name]
        write, content_type = TABLE_FORMATS[ext]
        return attachment(write(table), content_type, f"{name}.{ext}", f"{table.title}.{ext}")
    if ext in CHART_FORMATS and charts and name in charts:
        spec = chart_lib.localised(charts[name], get_language())
        render, content_type = CHART_FORMATS[ext]
        title = _chart_title(spec, name)
        return attachment(render(spec), content_type, f"{name}.{ext}", f"{title}.{ext}")
    raise Http404
