"""What the dashboards show, read from the pre-aggregated figures (never the raw values).

For an indicator, a unit and a year: the figure, the targets it is judged against, its status
(attainment.py) and its forecast to the final target year (forecast.py).

Which targets apply to a unit: its own if set; for the programme's root unit, the programme-wide
ones; for any unit, the programme-wide ones of an indicator that is not summed across units (a
rate such as the share of online services applies to each unit as it does to the city). A count
summed across units has no target for a unit unless one was set for it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Max, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from steer.accounts.access import Access, access_for
from steer.accounts.models import User
from steer.assessment import charts
from steer.assessment.attainment import SEVERITY, SHORT, Judgement, Status, judge, tally
from steer.assessment.forecast import Forecast, linear
from steer.assessment.labels import STATUS_LABELS
from steer.assessment.models import Figure
from steer.assessment.rollup import Link, backward, forward
from steer.assessment.tables import (
    indicator_columns,
    indicator_row,
    plan_labels,
    rounded,
    status_cell,
    status_labels,
    status_summary,
)
from steer.assessment.trend_chart import trend_spec
from steer.core.numbers import is_count
from steer.core.params import not_found
from steer.core.tables import Column, Table
from steer.programmes.models import (
    Indicator,
    IndicatorAssignment,
    IndicatorGroup,
    Objective,
    PlanItem,
    Programme,
    SteeringMember,
    Target,
)
from steer.programmes.permissions import (
    visible_indicator_assignments,
    visible_plan_items,
    visible_targets,
)
from steer.reporting.labels import period_label
from steer.reporting.models import BreakdownOption
from steer.reporting.periods import Period, codes_of_year
from steer.steering.models import Directive, Recommendation
from steer.steering.permissions import visible_directives, visible_recommendations
from steer.steering.plan_status import PlanStatus, plan_status
from steer.steering.tables import directive_table
from steer.units.models import OrgUnit, UnitLineage

if TYPE_CHECKING:  # django-stubs' helper types exist for the type checker only
    from django_stubs_ext import StrOrPromise

FLOW = "sum"  # period aggregation of indicators that are flows
MAX_COMPARED_INDICATORS = 40

# A pre-aggregated figure as assess reads it: (period code, year, value, covered, units).
FigureRow = tuple[str, int, float, float, int]
# How figures are carried through the lineage: the carrying, its links, the units carried
# from and the periods wanted.
_CarryPlan = tuple[
    Callable[[Mapping[int, float], Iterable[Link], bool], dict[int, float]],
    list[Link],
    list[int],
    Callable[[str], bool],
]


@dataclass
class Assessment:
    indicator: Indicator
    unit_id: int
    year: int
    actual: float | None
    covered: float
    units: int
    judgement: Judgement
    forecast: Forecast | None
    targets: dict[int, float]
    baseline: tuple[int, float] | None  # the path's start: (year, value)
    history: list[tuple[str, float, float]] = field(default_factory=list)  # (period, time, value)

    @property
    def status(self) -> Status:
        return self.judgement.status

    @property
    def final_year(self) -> int | None:
        return max(self.targets) if self.targets else None


def programme_root(programme: Programme) -> OrgUnit:
    """The unit whose figures are the programme's: the top of the standing agency's tree."""
    unit = programme.standing_agency
    top = unit.ancestors()
    return top[-1] if top else unit


def top_objective(indicator: Indicator, parents: dict[int, int | None]) -> int:
    """The top-level objective an indicator serves (parents: objective id -> parent id)."""
    objective = indicator.group.objective_id
    parent = parents.get(objective)
    while parent is not None:
        objective, parent = parent, parents.get(parent)
    return objective


def default_year(programme: Programme, root: OrgUnit) -> int:
    """The latest year with a figure, within the programme's years."""
    latest = (
        Figure.objects.filter(indicator__programme=programme, unit=root)
        .aggregate(year=Max("year"))
        .get("year")
    )
    if latest is None:
        latest = timezone.localdate().year
    return min(max(latest, programme.start_year), programme.end_year)


def as_of_day(year: int) -> dt.date:
    """The day a year's dashboard speaks of: its last day, or today while the year runs."""
    return min(timezone.localdate(), dt.date(year, 12, 31))


