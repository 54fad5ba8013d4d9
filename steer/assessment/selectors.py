"""What the dashboards show, read from the pre-aggregated figures (never the raw values).

For an indicator, a unit and a year: the figure, the targets it is judged against, its status
(attainment.py) and its forecast to the final target year (forecast.py).

Which targets apply to a unit: its own if set; for the programme's root unit, the programme-wide
ones; for any unit, the programme-wide ones of an indicator that is not summed across units (a
rate such as the share of online services applies to each unit as it does to the city). A count
summed across units has no target for a unit unless one was set for it.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Max
from django.utils import timezone

from steer.assessment.attainment import Judgement, Status, judge
from steer.assessment.forecast import Forecast, linear
from steer.assessment.models import Figure
from steer.assessment.rollup import Link, backward, forward
from steer.programmes.models import Indicator, Programme, Target
from steer.reporting.periods import Period, codes_of_year
from steer.steering.plan_status import PlanStatus, plan_status
from steer.units.models import OrgUnit, UnitLineage

FLOW = "sum"  # period aggregation of indicators that are flows


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
    while parents.get(objective) is not None:
        objective = parents[objective]
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

    def __init__(self, programme: Programme, unit_ids, root_id: int):
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


def _forecast(indicator: Indicator, rows, year: int, targets: dict[int, float], covered: float):
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
    by_key: dict[tuple[int, int], list] = defaultdict(list)
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


def _first_year_figure(rows, before: int) -> tuple[int, float] | None:
    """A unit's own starting point: its first full-year figure before its first target.

    A unit given only a final target has no baseline of its own; its path starts from where
    it stood in its first reported year.
    """
    for code, y, value, covered, _units in rows:
        if code == str(y) and covered >= 1 and y < before:
            return (y, value)
    return None


def plan_statuses(items, day: dt.date) -> dict[int, PlanStatus]:
    return {
        item.pk: plan_status(item.state, item.deadline, item.completed_on, day) for item in items
    }


def plan_counts(items, day: dt.date) -> dict[PlanStatus, int]:
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
    plans = []
    if into and unit.valid_from:
        fraction = UnitLineage.fraction_of
        links = [Link(p, unit.pk, fraction(share, whole)) for p, share, whole in into]
        plans.append(
            (forward, links, [p for p, _s, _w in into], lambda c: _ends(c) < unit.valid_from)
        )
    if back_links and unit.valid_to:
        fraction = UnitLineage.fraction_of
        links = [Link(p, s, fraction(share, whole)) for p, s, share, whole in back_links]
        plans.append((backward, links, out_of, lambda c: _starts(c) > unit.valid_to))
    for carry, links, sources, wanted in plans:
        rows = Figure.objects.filter(
            indicator__in=combinable, unit__in=sources, option="", year__lte=year
        ).values_list("indicator", "unit", "period", "value")
        by_period: dict[tuple[int, str], dict[int, float]] = defaultdict(dict)
        for indicator_id, source, code, value in rows:
            if wanted(code):
                by_period[(indicator_id, code)][source] = value
        kinds = {i.pk: i.unit_aggregation == Indicator.UnitAggregation.SUM for i in combinable}
        for (indicator_id, code), values in by_period.items():
            value = carry(values, links, kinds[indicator_id]).get(unit.pk)
            if value is not None:
                result.setdefault(indicator_id, []).append((code, value))
    for pairs in result.values():
        pairs.sort(key=lambda pair: (Period.parse(pair[0]).end, -len(pair[0])))
    return result


def _ends(code: str) -> dt.date:
    return Period.parse(code).end


def _starts(code: str) -> dt.date:
    return Period.parse(code).start
