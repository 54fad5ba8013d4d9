"""Dashboard tables: shown on the page, downloaded as CSV and Excel with Vietnamese intact."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.http import Http404
from django.template import Context, Template
from django.test import RequestFactory
from openpyxl import load_workbook

from steer.core.files import ascii_name
from steer.core.tables import Column, Status, Table, download, to_csv, to_xlsx

TITLE = "Số sản phẩm OCOP được công nhận theo đơn vị"


@pytest.fixture
def ocop() -> Table:
    return Table(
        name="ocop",
        title=TITLE,
        columns=[
            Column("unit", "Đơn vị", link="url"),
            Column("value", "Số sản phẩm OCOP được công nhận", "number"),
            Column("share", "Tỷ lệ đạt kế hoạch (%)", "percent"),
            Column("communes", "Số xã", "integer"),
            Column("updated", "Cập nhật", "date"),
            Column("status", "Đánh giá", "status"),
            Column("note", "Ghi chú"),
        ],
        rows=[
            {
                "unit": "Quận Đống Đa",
                "url": "/units/006/",
                "value": Decimal("1234.5"),
                "share": Decimal("66.666"),
                "communes": 21,
                "updated": datetime.date(2025, 6, 30),
                "status": Status("on_track", "Đúng tiến độ"),
                "note": "Đã thẩm định",
            },
            {
                "unit": "Huyện Thường Tín",
                "url": "javascript:alert(1)",
                "value": Decimal("1000000"),
                "share": 100,
                "communes": 28,
                "updated": None,
                "status": ("off_track", "Chậm tiến độ"),
                "note": '=HYPERLINK("http://x","Bấm")',
            },
            {
                "unit": "Quận Ba Đình",
                "value": None,
                "share": None,
                "communes": None,
                "updated": datetime.date(2024, 12, 31),
                "status": None,
                "note": "-5 sản phẩm so với kế hoạch",
            },
        ],
    )


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_starts_with_a_bom_and_a_heading_of_labels(ocop):
    data = to_csv(ocop)
    assert data.startswith(b"\xef\xbb\xbf")
    assert read_csv(data)[0] == [
        "Đơn vị",
        "Số sản phẩm OCOP được công nhận",
        "Tỷ lệ đạt kế hoạch (%)",
        "Số xã",
        "Cập nhật",
        "Đánh giá",
        "Ghi chú",
    ]


def test_csv_keeps_vietnamese_text_and_writes_numbers_machine_readable(ocop):
    rows = read_csv(to_csv(ocop))
    assert rows[1] == [
        "Quận Đống Đa",
        "1234.5",
        "66.666",
        "21",
        "30/06/2025",
        "Đúng tiến độ",
        "Đã thẩm định",
    ]
    assert rows[2][1:4] == ["1000000", "100", "28"]
    assert rows[3][1:6] == ["", "", "", "31/12/2024", ""]


def test_csv_neutralises_text_a_spreadsheet_would_run(ocop):
    rows = read_csv(to_csv(ocop))
    assert rows[2][6] == '\'=HYPERLINK("http://x","Bấm")'
    assert rows[3][6] == "'-5 sản phẩm so với kế hoạch"


def open_xlsx(table: Table):
    return load_workbook(io.BytesIO(to_xlsx(table))).active


def test_xlsx_has_a_title_row_and_a_bold_frozen_heading(ocop):
    sheet = open_xlsx(ocop)
    assert sheet["A1"].value == TITLE
    assert [c.value for c in sheet[2]][:2] == ["Đơn vị", "Số sản phẩm OCOP được công nhận"]
    assert all(c.font.b for c in sheet[2])
    assert not sheet["A3"].font.b
    assert sheet.freeze_panes == "A3"


def test_xlsx_stores_numbers_as_numbers_with_grouped_formats(ocop):
    sheet = open_xlsx(ocop)
    assert sheet["B3"].value == 1234.5
    assert sheet["B3"].number_format == "#,##0.##"
    assert sheet["B4"].value == 1000000
    assert sheet["B4"].number_format == "#,##0"
    assert sheet["D3"].value == 21
    assert sheet["D3"].number_format == "#,##0"
    assert sheet["B5"].value is None


def test_xlsx_stores_percents_as_plain_numbers_without_a_percent_format(ocop):
    sheet = open_xlsx(ocop)
    assert sheet["C3"].value == pytest.approx(66.666)
    assert sheet["C4"].value == 100
    assert "%" not in sheet["C3"].number_format + sheet["C4"].number_format


def test_xlsx_stores_dates_as_dates_shown_day_month_year(ocop):
    sheet = open_xlsx(ocop)
    assert sheet["E3"].value == datetime.datetime(2025, 6, 30)
    assert sheet["E3"].is_date
    assert sheet["E3"].number_format == "dd/mm/yyyy"


def test_xlsx_exports_status_labels_and_keeps_vietnamese_text(ocop):
    sheet = open_xlsx(ocop)
    assert [sheet["A3"].value, sheet["F3"].value, sheet["F4"].value] == [
        "Quận Đống Đa",
        "Đúng tiến độ",
        "Chậm tiến độ",
    ]


def test_xlsx_stores_formula_like_text_as_text(ocop):
    sheet = open_xlsx(ocop)
    assert sheet["G4"].data_type == "s"
    assert sheet["G4"].value == '\'=HYPERLINK("http://x","Bấm")'
    assert sheet["G5"].value == "'-5 sản phẩm so với kế hoạch"


def test_xlsx_columns_are_wide_enough_for_their_text(ocop):
    sheet = open_xlsx(ocop)
    assert sheet.column_dimensions["A"].width >= len("Huyện Thường Tín")
    assert sheet.column_dimensions["B"].width >= len("Số sản phẩm OCOP được công nhận")
    assert sheet.column_dimensions["D"].width < 20


def test_an_unknown_column_kind_is_refused():
    with pytest.raises(ValueError, match="money"):
        Column("value", "Giá trị", "money")


def test_ascii_name_turns_vietnamese_into_plain_letters():
    assert ascii_name("Quận Đống Đa") == "Quan-Dong-Da"
    assert ascii_name("../../Thường Tín.csv") == "Thuong-Tin-csv"
    assert ascii_name("Đ") == "D"
    assert ascii_name("…") == "download"


def get(query: dict):
    return RequestFactory().get("/p/07-ctr-tu/", query)


def test_download_is_none_without_a_download_parameter(ocop):
    assert download(get({"unit": "006"}), {"ocop": ocop}) is None


def test_download_csv_is_an_attachment_named_in_ascii_and_vietnamese(ocop):
    response = download(get({"download": "ocop.csv"}), {"ocop": ocop})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="ocop.csv"; ')
    assert "filename*=utf-8''S%E1%BB%91%20s%E1%BA%A3n%20ph%E1%BA%A9m%20OCOP" in disposition
    assert response.content == to_csv(ocop)


def test_download_xlsx_is_an_excel_attachment(ocop):
    response = download(get({"unit": "006", "download": "ocop.xlsx"}), {"ocop": ocop})
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"].startswith('attachment; filename="ocop.xlsx"')
    assert load_workbook(io.BytesIO(response.content)).active["A1"].value == TITLE


@pytest.mark.parametrize(
    "wanted", ["khac.csv", "ocop.pdf", "ocop", "", "ocop.svg", ".csv", "ocop.csv.exe"]
)
def test_download_of_an_unknown_table_or_format_is_not_found(ocop, wanted):
    with pytest.raises(Http404):
        download(get({"download": wanted}), {"ocop": ocop}, {"other": {"mark": "bar"}})


def render_table(table: Table, query: dict) -> str:
    template = Template('{% include "core/_table.html" with table=table %}')
    return template.render(Context({"table": table, "request": get(query)}))


def test_table_shows_vietnamese_numbers_in_numeric_cells(ocop):
    html = render_table(ocop, {})
    assert '<td class="num">1.234,5</td>' in html
    assert '<td class="num">1.000.000</td>' in html
    assert '<td class="num">66,7</td>' in html  # percents to one decimal
    assert '<th scope="col" class="num">Số xã</th>' in html
    assert "<td>30/06/2025</td>" in html


def test_table_shows_statuses_as_badges_and_links_only_to_web_addresses(ocop):
    html = render_table(ocop, {})
    assert '<span class="status status-on_track">Đúng tiến độ</span>' in html
    assert '<span class="status status-off_track">Chậm tiến độ</span>' in html
    assert '<a href="/units/006/">Quận Đống Đa</a>' in html
    assert "javascript:" not in html
    assert "<td>Huyện Thường Tín</td>" in html


def test_table_has_its_title_and_download_links_keeping_the_query_string(ocop):
    html = render_table(ocop, {"unit": "006", "year": "2025"})
    assert f"<caption>{TITLE}</caption>" in html
    assert "Tải về:" in html
    assert 'href="/p/07-ctr-tu/?unit=006&amp;year=2025&amp;download=ocop.xlsx"' in html
    assert 'href="/p/07-ctr-tu/?unit=006&amp;year=2025&amp;download=ocop.csv"' in html


def test_table_without_rows_says_so(ocop):
    ocop.rows = []
    html = render_table(ocop, {})
    assert "Không có dữ liệu." in html
    assert read_csv(to_csv(ocop)) == [[c.label for c in ocop.columns]]
