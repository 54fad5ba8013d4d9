"""The synthetic national programme for benchmarks (manage.py gen_synthetic), at a small size."""

import io
from collections import defaultdict

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F, Max, Min

from steer.accounts.models import Role, RoleGrant
from steer.assessment.models import Figure
from steer.demo.synthetic import AGENCY_USERNAME, ROOT_CODE, SLUG, Spec, synthetic_units
from steer.programmes.models import Indicator, Programme, Target
from steer.reporting.models import DataValue, Submission
from steer.units.models import OrgUnit

SMALL = {"units": 60, "indicators": 8, "months": 12}
APPROVED = (Submission.State.APPROVED, Submission.State.ACCEPTED)


def generate(**options) -> str:
    out = io.StringIO()
    call_command("gen_synthetic", **{**SMALL, **options}, verbosity=0, stdout=out)
    return out.getvalue()


@pytest.fixture
def synthetic(db):
    hanoi_units = OrgUnit.objects.count()
    hanoi_values = DataValue.objects.count()
    output = generate()
    programme = Programme.objects.get(slug=SLUG)
    return programme, output, hanoi_units, hanoi_values


def test_counts(synthetic):
    programme, output, hanoi_units, hanoi_values = synthetic
    spec = Spec(**SMALL)
    units = synthetic_units()
    assert units.count() == 60 == spec.units
    assert OrgUnit.objects.count() == hanoi_units + 60
    assert units.filter(parent__isnull=True).get().code == ROOT_CODE
    leaves = units.filter(children__isnull=True).exclude(code="GL-BO")
    assert leaves.count() == spec.communes
    assert all(u.code.startswith("GL-") and "Giả lập" in u.name for u in leaves)
    assert programme.indicators.count() == 8
    assert programme.standing_agency.code == "GL-BO"
    values = DataValue.objects.filter(indicator__programme=programme)
    assert values.count() == spec.values == spec.communes * spec.per_commune * 12
    assert f"{spec.values:,}" in output
    # the Hanoi demo is untouched
    assert DataValue.objects.count() == hanoi_values + spec.values
    submissions = Submission.objects.filter(form__programme=programme)
    assert submissions.count() == spec.communes * 12
    waiting = submissions.exclude(state=Submission.State.ACCEPTED)
    assert 0 < waiting.count() < submissions.count() // 10
    assert set(waiting.values_list("state", flat=True)) == {"draft", "submitted"}
    form = programme.report_forms.get()
    assert set(form.units.values_list("pk", flat=True)) == set(leaves.values_list("pk", flat=True))
    assert form.lines.count() == 8
    grant = RoleGrant.objects.get(user__username=AGENCY_USERNAME, programme=programme)
    assert grant.role == Role.STANDING_AGENCY


def test_every_value_belongs_to_its_report(synthetic):
    programme = synthetic[0]
    values = DataValue.objects.filter(indicator__programme=programme)
    assert not values.exclude(submission__unit=F("unit")).exists()
    assert not values.exclude(submission__period=F("period")).exists()
    assert not values.exclude(submission__form__programme=programme).exists()
    # each commune reports the same number of indicators every month
    per_report = defaultdict(int)
    for submission in values.values_list("submission", flat=True):
        per_report[submission] += 1
    assert set(per_report.values()) == {Spec(**SMALL).per_commune}


def test_indicator_mix_and_targets(synthetic):
    programme = synthetic[0]
    indicators = list(programme.indicators.select_related("weight_indicator"))
    kinds = {i.unit_aggregation for i in indicators}
    assert kinds == {"sum", "mean", "weighted_mean", "max"}
    for indicator in indicators:
        if indicator.unit_aggregation == "weighted_mean":
            assert indicator.weight_indicator.programme_id == programme.pk
            assert indicator.weight_indicator.unit_aggregation == "sum"
        assert indicator.baseline_year == 2020 and indicator.baseline_value is not None
        indicator.full_clean()
    assert any(i.direction == Indicator.Direction.LOWER for i in indicators)
    targets = Target.objects.filter(indicator__programme=programme)
    assert targets.count() == 8 and not targets.filter(unit__isnull=False).exists()
    percent = DataValue.objects.filter(
        indicator__programme=programme, indicator__value_type=Indicator.ValueType.PERCENT
    ).aggregate(low=Min("value"), high=Max("value"))
    assert 0 <= percent["low"] <= percent["high"] <= 100


def test_root_figure_is_the_sum_over_communes(synthetic):
    programme = synthetic[0]
    assert Figure.objects.filter(indicator__programme=programme).exists()
    flow = programme.indicators.filter(unit_aggregation="sum", period_aggregation="sum").first()
    root = OrgUnit.objects.get(code=ROOT_CODE)
    expected = sum(
        DataValue.objects.filter(
            indicator=flow, submission__state__in=APPROVED, period__startswith="2021"
        ).values_list("value", flat=True)
    )
    figure = Figure.objects.get(indicator=flow, unit=root, period="2021", option="")
    assert figure.value == pytest.approx(float(expected))
    assert figure.rolled_up and figure.year == 2021


def test_refused_twice_then_replaced(synthetic):
    programme = synthetic[0]
    with pytest.raises(CommandError, match="--replace"):
        generate()
    generate(replace=True, seed=11, no_aggregate=True)
    assert not Programme.objects.filter(pk=programme.pk).exists()
    fresh = Programme.objects.get(slug=SLUG)
    assert synthetic_units().count() == 60
    assert DataValue.objects.filter(indicator__programme=fresh).count() == Spec(**SMALL).values
    assert not Figure.objects.filter(indicator__programme=fresh).exists()