class Targets:
    """The programme's targets, looked up by indicator and unit."""

    def __init__(self, programme: Programme, unit_ids: Iterable[int], root_id: int) -> None:
        self.root_id = root_id
        self.table: dict[tuple[int, int | None], dict[int, float]] = defaultdict(dict)
        rows = (
            Target.objects.filter(indicator__programme=programme)
            .filter(unit__isnull=True)
            .values_list("indicator", "unit", "year", "value")
        )
        unit_rows = Target.objects.filter(
            indicator__programme=programme, unit__in=list(unit_ids)
        ).values_list("indicator", "unit", "year", "value")
        for indicator, unit, year, value in [*rows, *unit_rows]:
            self.table[(indicator, unit)][year] = float(value)

    def of(self, indicator: Indicator, unit_id: int) -> tuple[dict[int, float], bool]:
        """The targets that apply, and whether they are the programme-wide ones."""
        own = self.table.get((indicator.pk, unit_id))
        if own and unit_id != self.root_id:
            return own, False
        wide = self.table.get((indicator.pk, None), {})
        if unit_id == self.root_id or indicator.unit_aggregation != Indicator.UnitAggregation.SUM:
            return wide, True
        return {}, False


def _bounds(indicator: Indicator) -> tuple[float | None, float | None]:
    if indicator.value_type == Indicator.ValueType.PERCENT:
        return (0.0, 100.0)
    return (0.0, None)


def _forecast(
    indicator: Indicator,
    rows: list[tuple[str, int, float, float]],
    year: int,
    targets: dict[int, float],
    covered: float,
) -> Forecast | None:
    """The forecast to the final target year from the figures up to `year`, if time remains."""
    if not targets:
        return None
    final = max(targets)
    if year > final or (year == final and covered >= 1):
        return None
    # A year's own figure is the one whose period code is the year (the only four-letter code).
    points = [(float(y), v) for code, y, v, c in rows if len(code) == 4 and c >= 1]
    if indicator.period_aggregation != FLOW:
        # A level known part-way through a year counts too: the latest word on where it stands.
        complete = {int(y) for y, _v in points}
        points += [(y - 1 + c, v) for code, y, v, c in rows if len(code) != 4 and y not in complete]
    return linear(
        points,
        float(final),
        target=targets[final],
        higher_is_better=indicator.direction == Indicator.Direction.HIGHER,
        bounds=_bounds(indicator),
    )


def assess(
    programme: Programme,
    indicators: list[Indicator],
    unit_ids: list[int],
    year: int,
    root_id: int,
    *,
    forecasts: bool = True,
    full_history: bool = False,
    period: str | None = None,
) -> dict[tuple[int, int], Assessment]:
    """Assessments by (indicator id, unit id) for the year, or for one period of it (a report
    of the first half judges the half's figure and knows nothing that came after it).

    With forecasts, the figures of the earlier years are read too (every period's with
    full_history, for a trend chart; otherwise the years' own); without, only the year's.
    """
    by_key: dict[tuple[int, int], list[FigureRow]] = defaultdict(list)
    figures = Figure.objects.filter(indicator__in=indicators, unit__in=unit_ids, option="")
    if forecasts and full_history:
        figures = figures.filter(year__lte=year)
    elif forecasts:
        # What the forecasts read: the years' figures, and the periods of the year shown.
        years = [str(y) for y in range(programme.start_year - 1, year)]
        figures = figures.filter(period__in=years + codes_of_year(year))
    else:
        figures = figures.filter(period=period or str(year))
    for indicator_id, unit_id, code, y, value, covered, units in figures.values_list(
        "indicator", "unit", "period", "year", "value", "covered", "units"
    ):
        by_key[(indicator_id, unit_id)].append((code, y, value, covered, units))
    targets = Targets(programme, unit_ids, root_id)
    year_code = period or str(year)
    if period is not None:
        until = Period.parse(period).end
        for key, rows in by_key.items():
            by_key[key] = [r for r in rows if Period.parse(r[0]).end <= until]
    result = {}
    for indicator in indicators:
        higher = indicator.direction == Indicator.Direction.HIGHER
        flow = indicator.period_aggregation == FLOW
        for unit_id in unit_ids:
            rows = sorted(by_key.get((indicator.pk, unit_id), ()), key=lambda r: (r[1], r[3]))
            this_year = next((r for r in rows if r[0] == year_code), None)
            actual = this_year[2] if this_year else None
            covered = this_year[3] if this_year else 1.0
            wanted, wide = targets.of(indicator, unit_id)
            baseline = None
            if wide and indicator.baseline_value is not None and indicator.baseline_year:
                baseline = (indicator.baseline_year, float(indicator.baseline_value))
            elif wanted and not wide:
                baseline = _first_year_figure(rows, min(wanted))
            judgement = judge(
                actual,
                year=year,
                targets=wanted,
                baseline=baseline,
                higher_is_better=higher,
                flow=flow,
                covered=covered,
                tolerance=float(indicator.tolerance),
            )
            simple = [(code, y, v, c) for code, y, v, c, _n in rows]
            result[(indicator.pk, unit_id)] = Assessment(
                indicator=indicator,
                unit_id=unit_id,
                year=year,
                actual=actual,
                covered=covered,
                units=this_year[4] if this_year else 0,
                judgement=judgement,
                forecast=_forecast(indicator, simple, year, wanted, covered) if forecasts else None,
                targets=wanted,
                baseline=baseline,
                history=[(code, y - 1 + c, v) for code, y, v, c in simple],
            )
    return result


