"""A programme made from another as a template: the city's ten programmes share one structure."""

import pytest

from steer.accounts.models import Role, RoleGrant, User
from steer.programmes.models import Programme

pytestmark = pytest.mark.django_db
P = "/p/07-ctr-tu"


def form(**changes):
    data = {
        "symbol": "08-CTr/TU",
        "number": "08",
        "slug": "08-ctr-tu",
        "title": "Chuyển đổi số, xây dựng thành phố thông minh giai đoạn 2026-2030",
        "issuing_body": "Thành ủy Hà Nội",
        "issued_on": "2026-03-10",
        "start_year": "2026",
        "end_year": "2030",
        "standing_agency": "",
        "source_document": "Chương trình số 08-CTr/TU (minh họa)",
        "summary": "",
        "include_targets": "on",
    }
    data.update(changes)
    return data


def test_a_new_programme_takes_the_structure_of_its_template(login, programme):
    client = login("thuongtruc")
    response = client.post(f"{P}/copy/", form(standing_agency=programme.standing_agency_id))
    assert response.status_code == 302
    new = Programme.objects.get(symbol="08-CTr/TU")
    assert new.template == programme
    assert new.objectives.count() == 5
    assert new.indicator_groups.count() == 7
    assert list(new.indicators.values_list("code", flat=True)) == list(
        programme.indicators.values_list("code", flat=True)
    )
    weighted = new.indicators.exclude(weight_indicator=None).first()
    assert weighted.weight_indicator.programme == new
    # 2021-2025 targets do not belong to 2026-2030; abolished districts report nothing.
    assert not new.indicators.filter(targets__isnull=False).exists()
    assert not new.indicators.filter(assignments__unit__code="006").exists()
    assert new.plan_items.count() == 0
    assert RoleGrant.objects.filter(
        user=User.objects.get(username="thuongtruc"), role=Role.STANDING_AGENCY, programme=new
    ).exists()


def test_plan_items_are_copied_when_asked_and_their_lead_unit_still_exists(login, programme):
    client = login("thuongtruc")
    client.post(
        f"{P}/copy/",
        form(standing_agency=programme.standing_agency_id, include_plan_items="on"),
    )
    new = Programme.objects.get(symbol="08-CTr/TU")
    copied = set(new.plan_items.values_list("code", flat=True))
    assert "NV13" in copied  # Sở KH&CN's digital twin scheme
    assert "NV01" not in copied  # led by Sở TT&TT, merged into Sở KH&CN on 1/3/2025
    assert set(new.plan_items.values_list("state", flat=True)) == {"planned"}


def test_a_duplicate_symbol_is_refused_and_nothing_is_created(login, programme):
    client = login("thuongtruc")
    before = Programme.objects.count()
    response = client.post(
        f"{P}/copy/", form(symbol="07-CTr/TU", standing_agency=programme.standing_agency_id)
    )
    assert response.status_code == 200
    assert "Số, ký hiệu này đã được một chương trình khác sử dụng." in response.content.decode()
    assert Programme.objects.count() == before


def test_a_period_that_ends_before_it_starts_is_refused(login, programme):
    client = login("thuongtruc")
    response = client.post(
        f"{P}/copy/",
        form(start_year="2030", end_year="2026", standing_agency=programme.standing_agency_id),
    )
    assert response.status_code == 200
    assert not Programme.objects.filter(symbol="08-CTr/TU").exists()


def test_a_unit_reporter_cannot_create_a_programme(login, programme):
    response = login("baocao.dongda").post(
        f"{P}/copy/", form(standing_agency=programme.standing_agency_id)
    )
    assert response.status_code == 403
    assert not Programme.objects.filter(symbol="08-CTr/TU").exists()
