"""Exchange formats: steer's value table (CSV or a workbook) and DHIS2 dataValueSets (JSON, CSV).

All of them carry the same fields: unit code, period code, indicator code, part, value, status of
the figure and comment. DHIS2 names them orgUnit, period, dataElement, categoryOptionCombo, value
and comment, with codes as identifiers (idScheme=CODE) and "default" for the whole value.
"""

import csv
import io
import json
import re
from collections.abc import Iterable

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.utils.cell import get_column_letter
from python_calamine import CalamineError, CalamineWorkbook

from steer.core.cells import plain_text, safe_text
from steer.core.jsontext import BadJson, load_json
from steer.core.templatetags.steer import num
from steer.reporting.imports import Entry, Problem
from steer.reporting.models import Channel, ReportForm
from steer.reporting.safety import (
    SheetScan,
    UnsafeFile,
    check_workbook_archive,
    kind_of,
    spreadsheet_error,
)
from steer.reporting.workbook import (
    META_SHEET,
    error_text,
    percent_text,
    read_report,
    read_sheet,
    sheet_problems,
)
from steer.units.models import OrgUnit

TABLE_SHEET = "Dữ liệu"
FIELDS = ("unit", "period", "indicator", "option", "value", "quality", "comment")
TABLE_HEADERS = (
    "Mã đơn vị",
    "Kỳ báo cáo",
    "Mã chỉ tiêu",
    "Chi tiết",
    "Giá trị",
    "Tình trạng số liệu",
    "Ghi chú",
)
DHIS2_FIELDS = {
    "dataelement": "indicator",
    "period": "period",
    "orgunit": "unit",
    "categoryoptioncombo": "option",
    "value": "value",
    "comment": "comment",
}
DHIS2_KEYS = ("dataElement", "period", "orgUnit", "categoryOptionCombo", "value", "comment")
DHIS2_CSV_HEADER = (
    "dataelement",
    "period",
    "orgunit",
    "categoryoptioncombo",
    "attributeoptioncombo",
    "value",
    "storedby",
    "lastupdated",
    "comment",
    "followup",
)
MAX_ROWS = 500_000


def _columns(header: list) -> dict[str, int] | None:
    """Map our field names to column positions, from any of the accepted headers."""
    names = [str(h or "").strip().lower() for h in header]
    known = {f: f for f in FIELDS}
    known.update({h.lower(): f for h, f in zip(TABLE_HEADERS, FIELDS, strict=True)})
    known.update(DHIS2_FIELDS)
    columns = {}
    for position, name in enumerate(names):
        field = known.get(name)
        if field and field not in columns:
            columns[field] = position
    required = {"unit", "period", "indicator", "value"}
    return columns if required <= columns.keys() else None


def entries_from_table(
    rows: list[list], where_name: str, scan: SheetScan | None = None, *, hash_text: bool = True
) -> tuple[list[Entry], list[Problem]]:
    """Entries from rows whose first row is a header: a CSV file, or the table sheet of a
    workbook (with `scan`, its odd cells, and its cells named as sheet!A1). Without `hash_text`
    no cell can hold a spreadsheet error, so none is looked for."""
    if not rows:
        return [], [Problem("", _("The file holds no values."))]
    columns = _columns(rows[0])
    if columns is None:
        expected = ", ".join(TABLE_HEADERS)
        return [], [
            Problem(
                _row(where_name, 1),
                _("the header is not recognised; the columns must be: %(columns)s.")
                % {"columns": expected},
            )
        ]
    if len(rows) > MAX_ROWS + 1:
        return [], [Problem("", _("The file has more than %(n)s rows.") % {"n": MAX_ROWS})]
    entries = []
    unit_col, period_col, indicator_col = columns["unit"], columns["period"], columns["indicator"]
    value_col = columns["value"]
    option_col, quality_col = columns.get("option"), columns.get("quality")
    comment_col = columns.get("comment")
    width = max(columns.values()) + 1
    taken = sorted(columns.values()) if hash_text else []
    value_letter = get_column_letter(value_col + 1)
    percents = (
        {ref for ref in scan.percents if ref.rstrip("0123456789") == value_letter}
        if scan
        else set()
    )
    problems = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) < width:
            row = list(row) + [""] * (width - len(row))
        if not any(str(cell).strip() for cell in row if cell is not None):
            continue
        if taken or percents:
            odd = [
                _odd_cell(where_name, number, col, rows[0][col], error, scan)
                for col in taken
                if row[col].__class__ is str and (error := spreadsheet_error(row[col]))
            ]
            if f"{value_letter}{number}" in percents:
                where = f"{where_name}!{value_letter}{number}"
                odd.append(Problem(where, percent_text(row[value_col])))
            if odd:
                problems.extend(odd)
                continue
        entries.append(
            Entry(
                where=_row(where_name, number),
                unit=_text(row[unit_col]),
                period=_text(row[period_col]),
                indicator=_text(row[indicator_col]),
                option=_text(row[option_col]) if option_col is not None else "",
                value=row[value_col],
                quality=_text(row[quality_col]) if quality_col is not None else "",
                comment=plain_text(_text(row[comment_col])) if comment_col is not None else None,
            )
        )
    return entries, problems


