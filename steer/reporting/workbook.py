"""The Excel report workbook: written with openpyxl for one unit and period, read with calamine.

The data sheet is protected except the cells a reporter fills; column A holds each row's key and is
hidden; a very hidden sheet holds what the workbook is for and a signature over its keys, so a
workbook from another unit, period or version, or with its rows moved, is recognised and refused.
"""

import datetime as dt
import hashlib
import hmac
import io
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from python_calamine import CalamineError, CalamineWorkbook

from steer.core.cells import plain_text, safe_text
from steer.core.templatetags.steer import num
from steer.reporting.imports import Entry, Problem
from steer.reporting.models import Quality
from steer.reporting.periods import Period, period_name
from steer.reporting.safety import (
    SheetScan,
    UnsafeFile,
    scan_sheet,
    spreadsheet_error,
)

TEMPLATE = "steer-report"
VERSION = "1"
DATA_SHEET = "Số liệu"
GUIDE_SHEET = "Hướng dẫn"
META_SHEET = "_steer"
HEADER_ROW = 7
FIRST_ROW = 8
VALUE_COL, QUALITY_COL, COMMENT_COL = "I", "J", "K"
QUALITY_LABELS = {Quality.OFFICIAL: "Chính thức", Quality.ESTIMATE: "Ước tính"}
HEADERS = [
    "Khóa",
    "STT",
    "Mã chỉ tiêu",
    "Chỉ tiêu",
    "Chi tiết",
    "Đơn vị tính",
    "Kỳ trước",
    "Kế hoạch năm",
    "Số liệu kỳ này",
    "Tình trạng số liệu",
    "Ghi chú, giải trình",
]
WIDTHS = [4, 5, 11, 60, 16, 13, 12, 13, 15, 17, 40]


def _signature(fields: list[str]) -> str:
    message = "\x1f".join(fields).encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:32]


def _plain(value) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


BOLD = Font(name="Times New Roman", bold=True, size=12)
NORMAL = Font(name="Times New Roman", size=12)
THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
INPUT_FILL = PatternFill("solid", fgColor="FFF7D6")
HEAD_FILL = PatternFill("solid", fgColor="DDE6F0")


def build_workbook(form, unit, period: Period, rows) -> bytes:
    wb = Workbook()
    data = wb.active
    data.title = DATA_SHEET
    deadline = form.deadline(period)
    _write_heading(data, form, unit, period, deadline)
    keys = _write_rows(data, rows)
    data.freeze_panes = f"E{FIRST_ROW}"
    data.protection.sheet = True
    data.protection.password = "steer"
    data.protection.formatCells = False
    data.protection.formatColumns = False
    _write_guide(wb, form, unit, period, deadline)
    _write_meta(wb, form, unit, period, keys)
    wb.security.lockStructure = True
    wb.security.workbookPassword = "steer"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _write_heading(data: Worksheet, form, unit, period: Period, deadline: dt.date) -> None:
    """What the sheet is for, above the table, and the table's header (column A hidden)."""
    programme = form.programme
    lines = [
        f"BÁO CÁO SỐ LIỆU: {form.name.upper()}",
        f"Chương trình: {programme.symbol} – {programme.title}",
        f"Đơn vị báo cáo: {unit.name} (mã {unit.code})",
        f"Kỳ báo cáo: {period_name(period)}; số liệu từ {period.cutoff_start:%d/%m/%Y} "
        f"đến {period.cutoff_end:%d/%m/%Y}; hạn gửi {deadline:%d/%m/%Y}",
        "Chỉ nhập vào các ô màu vàng. Không thêm, xóa, đổi tên trang tính hay chèn dòng.",
    ]
    for i, text in enumerate(lines, start=1):
        data.cell(i, 2, safe_text(text)).font = BOLD if i == 1 else NORMAL
    for col, (title, width) in enumerate(zip(HEADERS, WIDTHS, strict=True), start=1):
        cell = data.cell(HEADER_ROW, col, title)
        cell.font, cell.fill, cell.border = BOLD, HEAD_FILL, BOX
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        data.column_dimensions[cell.column_letter].width = width
    data.column_dimensions["A"].hidden = True


