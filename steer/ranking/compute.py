"""A framework's tables built from the programme's figures (no re-keying), and its run."""

import datetime as dt
import math
from dataclasses import dataclass

from steer.assessment.models import Figure
from steer.assessment.rollup import Link, forward
from steer.composite import CompositeError
from steer.composite.export import options_from_dict
from steer.composite.pipeline import Options, Result, run
from steer.composite.tables import Data, read_data, read_meta
from steer.composite.tables import Framework as Meta
from steer.composite.uncertainty import (
    Assumptions,
    Uncertainty,
    rank_change_is_significant,
    run_uncertainty,
)
from steer.programmes.models import Indicator
from steer.ranking.models import Framework
from steer.units.models import OrgUnit, UnitLineage

GROUP = "LoaiDonVi"  # the unit type, as a group column (for imputation by group)
RUNS = 1000
# What the rank intervals vary, as the methodology annex says: weights ±25 %, min-max or
# z-scores, arithmetic or geometric means (both need positive values: min-max to 1-100 and
# z-scores around 100), outliers treated or not.
ASSUMPTIONS = Assumptions(
    weight_noise=0.25,
    winmax=(None, "none"),
    normalisations=(
        {"f_n": "n_minmax", "l_u": (1.0, 100.0)},
        {"f_n": "n_zscore", "m_sd": (100.0, 10.0)},
    ),
    aggregations=("a_amean", "a_gmean"),
)


@dataclass
class Ranking:
    framework: Framework
    meta: Meta
    data: Data
    result: Result
    units: dict[str, OrgUnit]  # by code
    intervals: Uncertainty


def meta_rows(framework: Framework) -> list[dict[str, str]]:
    rows = [
        {
            "iCode": n.code,
            "iName": n.name,
            "Level": str(n.level),
            "Parent": n.parent,
            "Direction": str(n.direction),
            "Weight": repr(n.weight),
            "Type": n.kind,
        }
        for n in framework.nodes.order_by("level", "order", "code")
    ]
    rows.append({"iCode": GROUP, "iName": "Loại đơn vị", "Type": "Group"})
    return rows


def ranked_units(framework: Framework) -> list[OrgUnit]:
    """The units of the framework's types that existed at the end of its year."""
    end = dt.date(framework.year, 12, 31)
    return list(
        OrgUnit.objects.filter(unit_type__in=framework.unit_types.all())
        .existing_on(end)
        .select_related("unit_type")
        .order_by("code")
    )


def data_rows(framework: Framework, units: list[OrgUnit]) -> list[dict[str, str]]:
    sources = {
        n.indicator_id: n.code
        for n in framework.nodes.filter(kind="Indicator")
        if n.indicator_id is not None  # always, by a constraint
    }
    values = {
        (indicator, unit): value
        for indicator, unit, value in Figure.objects.filter(
            indicator__in=list(sources),
            unit__in=[u.pk for u in units],
            period=str(framework.year),
            option="",
        ).values_list("indicator", "unit", "value")
    }
    rows = []
    for unit in units:
        row = {"uCode": unit.code, "uName": unit.name, GROUP: unit.unit_type.code}
        for indicator, code in sources.items():
            value = values.get((indicator, unit.pk))
            row[code] = "" if value is None or math.isnan(value) else repr(float(value))
        rows.append(row)
    return rows


def compute(framework: Framework, options: Options | None = None) -> Ranking:
    """Run the framework on its year's figures; CompositeError if it cannot be computed."""
    units = ranked_units(framework)
    if len(units) < 3:
        raise CompositeError(
            f"{framework}: {len(units)} unit(s) to rank; a ranking needs at least 3."
        )
    meta = read_meta(meta_rows(framework))
    data = read_data(data_rows(framework, units), meta)
    options = options or options_from_dict(framework.options)
    result = run(data, meta, options)
    intervals = run_uncertainty(data, meta, options, ASSUMPTIONS, runs=RUNS, seed=framework.year)
    return Ranking(framework, meta, data, result, {u.code: u for u in units}, intervals)