def _odd_cell(where_name: str, number: int, col: int, header, error: str, scan) -> Problem:
    """A spreadsheet error in a cell the table is read from: named as its cell in a workbook,
    as its row and column in a CSV file."""
    if scan is not None:
        return Problem(f"{where_name}!{get_column_letter(col + 1)}{number}", error_text(error))
    return Problem(
        _row(where_name, number),
        _(
            "the column “%(column)s” holds the spreadsheet error %(error)s, not a value; enter the "
            "value itself."
        )
        % {"column": str(header).strip(), "error": error},
    )


def _text(cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))  # a period 2024 or a unit code typed as a number
    return str(cell).strip()


def _row(where_name: str, number: int) -> str:
    return _("%(where)s, row %(row)s") % {"where": where_name, "row": number}


def entries_from_csv(data: bytes) -> tuple[list[Entry], list[Problem]]:
    text = csv_text(data)
    first = _LINE_END.split(text, maxsplit=1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    # Universal newlines: a file saved with CR-only line ends (old Mac programs) reads as lines.
    reader = csv.reader(io.StringIO(text, newline=None), delimiter=delimiter)
    rows = []
    try:
        for row in reader:
            rows.append(row)
    except csv.Error:
        # The one error left to a non-strict reader is a field over csv.field_size_limit().
        raise UnsafeFile(
            _("%(where)s: a field is longer than %(n)s characters.")
            % {"where": _line(reader.line_num), "n": num(csv.field_size_limit())}
        ) from None
    return entries_from_table(rows, _("CSV file"), hash_text="#" in text)


_LINE_END = re.compile(r"\r\n|\r|\n")


def csv_text(data: bytes) -> str:
    """The text of a CSV file in UTF-8, which holds no NUL character; raises UnsafeFile."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise UnsafeFile(
            _(
                "The CSV file is not in UTF-8 (line %(line)s is in another encoding, such as "
                "Windows-1258); save it as “CSV UTF-8 (Comma delimited)”."
            )
            % {"line": _line_of(data, e.start)}
        ) from None
    nul = text.find("\x00")
    if nul >= 0:
        raise UnsafeFile(
            _("%(where)s holds a NUL character: this is not a text file.")
            % {"where": _line(_line_of(text, nul))}
        )
    return text


def _line_of(text: str | bytes, position: int) -> int:
    head = text[:position]
    if isinstance(head, bytes):
        head = head.decode("latin-1")
    return len(_LINE_END.findall(head)) + 1


def _line(number: int) -> str:
    return _("CSV file, line %(line)s") % {"line": number}


def entries_from_json(data: bytes) -> tuple[list[Entry], list[Problem]]:
    try:
        document = load_json(data)
    except BadJson as e:
        raise UnsafeFile(str(e)) from None
    return entries_from_dhis2(document)


def entries_from_dhis2(document) -> tuple[list[Entry], list[Problem]]:
    """Entries from a DHIS2 dataValueSet already parsed from JSON (a file or an API call)."""
    if not isinstance(document, dict) or not isinstance(document.get("dataValues"), list):
        raise UnsafeFile(_("The JSON file is not a DHIS2 dataValueSet (no “dataValues” list)."))
    defaults = {k: document.get(k) for k in ("period", "orgUnit")}
    for key, value in defaults.items():
        if isinstance(value, dict | list):
            raise UnsafeFile(
                _("“%(field)s” must be a text or a number, not a list or an object.")
                % {"field": key}
            )
    entries, problems = [], []
    for number, item in enumerate(document["dataValues"], start=1):
        where = _("value no. %(n)s") % {"n": number}
        if not isinstance(item, dict):
            problems.append(Problem(where, _("not an object.")))
            continue
        nested = [k for k in DHIS2_KEYS if isinstance(item.get(k), dict | list)]
        if nested:
            problems.append(
                Problem(
                    where,
                    _("“%(field)s” must be a text or a number, not a list or an object.")
                    % {"field": nested[0]},
                )
            )
            continue
        option = str(item.get("categoryOptionCombo") or "")
        comment = item.get("comment")
        entries.append(
            Entry(
                where=where,
                unit=str(item.get("orgUnit") or defaults["orgUnit"] or ""),
                period=str(item.get("period") or defaults["period"] or ""),
                indicator=str(item.get("dataElement") or ""),
                option=option,
                value=item.get("value"),
                quality="",
                comment=plain_text(str(comment)) if comment is not None else None,
            )
        )
    return entries, problems


def read_file(data: bytes) -> tuple[list[Entry], dict | None, list[Problem]]:
    """Entries from any accepted file, judged by its content; raises UnsafeFile for a file that
    cannot be one. `meta` is the report workbook's hidden sheet, None for the other formats."""
    kind = kind_of(data)
    if kind != "xlsx":
        entries, problems = entries_from_json(data) if kind == "json" else entries_from_csv(data)
        return entries, None, problems
    archive = check_workbook_archive(data)
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if META_SHEET in book.sheet_names:
            return read_report(book, archive)
        if TABLE_SHEET not in book.sheet_names:
            raise UnsafeFile(
                _(
                    "This workbook is not a steer report form: download the form for the "
                    "unit and period and fill it in."
                )
            )
        rows, scan = read_sheet(book, archive, TABLE_SHEET)
    except CalamineError:
        raise UnsafeFile(_("The workbook is damaged and cannot be read.")) from None
    problems = sheet_problems(scan, rows, _sheet_cell)
    if rows is None:
        return [], None, problems
    entries, more = entries_from_table(rows, TABLE_SHEET, scan, hash_text=scan.hash_text)
    return entries, None, problems + more


def _sheet_cell(reference: str) -> str:
    return f"{TABLE_SHEET}!{reference}"


def channel_of(data: bytes) -> str:
    """How an uploaded file's changes are recorded: a workbook is Excel, anything else a file."""
    return Channel.EXCEL if kind_of(data) == "xlsx" else Channel.IMPORT


def read_upload(programme, data: bytes):
    """Entries of an uploaded file for this programme, and for a report workbook the report
    (form, unit, period code) it is restricted to. Raises UnsafeFile."""
    entries, meta, problems = read_file(data)
    if meta is None:
        return entries, None, problems
    if meta["programme"] != programme.symbol:
        raise UnsafeFile(_("This workbook belongs to another programme."))
    form = ReportForm.objects.filter(programme=programme, code=meta["form"]).first()
    unit = OrgUnit.objects.filter(code=meta["unit"]).first()
    if form is None or unit is None:
        raise UnsafeFile(_("The form or unit of this workbook no longer exists."))
    return entries, (form, unit, meta["period"]), problems


# -- writing ---------------------------------------------------------------------------------


def plain_number(value) -> str:
    return format(value.normalize(), "f")


def value_rows(values) -> Iterable[tuple]:
    """(unit, period, indicator, option, value, quality, comment, updated_by, updated_at)."""
    yield from values.order_by("unit__code", "period", "indicator__code", "option").values_list(
        "unit__code",
        "period",
        "indicator__code",
        "option",
        "value",
        "quality",
        "comment",
        "updated_by__username",
        "updated_at",
    )


def write_csv(values) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FIELDS)
    for unit, period, indicator, option, value, quality, comment, _by, _at in value_rows(values):
        writer.writerow(
            [unit, period, indicator, option, plain_number(value), quality, safe_text(comment)]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_dhis2_csv(values) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(DHIS2_CSV_HEADER)
    for unit, period, indicator, option, value, _q, comment, by, at in value_rows(values):
        writer.writerow(
            [
                indicator,
                period,
                unit,
                option or "default",
                "default",
                plain_number(value),
                safe_text(by),
                at.isoformat(timespec="seconds"),
                safe_text(comment),
                "false",
            ]
        )
    return out.getvalue().encode("utf-8")


def dhis2_document(values) -> dict:
    """A DHIS2 dataValueSet (codes as identifiers) of these values."""
    data_values = []
    for unit, period, indicator, option, value, _q, comment, by, at in value_rows(values):
        item = {
            "dataElement": indicator,
            "period": period,
            "orgUnit": unit,
            "categoryOptionCombo": option or "default",
            "attributeOptionCombo": "default",
            "value": plain_number(value),
            "storedBy": by,
            "lastUpdated": at.isoformat(timespec="seconds"),
        }
        if comment:
            item["comment"] = safe_text(comment)
        data_values.append(item)
    return {"dataValues": data_values}


def write_dhis2_json(values) -> bytes:
    return json.dumps(dhis2_document(values), ensure_ascii=False, indent=1).encode("utf-8")


def write_table_xlsx(values) -> bytes:
    wb = Workbook(write_only=True)
    sheet = wb.create_sheet(TABLE_SHEET)
    sheet.append(list(TABLE_HEADERS))
    for unit, period, indicator, option, value, quality, comment, _by, _at in value_rows(values):
        number = int(value) if value == value.to_integral_value() else float(value)
        sheet.append([unit, period, indicator, option, number, quality, safe_text(comment)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


WRITERS = {
    "csv": (write_csv, "csv", "text/csv"),
    "dhis2-json": (write_dhis2_json, "json", "application/json"),
    "dhis2-csv": (write_dhis2_csv, "csv", "text/csv"),
    "xlsx": (
        write_table_xlsx,
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
}
