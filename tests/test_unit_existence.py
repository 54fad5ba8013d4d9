"""A unit reports for a period only if it exists on the period's cut-off end day, on every path:
Quận Đống Đa (006) ended on 30/6/2025, so its 2025S2 (cut-off end 14/12/2025) belongs to the
wards that replaced it; Phường Văn Miếu - Quốc Tử Giám (00226) began on 1/7/2025, so it has no
2021S1. Nothing of such a report is written, opened, moved through the workflow or counted."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from steer.accounts.models import User
from steer.api import tokens
from steer.assessment.aggregates import rebuild, refresh_report
from steer.assessment.models import Figure
from steer.reporting import workflow
from steer.reporting.models import (
    DataValue,
    ImportBatch,
    Reminder,
    ReportForm,
    Submission,
    ValueChange,
)
from steer.reporting.periods import Period
from steer.reporting.selectors import report_rows
from steer.reporting.workbook import build_workbook
from steer.units.models import OrgUnit

pytestmark = pytest.mark.django_db
P = "/api/v1/programmes/07-ctr-tu"
FORM = "BC6T-DP"
# The period is named in words, as everywhere (issue 18), not by its code.
GONE = (
    "Quận Đống Đa không còn tồn tại vào ngày 14/12/2025, ngày chốt số liệu kỳ báo cáo 6 tháng "
    "cuối năm 2025: đơn vị đã kết thúc ngày 30/06/2025."
)
NOT_YET = (
    "Phường Văn Miếu - Quốc Tử Giám chưa tồn tại vào ngày 14/06/2021, ngày chốt số liệu kỳ báo "
    "cáo 6 tháng đầu năm 2021: đơn vị bắt đầu từ ngày 01/07/2025."
)


def api(username: str) -> Client:
    _row, token = tokens.issue(User.objects.get(username=username), "kiểm thử", "write", 30)
    return Client(headers={"Authorization": f"Bearer {token}"})


def city_total(code="CT07", period="2025S2") -> tuple[float, int]:
    figure = Figure.objects.get(indicator__code=code, unit__code="01", period=period, option="")
    return figure.value, figure.units


def dong_da_values(period="2025S2") -> list[dict]:
    return [
        {"unit": "006", "period": period, "indicator": "CT07", "value": "77"},
        {"unit": "006", "period": period, "indicator": "CT18", "value": "96"},
    ]


def nothing_of_dong_da_in_2025s2() -> bool:
    return not (
        DataValue.objects.filter(unit__code="006", period="2025S2").exists()
        or Submission.objects.filter(unit__code="006", period="2025S2").exists()
        or ValueChange.objects.filter(unit__code="006", period="2025S2").exists()
    )


# -- the value write path, on each channel ---------------------------------------------------


def test_values_of_a_dissolved_district_are_refused_through_the_api(programme):
    before = city_total()
    assert before == (286, 42)
    client = api("baocao.dongda")
    for dry_run in (True, False):
        body = {"values": dong_da_values(), "dry_run": dry_run}
        response = client.post(f"{P}/values", body, content_type="application/json")
        assert response.status_code == 422, response.content
        problems = response.json()["problems"]
        assert [p["where"] for p in problems] == ["giá trị thứ 1", "giá trị thứ 2"]
        assert problems[0]["message"] == GONE
    assert nothing_of_dong_da_in_2025s2()
    assert city_total() == before


def test_values_of_a_dissolved_district_are_refused_in_a_dhis2_import(programme):
    body = {
        "dataValues": [{"dataElement": "CT07", "period": "2025S2", "orgUnit": "006", "value": "77"}]
    }
    response = api("baocao.dongda").post(
        f"{P}/dataValueSets", body, content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json()["conflicts"][0]["value"] == GONE
    assert nothing_of_dong_da_in_2025s2()


def test_a_workbook_of_a_dissolved_district_for_a_later_period_is_refused(programme, login):
    form = ReportForm.objects.get(programme=programme, code=FORM)
    unit, period = OrgUnit.objects.get(code="006"), Period.parse("2025S2")
    # Made the way the download made it before the page refused the report.
    data = build_workbook(form, unit, period, report_rows(form, unit, period))
    client = login("baocao.dongda")
    upload = SimpleUploadedFile("BC6T-DP_2025S2_006.xlsx", data)
    response = client.post(reverse("import_upload", args=[programme.slug]), {"file": upload})
    assert response.status_code == 200
    assert GONE in response.content.decode()
    assert not ImportBatch.objects.filter(file_name="BC6T-DP_2025S2_006.xlsx").exists()
    assert nothing_of_dong_da_in_2025s2()


def test_a_csv_of_a_dissolved_district_is_refused_on_the_command_line(tmp_path):
    path = tmp_path / "dong-da-2025s2.csv"
    path.write_text("unit,period,indicator,option,value\n006,2025S2,CT07,,77\n", encoding="utf-8")
    for flags in (["--dry-run"], []):
        with pytest.raises(CommandError) as refused:
            call_command("import_data", str(path), "--user", "thuongtruc", *flags)
        assert GONE in str(refused.value)
    assert nothing_of_dong_da_in_2025s2()


def test_a_commune_has_no_report_for_a_period_before_it_was_formed(programme):
    body = {
        "values": [{"unit": "00226", "period": "2021S1", "indicator": "CT07", "value": "5"}],
        "dry_run": True,
    }
    response = api("thuongtruc").post(f"{P}/values", body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["problems"][0]["message"] == NOT_YET


def test_the_district_before_its_end_and_a_ward_after_its_start_still_report(programme):
    locked = Submission.objects.filter(form__code=FORM, period="2025S2").exclude(
        state__in=Submission.EDITABLE
    )
    ward = (
        OrgUnit.objects.filter(report_forms__code=FORM, valid_from=dt.date(2025, 7, 1))
        .exclude(pk__in=locked.values("unit"))
        .order_by("code")
        .first()
    )
    values = [
        {"unit": "006", "period": "2025S1", "indicator": "CT07", "value": "31"},
        {"unit": ward.code, "period": "2025S2", "indicator": "CT07", "value": "4"},
    ]
    response = api("thuongtruc").post(
        f"{P}/values", {"values": values}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    stored = DataValue.objects.filter(indicator__code="CT07", option="")
    assert stored.get(unit__code="006", period="2025S1").value == 31
    assert stored.get(unit=ward, period="2025S2").value == 4


# -- the report page and its endpoints -------------------------------------------------------


def report_url(name: str, period: str, unit="006") -> str:
    return reverse(name, args=["07-ctr-tu", FORM, period, unit])


def test_the_report_page_of_a_dissolved_district_for_a_later_period_is_not_found(login):
    client = login("baocao.dongda")
    assert client.get(report_url("report_entry", "2025S1")).status_code == 200
    assert client.get(report_url("report_workbook", "2025S1")).status_code == 200
    for name in ("report_entry", "report_workbook", "value_history"):
        assert client.get(report_url(name, "2025S2"), {"key": "CT07"}).status_code == 404
    posted = client.post(report_url("report_entry", "2025S2"), {"v-CT07": "77", "action": "save"})
    assert posted.status_code == 404
    checked = client.post(report_url("report_check", "2025S2"), {"field": "v-CT07", "v-CT07": "1"})
    assert checked.status_code == 404
    assert login("thuongtruc").get(report_url("report_entry", "2021S1", "00226")).status_code == 404
    assert nothing_of_dong_da_in_2025s2()


# -- the workflow ----------------------------------------------------------------------------


@pytest.fixture
def smuggled(programme):
    """A 2025S2 report of Đống Đa stored round the rules (as before they applied), with a
    figure that would put the district on top of the wards that replaced it."""
    form = ReportForm.objects.get(programme=programme, code=FORM)
    unit = OrgUnit.objects.get(code="006")
    submission = Submission.objects.create(form=form, unit=unit, period="2025S2")
    DataValue.objects.create(
        submission=submission,
        indicator=programme.indicators.get(code="CT07"),
        unit=unit,
        period="2025S2",
        value=Decimal(77),
        updated_at=dt.datetime(2025, 12, 20, tzinfo=dt.UTC),
        updated_by=User.objects.get(username="baocao.dongda"),
    )
    return submission


def test_a_report_of_a_dissolved_district_cannot_be_submitted_or_approved(smuggled, programme):
    reporter, head = (User.objects.get(username=n) for n in ("baocao.dongda", "lanhdao.dongda"))
    with pytest.raises(workflow.WorkflowError, match="không còn tồn tại vào ngày 14/12/2025"):
        workflow.act(smuggled, reporter, workflow.Action.SUBMIT)
    Submission.objects.filter(pk=smuggled.pk).update(state=Submission.State.SUBMITTED)
    with pytest.raises(workflow.WorkflowError, match="Quận Đống Đa"):
        workflow.act(smuggled, head, workflow.Action.APPROVE)
    smuggled.refresh_from_db()
    assert smuggled.state == Submission.State.SUBMITTED and not smuggled.events.exists()
    url = f"{P}/submissions/{FORM}/2025S2/006/actions"
    response = api("lanhdao.dongda").post(url, {"action": "approve"}, "application/json")
    assert response.status_code == 404
    assert response.json()["problems"] == [{"where": "period", "message": GONE}]
    # Sending it back stays possible: it takes the report further from the figures.
    workflow.act(smuggled, head, workflow.Action.RETURN, "Quận đã giải thể từ 1/7/2025")
    assert Submission.objects.get(pk=smuggled.pk).state == Submission.State.RETURNED


def test_figures_of_a_dissolved_district_stored_as_approved_are_not_counted(smuggled, programme):
    before = city_total()
    Submission.objects.filter(pk=smuggled.pk).update(state=Submission.State.ACCEPTED)
    refresh_report(smuggled)
    assert city_total() == before
    assert not Figure.objects.filter(unit__code="006", period="2025S2").exists()
    rebuild(programme)
    assert city_total() == before
    assert not Figure.objects.filter(unit__code="006", period="2025S2").exists()


def test_completeness_and_reminders_leave_out_a_district_after_its_end(smuggled, login):
    client = login("thuongtruc")
    url = reverse("form_status", args=["07-ctr-tu", FORM])
    rows = client.get(url, {"period": "2025S2"}).context["rows"]
    assert len(rows) == 126 and "006" not in {row.unit.code for row in rows}
    client.post(f"{url}?period=2025S2")
    assert Reminder.objects.filter(period="2025S2").exists()
    assert not Reminder.objects.filter(unit__code="006", period="2025S2").exists()


def test_the_data_check_lists_the_reports_stored_for_units_that_did_not_exist(smuggled):
    out = io.StringIO()
    with pytest.raises(CommandError, match="did not exist in: 1$"):
        call_command("check_report_units", stdout=out)
    assert out.getvalue() == f"07-ctr-tu BC6T-DP 2025S2 006 (Bản nháp, 1 figures): {GONE}\n"


def test_the_data_check_finds_nothing_in_the_demo():
    out = io.StringIO()
    call_command("check_report_units", stdout=out)
    assert "Every stored report" in out.getvalue()


def test_the_districts_own_figures_of_its_last_half_year_still_count(programme):
    """Đống Đa's 2025S1 report, a draft in the demo, counts once approved."""
    submission = Submission.objects.get(form__code=FORM, unit__code="006", period="2025S1")
    own = (
        DataValue.objects.filter(submission=submission, option="")
        .filter(indicator__unit_aggregation="sum")
        .select_related("indicator")
        .first()
    )
    before = city_total(own.indicator.code, "2025S1")
    Submission.objects.filter(pk=submission.pk).update(state=Submission.State.APPROVED)
    refresh_report(submission)
    after = city_total(own.indicator.code, "2025S1")
    assert after == (before[0] + float(own.value), before[1] + 1)