def _first_year_figure(rows: list[FigureRow], before: int) -> tuple[int, float] | None:
    """A unit's own starting point: its first full-year figure before its first target.

    A unit given only a final target has no baseline of its own; its path starts from where
    it stood in its first reported year.
    """
    for code, y, value, covered, _units in rows:
        if code == str(y) and covered >= 1 and y < before:
            return (y, value)
    return None


def plan_statuses(items: Iterable[PlanItem], day: dt.date) -> dict[int, PlanStatus]:
    return {
        item.pk: plan_status(item.state, item.deadline, item.completed_on, day) for item in items
    }


def plan_counts(items: QuerySet[PlanItem], day: dt.date) -> dict[PlanStatus, int]:
    counts = dict.fromkeys(PlanStatus, 0)
    for state, deadline, completed_on in items.values_list("state", "deadline", "completed_on"):
        counts[plan_status(state, deadline, completed_on, day)] += 1
    return counts


def carried(
    unit: OrgUnit, indicators: list[Indicator], year: int
) -> dict[int, list[tuple[str, float]]]:
    """Figures of periods the unit did not exist in, carried through the recorded lineage.

    Before the unit was formed: its predecessors' figures carried forward by the shares it
    received. After it ceased: its successors' figures carried back in proportion to what it gave
    them. Returns (period, value) pairs by indicator id, in period order, up to `year`.
    """
    result: dict[int, list[tuple[str, float]]] = {}
    combinable = [i for i in indicators if i.unit_aggregation != Indicator.UnitAggregation.NONE]
    if not combinable:
        return result
    into = list(
        UnitLineage.objects.filter(successor=unit).values_list("predecessor", "share", "whole")
    )
    out_of = list(UnitLineage.objects.filter(predecessor=unit).values_list("successor", flat=True))
    back_links = list(
        UnitLineage.objects.filter(successor__in=out_of).values_list(
            "predecessor", "successor", "share", "whole"
        )
    )
    plans: list[_CarryPlan] = []
    fraction = UnitLineage.fraction_of
    formed, ceased = unit.valid_from, unit.valid_to
    if into and formed:
        links = [Link(p, unit.pk, fraction(share, whole)) for p, share, whole in into]
        plans.append((forward, links, [p for p, _s, _w in into], lambda c: _ends(c) < formed))
    if back_links and ceased:
        links = [Link(p, s, fraction(share, whole)) for p, s, share, whole in back_links]
        plans.append((backward, links, out_of, lambda c: _starts(c) > ceased))
    kinds = {i.pk: i.unit_aggregation == Indicator.UnitAggregation.SUM for i in combinable}
    for carry, links, sources, wanted in plans:
        rows = Figure.objects.filter(
            indicator__in=combinable, unit__in=sources, option="", year__lte=year
        ).values_list("indicator", "unit", "period", "value")
        by_period: dict[tuple[int, str], dict[int, float]] = defaultdict(dict)
        for indicator_id, source, code, value in rows:
            if wanted(code):
                by_period[(indicator_id, code)][source] = value
        for (indicator_id, code), values in by_period.items():
            carried_value = carry(values, links, kinds[indicator_id]).get(unit.pk)
            if carried_value is not None:
                result.setdefault(indicator_id, []).append((code, carried_value))
    for pairs in result.values():
        pairs.sort(key=lambda pair: (Period.parse(pair[0]).end, -len(pair[0])))
    return result


def _ends(code: str) -> dt.date:
    return Period.parse(code).end


def _starts(code: str) -> dt.date:
    return Period.parse(code).start


# -- the dashboards' pages -------------------------------------------------------------------

Charts = dict[str, dict[str, Any]]  # Vega-Lite specs by name
Counts = list[tuple[str, str, int]]  # (status code, its label, how many) for every status


def _status_counts(assessments: Iterable[Assessment]) -> Counts:
    labels = status_labels()
    counts = tally(a.status for a in assessments)
    return [(str(s), labels[str(s)], counts[s]) for s in Status]


