"""What people put in an address is refused with a Vietnamese message, never a server error;
download names cannot break out of their header; nothing signed-in is stored by a cache.

(The whole app is crawled with hostile values in test_query_fuzz.py; these are the cases found,
each checked for its message.)"""

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.test import Client

from steer.accounts.models import User
from steer.api import tokens
from steer.core.files import attachment_header
from steer.core.numbers import number_text, vietnamese
from steer.steering import services
from steer.steering.models import Directive, Inspection
from steer.units.models import OrgUnit

pytestmark = pytest.mark.django_db
P = "/p/07-ctr-tu"


def message(response) -> str:
    """The page's text, tags dropped."""
    return html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))


# Query parameters


@pytest.mark.parametrize(
    "page", [f"{P}/", f"{P}/indicators/CT07/", f"{P}/scorecard/006/", f"{P}/compare/"]
)
@pytest.mark.parametrize("year", ["²", "hai nghìn", "99999999999999999999", "٢٠٢٤"])
def test_a_year_that_is_not_four_digits_is_refused_with_a_message_on_every_dashboard(
    login, page, year
):
    """ "²" passed str.isdigit() and failed int(): a server error on these four pages."""
    response = login("lanhdao.dongda").get(page, {"year": year})
    assert response.status_code == 400
    assert (
        f"Năm phải là một năm viết bằng bốn chữ số, ví dụ 2025, không phải “{year[:40]}"
        in message(response)
    )


def test_a_year_outside_the_programme_is_not_found_and_the_page_says_its_years(login):
    response = login("bancd").get(f"{P}/", {"year": 2040})
    assert response.status_code == 404
    assert (
        "Năm 2040 không thuộc chương trình; chương trình kéo dài từ năm 2021 đến năm 2025."
        in message(response)
    )


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "2025-13", "²", "2025-4-1"])
def test_the_calendar_refuses_a_month_it_cannot_show(login, month):
    """9999-12 has no month after it, 0001-01 none before: both were server errors."""
    response = login("thuongtruc").get(f"{P}/calendar/", {"month": month})
    assert response.status_code == 400
    assert "Tháng phải" in message(response)


def test_the_calendar_shows_the_month_asked_for(login):
    response = login("thuongtruc").get(f"{P}/calendar/", {"month": "2025-04"})
    assert response.status_code == 200
    assert response.context["month"] == dt.date(2025, 4, 1)


def test_a_directive_from_an_inspection_that_is_not_a_number_is_refused(login):
    client = login("thuongtruc")
    response = client.get(f"{P}/directives/new/", {"inspection": "abc"})
    assert response.status_code == 400
    assert (
        "Đoàn kiểm tra phải là số nguyên viết bằng các chữ số từ 0 đến 9, không phải “abc”."
        in message(response)
    )
    response = client.get(f"{P}/directives/new/", {"inspection": 999999})
    assert response.status_code == 404
    assert "Đoàn kiểm tra “999999” không tồn tại hoặc bạn không có quyền xem." in message(response)


def test_a_directive_from_an_inspection_starts_from_its_conclusion(login):
    inspection = Inspection.objects.filter(concluded_on__isnull=False).first()
    response = login("thuongtruc").get(f"{P}/directives/new/", {"inspection": inspection.pk})
    assert response.status_code == 200
    assert response.context["form"].initial["inspection"] == inspection.pk


@pytest.mark.parametrize("field", ["period", "form"])
def test_a_line_break_in_the_exports_period_or_form_is_refused_and_reaches_no_header(login, field):
    """The export's file name was built from these: a line break was a server error
    (BadHeaderError), a quote let the name end early."""
    query = {"format": "csv", "form": "BC6T-DP", "period": "2024S2"}
    query[field] = "2024S2\r\nSet-Cookie: x=1"
    response = login("thuongtruc").get(f"{P}/export/", query)
    assert response.status_code == 400
    assert "chứa ký tự điều khiển (xuống dòng, tab hoặc NUL)" in message(response)
    assert "x" not in response.cookies


