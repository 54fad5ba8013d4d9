"""Writes that touch many rows of a programme at once."""

from django.db import transaction

from steer.accounts.models import Role, RoleGrant
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


@transaction.atomic
def programme_copy(
    *,
    source: Programme,
    new: Programme,
    include_targets: bool,
    include_plan_items: bool,
    creator=None,
) -> Programme:
    """Save `new` with the structure of `source`: the city's programmes share one template.

    Objectives, indicator groups, indicators and their assignments are always copied; targets
    only for the years inside the new period; plan items only on request (their dates belong
    to the old period, so they are copied as not started).
    """
    new.template = source
    new.full_clean()
    new.save()

    objectives: dict[int, Objective] = {}
    for old in _parents_first(source.objectives.all()):
        objectives[old.pk] = Objective.objects.create(
            programme=new,
            parent=objectives.get(old.parent_id),
            code=old.code,
            title=old.title,
            description=old.description,
            source_clause=old.source_clause,
            is_illustrative=old.is_illustrative,
            order=old.order,
        )
    groups = {
        old.pk: IndicatorGroup.objects.create(
            programme=new,
            objective=objectives[old.objective_id],
            code=old.code,
            name=old.name,
            is_illustrative=old.is_illustrative,
            order=old.order,
        )
        for old in source.indicator_groups.all()
    }
    indicators: dict[int, Indicator] = {}
    old_indicators = list(source.indicators.all())
    for old in old_indicators:
        copy = Indicator(
            programme=new,
            group=groups[old.group_id],
            **{
                f: getattr(old, f)
                for f in [
                    "code",
                    "name",
                    "unit_of_measure",
                    "value_type",
                    "direction",
                    "unit_aggregation",
                    "period_aggregation",
                    "baseline_value",
                    "baseline_year",
                    "source_clause",
                    "note",
                    "is_illustrative",
                    "order",
                ]
            },
        )
        copy.save()
        indicators[old.pk] = copy
    for old in old_indicators:
        if old.weight_indicator_id:
            Indicator.objects.filter(pk=indicators[old.pk].pk).update(
                weight_indicator=indicators[old.weight_indicator_id]
            )
    IndicatorAssignment.objects.bulk_create(
        IndicatorAssignment(indicator=indicators[a.indicator_id], unit_id=a.unit_id)
        for a in IndicatorAssignment.objects.filter(indicator__programme=source).select_related(
            "unit"
        )
        if a.unit.exists_during(new.first_day, new.last_day)
    )
    if include_targets:
        Target.objects.bulk_create(
            Target(
                indicator=indicators[t.indicator_id],
                unit_id=t.unit_id,
                year=t.year,
                value=t.value,
                upper_value=t.upper_value,
            )
            for t in Target.objects.filter(
                indicator__programme=source, year__gte=new.start_year, year__lte=new.end_year
            )
        )
    for member in source.steering_members.all():
        SteeringMember.objects.create(
            programme=new,
            name=member.name,
            position=member.position,
            committee_role=member.committee_role,
            unit_id=member.unit_id,
            order=member.order,
        )
    if include_plan_items:
        _copy_plan_items(source, new, objectives, indicators)
    if creator is not None:
        # The standing agency official who creates it runs it.
        RoleGrant.objects.get_or_create(user=creator, role=Role.STANDING_AGENCY, programme=new)
    return new


def _copy_plan_items(source, new, objectives, indicators) -> None:
    items: dict[int, PlanItem] = {}
    rows = source.plan_items.select_related("lead_unit").prefetch_related(
        "objectives", "indicators", "coordinating_units", "assigned_units", "budget_lines"
    )
    for old in _parents_first(rows):
        start = max(old.start_date, new.first_day)
        deadline = max(old.deadline, start)
        if not old.lead_unit.exists_throughout(start, deadline) or (
            old.parent_id and old.parent_id not in items
        ):
            continue  # its lead unit is gone (e.g. an abolished district): nothing to carry over
        copy = PlanItem.objects.create(
            programme=new,
            parent=items.get(old.parent_id),
            code=old.code,
            title=old.title,
            kind=old.kind,
            lead_unit_id=old.lead_unit_id,
            responsible_official=old.responsible_official,
            expected_product=old.expected_product,
            start_date=start,
            deadline=deadline,
            state=PlanItem.State.PLANNED,
            source_clause=old.source_clause,
            is_illustrative=old.is_illustrative,
        )
        copy.objectives.set([objectives[o.pk] for o in old.objectives.all()])
        copy.indicators.set([indicators[i.pk] for i in old.indicators.all()])
        for field in ("coordinating_units", "assigned_units"):
            units = getattr(old, field).all()
            getattr(copy, field).set(u for u in units if u.exists_throughout(start, deadline))
        PlanItemBudget.objects.bulk_create(
            PlanItemBudget(plan_item=copy, source=b.source, amount=b.amount)
            for b in old.budget_lines.all()
        )
        items[old.pk] = copy


def _parents_first(rows):
    """Rows ordered so that each comes after its parent."""
    pending = list(rows)
    done: set[int] = set()
    while pending:
        ready = [r for r in pending if r.parent_id is None or r.parent_id in done]
        if not ready:  # a parent outside the set: keep the rest in their order
            ready = pending
        for r in ready:
            done.add(r.pk)
            yield r
        pending = [r for r in pending if r.pk not in done]