@dataclass
class Previous:
    """Last year's ranking as this year's units are compared with it."""

    ranking: Ranking | None
    scores: dict[str, float]  # by this year's unit code
    ranks: dict[str, int]
    significant: dict[str, bool]


def previous_scores(framework: Framework, now: Ranking) -> Previous:
    """Last year's score and rank of each of this year's units: its own, or for a unit formed
    by a merger the unweighted mean of its predecessors' scores (as the national DTI did in
    2025), ranked among last year's units."""
    last_framework = framework.previous()
    if last_framework is None:
        return Previous(None, {}, {}, {})
    try:
        last = compute(last_framework)
    except CompositeError:
        return Previous(None, {}, {}, {})
    result = last.result
    scores = dict(zip(result.aggregated.units, result.scores().tolist(), strict=True))
    ranks = dict(zip(result.aggregated.units, result.ranks().tolist(), strict=True))
    out_scores, out_ranks, significant = {}, {}, {}
    now_ranks = dict(zip(now.result.aggregated.units, now.result.ranks().tolist(), strict=True))
    for code, unit in now.units.items():
        if code in scores and not math.isnan(scores[code]):
            out_scores[code], out_ranks[code] = scores[code], int(ranks[code])
            significant[code] = bool(
                rank_change_is_significant(
                    ranks[code],
                    now_ranks[code],
                    last.intervals.interval(code),
                    now.intervals.interval(code),
                )
            )
            continue
        links = list(UnitLineage.objects.filter(successor=unit).select_related("predecessor"))
        if framework.merged_units == Framework.Merged.REAGGREGATE:
            merged = _reaggregated(last, unit, links)
        else:
            found = [
                scores[link.predecessor.code]
                for link in links
                if not math.isnan(scores.get(link.predecessor.code, math.nan))
            ]
            merged = sum(found) / len(found) if found else None
        if merged is not None:
            out_scores[code] = merged
            others = [
                v for u, v in scores.items() if u not in {lk.predecessor.code for lk in links}
            ]
            out_ranks[code] = 1 + sum(1 for v in others if v > merged)
            significant[code] = False
    return Previous(last, out_scores, out_ranks, significant)


def _reaggregated(last: Ranking, unit: OrgUnit, links) -> float | None:
    """The score a merged unit would have had last year: its predecessors' figures combined
    (counts added by the recorded shares, rates averaged with the shares as weights), ranked in
    last year's framework in their place."""
    codes = {link.predecessor.code for link in links}
    if not codes & set(last.data.units):
        return None
    carried = [
        Link(link.predecessor_id, unit.pk, UnitLineage.fraction_of(link.share, link.whole))
        for link in links
    ]
    by_pk = {u.pk: c for c, u in last.units.items()}
    nodes = {
        n.code: n for n in last.framework.nodes.filter(kind="Indicator").select_related("indicator")
    }
    row = {"uCode": unit.code, "uName": unit.name, GROUP: unit.unit_type.code}
    for code in last.meta.indicators:
        column = last.data.columns[code]
        values = {
            pk: float(column[last.data.units.index(c)])
            for pk, c in by_pk.items()
            if c in codes and not math.isnan(column[last.data.units.index(c)])
        }
        indicator = nodes[code].indicator
        assert indicator is not None  # an indicator node names its source (a constraint)
        additive = indicator.unit_aggregation == Indicator.UnitAggregation.SUM
        value = forward(values, carried, additive).get(unit.pk)
        row[code] = "" if value is None else repr(value)
    kept = [u for c, u in last.units.items() if c not in codes]
    rows = [r for r in data_rows(last.framework, kept)] + [row]
    data = read_data(rows, last.meta)
    result = run(data, last.meta, last.result.options)
    return float(result.scores()[data.units.index(unit.code)])
