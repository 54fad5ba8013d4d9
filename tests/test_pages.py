"""The pages show the programme in Vietnamese, filtered to what the user may see."""

import pytest

from steer.programmes.models import PlanItem

pytestmark = pytest.mark.django_db
P = "/p/07-ctr-tu"


def test_overview_shows_the_programme_and_its_five_objectives(login):
    page = login("bancd").get(f"{P}/").content.decode()
    assert "Đẩy mạnh phát triển khoa học, công nghệ và đổi mới sáng tạo" in page
    assert "Nguyễn Văn Phong" in page
    assert page.count("<li><strong>") >= 5


def test_home_sends_a_user_with_one_programme_straight_to_it(login):
    response = login("baocao.dongda").get("/")
    assert response["Location"] == f"{P}/"


def test_tree_lists_every_indicator_with_its_2025_target(login, programme):
    page = login("thuongtruc").get(f"{P}/tree/").content.decode()
    for indicator in programme.indicators.all():
        assert f">{indicator.code}</a>" in page
    assert "≥ 50" in page  # enterprises with innovation activity, 2025


def test_numbers_are_written_the_vietnamese_way(login, programme):
    from decimal import Decimal

    from steer.programmes.models import Target

    target = Target.objects.get(indicator__code="CT02", unit=None, year=2025)
    assert target.value == Decimal("7") and target.upper_value == Decimal("7.5")
    page = login("thuongtruc").get(f"{P}/indicators/CT02/").content.decode()
    assert "7–7,5" in page


def test_indicator_page_shows_unit_targets_only_for_units_the_user_sees(login):
    page = login("baocao.dongda").get(f"{P}/indicators/CT07/").content.decode()
    assert "Quận Đống Đa" in page
    assert "Quận Cầu Giấy" not in page
    page = login("thuongtruc").get(f"{P}/indicators/CT07/").content.decode()
    assert "Quận Cầu Giấy" in page


def test_a_district_reporter_sees_only_the_plan_items_involving_its_district(login, programme):
    page = login("baocao.dongda").get(f"{P}/plan-items/").content.decode()
    involving = PlanItem.objects.filter(assigned_units__code="006", programme=programme)
    assert involving.count() == 16
    for item in programme.plan_items.all():
        assert (f">{item.code}</a>" in page) == (item in involving), item.code


def test_plan_items_filter_by_kind_state_and_deadline(login):
    client = login("thuongtruc")
    page = client.get(f"{P}/plan-items/", {"kind": "de_an"}).content.decode()
    assert "NV01" in page and "NV02<" not in page
    # The status filter reads as the badge does: NV24, typed in progress, is past its deadline.
    page = client.get(f"{P}/plan-items/", {"state": "overdue"}).content.decode()
    assert ">NV24</a>" in page and ">NV02</a>" not in page
    page = client.get(
        f"{P}/plan-items/", {"deadline_from": "2025-07-01", "deadline_to": "2025-12-31"}
    ).content.decode()
    assert ">NV13</a>" in page and ">NV02</a>" not in page


def test_plan_items_filter_by_unit_covers_lead_coordinating_and_implementing(login):
    from steer.units.models import OrgUnit

    client = login("thuongtruc")
    syt = OrgUnit.objects.get(code="SYT")
    page = client.get(f"{P}/plan-items/", {"unit": syt.pk}).content.decode()
    assert ">NV23</a>" in page and ">NV24</a>" in page
    assert ">NV01</a>" not in page


def test_a_bad_filter_date_gets_a_message_and_no_rows(login):
    response = login("thuongtruc").get(
        f"{P}/plan-items/", {"deadline_from": "2025-12-31", "deadline_to": "2025-01-01"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in page and ">NV01</a>" not in page


def test_the_filter_answers_htmx_with_just_the_table(login):
    response = login("thuongtruc").get(
        f"{P}/plan-items/", {"kind": "du_an"}, headers={"HX-Request": "true"}
    )
    page = response.content.decode()
    assert "<html" not in page and "<table>" in page


def test_unit_page_lists_the_7_indicators_and_16_tasks_of_dong_da(login):
    page = login("lanhdao.dongda").get("/units/006/").content.decode()
    assert "7 chỉ tiêu" in page
    assert "16" in page
    assert "Phường" in page  # became: the new wards formed from Đống Đa


def test_unit_list_filters_by_date(login):
    client = login("thuongtruc")
    page = client.get("/units/", {"on": "2025-07-01", "q": "Đống Đa"}).content.decode()
    assert "Phường Đống Đa" in page and "Quận Đống Đa" not in page
    page = client.get("/units/", {"on": "2024-01-01", "q": "Đống Đa"}).content.decode()
    assert "Quận Đống Đa" in page and "Phường Đống Đa" not in page


def test_english_is_available(login):
    client = login("thuongtruc")
    client.post("/i18n/setlang/", {"language": "en", "next": f"{P}/"})
    page = client.get(f"{P}/").content.decode()
    assert "Steering committee" in page
    assert 'lang="en"' in page


def test_vietnamese_is_the_default(login):
    page = login("thuongtruc").get(f"{P}/").content.decode()
    assert 'lang="vi"' in page
    assert "Ban Chỉ đạo" in page


def test_assets_are_served_by_the_app_itself(client):
    page = client.get("/accounts/login/").content.decode()
    assert "https://" not in page and "http://" not in page
    assert client.get("/static/django_htmx/htmx-2.min.js").status_code == 200
    assert client.get("/static/steer/steer.css").status_code == 200


def test_an_english_browser_still_gets_vietnamese(login):
    page = login("thuongtruc").get(f"{P}/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert 'lang="vi"' in page.content.decode()


def test_years_are_not_written_with_a_thousands_separator(login):
    page = login("thuongtruc").get(f"{P}/").content.decode()
    assert "2021–2025" in page
    assert "2.021" not in page


def test_large_numbers_are_grouped_with_dots(login):
    page = login("thuongtruc").get(f"{P}/tree/").content.decode()
    assert "≥ 2.000 doanh nghiệp" in page


def test_numbers_are_rounded_half_up_and_grouped_the_vietnamese_way():
    from steer.core.templatetags.steer import num

    assert num(62.855, 2) == "62,86"
    assert num(1234567.5, 0) == "1.234.568"
    assert num(-0.004, 2) == "0,00"
    assert num(110000) == "110.000"
