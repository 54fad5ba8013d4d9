"""Writes that touch many rows of a programme at once."""

from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models, transaction

from steer.accounts.access import access_for
from steer.accounts.models import Role, RoleGrant, User
from steer.programmes.models import (
    Indicator,
    IndicatorAssignment,
    IndicatorGroup,
    Objective,
    PlanItem,
    PlanItemBudget,
    Programme,
    Target,
)

M = TypeVar("M", bound=models.Model)


def _copy_of(old: M, **changed: Any) -> M:
    """A new, unsaved row with every value of `old` (its concrete fields but the primary key),
    except `changed`: the links re-pointed to the new programme's rows and the values that
    start afresh. A field added to the model is copied without being named here."""
    values = {
        field.attname: getattr(old, field.attname)
        for field in type(old)._meta.concrete_fields
        if not field.primary_key and field.name not in changed
    }
    return type(old)(**values, **changed)


def _defaults(model: type[models.Model], *names: str) -> dict[str, Any]:
    """The named fields at their defaults: what a copy starts afresh."""
    fields = [model._meta.get_field(name) for name in names]
    return {f.name: f.get_default() for f in fields if isinstance(f, models.Field)}


@transaction.atomic
def programme_copy(
    *,
    source: Programme,
    new: Programme,
    include_targets: bool,
    include_plan_items: bool,
    creator: User,
) -> Programme:
    """Save `new` with the structure of `source`: the city's programmes share one template.

    Objectives, indicator groups, indicators and their assignments are always copied; targets
    only for the years inside the new period; plan items only on request (their dates belong
    to the old period, so they are copied as not started). The creator (the standing agency
    official, or an administrator) runs the new programme.
    """
    if not access_for(creator).can_create_programme():
        raise PermissionDenied
    new.template = source
    new.full_clean()
    new.save()
    objectives = _copy_objectives(source, new)
    indicators = _copy_indicators(source, new, objectives)
    _copy_assignments(source, new, indicators)
    if include_targets:
        _copy_targets(source, new, indicators)
    for member in source.steering_members.all():
        _copy_of(member, programme=new).save()
    if include_plan_items:
        _copy_plan_items(source, new, objectives, indicators)
    RoleGrant.objects.get_or_create(user=creator, role=Role.STANDING_AGENCY, programme=new)
    return new


def _copy_objectives(source: Programme, new: Programme) -> dict[int, Objective]:
    """The new objective of each old one (by its id), parents first."""
    objectives: dict[int, Objective] = {}
    for old in _parents_first(source.objectives.all()):
        parent = objectives.get(old.parent_id) if old.parent_id is not None else None
        copy = _copy_of(old, programme=new, parent=parent)
        copy.save()
        objectives[old.pk] = copy
    return objectives


def _copy_indicators(
    source: Programme, new: Programme, objectives: dict[int, Objective]
) -> dict[int, Indicator]:
    """The new indicator of each old one (by its id), in new groups, weighted by new ones."""
    groups: dict[int, IndicatorGroup] = {}
    for group in source.indicator_groups.all():
        groups[group.pk] = _copy_of(group, programme=new, objective=objectives[group.objective_id])
        groups[group.pk].save()
    indicators: dict[int, Indicator] = {}
    old_indicators = list(source.indicators.all())
    for old in old_indicators:
        copy = _copy_of(old, programme=new, group=groups[old.group_id], weight_indicator=None)
        copy.save()
        indicators[old.pk] = copy
    for old in old_indicators:
        if old.weight_indicator_id:
            Indicator.objects.filter(pk=indicators[old.pk].pk).update(
                weight_indicator=indicators[old.weight_indicator_id]
            )
    return indicators


def _copy_assignments(source: Programme, new: Programme, indicators: dict[int, Indicator]) -> None:
    """The units still existing in the new period report on the same indicators."""
    IndicatorAssignment.objects.bulk_create(
        _copy_of(a, indicator=indicators[a.indicator_id])
        for a in IndicatorAssignment.objects.filter(indicator__programme=source).select_related(
            "unit"
        )
        if a.unit.exists_during(new.first_day, new.last_day)
    )


def _copy_targets(source: Programme, new: Programme, indicators: dict[int, Indicator]) -> None:
    Target.objects.bulk_create(
        _copy_of(t, indicator=indicators[t.indicator_id])
        for t in Target.objects.filter(
            indicator__programme=source, year__gte=new.start_year, year__lte=new.end_year
        )
    )


# What a plan item starts afresh with in a new programme: not started, never moved or edited.
PLAN_ITEM_AFRESH = (
    "state",
    "completed_on",
    "baseline_deadline",
    "version",
    "updated_at",
    "updated_by",
)


def _copy_plan_items(
    source: Programme,
    new: Programme,
    objectives: dict[int, Objective],
    indicators: dict[int, Indicator],
) -> None:
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
        copy = _copy_of(
            old,
            programme=new,
            parent=items.get(old.parent_id),
            start_date=start,
            deadline=deadline,
            **_defaults(PlanItem, *PLAN_ITEM_AFRESH),
        )
        copy.save()
        copy.objectives.set([objectives[o.pk] for o in old.objectives.all()])
        copy.indicators.set([indicators[i.pk] for i in old.indicators.all()])
        for field in ("coordinating_units", "assigned_units"):
            units = getattr(old, field).all()
            getattr(copy, field).set(u for u in units if u.exists_throughout(start, deadline))
        PlanItemBudget.objects.bulk_create(
            _copy_of(b, plan_item=copy) for b in old.budget_lines.all()
        )
        items[old.pk] = copy


P = TypeVar("P", Objective, PlanItem)


def _parents_first(rows: Iterable[P]) -> Iterator[P]:
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
