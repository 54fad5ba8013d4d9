"""Plan-item progress: the lead unit reports percent, product, money and a delivery-confidence
rating each period; the history is kept; status is computed; a moved deadline keeps the
original as the baseline."""

import datetime as dt

import pytest

from steer.accounts.models import Role, RoleGrant, User
from steer.core.models import Event
from steer.programmes.models import PlanItem
from steer.steering.models import DeadlineChange, ProgressReport
from steer.units.models import OrgUnit

pytestmark = pytest.mark.django_db


@pytest.fixture
def health_reporter(programme):
    """A reporter of Sở Y tế, lead unit of NV24 (electronic medical records)."""
    user = User.objects.create_user(
        "baocao.syt", password="x", full_name="Vũ Thị Hạnh", unit=OrgUnit.objects.get(code="SYT")
    )
    RoleGrant.objects.create(user=user, role=Role.UNIT_REPORTER, programme=programme)
    return user


def url(programme, code, page="progress"):
    return f"/p/{programme.slug}/plan-items/{code}/{page}/"


def report(**overrides):
    data = {
        "period": "2025Q3",
        "percent": "70",
        "done": "Đã triển khai bệnh án điện tử tại 32 bệnh viện công lập",
        "product": "Hệ thống bệnh án điện tử vận hành tại 32 bệnh viện",
        "budget_disbursed": "12500",
        "confidence": "amber",
        "rationale": "Còn 9 bệnh viện chưa đáp ứng hạ tầng",
    }
    return data | overrides


def test_the_lead_unit_reports_progress_and_the_rating_history_is_kept(
    programme, client, health_reporter
):
    client.force_login(health_reporter)
    before = ProgressReport.objects.filter(plan_item__code="NV24").count()
    client.post(url(programme, "NV24"), report())
    client.post(
        url(programme, "NV24"),
        report(period="2025Q4", percent="85", confidence="green", rationale="Đã bổ sung hạ tầng"),
    )
    rows = ProgressReport.objects.filter(plan_item__code="NV24").order_by("reported_at", "pk")
    assert rows.count() == before + 2
    assert [r.confidence for r in rows][-2:] == ["amber", "green"]
    page = client.get(url(programme, "NV24")).content.decode()
    assert "Hổ phách" in page or "Vàng" in page
    assert Event.objects.filter(action="progress", user=health_reporter).count() == 2


def test_completion_at_100_percent_completes_the_item_and_status_is_computed(
    programme, client, health_reporter
):
    client.force_login(health_reporter)
    client.post(url(programme, "NV24"), report(percent="100", completed_on="15/10/2025"))
    item = PlanItem.objects.get(programme=programme, code="NV24")
    assert item.state == PlanItem.State.COMPLETED
    assert item.completed_on == dt.date(2025, 10, 15)
    page = client.get(url(programme, "NV24")).content.decode()
    assert "Hoàn thành chậm" in page  # deadline 30/9/2025


@pytest.mark.parametrize(
    "overrides",
    [
        {"percent": "80", "completed_on": "15/10/2025"},  # completed needs 100 %
        {"rationale": ""},
        {"percent": "120"},
        {"period": "2025X9"},
    ],
)
def test_a_bad_progress_report_is_refused_and_nothing_changes(
    programme, client, health_reporter, overrides
):
    client.force_login(health_reporter)
    before = ProgressReport.objects.count()
    response = client.post(url(programme, "NV24"), report(**overrides))
    assert response.status_code == 200
    assert ProgressReport.objects.count() == before
    assert PlanItem.objects.get(programme=programme, code="NV24").state == "in_progress"


def test_a_unit_that_does_not_lead_the_item_cannot_report(programme, login):
    client = login("baocao.dongda")
    before = ProgressReport.objects.count()
    assert client.post(url(programme, "NV24"), report()).status_code == 403
    assert ProgressReport.objects.count() == before


def test_moving_a_deadline_keeps_the_first_as_the_baseline(programme, login):
    client = login("thuongtruc")
    item = PlanItem.objects.get(programme=programme, code="NV05")
    first = item.deadline
    for new in ("30/06/2026", "31/12/2026"):
        client.post(
            url(programme, "NV05", "deadline"),
            {"new": new, "reason": "Điều chỉnh theo Kế hoạch 2026 của UBND Thành phố"},
        )
    item.refresh_from_db()
    assert item.deadline == dt.date(2026, 12, 31)
    assert item.baseline_deadline == first
    assert DeadlineChange.objects.filter(plan_item=item).count() == 2


def test_a_deadline_change_without_reason_is_refused(programme, login):
    client = login("thuongtruc")
    item = PlanItem.objects.get(programme=programme, code="NV05")
    client.post(url(programme, "NV05", "deadline"), {"new": "30/06/2026", "reason": " "})
    item.refresh_from_db()
    assert item.baseline_deadline is None and item.deadline == dt.date(2025, 12, 31)


def test_only_the_standing_agency_moves_deadlines(programme, login):
    client = login("lanhdao.dongda")
    response = client.post(url(programme, "NV05", "deadline"), {"new": "30/06/2026", "reason": "x"})
    assert response.status_code == 403


def test_the_timeline_marks_the_demo_item_whose_deadline_moved(programme, login):
    client = login("thuongtruc")
    page = client.get(f"/p/{programme.slug}/timeline/")
    assert page.status_code == 200
    assert "30/06/2025" in page.content.decode()  # NV24's original deadline
    svg = client.get(f"/p/{programme.slug}/timeline/?download=timeline.svg")
    assert svg.status_code == 200 and b"<svg" in svg.content
