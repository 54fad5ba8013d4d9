"""The one permission rule (steer.accounts.access) applied to a programme's own rows."""

from django.db.models import Q, QuerySet

from steer.accounts.access import Access
from steer.programmes.models import (
    IndicatorAssignment,
    PlanItem,
    PlanItemQuerySet,
    Programme,
    Target,
)


def visible_programmes(access: Access) -> QuerySet[Programme]:
    ids = access.programme_ids()
    return Programme.objects.all() if ids is None else Programme.objects.filter(pk__in=ids)


def visible_plan_items(access: Access, programme: Programme) -> PlanItemQuerySet:
    items = PlanItem.objects.filter(programme=programme)
    if not access.can_view_programme(programme):
        return items.none()
    if access.sees_whole_programme(programme):
        return items
    return items.involving(access.own_unit_ids)


def can_view_plan_item(access: Access, item: PlanItem) -> bool:
    return visible_plan_items(access, item.programme).filter(pk=item.pk).exists()


def visible_targets(access: Access, programme: Programme) -> QuerySet[Target]:
    """Programme-wide targets, and unit targets of the units the user may see."""
    targets = Target.objects.filter(indicator__programme=programme)
    if not access.can_view_programme(programme):
        return targets.none()
    if access.sees_whole_programme(programme):
        return targets
    return targets.filter(Q(unit__isnull=True) | Q(unit__in=access.own_unit_ids))


def visible_indicator_assignments(
    access: Access, programme: Programme
) -> QuerySet[IndicatorAssignment]:
    rows = IndicatorAssignment.objects.filter(indicator__programme=programme)
    if not access.can_view_programme(programme):
        return rows.none()
    if access.sees_whole_programme(programme):
        return rows
    return rows.filter(unit__in=access.own_unit_ids)
