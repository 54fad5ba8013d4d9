"""A programme made from another as a template: the city's ten programmes share one structure."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import models
from django.utils import timezone

from steer.accounts.models import Role, RoleGrant, User
from steer.programmes.models import (
    Indicator,
    IndicatorAssignment,
    IndicatorGroup,
    Objective,
    PlanItem,
    PlanItemBudget,
    Programme,
    SteeringMember,
    Target,
)
from steer.programmes.services import programme_copy
from steer.units.models import OrgUnit

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


# -- every field is carried over ------------------------------------------------------------

# What the copy does not carry over as it is: the links it points at the new programme's rows,
# and what a plan item starts afresh with (its dates moved into the new period, not started).
RE_POINTED = {
    Objective: {"programme", "parent"},
    IndicatorGroup: {"programme", "objective"},
    Indicator: {"programme", "group", "weight_indicator"},
    IndicatorAssignment: {"indicator"},
    Target: {"indicator"},
    SteeringMember: {"programme"},
    PlanItem: {"programme", "parent", "start_date", "deadline"},
    PlanItemBudget: {"plan_item"},
}
AFRESH = {
    PlanItem: {
        "state": "planned",
        "completed_on": None,
        "baseline_deadline": None,
        "version": 1,
        "updated_at": None,
        "updated_by": None,
    }
}


def copied_fields(model) -> list:
    """Every field of the model the copy must carry over, read from the model itself."""
    skipped = RE_POINTED[model] | set(AFRESH.get(model, {}))
    return [f for f in model._meta.concrete_fields if not f.primary_key and f.name not in skipped]


def unusual(field, unit: OrgUnit):
    """A value for the field that is not its default, so a copy that forgot it shows."""
    default = field.get_default()
    if field.choices:
        return next(value for value, _label in field.flatchoices if value != default)
    if isinstance(field, models.BooleanField):
        return not default
    if isinstance(field, models.ForeignKey) and field.related_model is OrgUnit:
        return unit
    if isinstance(field, models.DecimalField):
        return Decimal("7.25")
    if isinstance(field, models.IntegerField):
        return 2024 if "year" in field.name else (default or 0) + 7
    if isinstance(field, models.DateField):
        return dt.date(2024, 5, 17)
    if isinstance(field, models.CharField | models.TextField):
        return f"{field.verbose_name} sửa đổi"[: field.max_length]
    raise AssertionError(f"Teach this test a value for {field!r}")


def test_every_field_of_every_copied_row_survives_the_copy(programme):
    """Every copied field holds a value other than its default in the source (the tolerance of
    an indicator once went missing this way); the copy holds the same."""
    # A department that exists before, during and after the programmes (not a district).
    unit = next(
        u
        for u in OrgUnit.objects.filter(unit_type__level=2).order_by("code")
        if u.exists_throughout(dt.date(2021, 1, 1), dt.date(2030, 12, 31))
    )

    def row(model, **links):
        values = {f.name: unusual(f, unit) for f in copied_fields(model)}
        return model.objects.create(**values, **links)

    objective = row(Objective, programme=programme)
    group = row(IndicatorGroup, programme=programme, objective=objective)
    indicator = row(Indicator, programme=programme, group=group)
    rows = [objective, group, indicator]
    rows += [row(IndicatorAssignment, indicator=indicator), row(Target, indicator=indicator)]
    rows.append(row(SteeringMember, programme=programme))
    item = row(
        PlanItem,
        programme=programme,
        start_date=dt.date(2024, 1, 15),
        deadline=dt.date(2025, 6, 30),
        state="completed",
        completed_on=dt.date(2025, 6, 20),
        baseline_deadline=dt.date(2025, 3, 31),
        version=4,
        updated_at=timezone.now(),
        updated_by=User.objects.get(username="thuongtruc"),
    )
    rows += [item, row(PlanItemBudget, plan_item=item)]
    assert {type(r) for r in rows} == set(RE_POINTED)

    new = programme_copy(
        source=programme,
        new=Programme(
            symbol="07-CTr/TU-SĐ",
            number="07",
            slug="07-ctr-tu-sd",
            title="Chương trình 07 sửa đổi, bổ sung giai đoạn 2024-2025",
            issuing_body="Thành ủy Hà Nội",
            issued_on=dt.date(2024, 1, 10),
            start_year=2024,
            end_year=2025,
            standing_agency=programme.standing_agency,
            source_document="Chương trình số 07-CTr/TU sửa đổi (minh họa)",
        ),
        include_targets=True,
        include_plan_items=True,
        creator=User.objects.get(username="thuongtruc"),
    )

    new_indicator = Indicator.objects.get(programme=new, code=indicator.code)
    new_item = PlanItem.objects.get(programme=new, code=item.code)
    copies = {
        Objective: Objective.objects.get(programme=new, code=objective.code),
        IndicatorGroup: IndicatorGroup.objects.get(programme=new, code=group.code),
        Indicator: new_indicator,
        IndicatorAssignment: IndicatorAssignment.objects.get(indicator=new_indicator),
        Target: Target.objects.get(indicator=new_indicator),
        SteeringMember: SteeringMember.objects.get(programme=new, name=rows[5].name),
        PlanItem: new_item,
        PlanItemBudget: PlanItemBudget.objects.get(plan_item=new_item),
    }
    for old in rows:
        copy = copies[type(old)]
        assert copy.pk != old.pk
        for field in copied_fields(type(old)):
            assert getattr(copy, field.attname) == getattr(old, field.attname), (
                f"{type(old).__name__}.{field.name} was not copied"
            )
        for name, value in AFRESH.get(type(old), {}).items():
            assert getattr(copy, name) == value, f"{type(old).__name__}.{name} kept its value"
    assert new_indicator.group.programme == new and new_indicator.group.objective.programme == new
    assert new_indicator.tolerance == Decimal("7.25")