def _write_rows(data: Worksheet, rows) -> list[str]:
    """One line a row of the form, its value, quality and comment cells open to the reporter
    and checked by Excel; returns the rows' keys in order."""
    quality_list = DataValidation(
        type="list",
        formula1='"' + ",".join(QUALITY_LABELS.values()) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Tình trạng số liệu",
        error="Chọn Chính thức hoặc Ước tính.",
    )
    data.add_data_validation(quality_list)
    keys = []
    number = 0
    for r, row in enumerate(rows, start=FIRST_ROW):
        keys.append(row.key)
        if not row.option:
            number += 1
        integer = row.indicator.value_type == "integer"
        for col, value in enumerate(_row_values(row, number), start=1):
            cell = data.cell(r, col, value)
            cell.font, cell.border = NORMAL, BOX
            cell.alignment = Alignment(wrap_text=col in (4, 11), vertical="top")
        for column in (VALUE_COL, QUALITY_COL, COMMENT_COL):
            cell = data[f"{column}{r}"]
            cell.protection = Protection(locked=False)
            cell.fill = INPUT_FILL
        data[f"{VALUE_COL}{r}"].number_format = "#,##0" if integer else "#,##0.00"
        rule = DataValidation(
            type="whole" if integer else "decimal",
            operator="between",
            formula1=str(row.low if row.low is not None else -(10**15)),
            formula2=str(row.high if row.high is not None else 10**15),
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=row.indicator.code,
            error=_bounds_text(row, integer),
        )
        data.add_data_validation(rule)
        rule.add(f"{VALUE_COL}{r}")
        quality_list.add(f"{QUALITY_COL}{r}")
    return keys


def _row_values(row, number: int) -> list:
    """A row's cells from column A (`number`: the indicator's, shown on its total line)."""
    stored = row.stored
    return [
        row.key,
        number if not row.option else None,
        row.indicator.code,
        safe_text(row.indicator.name) if not row.option else None,
        safe_text(row.option_name) or ("Tổng số" if row.line.breakdown_id else None),
        safe_text(row.indicator.unit_of_measure),
        _plain(row.previous),
        _plain(row.target),
        _plain(stored.value) if stored else None,
        QUALITY_LABELS[stored.quality] if stored else None,
        safe_text(stored.comment) if stored and stored.comment else None,
    ]


def _write_guide(wb: Workbook, form, unit, period: Period, deadline: dt.date) -> None:
    guide = wb.create_sheet(GUIDE_SHEET)
    guide.column_dimensions["A"].width = 110
    for i, text in enumerate(_guide_lines(form, unit, period, deadline), start=1):
        cell = guide.cell(i, 1, safe_text(text))
        cell.font = BOLD if i == 1 else NORMAL
        cell.alignment = Alignment(wrap_text=True)
    guide.protection.sheet = True


def _write_meta(wb: Workbook, form, unit, period: Period, keys: list[str]) -> None:
    """The very hidden sheet: what the workbook is for, signed with its rows' keys."""
    meta = {
        "template": TEMPLATE,
        "version": VERSION,
        "programme": form.programme.symbol,
        "form": form.code,
        "unit": unit.code,
        "period": period.code,
        "keys": ";".join(keys),
    }
    meta["signature"] = _signature([meta[k] for k in _META_KEYS])
    meta_sheet = wb.create_sheet(META_SHEET)
    for i, (key, value) in enumerate(meta.items(), start=1):
        meta_sheet.cell(i, 1, key)
        meta_sheet.cell(i, 2, value)
    meta_sheet.sheet_state = "veryHidden"
    meta_sheet.protection.sheet = True


