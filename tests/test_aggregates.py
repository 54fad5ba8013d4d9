"""The pre-aggregated figures: only approved data, rolled up by each indicator's rule, kept
up to date when a report is approved or reopened exactly as a full rebuild would compute them."""

import io

import pytest
from django.db.models import Sum

from steer.accounts.models import User
from steer.assessment.aggregates import COLUMNS, rebuild
from steer.assessment.models import Figure
from steer.reporting.models import DataValue, Submission
from steer.reporting.workflow import act

pytestmark = pytest.mark.django_db
APPROVED = ["approved", "accepted"]


def figure(code, unit, period, option=""):
    return Figure.objects.get(
        indicator__code=code, unit__code=unit, period=period, option=option
    ).value


def snapshot():
    return {
        row[:5]: tuple(round(x, 6) if isinstance(x, float) else x for x in row[5:])
        for row in Figure.objects.values_list(*COLUMNS)
    }


def approved_values(code, period, option=""):
    return DataValue.objects.filter(
        indicator__code=code, period=period, option=option, submission__state__in=APPROVED
    )


def test_the_city_total_of_a_count_is_the_sum_of_the_districts_approved_figures():
    expected = approved_values("CT10", "2024S2").aggregate(s=Sum("value"))["s"]
    assert figure("CT10", "01", "2024S2") == pytest.approx(float(expected))
    # CT10 is a stock: the year's figure is the last half's
    assert figure("CT10", "01", "2024") == figure("CT10", "01", "2024S2")


def test_a_flow_adds_up_the_halves_of_the_year():
    # enterprises supported (CT07) in Quận Đống Đa
    assert figure("CT07", "006", "2024") == figure("CT07", "006", "2024S1") + figure(
        "CT07", "006", "2024S2"
    )


def test_a_share_is_weighted_by_the_count_it_is_a_share_of():
    shares = {v.unit_id: float(v.value) for v in approved_values("CT16", "2024S2")}
    products = {v.unit_id: float(v.value) for v in approved_values("CT15", "2024S2")}
    expected = sum(shares[u] * products[u] for u in shares) / sum(products[u] for u in shares)
    assert figure("CT16", "01", "2024S2") == pytest.approx(expected)


def test_parts_of_a_breakdown_are_kept_and_rolled_up():
    parts = approved_values("CT10", "2024S2", "thuy-san").aggregate(s=Sum("value"))["s"]
    assert figure("CT10", "01", "2024S2", "thuy-san") == pytest.approx(float(parts))


def test_a_draft_report_is_not_counted():
    draft = Submission.objects.get(form__code="BC6T-DP", unit__code="006", period="2025S1")
    assert draft.state == "draft"
    assert not Figure.objects.filter(unit__code="006", period="2025S1").exists()


def test_approving_a_report_updates_the_figures_as_a_rebuild_would(programme):
    submission = Submission.objects.filter(form__code="BC6T-DP", state="submitted").first()
    before = figure("CT15", "01", "2025S2")
    act(submission, User.objects.get(username="quantri"), "approve")
    own = DataValue.objects.get(submission=submission, indicator__code="CT15").value
    assert figure("CT15", "01", "2025S2") == pytest.approx(before + float(own))
    incremental = snapshot()
    rebuild(programme)
    assert snapshot() == incremental


def test_reopening_an_accepted_report_takes_its_figures_out(programme):
    submission = Submission.objects.get(form__code="BC6T-DP", unit__code="279", period="2024S2")
    own = DataValue.objects.get(submission=submission, indicator__code="CT30").value
    before = figure("CT30", "01", "2024")
    act(submission, User.objects.get(username="thuongtruc"), "reopen", reason="Sai số liệu CT30")
    gone = Figure.objects.filter(unit__code="279", period="2024S2", indicator__code="CT30")
    assert not gone.exists()
    # the other form's figures (high-tech farming models) stay
    assert Figure.objects.filter(unit__code="279", period="2024S2", indicator__code="CT10")
    assert figure("CT30", "01", "2024") == pytest.approx(before - float(own))
    incremental = snapshot()
    rebuild(programme)
    assert snapshot() == incremental


def test_the_rebuild_command_recomputes_the_figures_and_refuses_an_unknown_programme():
    from django.core.management import CommandError, call_command

    Figure.objects.filter(indicator__code="CT10").delete()
    out = io.StringIO()
    call_command("rebuild_figures", "--programme", "07-ctr-tu", stdout=out, stderr=io.StringIO())
    assert "07-CTr/TU" in out.getvalue()
    assert Figure.objects.filter(indicator__code="CT10", unit__code="01", period="2024").exists()
    with pytest.raises(CommandError, match="khong-co"):
        call_command("rebuild_figures", "--programme", "khong-co")