def test_the_export_is_named_by_the_form_and_period_it_holds(login):
    client = login("thuongtruc")
    response = client.get(f"{P}/export/", {"form": "BC6T-DP", "period": "2024s2"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="07-ctr-tu_BC6T-DP_2024S2.csv"'
    response = client.get(f"{P}/export/", {"form": 'x"; filename=evil.html'})
    assert response.status_code == 404
    assert 'Biểu mẫu báo cáo “x"; filename=evil.html” không tồn tại' in message(response)
    response = client.get(f"{P}/export/", {"format": "html"})
    assert response.status_code == 400
    assert (
        "Định dạng tệp phải là một trong các giá trị csv, dhis2-csv, dhis2-json, xlsx, "
        "không phải “html”." in message(response)
    )


def test_a_report_period_that_the_form_does_not_have_is_not_found(login):
    client = login("thuongtruc")
    response = client.get(f"{P}/reports/BC6T-DP/", {"period": "2024Q3"})
    assert response.status_code == 404
    assert "2024Q3 không phải là một kỳ của biểu mẫu báo cáo này." in message(response)
    response = client.get(f"{P}/reports/BC6T-DP/", {"period": "nửa đầu 2024"})
    assert response.status_code == 400
    assert "Kỳ báo cáo phải là mã kỳ như 2024, 2024S1" in message(response)


def test_the_rank_to_reach_out_of_range_is_a_message_beside_the_field(login):
    response = login("lanhdao.dongda").get(
        f"{P}/rankings/cds-dmst-cap-huyen/2024/006/", {"target": "99999999999999999999"}
    )
    assert response.status_code == 200
    assert re.fullmatch(
        r"Thứ hạng muốn đạt phải từ 1 đến \d+, không phải 99999999999999999999\.",
        response.context["plan_error"],
    )


def test_how_many_priorities_must_be_from_3_to_50(login):
    response = login("bancd").get(f"{P}/priorities/", {"limit": 500})
    assert response.status_code == 400
    assert "Số lượng hiển thị phải từ 3 đến 50, không phải 500." in message(response)


@pytest.mark.parametrize(
    "url", [f"{P}/plan-items/?q=%00", "/admin/units/orgunit/?code=%00", "/units/?%00=1"]
)
def test_a_nul_in_a_query_parameter_is_refused_whoever_reads_it(login, url):
    """PostgreSQL refuses a NUL in a query: the back office's filters were a server error."""
    response = login("quantri").get(url)
    assert response.status_code == 400
    assert "Địa chỉ chứa ký tự NUL, không trang nào tiếp nhận." in message(response)


@pytest.mark.parametrize("path", ["/units/%00/", f"{P}/scorecard/006%0A/", f"{P}/plan-items/%1B/"])
def test_a_control_character_in_a_path_is_not_found(login, path):
    assert login("quantri").get(path).status_code == 404


# Numbers


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (float("inf"), "∞"),
        (float("-inf"), "-∞"),
        (float("nan"), "–"),
        (Decimal("Infinity"), "∞"),
        (Decimal("1e999999999"), "1E+999999999"),
        (1e300, "1E+300"),
        (10**5000, "1E+5000"),
        (Decimal("-1.2345e40"), "-1,23E+40"),
        (Decimal("1e-999999999"), "0"),
        (Decimal("62.860"), "62,86"),
        (Decimal("1234567.5"), "1.234.567,5"),
    ],
    ids=lambda v: v if isinstance(v, str) else type(v).__name__,
)
def test_a_number_of_any_size_or_kind_is_written_without_error(value, written):
    """A forecast can run away (1e300) and a computation give NaN or infinity: the page
    shows them rather than failing."""
    marks = str.maketrans({",": ".", ".": ","})
    assert number_text(value, None, marks) == written
    assert Template("{% load steer %}{{ v|num }}").render(Context({"v": value})) == written
    assert vietnamese(value) == written


def test_a_huge_number_keeps_its_places_when_they_are_asked_for():
    marks = str.maketrans({",": ".", ".": ","})
    assert number_text(Decimal("1e-999999999"), 2, marks) == "0,00"
    assert number_text(Decimal("123456789012345678901234567.125"), 2, marks) == (
        "123.456.789.012.345.678.901.234.567,13"
    )


# File names in headers


@pytest.mark.parametrize(
    ("name", "header"),
    [
        (
            'x"; filename=evil.html.csv',
            'attachment; filename="x-filename-evil-html.csv"',
        ),
        (
            "Báo cáo\r\nSet-Cookie: x=1.xlsx",
            'attachment; filename="Bao-cao-Set-Cookie-x-1.xlsx"; '
            "filename*=utf-8''B%C3%A1o%20c%C3%A1o%20Set-Cookie%20%20x%3D1.xlsx",
        ),
        (
            "../../Thường Tín",
            "attachment; filename=\"Thuong-Tin\"; filename*=utf-8''..%20..%20Th"
            "%C6%B0%E1%BB%9Dng%20T%C3%ADn",
        ),
        ("bao-cao.pdf", 'attachment; filename="bao-cao.pdf"'),
    ],
)
def test_a_download_name_cannot_break_out_of_its_header(name, header):
    assert attachment_header(name) == header
    assert "\r" not in header and "\n" not in header