def _visible_children(access: Access, programme: Programme, unit: OrgUnit) -> list[int]:
    """The units directly below `unit` whose figures the user may see."""
    children = OrgUnit.objects.filter(parent=unit)
    if not access.sees_whole_programme(programme):
        children = children.filter(pk__in=access.report_units(programme))
    return list(children.values_list("pk", flat=True))


@dataclass(frozen=True)
class ObjectiveRow:
    objective: Objective
    counts: dict[Status, int]
    badges: list[tuple[str, StrOrPromise, int]]  # the statuses present: code, label, count
    total: int


@dataclass(frozen=True)
class OverviewPage:
    programme: Programme
    root: OrgUnit
    year: int
    years: list[int]
    counts: Counts
    n_indicators: int
    objectives: list[ObjectiveRow]
    tables: dict[str, Table]
    charts: Charts
    n_warnings: int
    plan: Counts
    day: dt.date
    steering: QuerySet[SteeringMember]
    sees_all: bool
    can_edit: bool
    user_unit: OrgUnit | None
    follow_up: dict[str, int]


def overview_page(*, user: User, programme: Programme, root: OrgUnit, year: int) -> OverviewPage:
    """The programme's dashboard: where its indicators, objectives and plan items stand."""
    access = access_for(user)
    indicators = list(
        programme.indicators.select_related("group").order_by("group__order", "order", "code")
    )
    assessments = assess(programme, indicators, [root.pk], year, root.pk)
    rows = [assessments[(i.pk, root.pk)] for i in indicators]
    objectives, by_objective = _objective_rows(programme, rows)
    warnings = _hard_to_reach(rows)
    day = as_of_day(year)
    plan = plan_counts(visible_plan_items(access, programme), day)
    plan_names = plan_labels()
    tables = {
        "indicators": Table(
            "indicators",
            _("Indicators in %(year)s") % {"year": year},
            indicator_columns(year),
            [indicator_row(a) for a in rows],
        ),
        "warnings": Table(
            "warnings",
            _("Targets that will be hard to reach"),
            indicator_columns(year),
            [indicator_row(a) for a in warnings],
        ),
        **_objective_and_group_tables(programme, year, rows, objectives, by_objective),
        "plan": Table(
            "plan",
            _("Plan items by status on %(day)s") % {"day": day.strftime("%d/%m/%Y")},
            [Column("status", _("Status")), Column("count", _("Items"), "integer")],
            [{"status": plan_names[str(k)], "count": v} for k, v in plan.items()],
        ),
    }
    return OverviewPage(
        programme=programme,
        root=root,
        year=year,
        years=list(programme.years()),
        counts=_status_counts(rows),
        n_indicators=len(rows),
        objectives=objectives,
        tables=tables,
        charts=_overview_charts(year, objectives, plan),
        n_warnings=len(warnings),
        plan=[(str(k), plan_names[str(k)], v) for k, v in plan.items()],
        day=day,
        steering=programme.steering_members.select_related("unit"),
        sees_all=access.sees_whole_programme(programme),
        can_edit=access.can_edit_programme(programme),
        user_unit=user.unit,
        follow_up=follow_up(programme, access),
    )


def _objective_rows(
    programme: Programme, rows: list[Assessment]
) -> tuple[list[ObjectiveRow], dict[int, list[Assessment]]]:
    """The top-level objectives with the statuses of their indicators, and the assessments
    by top-level objective id."""
    objectives = list(programme.objectives.order_by("order", "code"))
    parents = {o.pk: o.parent_id for o in objectives}
    by_objective: dict[int, list[Assessment]] = {}
    for a in rows:
        by_objective.setdefault(top_objective(a.indicator, parents), []).append(a)
    objective_rows = []
    for o in objectives:
        if o.parent_id is None:
            counts = tally(a.status for a in by_objective.get(o.pk, []))
            objective_rows.append(
                ObjectiveRow(
                    objective=o,
                    counts=counts,
                    badges=[(str(s), STATUS_LABELS[s], n) for s, n in counts.items() if n],
                    total=sum(counts.values()),
                )
            )
    return objective_rows, by_objective


def _hard_to_reach(rows: list[Assessment]) -> list[Assessment]:
    """Indicators behind their path or forecast to fall short, the most severe first."""
    warnings = [
        a
        for a in rows
        if a.status in SHORT or (a.forecast is not None and a.forecast.reaches_target is False)
    ]
    warnings.sort(key=lambda a: (SEVERITY.index(a.status), a.indicator.order, a.indicator.code))
    return warnings


