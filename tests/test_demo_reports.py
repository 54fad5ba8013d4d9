"""The demo's report forms and its figures for 2021-2025 (loaded once per session by conftest)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Count, Sum
from django.utils import timezone

from steer.accounts.models import User
from steer.demo.reports import PAPER, SOURCE, load_reports
from steer.programmes.models import Indicator
from steer.reporting.imports import Entry
from steer.reporting.models import (
    DataValue,
    FormLine,
    ReportForm,
    Submission,
    SubmissionEvent,
    ValidationRule,
    ValueChange,
    Violation,
)
from steer.reporting.periods import Period
from steer.reporting.values import write_values
from steer.reporting.workflow import act

pytestmark = pytest.mark.django_db

DONE = ("submitted", "approved", "accepted")


def value(indicator, unit, period, option=""):
    return DataValue.objects.get(
        indicator__code=indicator, unit__code=unit, period=period, option=option
    ).value


def parts(period):
    rows = (
        DataValue.objects.filter(indicator__code="CT10", period=period)
        .values_list("option")
        .annotate(total=Sum("value"))
    )
    return dict(rows)


def test_the_forms_cover_the_units_that_report():
    forms = {f.code: f for f in ReportForm.objects.all()}
    assert set(forms) >= {"BC6T-DP", "BC6T-NNCNC", "BCN-NN", "BCN-YT", "BCN-KHCN"}
    local = forms["BC6T-DP"]
    assert local.period_type == "half"
    assert local.units_expected(Period.parse("2025S1")).count() == 30
    assert local.units_expected(Period.parse("2025S2")).count() == 126
    farming = forms["BC6T-NNCNC"]
    assert farming.units_expected(Period.parse("2024S2")).count() == 18
    assert farming.units_expected(Period.parse("2025S2")).count() == 75
    agriculture = forms["BCN-NN"]
    assert [u.code for u in agriculture.units_expected(Period.parse("2024"))] == ["SNNPTNT"]
    assert [u.code for u in agriculture.units_expected(Period.parse("2025"))] == ["SNNMT"]
    line = FormLine.objects.get(form=farming, indicator__code="CT10")
    assert [o.code for o in line.breakdown.options.all()] == ["trong-trot", "chan-nuoi", "thuy-san"]
    assert ValidationRule.objects.filter(severity="warn").exists()


def test_the_393_high_tech_models_of_2024_add_up_by_sector():
    assert parts("2024S2") == {
        "": Decimal(393),
        "trong-trot": Decimal(224),
        "chan-nuoi": Decimal(144),
        "thuy-san": Decimal(25),
    }
    assert [value(code, "SNNPTNT", "2024") for code in ("CT11", "CT12", "CT13", "CT14")] == [
        224,
        144,
        25,
        68,
    ]


def test_the_districts_add_up_to_the_department_at_every_year_end():
    for year in range(2021, 2025):
        totals = parts(f"{year}S2")
        department = [value(c, "SNNPTNT", str(year)) for c in ("CT11", "CT12", "CT13")]
        assert [totals[s] for s in ("trong-trot", "chan-nuoi", "thuy-san")] == department
        assert totals[""] == sum(department)


def test_farming_grows_towards_2024_and_a_little_beyond():
    models = [value("CT11", "SNNPTNT", str(y)) for y in range(2021, 2025)]
    models.append(value("CT11", "SNNMT", "2025"))
    assert models == sorted(models) and models[3] == 224 < models[4] <= 240
    coops = [value("CT14", "SNNPTNT", str(y)) for y in range(2021, 2025)]
    assert coops == sorted(coops) and coops[-1] == 68 < value("CT14", "SNNMT", "2025")


def test_health_figures_are_the_press_figures_of_2024():
    figures = {c: value(c, "SYT", "2024") for c in ("CT21", "CT22", "CT23", "CT24", "CT25")}
    assert figures == {
        "CT21": 100,
        "CT22": Decimal("90.2"),
        "CT23": Decimal("65.9"),
        "CT24": 5,
        "CT25": 88,
    }
    services = DataValue.objects.get(indicator__code="CT26", unit__code="SYT", period="2024")
    assert services.value == 100
    assert "131/131" in services.comment and "6 dịch vụ toàn trình" in services.comment
    assert "125 dịch vụ một phần" in services.comment
    assert value("CT22", "SYT", "2021") < value("CT22", "SYT", "2024")


def test_all_district_documents_go_through_the_city_system_in_2024():
    for period in ("2024S1", "2024S2"):
        shares = DataValue.objects.filter(indicator__code="CT19", period=period)
        assert shares.count() == 30
        assert set(shares.values_list("value", flat=True)) == {Decimal(100)}


def test_the_science_budget_of_2024_is_110_billion():
    budget = DataValue.objects.get(indicator__code="CT31", unit__code="SKHCN", period="2024")
    assert budget.value == 110 and "69,124" in budget.comment


def test_every_value_is_plausible():
    rows = DataValue.objects.values_list("indicator__value_type", "value")
    assert rows
    for value_type, number in rows:
        assert number >= 0
        if value_type == Indicator.ValueType.PERCENT:
            assert number <= 100
        if value_type == Indicator.ValueType.INTEGER:
            assert number == number.to_integral_value()


def test_only_the_units_expected_in_a_period_report_in_it():
    for form in ReportForm.objects.all():
        for period in form.periods():
            expected = set(form.units_expected(period).values_list("pk", flat=True))
            reported = set(
                Submission.objects.filter(form=form, period=period.code).values_list(
                    "unit_id", flat=True
                )
            )
            assert reported <= expected, (form.code, period.code)


def test_figures_came_in_through_the_import_channel_as_the_standing_agency():
    changes = ValueChange.objects.all()
    assert changes.count() >= DataValue.objects.count()
    assert set(changes.values_list("channel", "source", "user__username").distinct()) == {
        ("import", SOURCE, "thuongtruc")
    }


def test_most_reports_are_on_time_some_late():
    submitted = Submission.objects.exclude(first_submitted_at=None).select_related("form")
    late = [
        s
        for s in submitted
        if timezone.localtime(s.first_submitted_at).date() > s.form.deadline(s.period_obj)
    ]
    assert 0.07 <= len(late) / len(submitted) <= 0.18
    # Nobody reported before the data cut-off, and everything happened before 2026-02.
    for s in submitted:
        assert timezone.localtime(s.first_submitted_at).date() > s.period_obj.cutoff_end
        assert s.submitted_at >= s.first_submitted_at
        assert s.submitted_at < dt.datetime(2026, 2, 1, tzinfo=dt.UTC)


def test_several_communes_have_not_reported_for_the_second_half_of_2025():
    form = ReportForm.objects.get(code="BC6T-DP")
    period = Period.parse("2025S2")
    expected = form.units_expected(period).count()
    reports = Submission.objects.filter(form=form, period=period.code)
    sent = reports.exclude(first_submitted_at=None).count()
    assert expected - reports.count() >= 5  # no report at all
    assert reports.filter(state="draft").count() >= 2
    assert expected - sent >= 10
    states = set(reports.values_list("state", flat=True))
    assert states == {"draft", "submitted", "returned", "approved", "accepted"}
    late = [
        s
        for s in reports.exclude(first_submitted_at=None)
        if timezone.localtime(s.first_submitted_at).date() > form.deadline(period)
    ]
    assert late


def test_older_periods_are_complete_and_accepted():
    form = ReportForm.objects.get(code="BC6T-DP")
    for period in form.periods()[:8]:
        states = Submission.objects.filter(form=form, period=period.code).values_list(
            "state", flat=True
        )
        assert list(states) == ["accepted"] * 30, period


def test_no_report_sent_on_carries_a_blocking_problem():
    blocking = Violation.objects.filter(severity="block", submission__state__in=DONE)
    assert not blocking.exists()
    returned = Violation.objects.filter(severity="block", submission__state="returned")
    assert not returned.exists()


def test_the_demo_holds_a_few_warnings_to_look_at():
    warnings = {
        (v.kind, v.submission.unit.code, v.submission.period, v.indicator and v.indicator.code)
        for v in Violation.objects.filter(severity="warn").select_related(
            "submission__unit", "indicator"
        )
    }
    assert warnings == {
        ("outlier", "282", "2022S1", "CT18"),
        ("outlier", "274", "2023S2", "CT15"),
        ("rule", "10417", "2025S2", None),
    }
    drop = DataValue.objects.get(indicator__code="CT18", unit__code="282", period="2022S1")
    assert drop.comment  # the unit explains the jump


def test_dong_da_reports_went_through_its_own_people():
    events = SubmissionEvent.objects.filter(
        submission__unit__code="006", submission__form__code="BC6T-DP"
    )
    by = set(events.values_list("action", "user__username").distinct())
    assert by == {
        ("submit", "baocao.dongda"),
        ("approve", "lanhdao.dongda"),
        ("return", "lanhdao.dongda"),
        ("accept", "thuongtruc"),
    }
    corrected = ValueChange.objects.get(unit__code="006", period="2023S1", old_value__isnull=False)
    assert corrected.new_value * 10 == corrected.old_value


def test_other_units_reports_are_back_filled_from_paper():
    events = SubmissionEvent.objects.exclude(submission__unit__code="006")
    assert set(events.values_list("user__username", flat=True).distinct()) == {"thuongtruc"}
    assert set(events.exclude(action="return").values_list("reason", flat=True)) == {PAPER}
    reasons = events.filter(action="return").values_list("reason", flat=True)
    assert reasons and all(r and r != PAPER for r in reasons)
    # Every report sent on has its steps, dated back to when they happened, in order.
    silent = Submission.objects.exclude(state="draft").annotate(n=Count("events")).filter(n=0)
    assert not silent.exists()
    for submission in Submission.objects.filter(form__code="BCN-YT").prefetch_related("events"):
        steps = list(submission.events.all())
        assert [e.at for e in steps] == sorted(e.at for e in steps)
        assert steps[0].at == submission.first_submitted_at


def test_dong_da_can_finish_its_last_district_report(programme):
    form = ReportForm.objects.get(code="BC6T-DP")
    draft = Submission.objects.get(form=form, unit__code="006", period="2025S1")
    assert draft.state == "draft" and draft.first_submitted_at is None
    assert draft.values.count() == 4
    missing = draft.violations.filter(kind="required").values_list("indicator__code", flat=True)
    assert set(missing) == {"CT20", "CT30"}
    reporter = User.objects.get(username="baocao.dongda")
    rows = [
        Entry("CT20", "006", "2025S1", "CT20", "", 100),
        Entry("CT30", "006", "2025S1", "CT30", "", 24),
    ]
    write_values(
        programme=programme,
        entries=rows,
        user=reporter,
        channel="web",
        only=(form, draft.unit, "2025S1"),
    )
    assert act(draft, reporter, "submit").state == "submitted"


def test_loading_twice_changes_nothing(programme):
    def snapshot():
        return (
            ReportForm.objects.count(),
            FormLine.objects.count(),
            ValidationRule.objects.count(),
            list(DataValue.objects.order_by("pk").values_list("pk", "value", "updated_at")),
            list(Submission.objects.order_by("pk").values_list("pk", "state", "submitted_at")),
            SubmissionEvent.objects.count(),
            ValueChange.objects.count(),
            Violation.objects.count(),
        )

    before = snapshot()
    counts = load_reports(programme)
    assert counts["generated"] is False
    assert counts["values"] == len(before[3])
    assert sum(counts["submissions"].values()) == len(before[4])
    assert snapshot() == before
