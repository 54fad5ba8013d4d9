"""Bad input on the programme's structure is refused with a message on the field at fault."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import RestrictedError

from steer.programmes.models import (
    Indicator,
    IndicatorGroup,
    Objective,
    PlanItem,
    Programme,
    Target,
)
from steer.units.models import OrgUnit

pytestmark = pytest.mark.django_db


def errors_of(obj) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as error:
        obj.full_clean()
    return error.value.message_dict


def test_a_target_year_outside_the_programme_period_is_refused(programme):
    indicator = programme.indicators.get(code="CT01")
    errors = errors_of(Target(indicator=indicator, year=2026, value=Decimal("55")))
    assert "2021-2025" in errors["year"][0]


def test_a_unit_target_for_a_commune_before_it_existed_is_refused(programme):
    indicator = programme.indicators.get(code="CT01")
    commune = OrgUnit.objects.get(code="00004")
    errors = errors_of(Target(indicator=indicator, unit=commune, year=2024, value=Decimal(3)))
    assert "2024" in errors["unit"][0]


def test_a_percentage_target_over_100_is_refused(programme):
    indicator = programme.indicators.filter(value_type=Indicator.ValueType.PERCENT).first()
    errors = errors_of(Target(indicator=indicator, year=2024, value=Decimal("120")))
    assert "value" in errors


def test_a_second_city_target_for_the_same_year_is_refused(programme):
    target = Target.objects.filter(indicator__programme=programme, unit__isnull=True).first()
    errors = errors_of(Target(indicator=target.indicator, year=target.year, value=Decimal(1)))
    assert errors


def test_a_deadline_before_the_start_is_refused(programme):
    item = programme.plan_items.get(code="NV01")
    item.deadline = item.start_date - dt.timedelta(days=1)
    errors = errors_of(item)
    assert "deadline" in errors


def test_the_database_itself_refuses_a_deadline_before_the_start(programme):
    item = programme.plan_items.get(code="NV01")
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanItem.objects.filter(pk=item.pk).update(deadline=dt.date(2000, 1, 1))


def test_a_lead_unit_that_did_not_exist_at_the_start_is_refused(programme):
    item = programme.plan_items.get(code="NV01")
    item.lead_unit = OrgUnit.objects.get(code="006")  # Quận Đống Đa, abolished on 1/7/2025
    item.start_date, item.deadline = dt.date(2025, 8, 1), dt.date(2025, 12, 31)
    errors = errors_of(item)
    assert "Quận Đống Đa" in errors["lead_unit"][0]


def test_a_completed_item_needs_its_completion_date(programme):
    item = programme.plan_items.filter(state=PlanItem.State.COMPLETED).first()
    item.completed_on = None
    assert "completed_on" in errors_of(item)


def test_a_duplicate_indicator_code_is_refused(programme):
    original = programme.indicators.get(code="CT01")
    copy = Indicator(
        programme=programme,
        group=original.group,
        code="CT01",
        name="Chỉ tiêu trùng mã",
        unit_of_measure="%",
    )
    errors = errors_of(copy)
    assert "mã" in " ".join(errors["__all__"]).lower()


def test_an_objective_cannot_be_placed_under_its_own_sub_objective(programme):
    top, other = programme.objectives.all()[:2]
    other.parent = top
    other.save()
    top.parent = other
    errors = errors_of(top)
    assert "parent" in errors


def test_a_plan_item_cannot_be_part_of_itself(programme):
    item = programme.plan_items.get(code="NV02")
    item.parent = item
    assert "parent" in errors_of(item)


def test_a_weighted_mean_needs_its_weighting_indicator(programme):
    indicator = programme.indicators.get(code="CT01")
    indicator.unit_aggregation = Indicator.UnitAggregation.WEIGHTED_MEAN
    indicator.weight_indicator = None
    assert "weight_indicator" in errors_of(indicator)


def test_an_assignment_to_a_unit_that_never_existed_during_the_programme_is_refused(programme):
    from steer.programmes.models import IndicatorAssignment

    later = OrgUnit.objects.get(code="SKHCN")
    later.pk = None
    later.code, later.valid_from = "SMOI", dt.date(2027, 1, 1)
    later.save()
    assignment = IndicatorAssignment(indicator=programme.indicators.first(), unit=later)
    assert "unit" in errors_of(assignment)


def test_an_objective_under_another_programmes_objective_is_refused(programme):
    other_programme = programme
    other_programme.pk = None
    other_programme.slug, other_programme.symbol = "08-ctr-tu", "08-CTr/TU"
    other_programme.save()
    stray = Objective.objects.create(programme=other_programme, code="MT1", title="Mục tiêu khác")
    objective = Objective.objects.filter(programme__symbol="07-CTr/TU").first()
    objective.parent = stray
    assert "parent" in errors_of(objective)


def test_a_weighting_indicator_cannot_be_deleted_while_it_weights_another(programme):
    weight = Indicator.objects.get(programme=programme, code="CT05")
    with pytest.raises(RestrictedError), transaction.atomic():
        weight.delete()
    assert Indicator.objects.filter(pk=weight.pk).exists()


def test_a_programme_is_deleted_with_its_weighted_indicators(programme):
    copy = Programme.objects.create(
        slug="thu-nghiem",
        number="99",
        symbol="99-CTr/TU",
        title="Chương trình thử nghiệm",
        issuing_body="Thành ủy Hà Nội",
        issued_on=dt.date(2026, 1, 5),
        start_year=2026,
        end_year=2030,
        standing_agency=programme.standing_agency,
        source_document="Thử nghiệm",
    )
    objective = Objective.objects.create(programme=copy, code="MT1", title="Chuyển đổi số")
    group = IndicatorGroup.objects.create(
        programme=copy, objective=objective, code="N1", name="Dịch vụ công"
    )
    weight = Indicator.objects.create(
        programme=copy,
        group=group,
        code="A1",
        name="Dân số",
        unit_of_measure="người",
        value_type="integer",
        direction="higher",
        unit_aggregation="sum",
        period_aggregation="last",
    )
    Indicator.objects.create(
        programme=copy,
        group=group,
        code="A2",
        name="Tỷ lệ dân số dùng dịch vụ công trực tuyến",
        unit_of_measure="%",
        value_type="percent",
        direction="higher",
        unit_aggregation="weighted_mean",
        weight_indicator=weight,
        period_aggregation="last",
    )
    copy.delete()
    assert not Indicator.objects.filter(code__in=["A1", "A2"], programme_id=copy.pk).exists()
