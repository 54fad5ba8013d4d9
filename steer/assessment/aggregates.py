"""Keeping the pre-aggregated figures: a full rebuild, and an update when a report changes state.

Only approved reports count (approved by the unit head, or accepted by the standing agency).
For each indicator and period, the units' own figures are rolled up the unit tree by the
indicator's rule; then each unit's periods of a year are combined into the year's figure. An
indicator that is on a yearly form takes its year figures from that form only.

The update after one report touches only that report's unit and the units above it, for the
report's indicators (and the indicators they weight): the other units' stored figures are
inputs, not recomputed. So approving one report costs a few small queries per indicator, not a
pass over the programme's values.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable

from django.db import transaction
from django.db.models import Q

from steer.assessment.models import Figure
from steer.assessment.rollup import Figure as Fig
from steer.assessment.rollup import across_periods, up_the_tree
from steer.core.bulk import insert_rows
from steer.core.numbering import hold
from steer.programmes.models import Indicator, Programme
from steer.reporting.models import DataValue, FormLine, Submission
from steer.reporting.periods import Period, PeriodType, codes_of_year
from steer.units.models import OrgUnit

COLUMNS = (
    "indicator",
    "unit",
    "period",
    "year",
    "option",
    "value",
    "covered",
    "units",
    "rolled_up",
)
# period code → (year, covered, kind of period, number): parsed once per code
_PERIODS: dict[str, tuple[int, float, str, int]] = {}
_CUTOFF_ENDS: dict[str, dt.date] = {}


def period_facts(code: str) -> tuple[int, float, str, int]:
    facts = _PERIODS.get(code)
    if facts is None:
        period = Period.parse(code)
        facts = (period.year, period.end.month / 12, str(period.type), period.number)
        _PERIODS[code] = facts
    return facts


def cutoff_end(code: str) -> dt.date:
    day = _CUTOFF_ENDS.get(code)
    if day is None:
        day = _CUTOFF_ENDS[code] = Period.parse(code).cutoff_end
    return day


def parent_map() -> dict[int, int | None]:
    return dict(OrgUnit.objects.values_list("pk", "parent_id"))


def weight_first(indicators: Iterable[Indicator]) -> list[Indicator]:
    """Indicators ordered so that one weighting another comes before it."""
    pending = {i.pk: i for i in indicators}
    ordered: list[Indicator] = []
    while pending:
        ready = [
            i
            for i in pending.values()
            if i.weight_indicator_id not in pending or i.weight_indicator_id == i.pk
        ]
        ready = ready or list(pending.values())  # a weighting cycle: the model refuses it anyway
        for indicator in sorted(ready, key=lambda i: (i.order, i.code)):
            ordered.append(indicator)
            del pending[indicator.pk]
    return ordered


def yearly_indicators(indicator_ids: Iterable[int]) -> set[int]:
    """Indicators on a yearly form: their year figures come from that form only."""
    return set(
        FormLine.objects.filter(
            indicator__in=list(indicator_ids), form__period_type=PeriodType.YEAR
        ).values_list("indicator", flat=True)
    )


def lifetimes(units=None) -> dict[int, OrgUnit]:
    """The units (all, or these) that began or ended at some point, by id, with only their days
    of existence (any other unit exists on every day)."""
    rows = OrgUnit.objects.filter(Q(valid_from__isnull=False) | Q(valid_to__isnull=False))
    if units is not None:
        rows = rows.filter(pk__in=units)
    return {unit.pk: unit for unit in rows.only("valid_from", "valid_to")}


def _approved_values(indicator_ids, units: dict[int, OrgUnit], **filters):
    """(indicator, unit, period, option, value) of the approved values, but none of a unit for
    a period it did not exist in (`units`: from `lifetimes`). Entry refuses those
    (`ReportForm.refusal`); one stored before the rule, or written round it, must still not
    add a dissolved district on top of the communes that replaced it."""
    rows = DataValue.objects.filter(
        indicator__in=indicator_ids, submission__state__in=Submission.COUNTED, **filters
    ).values_list("indicator", "unit", "period", "option", "value")
    for row in rows.iterator(chunk_size=20_000):
        unit = units.get(row[1])
        if unit is None or unit.exists_on(cutoff_end(row[2])):
            yield row


# -- one indicator's figures ------------------------------------------------------------------


def _roll_periods(
    indicator: Indicator,
    own: dict[tuple[str, str], dict[int, float]],
    parent_of: dict[int, int | None],
    weights: dict[str, dict[int, float]],
    *,
    fixed: dict[tuple[str, str], dict[int, Fig]] | None = None,
    compute: set[int] | None = None,
) -> dict[tuple[str, str], dict[int, Fig]]:
    """Figures by (period, option) and unit: the own ones and those rolled up from them."""
    result = {}
    keys = set(own) | set(fixed or {})
    for key in keys:
        known = {unit: Fig(float(v), 1, False) for unit, v in own.get(key, {}).items()}
        for unit, figure in (fixed or {}).get(key, {}).items():
            known.setdefault(unit, figure)
        rolled = up_the_tree(
            known,
            parent_of,
            indicator.unit_aggregation,
            compute=compute,
            weights=weights.get(key[0]),
        )
        mine = {u: f for u, f in known.items() if compute is None or u in compute}
        result[key] = {**mine, **rolled}
    return result


def _year_figures(by_period: dict[str, Fig], method: str) -> dict[int, tuple[Fig, float]]:
    """A unit's figures of the periods (sub-year) combined per year: (figure, share covered)."""
    by_year: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for code, figure in by_period.items():
        year, covered, kind, number = period_facts(code)
        if kind != PeriodType.YEAR:
            by_year[year][kind].append((number, covered, figure))
    result = {}
    for year, kinds in by_year.items():
        # the finest kind of period present: twelve months say more than two halves
        rows = max(kinds.values(), key=len)
        value = across_periods([(n, f.value) for n, _c, f in rows], method)
        if value is None:
            continue
        figure = Fig(
            value,
            max(f.units for _n, _c, f in rows),
            any(f.rolled_up for _n, _c, f in rows),
        )
        result[year] = (figure, max(c for _n, c, _f in rows))
    return result


