"""The dashboards answer the committee's question: what is achieved, what is not, with the data,
and which targets will be hard to reach; for the programme and for every unit."""

import csv
import io

import pytest
from openpyxl import load_workbook

from steer.assessment.models import Figure

pytestmark = pytest.mark.django_db
P = "/p/07-ctr-tu"


def text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_the_overview_counts_every_indicator_once_by_status(login):
    client = login("bancd")
    data = client.get(f"{P}/", {"year": 2023, "download": "indicators.csv"}).content
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 31
    page = text(client.get(f"{P}/", {"year": 2023}))
    assert "Đã đạt" in page and "Có nguy cơ không đạt" in page


def test_mid_term_warnings_list_targets_the_forecast_says_will_be_missed(login):
    client = login("bancd")
    data = client.get(f"{P}/", {"year": 2023, "download": "warnings.csv"}).content
    rows = {r["Mã"]: r for r in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))}
    # electronic medical records: 3 hospitals in 2023 against 40 by 2025
    assert "CT24" in rows
    assert float(rows["CT24"]["Thiếu hụt"]) > 30
    # online public services of the health sector reached 100 % in 2023: no warning
    assert "CT26" not in rows


def test_the_final_year_says_not_achieved_rather_than_off_track(login):
    page = text(login("bancd").get(f"{P}/", {"year": 2025}))
    assert "Không đạt" in page


def test_a_year_outside_the_programme_is_not_found(login):
    client = login("bancd")
    assert client.get(f"{P}/", {"year": 2031}).status_code == 404
    assert client.get(f"{P}/", {"year": "hai nghìn"}).status_code == 400


def test_the_indicator_page_breaks_the_city_down_into_the_units_the_user_sees(login):
    page = text(login("thuongtruc").get(f"{P}/indicators/CT16/", {"year": 2024}))
    assert "Quận Cầu Giấy" in page and "Huyện Thường Tín" in page
    page = text(login("baocao.dongda").get(f"{P}/indicators/CT16/", {"year": 2024}))
    assert "Quận Đống Đa" in page and "Quận Cầu Giấy" not in page


def test_a_unit_outside_ones_reach_cannot_be_opened_on_the_indicator_page(login):
    client = login("baocao.dongda")
    assert client.get(f"{P}/indicators/CT16/", {"unit": "279"}).status_code == 403
    assert client.get(f"{P}/indicators/CT16/", {"unit": "006"}).status_code == 200


def test_the_trend_chart_downloads_as_svg_with_vietnamese_numbers(login):
    response = login("thuongtruc").get(
        f"{P}/indicators/CT15/", {"year": 2023, "download": "trend.svg"}
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("image/svg")
    assert b"<svg" in response.content and b"2.000" in response.content


def test_the_scorecard_judges_a_district_against_its_own_targets(login):
    client = login("lanhdao.dongda")
    data = client.get(f"{P}/scorecard/006/", {"year": 2024, "download": "indicators.xlsx"})
    sheet = load_workbook(io.BytesIO(data.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    codes = [row[0] for row in values]
    assert "CT07" in codes and "CT18" in codes
    ct07 = values[codes.index("CT07")]
    assert (
        ct07[3] == Figure.objects.get(indicator__code="CT07", unit__code="006", period="2024").value
    )


def test_the_scorecard_lists_the_units_plan_items_with_a_computed_status(login):
    page = text(login("lanhdao.dongda").get(f"{P}/scorecard/006/", {"year": 2024}))
    assert "NV02" in page
    assert "Hoàn thành đúng hạn" in page or "Quá hạn" in page or "Đang thực hiện" in page


def test_a_former_district_is_completed_with_its_communes_figures_after_the_merger(login):
    page = text(login("thuongtruc").get(f"{P}/scorecard/279/", {"year": 2025}))
    assert "6 tháng thứ 2 năm 2025" in page or "6 tháng cuối năm 2025" in page or "2025" in page
    data = login("thuongtruc").get(f"{P}/scorecard/279/", {"year": 2025, "download": "lineage.csv"})
    rows = list(csv.DictReader(io.StringIO(data.content.decode("utf-8-sig"))))
    assert {r["Mã"] for r in rows} >= {"CT10", "CT15"}


def test_comparison_puts_the_districts_side_by_side(login):
    client = login("bancd")
    data = client.get(f"{P}/compare/", {"year": 2024, "download": "units.csv"}).content
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    names = {r["Đơn vị"] for r in rows}
    assert "Quận Đống Đa" in names and "Huyện Thường Tín" in names
    assert len([n for n in names if n.startswith(("Quận", "Huyện", "Thị xã"))]) == 30


def test_comparison_of_a_viewer_shows_only_its_own_unit(login):
    data = login("xem.thuongtin").get(f"{P}/compare/", {"year": 2024, "download": "units.csv"})
    rows = list(csv.DictReader(io.StringIO(data.content.decode("utf-8-sig"))))
    assert [r["Đơn vị"] for r in rows] == ["Huyện Thường Tín"]


def test_a_unit_with_only_a_final_target_is_judged_on_a_path_from_its_first_year(programme):
    from steer.assessment.selectors import assess, programme_root
    from steer.programmes.models import Target
    from steer.units.models import OrgUnit

    dong_da = OrgUnit.objects.get(code="006")
    ct15 = programme.indicators.get(code="CT15")
    Target.objects.create(indicator=ct15, unit=dong_da, year=2025, value=40)
    first = Figure.objects.get(indicator=ct15, unit=dong_da, period="2021").value
    root = programme_root(programme)
    a = assess(programme, [ct15], [dong_da.pk], 2023, root.pk)[(ct15.pk, dong_da.pk)]
    assert a.judgement.expected == pytest.approx(first + (40 - first) * 2 / 4)


def test_a_figure_without_a_target_for_its_year_says_so(login):
    # Quận Đống Đa has a 2025 target for enterprises supported (a flow), none for 2024
    data = login("lanhdao.dongda").get(
        f"{P}/scorecard/006/", {"year": 2024, "download": "indicators.csv"}
    )
    rows = {r["Mã"]: r for r in csv.DictReader(io.StringIO(data.content.decode("utf-8-sig")))}
    assert rows["CT07"]["Tình trạng"] == "Chưa giao chỉ tiêu năm"


def test_each_indicator_group_says_how_many_of_its_indicators_are_achieved(login):
    data = login("bancd").get(f"{P}/", {"year": 2025, "download": "groups.csv"}).content
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 7
    shares = [r["Số đạt/tổng số"].split("/") for r in rows]
    assert sum(int(total) for _x, total in shares) == 31
    assert all(int(x) == int(r["Đã đạt"]) for (x, _t), r in zip(shares, rows, strict=True))