def _objective_and_group_tables(
    programme: Programme,
    year: int,
    rows: list[Assessment],
    objectives: list[ObjectiveRow],
    by_objective: dict[int, list[Assessment]],
) -> dict[str, Table]:
    by_group: dict[int, list[Assessment]] = {}
    for a in rows:
        by_group.setdefault(a.indicator.group_id, []).append(a)
    objective_table = status_summary(
        "objectives",
        _("Objectives"),
        _("Objective"),
        [(str(r.objective), by_objective.get(r.objective.pk, [])) for r in objectives],
    )
    group_table = status_summary(
        "groups",
        _("Indicator groups in %(year)s") % {"year": year},
        _("Indicator group"),
        [
            (str(g), by_group.get(g.pk, []))
            for g in programme.indicator_groups.order_by("order", "code")
        ],
    )
    return {"objectives": objective_table, "groups": group_table}


def _overview_charts(
    year: int, objectives: list[ObjectiveRow], plan: dict[PlanStatus, int]
) -> Charts:
    return {
        "objectives": charts.status_bars(
            [
                {
                    "name": r.objective.code + ". " + r.objective.title[:60],
                    "status": str(s),
                    "count": n,
                }
                for r in objectives
                for s, n in r.counts.items()
            ],
            status_labels(),
            _("Indicators of each objective by status, %(year)s") % {"year": year},
            _("Indicators"),
        ),
        "plan": charts.plan_bars(
            {str(k): v for k, v in plan.items()},
            plan_labels(),
            _("Plan items by status"),
            _("Items"),
        ),
    }


def follow_up(programme: Programme, access: Access) -> dict[str, int]:
    """Today's open and overdue directives and open recommendations the user may see."""
    today = timezone.localdate()
    open_ = visible_directives(access, programme).filter(state__in=Directive.OPEN)
    n_open, overdue = open_.count(), open_.filter(deadline__lt=today).count()
    return {
        "open": n_open,
        "within": n_open - overdue,  # with `overdue`, each open directive counted once
        "overdue": overdue,
        "recommendations": visible_recommendations(access, programme)
        .filter(state__in=Recommendation.OPEN)
        .count(),
    }


@dataclass(frozen=True)
class IndicatorPage:
    programme: Programme
    indicator: Indicator
    year: int
    years: list[int]
    unit: OrgUnit
    root: OrgUnit
    keep: list[tuple[str, str]]  # the query parameters the year's links keep
    trail: list[OrgUnit]
    a: Assessment
    actual: float | None
    status: dict[str, str]
    tables: dict[str, Table]
    charts: Charts
    city_targets: list[Target]
    unit_targets: list[Target]
    assignments: QuerySet[IndicatorAssignment]
    plan_items: QuerySet[PlanItem]


def indicator_detail_page(
    *,
    user: User,
    programme: Programme,
    indicator: Indicator,
    root: OrgUnit,
    unit: OrgUnit,
    year: int,
) -> IndicatorPage:
    """An indicator for a unit (the programme's root by default): its figure, status and trend,
    the figures of the units below it and of its parts."""
    access = access_for(user)
    a = assess(programme, [indicator], [unit.pk], year, root.pk, full_history=True)[
        (indicator.pk, unit.pk)
    ]
    breakdown = _breakdown_table(access, programme, indicator, root, unit, year)
    options = Table(
        "parts",
        _("By part, %(year)s") % {"year": year},
        [Column("option", _("Part")), Column("value", _("Figure"), "number")],
        [
            {"option": o.name, "value": rounded(v, indicator.value_type)}
            for o, v in _options_of(indicator, unit, year)
        ],
    )
    history = Table(
        "history",
        _("Figures of %(unit)s by period") % {"unit": unit.name},
        [Column("period", _("Reporting period")), Column("value", _("Figure"), "number")],
        [
            {
                "period": period_label(Period.parse(code), capital=True),
                "value": rounded(v, indicator.value_type),
            }
            for code, _t, v in a.history
        ],
    )
    chart_specs = {
        "trend": trend_spec(a, indicator, unit),
        "units": charts.unit_bars(
            [
                {"unit": r["unit"], "value": r["actual"], "status": r["status"]["code"]}
                for r in breakdown.rows
            ],
            status_labels(),
            title=breakdown.title,
            unit_of_measure=indicator.unit_of_measure,
            counts=is_count(indicator.value_type),
        ),
    }
    targets = visible_targets(access, programme).filter(indicator=indicator).select_related("unit")
    return IndicatorPage(
        programme=programme,
        indicator=indicator,
        year=year,
        years=list(programme.years()),
        unit=unit,
        root=root,
        keep=[] if unit == root else [("unit", unit.code)],
        trail=[
            u
            for u in reversed(unit.ancestors())
            if access.can_view_reports(programme, u) or u == root
        ],
        a=a,
        actual=rounded(a.actual, indicator.value_type),
        status=status_cell(a),
        tables={t.name: t for t in (breakdown, options, history)},
        charts=chart_specs,
        city_targets=[t for t in targets if t.unit_id is None],
        unit_targets=[t for t in targets if t.unit_id is not None],
        assignments=visible_indicator_assignments(access, programme)
        .filter(indicator=indicator)
        .select_related("unit__unit_type"),
        plan_items=visible_plan_items(access, programme)
        .filter(indicators=indicator)
        .select_related("lead_unit"),
    )