def _rows(indicator: Indicator, periods, with_years: bool) -> list[tuple]:
    """Figure rows from figures by (period, option) and unit, and the year rows if asked."""
    rows = []
    series: dict[tuple[int, str], dict[str, Fig]] = defaultdict(dict)
    for (code, option), figures in periods.items():
        year, covered, _kind, _n = period_facts(code)
        for unit, f in figures.items():
            rows.append(
                (indicator.pk, unit, code, year, option, f.value, covered, f.units, f.rolled_up)
            )
            series[(unit, option)][code] = f
    if with_years:
        for (unit, option), by_period in series.items():
            for year, (f, covered) in _year_figures(
                by_period, indicator.period_aggregation
            ).items():
                rows.append(
                    (
                        indicator.pk,
                        unit,
                        str(year),
                        year,
                        option,
                        f.value,
                        covered,
                        f.units,
                        f.rolled_up,
                    )
                )
    return rows


def _as_weights(rows: Iterable[tuple]) -> dict[str, dict[int, float]]:
    """Weights by period and unit, from Figure rows of the weighting indicator (whole figures)."""
    weights: dict[str, dict[int, float]] = defaultdict(dict)
    for _ind, unit, code, _year, option, value, *_rest in rows:
        if option == "":
            weights[code][unit] = value
    return weights


# -- full rebuild -----------------------------------------------------------------------------


def hold_figures(programme_id: int) -> None:
    """Queue the writers of a programme's figures until the caller's transaction ends. Two
    reports approved at once share the units above them: unqueued, each read the other's
    figures as they were before, and the second one's sums met the first one's rows on
    figure_unique."""
    hold(scope=f"figures:{programme_id}")


@transaction.atomic
def rebuild(programme: Programme, progress: Callable[[int, int], None] | None = None) -> int:
    """Recompute every figure of the programme from its approved values; returns the row count."""
    hold_figures(programme.pk)
    Figure.objects.filter(indicator__programme=programme).delete()
    parent_of, units = parent_map(), lifetimes()
    indicators = weight_first(programme.indicators.all())
    yearly = yearly_indicators(i.pk for i in indicators)
    weighting = {i.weight_indicator_id for i in indicators if i.weight_indicator_id}
    kept_weights: dict[int, dict[str, dict[int, float]]] = {}
    total = 0
    for done, indicator in enumerate(indicators, start=1):
        own: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
        for _ind, unit, code, option, value in _approved_values([indicator.pk], units):
            own[(code, option)][unit] = value
        weight_id = indicator.weight_indicator_id
        weights = kept_weights.get(weight_id, {}) if weight_id is not None else {}
        periods = _roll_periods(indicator, own, parent_of, weights)
        rows = _rows(indicator, periods, with_years=indicator.pk not in yearly)
        insert_rows(Figure, COLUMNS, rows)
        if indicator.pk in weighting:
            kept_weights[indicator.pk] = _as_weights(rows)
        total += len(rows)
        if progress:
            progress(done, len(indicators))
    return total


# -- update after one report ------------------------------------------------------------------


def refresh_report(submission: Submission) -> None:
    """Bring the figures up to date after a report entered or left the approved states."""
    indicator_ids = set(
        FormLine.objects.filter(form=submission.form_id).values_list("indicator", flat=True)
    )
    refresh(indicator_ids, submission.unit_id, submission.period)