def _bounds_text(row, integer: bool) -> str:
    kind = "số nguyên" if integer else "số"
    if row.high is not None:
        return f"Nhập {kind} từ {row.low} đến {row.high}."
    return f"Nhập {kind} không nhỏ hơn {row.low}."


def _guide_lines(form, unit, period, deadline) -> list[str]:
    return [
        "HƯỚNG DẪN ĐIỀN BIỂU BÁO CÁO",
        f"Biểu: {form.code} – {form.name}. Đơn vị: {unit.name}. Kỳ báo cáo: {period_name(period)}.",
        f"Số liệu tính từ ngày {period.cutoff_start:%d/%m/%Y} đến ngày "
        f"{period.cutoff_end:%d/%m/%Y} (Nghị định 09/2019/NĐ-CP); "
        f"hạn gửi báo cáo: {deadline:%d/%m/%Y}.",
        "1. Trang “Số liệu”: nhập số liệu vào cột “Số liệu kỳ này” (ô màu vàng). Cột “Kỳ trước” "
        "và “Kế hoạch năm” để đối chiếu, không sửa.",
        "2. Số lượng nhập số nguyên, không âm; tỷ lệ (%) nhập từ 0 đến 100; dùng dấu phẩy cho "
        "phần thập phân theo cài đặt tiếng Việt của Excel.",
        "3. Chỉ tiêu có chi tiết (ví dụ theo lĩnh vực trồng trọt, chăn nuôi, thủy sản): nhập "
        "cả dòng “Tổng số” và từng dòng chi tiết; tổng các dòng chi tiết phải bằng dòng tổng.",
        "4. Cột “Tình trạng số liệu”: chọn “Chính thức” hoặc “Ước tính” trong danh sách.",
        "5. Cột “Ghi chú, giải trình”: giải thích số liệu tăng, giảm bất thường "
        "hoặc chưa có số liệu.",
        "6. Không nhập công thức, không thêm, xóa, đổi tên trang tính, không chèn hay xóa dòng. "
        "Để trống ô nếu chưa có số liệu; xóa số liệu đã có sẽ xóa số liệu đó khi tải lên.",
        "7. Tải tệp lên mục “Nhập số liệu từ tệp” của chương trình: hệ thống kiểm tra toàn bộ tệp, "
        "cho xem trước những gì thay đổi rồi mới ghi khi bạn xác nhận. Có lỗi thì không ghi gì.",
    ]


def read_report(book: CalamineWorkbook, archive) -> tuple[list[Entry], dict, list[Problem]]:
    """The entries of a report workbook (one with the hidden meta sheet), its meta and problems."""
    names = book.sheet_names
    meta = {
        str(row[0]): str(row[1]) if len(row) > 1 else ""
        for row in book.get_sheet_by_name(META_SHEET).to_python()
        if row and row[0]
    }
    if meta.get("template") != TEMPLATE or meta.get("version") != VERSION:
        raise UnsafeFile(
            _(
                "This workbook comes from another template or an older version of the form. "
                "Download the form again."
            )
        )
    if not hmac.compare_digest(
        meta.get("signature", ""), _signature([meta.get(k, "") for k in _META_KEYS])
    ):
        raise UnsafeFile(
            _("The hidden part of the workbook has been changed. Download the form again.")
        )
    if DATA_SHEET not in names:
        raise UnsafeFile(
            _("The sheet “%(sheet)s” is missing; sheets must not be renamed or deleted.")
            % {"sheet": DATA_SHEET}
        )
    rows, scan = read_sheet(book, archive, DATA_SHEET)
    problems = sheet_problems(scan, rows, _cell)
    if rows is None:
        return [], meta, problems
    percents = set(scan.percents)
    keys = meta["keys"].split(";") if meta["keys"] else []
    entries = []
    for i, key in enumerate(keys):
        r = FIRST_ROW + i
        row = rows[r - 1] if r - 1 < len(rows) else []
        found = str(row[0]).strip() if row else ""
        if found != key:
            problems.append(
                Problem(
                    _row(r),
                    _(
                        "this row is not the form's row %(key)s: rows were inserted, deleted "
                        "or moved in the protected area."
                    )
                    % {"key": key},
                )
            )
            continue
        taken = [(col, _at(row, col)) for col in (VALUE_COL, QUALITY_COL, COMMENT_COL)]
        odd = [
            Problem(_cell(f"{col}{r}"), error_text(error))
            for col, error in ((col, spreadsheet_error(cell)) for col, cell in taken)
            if error
        ]
        if f"{VALUE_COL}{r}" in percents:
            odd.append(Problem(_cell(f"{VALUE_COL}{r}"), percent_text(taken[0][1])))
        if odd:
            problems.extend(odd)
            continue
        code, _sep, option = key.partition("|")
        entries.append(
            Entry(
                where=_cell(f"{VALUE_COL}{r}"),
                unit=meta["unit"],
                period=meta["period"],
                indicator=code,
                option=option,
                value=_at(row, VALUE_COL),
                quality=_quality(_at(row, QUALITY_COL)),
                comment=plain_text(str(_at(row, COMMENT_COL) or "")),
            )
        )
    for r in range(FIRST_ROW + len(keys), len(rows) + 1):
        if any(cell not in ("", None) for cell in rows[r - 1]):
            problems.append(
                Problem(_row(r), _("a row was added below the form; only the form's rows count."))
            )
            break
    return entries, meta, problems


