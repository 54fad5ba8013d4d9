"""The one permission rule (steer.accounts.access) applied to steering's rows: a unit sees the
directives given to it, the inspections that visit it and its own recommendations."""

from django.db.models import QuerySet

from steer.accounts.access import Access
from steer.programmes.models import Programme
from steer.steering.models import Directive, Inspection, Recommendation


def visible_directives(access: Access, programme: Programme) -> QuerySet[Directive]:
    rows = Directive.objects.filter(programme=programme)
    if not access.can_view_programme(programme):
        return rows.none()
    if access.sees_whole_programme(programme):
        return rows
    mine = Directive.objects.filter(assignees__in=access.own_unit_ids).values("pk")
    return rows.filter(pk__in=mine)


def visible_inspections(access: Access, programme: Programme) -> QuerySet[Inspection]:
    rows = Inspection.objects.filter(programme=programme)
    if not access.can_view_programme(programme):
        return rows.none()
    if access.sees_whole_programme(programme):
        return rows
    return rows.filter(visits__unit__in=access.own_unit_ids).distinct()


def visible_recommendations(access: Access, programme: Programme) -> QuerySet[Recommendation]:
    rows = Recommendation.objects.filter(programme=programme)
    if not access.can_view_programme(programme):
        return rows.none()
    if access.sees_whole_programme(programme):
        return rows
    return rows.filter(unit__in=access.own_unit_ids)