def _breakdown_table(
    access: Access,
    programme: Programme,
    indicator: Indicator,
    root: OrgUnit,
    unit: OrgUnit,
    year: int,
) -> Table:
    """The year's figures of the units below `unit` that the user may see."""
    child_ids = list(
        Figure.objects.filter(
            indicator=indicator,
            period=str(year),
            option="",
            unit__in=_visible_children(access, programme, unit),
        ).values_list("unit", flat=True)
    )
    children = {u.pk: u for u in OrgUnit.objects.filter(pk__in=child_ids)}
    child_assessments = assess(programme, [indicator], child_ids, year, root.pk, forecasts=False)
    rows = []
    for key, ca in sorted(child_assessments.items(), key=lambda kv: children[kv[0][1]].code):
        child = children[key[1]]
        rows.append(
            {
                "unit": child.name,
                "code": child.code,
                "url": f"?year={year}&unit={child.code}",
                "actual": rounded(ca.actual, indicator.value_type),
                "target": ca.targets.get(year) if ca.targets else None,
                "expected": rounded(ca.judgement.expected, indicator.value_type),
                "status": status_cell(ca),
            }
        )
    return Table(
        "units",
        _("%(unit)s: figures of the units below it, %(year)s") % {"unit": unit.name, "year": year},
        [
            Column("code", _("Code")),
            Column("unit", _("Unit"), link="url"),
            Column("actual", _("Figure"), "number"),
            Column("target", _("Target %(year)s") % {"year": year}, "number"),
            Column("expected", _("Expected on the path"), "number"),
            Column("status", _("Status"), "status"),
        ],
        rows,
    )


def _options_of(
    indicator: Indicator, unit: OrgUnit, year: int
) -> list[tuple[BreakdownOption, float]]:
    """The year's figure of each part of the indicator (a breakdown), in the options' order."""
    values = dict(
        Figure.objects.filter(indicator=indicator, unit=unit, period=str(year))
        .exclude(option="")
        .values_list("option", "value")
    )
    if not values:
        return []
    line = indicator.form_lines.select_related("breakdown").filter(breakdown__isnull=False).first()
    options = list(line.breakdown.options.all()) if line and line.breakdown else []
    return [(o, values[o.code]) for o in options if o.code in values]


def _indicators_of(
    programme: Programme, unit: OrgUnit, lineage: list[UnitLineage]
) -> list[Indicator]:
    """The indicators a unit has figures, an assignment or a target for, or whose figures of
    the units it was formed from or went into (its lineage links) can be carried to it."""
    linked = {unit.pk} | {link.predecessor_id for link in lineage}
    linked |= {link.successor_id for link in lineage}
    # Every figure has its year's figure beside it, so the years' codes find every indicator.
    years = [str(y) for y in range(programme.start_year - 1, programme.end_year + 1)]
    ids = set(
        Figure.objects.filter(unit__in=linked, period__in=years)
        .values_list("indicator", flat=True)
        .distinct()
    )
    ids |= set(unit.indicator_assignments.values_list("indicator", flat=True))
    ids |= set(unit.targets.values_list("indicator", flat=True))
    return list(
        programme.indicators.filter(pk__in=ids)
        .select_related("group")
        .order_by("group__order", "order", "code")
    )


@dataclass(frozen=True)
class ScorecardPage:
    programme: Programme
    unit: OrgUnit
    year: int
    years: list[int]
    counts: Counts
    plan: Counts
    tables: dict[str, Table]
    predecessors: list[UnitLineage]
    successors: list[UnitLineage]
    day: dt.date