def refresh(indicator_ids: set[int], unit_id: int, code: str) -> None:
    """Recompute the figures of one unit and the units above it, for one period and its year."""
    # An indicator weighted by a changed one rolls up differently too.
    indicator_ids = set(indicator_ids) | set(
        Indicator.objects.filter(weight_indicator__in=indicator_ids).values_list("pk", flat=True)
    )
    indicators = weight_first(Indicator.objects.filter(pk__in=indicator_ids))
    parent_of = parent_map()
    chain: list[int] = []
    node: int | None = unit_id
    while node is not None and node not in chain:
        chain.append(node)
        node = parent_of.get(node)
    yearly = yearly_indicators(indicator_ids)
    if not indicators:
        return
    with transaction.atomic():
        hold_figures(indicators[0].programme_id)
        # In layers, each a few queries for all its indicators: an indicator weighted by
        # another of the report comes in a later layer and reads the weights just written.
        done: set[int] = set()
        while len(done) < len(indicators):
            layer = [
                i
                for i in indicators
                if i.pk not in done and (i.weight_indicator_id not in indicator_ids - done)
            ] or [i for i in indicators if i.pk not in done]
            _refresh_layer(layer, chain, code, parent_of, yearly)
            done |= {i.pk for i in layer}


def _refresh_layer(indicators, chain, code, parent_of, yearly) -> None:
    ids = [i.pk for i in indicators]
    chain_set = set(chain)
    # The units directly below the chain, from the tree in memory (a join on the parent would
    # visit every unit's figures of the period).
    below = [unit for unit, parent in parent_of.items() if parent in chain_set]
    beside = [unit for unit in below if unit not in chain_set]
    year, _covered, kind, _n = period_facts(code)
    own: dict[int, dict] = defaultdict(lambda: defaultdict(dict))
    values = _approved_values(ids, lifetimes(chain), unit__in=chain, period=code)
    for indicator_id, unit, c, option, value in values:
        own[indicator_id][(c, option)][unit] = value
    fixed: dict[int, dict] = defaultdict(lambda: defaultdict(dict))
    for indicator_id, unit, option, value, units, rolled in Figure.objects.filter(
        indicator__in=ids, period=code, unit__in=beside
    ).values_list("indicator", "unit", "option", "value", "units", "rolled_up"):
        fixed[indicator_id][(code, option)][unit] = Fig(value, units, rolled)
    weight_rows: dict[int, list] = defaultdict(list)
    weight_ids = {i.weight_indicator_id for i in indicators if i.weight_indicator_id}
    for row in Figure.objects.filter(
        indicator__in=weight_ids, period=code, unit__in=below
    ).values_list(*COLUMNS):
        weight_rows[row[0]].append(row)
    Figure.objects.filter(indicator__in=ids, unit__in=chain, period=code).delete()
    rows = []
    for indicator in indicators:
        weights = _as_weights(weight_rows.get(indicator.weight_indicator_id, ()))
        periods = _roll_periods(
            indicator,
            own[indicator.pk],
            parent_of,
            weights,
            fixed=fixed[indicator.pk],
            compute=chain_set,
        )
        rows += _rows(indicator, periods, with_years=False)
    summed = [i for i in indicators if i.pk not in yearly]
    if kind != PeriodType.YEAR and summed:
        rows += _year_rows_of_chain(summed, chain, year, rows)
    insert_rows(Figure, COLUMNS, rows)


def _year_rows_of_chain(indicators: list[Indicator], chain: list[int], year: int, new_rows):
    """Year rows of the chain's units, from their stored periods of the year and the new rows."""
    ids = [i.pk for i in indicators]
    parts = [code for code in codes_of_year(year) if code != str(year)]
    series: dict[tuple[int, int, str], dict[str, Fig]] = defaultdict(dict)
    for indicator_id, unit, code, option, value, units, rolled in Figure.objects.filter(
        indicator__in=ids, unit__in=chain, period__in=parts
    ).values_list("indicator", "unit", "period", "option", "value", "units", "rolled_up"):
        series[(indicator_id, unit, option)][code] = Fig(value, units, rolled)
    for indicator_id, unit, code, _y, option, value, _c, units, rolled in new_rows:
        if indicator_id in ids:
            series[(indicator_id, unit, option)][code] = Fig(value, units, rolled)
    Figure.objects.filter(indicator__in=ids, unit__in=chain, period=str(year)).delete()
    method = {i.pk: i.period_aggregation for i in indicators}
    rows = []
    for (indicator_id, unit, option), by_period in series.items():
        for y, (f, covered) in _year_figures(by_period, method[indicator_id]).items():
            rows.append(
                (indicator_id, unit, str(y), y, option, f.value, covered, f.units, f.rolled_up)
            )
    return rows