def test_every_content_disposition_of_the_app_comes_from_attachment_header():
    """Three views built the header with an f-string; none may again."""
    from pathlib import Path

    import steer

    root = Path(steer.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        if path.name == "files.py" and path.parent.name == "core":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            built = "Content-Disposition" in line and "attachment_header(" not in line
            if built or "content_disposition_header" in line or "as_attachment" in line:
                offenders.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert offenders == []


def test_a_steering_file_downloads_under_a_plain_name_and_its_vietnamese_one(
    programme, login, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile(
        'Biên bản "họp" 17-4.pdf', b"%PDF-1.4 " + b"x" * 2000, content_type="application/pdf"
    )
    directive = services.give_directive(
        programme=programme,
        user=User.objects.get(username="thuongtruc"),
        assignees=[OrgUnit.objects.get(code="006")],
        content="Quận Đống Đa báo cáo kết quả xử lý vướng mắc về đất đai",
        given_by="Lê Hồng Sơn, Phó Chủ tịch Thường trực UBND Thành phố",
        given_on=dt.date(2025, 4, 17),
        source=Directive.Source.WORKING_SESSION,
        deadline=dt.date(2025, 5, 31),
        today=dt.date(2025, 4, 17),
        files=[upload],
    )
    response = login("baocao.dongda").get(f"{P}/files/{directive.attachments.get().pk}/")
    assert response["Content-Disposition"] == (
        'attachment; filename="Bien-ban-hop-17-4.pdf"; '
        "filename*=utf-8''Bi%C3%AAn%20b%E1%BA%A3n%20%20h%E1%BB%8Dp%20%2017-4.pdf"
    )


def test_the_report_workbook_is_named_with_the_units_name_in_both_forms(login):
    response = login("baocao.dongda").get(f"{P}/reports/BC6T-DP/2024S2/006/workbook/")
    assert response["Content-Disposition"] == (
        'attachment; filename="BC6T-DP_2024S2_006_Quan-Dong-Da.xlsx"; '
        "filename*=utf-8''BC6T-DP_2024S2_006_Qu%E1%BA%ADn%20%C4%90%E1%BB%91ng%20%C4%90a.xlsx"
    )


# Cache-Control


@pytest.fixture
def bearer():
    _row, token = tokens.issue(User.objects.get(username="baocao.dongda"), "kiểm thử", "read", 30)
    return Client(headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize(
    ("who", "url", "headers"),
    [
        ("baocao.dongda", f"{P}/", {}),
        ("baocao.dongda", "/units/?q=Đống", {"HX-Request": "true"}),
        ("baocao.dongda", f"{P}/export/?format=xlsx", {}),
        ("baocao.dongda", f"{P}/?download=indicators.xlsx", {}),
        ("baocao.dongda", f"{P}/reports/BC6T-DP/2024S2/006/workbook/", {}),
        ("baocao.dongda", f"{P}/directives/999/", {}),
        ("api", "/api/v1/me", {}),
        ("api", "/api/v1/programmes", {}),
        (None, "/accounts/login/", {}),
        (None, f"{P}/", {}),
    ],
    ids=[
        "page",
        "htmx-fragment",
        "export",
        "table-download",
        "workbook",
        "not-found",
        "api-me",
        "api-list",
        "sign-in",
        "redirect-to-sign-in",
    ],
)
def test_what_a_signed_in_user_or_a_token_gets_is_not_stored_by_any_cache(
    login, bearer, who, url, headers
):
    client = bearer if who == "api" else login(who) if who else Client()
    response = client.get(url, headers=headers)
    assert response.status_code in (200, 302, 404)
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives  # the sign-in page adds Django's never_cache


def test_static_files_and_the_chart_library_keep_their_long_public_caching(login):
    from steer.core import charts

    client = login("baocao.dongda")
    bundle = client.get(f"/assets/vega-{charts.BUNDLE_VERSION}.js")
    assert bundle["Cache-Control"] == "public, max-age=31536000, immutable"
    css = client.get("/static/steer/steer.css")
    assert css.status_code == 200
    assert "no-store" not in css.get("Cache-Control", "")