def scorecard_page(
    *, user: User, programme: Programme, root: OrgUnit, unit: OrgUnit, year: int
) -> ScorecardPage:
    """A unit's indicators, plan items, figures carried through the restructuring and
    directives."""
    access = access_for(user)
    lineage = list(
        UnitLineage.objects.filter(Q(predecessor=unit) | Q(successor=unit)).select_related(
            "predecessor", "successor"
        )
    )
    indicators = _indicators_of(programme, unit, lineage)
    assessments = assess(programme, indicators, [unit.pk], year, root.pk)
    rows = [assessments[(i.pk, unit.pk)] for i in indicators]
    day = as_of_day(year)
    items = visible_plan_items(access, programme)
    plan_items = list(items.involving(unit).select_related("lead_unit").order_by("code"))
    statuses = plan_statuses(plan_items, day)
    plan_names = plan_labels()
    directives = (
        Directive.objects.filter(programme=programme, assignees=unit)
        .prefetch_related("assignees")
        .order_by("-deadline")
    )
    tables = [
        Table(
            "indicators",
            _("%(unit)s: indicators in %(year)s") % {"unit": unit.name, "year": year},
            indicator_columns(year),
            [indicator_row(a, unit.code) for a in rows],
        ),
        _plan_table(unit, plan_items, statuses, day),
        _carried_table(unit, indicators, year),
        directive_table(
            "directives",
            _("%(unit)s: directives") % {"unit": unit.name},
            directives,
            timezone.localdate(),
        ),
    ]
    return ScorecardPage(
        programme=programme,
        unit=unit,
        year=year,
        years=list(programme.years()),
        counts=_status_counts(rows),
        plan=[
            (str(s), plan_names[str(s)], sum(1 for v in statuses.values() if v == s))
            for s in PlanStatus
        ],
        tables={t.name: t for t in tables},
        predecessors=[link for link in lineage if link.successor_id == unit.pk],
        successors=[link for link in lineage if link.predecessor_id == unit.pk],
        day=day,
    )


def _plan_table(
    unit: OrgUnit, items: list[PlanItem], statuses: dict[int, PlanStatus], day: dt.date
) -> Table:
    plan_names = plan_labels()
    rows = [
        {
            "code": item.code,
            "title": item.title,
            "url": item.get_absolute_url(),
            "role": _("lead") if item.lead_unit_id == unit.pk else _("takes part"),
            "deadline": item.deadline,
            "completed": item.completed_on,
            "status": {
                "code": str(statuses[item.pk]),
                "label": plan_names[str(statuses[item.pk])],
            },
        }
        for item in items
    ]
    return Table(
        "plan",
        _("%(unit)s: plan items on %(day)s") % {"unit": unit.name, "day": day.strftime("%d/%m/%Y")},
        [
            Column("code", _("Code"), link="url"),
            Column("title", _("Plan item"), link="url"),
            Column("role", _("Role")),
            Column("deadline", _("Deadline"), "date"),
            Column("completed", _("Completed on"), "date"),
            Column("status", _("Status"), "status"),
        ],
        rows,
    )


def _carried_table(unit: OrgUnit, indicators: list[Indicator], year: int) -> Table:
    rows = []
    for indicator_id, pairs in carried(unit, indicators, year).items():
        indicator = next(i for i in indicators if i.pk == indicator_id)
        for code, value in pairs:
            rows.append(
                {
                    "code": indicator.code,
                    "name": indicator.name,
                    "period": period_label(Period.parse(code), capital=True),
                    "value": rounded(value, indicator.value_type),
                    "uom": indicator.unit_of_measure,
                }
            )
    return Table(
        "lineage",
        _("%(unit)s: figures carried through the restructuring (estimates)") % {"unit": unit.name},
        [
            Column("code", _("Code")),
            Column("name", _("Indicator")),
            Column("period", _("Reporting period")),
            Column("value", _("Estimated figure"), "number"),
            Column("uom", _("Unit of measure")),
        ],
        rows,
    )


@dataclass(frozen=True)
class ComparePage:
    programme: Programme
    year: int
    years: list[int]
    parent: OrgUnit
    parents: list[OrgUnit]  # the units whose sub-units can be compared
    groups: list[IndicatorGroup]
    group: IndicatorGroup | None
    indicators: list[Indicator]
    tables: dict[str, Table]
    charts: Charts


