"""Reads of programmes shared by the apps' pages, and the pages of a programme's structure and
of a unit's work."""

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from steer.accounts.access import Access, access_for
from steer.programmes.models import (
    Indicator,
    IndicatorGroup,
    Objective,
    PlanItem,
    Programme,
    Target,
)
from steer.programmes.permissions import (
    can_view_plan_item,
    visible_plan_items,
    visible_programmes,
    visible_targets,
)
from steer.units.models import OrgUnit


def viewable_programme(request: HttpRequest, slug: str) -> Programme:
    """The programme of the page, or 404; PermissionDenied if the user may not see it."""
    programme: Programme = get_object_or_404(
        Programme.objects.select_related("standing_agency"), slug=slug
    )
    access = access_for(request.user)
    access.require(access.can_view_programme(programme))
    return programme


# -- the tree of objectives -------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorTarget:
    """An indicator and the target shown beside it (None: there is none)."""

    indicator: Indicator
    target: Target | None


@dataclass(frozen=True)
class GroupNode:
    group: IndicatorGroup
    indicators: list[IndicatorTarget]


@dataclass(frozen=True)
class ObjectiveNode:
    """An objective with its indicator groups, the plan items the user may see that serve it,
    and its sub-objectives."""

    objective: Objective
    groups: list[GroupNode]
    plan_items: list[PlanItem]
    children: list["ObjectiveNode"]


def final_targets(programme: Programme) -> dict[int, Target]:
    """Each indicator's programme-wide target for the last year that has one."""
    final: dict[int, Target] = {}
    for t in Target.objects.filter(indicator__programme=programme, unit__isnull=True).order_by(
        "year"
    ):
        final[t.indicator_id] = t
    return final


def objective_tree(*, access: Access, programme: Programme) -> list[ObjectiveNode]:
    """The programme's objectives from the top, each with what hangs from it."""
    final = final_targets(programme)
    indicators = programme.indicators.order_by("order", "code")
    groups = IndicatorGroup.objects.filter(programme=programme).prefetch_related(
        Prefetch("indicators", queryset=indicators)
    )
    visible_items = visible_plan_items(access, programme).order_by("code")
    objectives = list(
        Objective.objects.filter(programme=programme).prefetch_related(
            Prefetch("indicator_groups", queryset=groups),
            Prefetch("plan_items", queryset=visible_items.select_related("lead_unit")),
        )
    )
    children: dict[int | None, list[Objective]] = {}
    for objective in objectives:
        children.setdefault(objective.parent_id, []).append(objective)

    def node(objective: Objective) -> ObjectiveNode:
        return ObjectiveNode(
            objective=objective,
            groups=[
                GroupNode(
                    group=group,
                    indicators=[
                        IndicatorTarget(indicator, final.get(indicator.pk))
                        for indicator in group.indicators.all()
                    ],
                )
                for group in objective.indicator_groups.all()
            ],
            plan_items=list(objective.plan_items.all()),
            children=[node(child) for child in children.get(objective.pk, [])],
        )

    return [node(objective) for objective in children.get(None, [])]


# -- plan items -------------------------------------------------------------------------------


def involved_units(*, access: Access, items: QuerySet[PlanItem]) -> QuerySet[OrgUnit]:
    """The units the user may see that lead, coordinate or carry out one of these items."""
    return (
        access.units()
        .filter(
            Q(led_plan_items__in=items)
            | Q(coordinated_plan_items__in=items)
            | Q(assigned_plan_items__in=items)
        )
        .distinct()
    )


def plan_item_of(
    *, access: Access, programme: Programme, code: str, rows: QuerySet[PlanItem] | None = None
) -> PlanItem:
    """A plan item of the programme, read from `rows` (by default with what its page shows);
    404 if there is none, 403 if the user may not see it."""
    if rows is None:
        rows = PlanItem.objects.select_related("lead_unit", "parent").prefetch_related(
            "objectives", "indicators", "coordinating_units", "assigned_units", "budget_lines"
        )
    item: PlanItem = get_object_or_404(rows, programme=programme, code=code)
    access.require(can_view_plan_item(access, item))
    return item


# -- a unit's work ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemRole:
    """A plan item and the unit's part in it: "lead", "coordinating" or "implementing"."""

    item: PlanItem
    role: str


@dataclass(frozen=True)
class UnitWork:
    """What a unit is assigned in one programme: indicators (with the unit's target for the
    programme's last year) and plan items."""

    programme: Programme
    indicators: list[IndicatorTarget]
    items: list[ItemRole]


def _role(item: PlanItem, unit: OrgUnit) -> str:
    if item.lead_unit_id == unit.pk:
        return "lead"
    if unit in item.coordinating_units.all():
        return "coordinating"
    return "implementing"


def unit_work(*, access: Access, unit: OrgUnit) -> list[UnitWork]:
    """The unit's indicators and plan items in each programme the user follows, the programmes
    where it has none left out."""
    found = []
    for programme in visible_programmes(access):
        indicators = programme.indicators.filter(assignments__unit=unit).select_related("group")
        targets = {
            (t.indicator_id, t.year): t
            for t in visible_targets(access, programme).filter(unit=unit)
        }
        items = (
            visible_plan_items(access, programme)
            .involving(unit)
            .select_related("lead_unit")
            .prefetch_related("coordinating_units")
            .order_by("code")
        )
        work = UnitWork(
            programme=programme,
            indicators=[
                IndicatorTarget(i, targets.get((i.pk, programme.end_year))) for i in indicators
            ],
            items=[ItemRole(item, _role(item, unit)) for item in items],
        )
        if work.indicators or work.items:
            found.append(work)
    return found