_META_KEYS = ("template", "version", "programme", "form", "unit", "period", "keys")


def read_sheet(book: CalamineWorkbook, archive, name: str) -> tuple[list[list] | None, SheetScan]:
    """The rows of a sheet as calamine reads them, each error cell holding its error (#N/A…)
    rather than the empty value calamine gives it, and the sheet's odd cells. The rows are None
    when calamine cannot read the sheet because of an error it does not know (#SPILL!…)."""
    scan = scan_sheet(archive, name)
    try:
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except CalamineError:
        if not scan.errors:
            raise
        return None, scan
    for reference, error in scan.errors.items():
        letters, number = coordinate_from_string(reference)
        r, c = number - 1, column_index_from_string(letters) - 1
        if r < len(rows):
            row = rows[r]
            row.extend([""] * (c + 1 - len(row)))
            row[c] = error
    return rows, scan


def sheet_problems(scan: SheetScan, rows, cell_name) -> list[Problem]:
    """A formula anywhere in the sheet; every error cell when the sheet could not be read (when
    it could, the readers name those in the cells they take)."""
    problems = [
        Problem(cell_name(cell), _("the cell holds a formula; enter a value."))
        for cell in scan.formulas
    ]
    if rows is None:
        problems += [Problem(cell_name(c), error_text(e)) for c, e in scan.errors.items()]
    return problems


def error_text(error: str) -> str:
    return _(
        "the cell holds the spreadsheet error %(error)s, not a value; enter the value itself."
    ) % {"error": error}


def percent_text(value) -> str:
    """A value cell formatted as a percentage: it shows 95,6 % and holds 0.956."""
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value or 0))
    shown = number * 100
    # num() would overflow on a number of hundreds of digits (1e300): that one is written as is.
    text = num if abs(shown) < 10**15 else str
    return _(
        "the cell is formatted as a percentage: it shows %(shown)s%% but holds %(value)s. "
        "Format it as a number and type the figure."
    ) % {"shown": text(shown), "value": text(number)}


def _at(row, column: str):
    index = ord(column) - ord("A")
    return row[index] if index < len(row) else None


def _quality(label) -> str:
    text = str(label or "").strip()
    for code, name in QUALITY_LABELS.items():
        if text.lower() == name.lower():
            return code
    return text


def _cell(ref: str) -> str:
    return _("sheet “%(sheet)s”, cell %(cell)s") % {"sheet": DATA_SHEET, "cell": ref}


def _row(r: int) -> str:
    return _("sheet “%(sheet)s”, row %(row)s") % {"sheet": DATA_SHEET, "row": r}