def compare_page(
    *,
    user: User,
    programme: Programme,
    root: OrgUnit,
    parent: OrgUnit,
    year: int,
    group_code: str | None,
) -> ComparePage:
    """The units below `parent` side by side on the indicators they report (those of one
    group, `group_code` or the first when there are too many for one table)."""
    access = access_for(user)
    all_indicators = {
        i.pk: i for i in programme.indicators.select_related("group").order_by("order", "code")
    }
    children = _visible_children(access, programme, parent)
    present = _reported(list(all_indicators), children, year)
    present_ids = {indicator_id for indicator_id, _unit in present}
    indicators = [i for pk, i in all_indicators.items() if pk in present_ids]
    indicators.sort(key=lambda i: (i.group.order, i.order, i.code))
    groups = sorted({i.group for i in indicators}, key=lambda g: (g.order, g.code))
    group = _compared_group(groups, group_code, len(indicators))
    if group is not None:
        indicators = [i for i in indicators if i.group_id == group.pk]
    else:
        # Departments report city-wide figures, districts their own: without a chosen group,
        # show what most of the units report, not one sparse column per department.
        reporters = Counter(indicator_id for indicator_id, _unit in present)
        enough = len({u for _p, u in present}) / 3
        indicators = [i for i in indicators if reporters[i.pk] >= enough]
    shown = {i.pk for i in indicators}
    unit_ids = {u for p, u in present if p in shown}
    units = list(OrgUnit.objects.filter(pk__in=unit_ids).order_by("code"))
    table, grid = _comparison(programme, root, parent, year, indicators, units)
    return ComparePage(
        programme=programme,
        year=year,
        years=list(programme.years()),
        parent=parent,
        parents=_parents(access, programme, root),
        groups=groups,
        group=group,
        indicators=indicators,
        tables={"units": table},
        charts={"grid": charts.status_grid(grid, status_labels(), title=table.title)},
    )


def _reported(indicator_ids: list[int], unit_ids: list[int], year: int) -> set[tuple[int, int]]:
    """(indicator id, unit id) of the year's figures of these indicators and units."""
    return set(
        Figure.objects.filter(
            unit__in=unit_ids, period=str(year), option="", indicator__in=indicator_ids
        ).values_list("indicator", "unit")
    )


def _compared_group(
    groups: list[IndicatorGroup], code: str | None, n_indicators: int
) -> IndicatorGroup | None:
    """The group asked for (NotFound if none of `groups`), else the first when the indicators
    are too many to compare at once."""
    if code:
        group = next((g for g in groups if g.code == code), None)
        if group is None:
            raise not_found(_("Indicator group"), code)
        return group
    if n_indicators > MAX_COMPARED_INDICATORS and groups:
        return groups[0]
    return None


def _comparison(
    programme: Programme,
    root: OrgUnit,
    parent: OrgUnit,
    year: int,
    indicators: list[Indicator],
    units: list[OrgUnit],
) -> tuple[Table, list[dict[str, Any]]]:
    """The units' figures by indicator, and the status of each (unit, indicator) for the grid."""
    assessments = assess(
        programme, indicators, [u.pk for u in units], year, root.pk, forecasts=False
    )
    rows = []
    grid = []
    for u in units:
        row: dict[str, Any] = {
            "code": u.code,
            "unit": u.name,
            "url": reverse("scorecard", args=[programme.slug, u.code]) + f"?year={year}",
        }
        statuses = []
        for i in indicators:
            a = assessments[(i.pk, u.pk)]
            row[i.code] = rounded(a.actual, i.value_type)
            statuses.append(a.status)
            grid.append(
                {
                    "unit": u.name,
                    "indicator": i.code,
                    "status": str(a.status),
                    "value": rounded(a.actual, i.value_type),
                }
            )
        c = tally(statuses)
        row["achieved"] = c[Status.ACHIEVED] + c[Status.ON_TRACK]
        row["judged"] = sum(c.values()) - c[Status.NO_DATA]
        rows.append(row)
    columns = [Column("code", _("Code")), Column("unit", _("Unit"), link="url")]
    for i in indicators:
        columns.append(Column(i.code, f"{i.code} ({i.unit_of_measure})", "number"))
    columns += [
        Column("achieved", _("Achieved or on track"), "integer"),
        Column("judged", _("With a target and a figure"), "integer"),
    ]
    title = _("Units under %(unit)s compared, %(year)s") % {"unit": parent.name, "year": year}
    return Table("units", title, columns, rows), grid


def _parents(access: Access, programme: Programme, root: OrgUnit) -> list[OrgUnit]:
    """The units whose sub-units can be compared: the root and, below it, units with sub-units."""
    below = OrgUnit.objects.filter(parent=root, children__isnull=False).distinct()
    if not access.sees_whole_programme(programme):
        below = below.filter(pk__in=access.report_units(programme))
    return [root, *below.order_by("code")]
