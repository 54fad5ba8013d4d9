"""What the ranking pages show: a framework the user may see, its ranking, the results page
(ranks with their intervals, the outliers treated, the indicators' audit, the sensitivity) and
a unit's profile."""

import math
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from steer.composite import CompositeError
from steer.composite.audit import IndicatorStat, cronbach_by_group, indicator_stats
from steer.composite.explain import (
    Change,
    Profile,
    WhatIf,
    change_decomposition,
    strengths_weaknesses,
    what_if,
)
from steer.composite.tables import Framework as Meta
from steer.composite.uncertainty import run_sensitivity
from steer.core.tables import Column, Table
from steer.programmes.models import Programme
from steer.programmes.selectors import viewable_programme
from steer.ranking import charts
from steer.ranking.compute import ASSUMPTIONS, Ranking, compute, previous_scores
from steer.ranking.models import Framework
from steer.units.models import OrgUnit

SENSITIVITY_N = 200  # N(d + 2) runs: 1,200 for the four assumptions varied


def viewable_framework(request: HttpRequest, slug: str, code: str, year: int) -> Framework:
    """The framework of the page, or 404; PermissionDenied if the user may not see its
    programme."""
    programme = viewable_programme(request, slug)
    return get_object_or_404(
        Framework.objects.select_related("programme", "frozen_by"),
        programme=programme,
        code=code,
        year=year,
    )


def frameworks_by_code(programme: Programme) -> list[list[Framework]]:
    """The programme's frameworks, each code's years together, the latest first."""
    groups: dict[str, list[Framework]] = {}
    for f in Framework.objects.filter(programme=programme).order_by("code", "-year"):
        groups.setdefault(f.code, []).append(f)
    return list(groups.values())


def ranking_or_error(framework: Framework) -> tuple[Ranking, None] | tuple[None, str]:
    """The framework's ranking, or why it cannot be computed."""
    try:
        return compute(framework), None
    except CompositeError as error:
        return None, str(error)


def rounded(x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 2)


@dataclass(frozen=True)
class RankingPage:
    programme: Programme
    framework: Framework
    tables: dict[str, Table]
    spec: dict[str, Any]  # the rank intervals' chart
    alphas: dict[str, float]  # Cronbach's alpha by group name
    previous: Framework | None
    units: int
    replications: int


def ranking_page(*, framework: Framework, ranking: Ranking) -> RankingPage:
    """A year's results: each unit's rank with its interval and last year's rank, and the
    method's audit."""
    result = ranking.result
    meta = result.framework
    results = _results_table(framework, ranking)
    spec = charts.rank_intervals(
        [
            {"unit": r["unit"], "rank": r["rank"], "low": r["low"], "high": r["high"]}
            for r in results.rows
        ],
        title=_("Rank and its 5-95 %% interval under other reasonable choices of method").replace(
            "%%", "%"
        ),
        texts={"rank": _("Rank"), "low": _("from"), "high": _("to")},
    )
    return RankingPage(
        programme=framework.programme,
        framework=framework,
        tables={
            "results": results,
            "treatment": _treatment_table(ranking),
            "audit": _audit_table(ranking),
            "sensitivity": _sensitivity_table(framework, ranking),
        },
        spec=spec,
        alphas={
            meta.nodes[c].name: round(a, 2)
            for c, a in cronbach_by_group(result).items()
            if a is not None and not math.isnan(a)
        },
        previous=framework.previous(),
        units=len(result.aggregated.units),
        replications=ranking.intervals.runs,
    )


def _pillars(meta: Meta) -> list[str]:
    """The codes of the level below the index, shown beside its score (none with two levels)."""
    return meta.level(meta.top_level - 1) if meta.top_level > 2 else []


def _results_table(framework: Framework, ranking: Ranking) -> Table:
    result = ranking.result
    agg = result.aggregated
    meta = result.framework
    pillars = _pillars(meta)
    scores, ranks = result.scores(), result.ranks()
    intervals = ranking.intervals
    last = previous_scores(framework, ranking)
    rows = []
    for i, unit in enumerate(agg.units):
        row = {
            "rank": int(ranks[i]),
            "unit": ranking.units[unit].name,
            "url": f"{framework.get_absolute_url()}{unit}/",
            "score": rounded(scores[i]),
            "low": int(intervals.q05_rank[i]),
            "high": int(intervals.q95_rank[i]),
            "interval": f"{int(intervals.q05_rank[i])}–{int(intervals.q95_rank[i])}",
            "last_rank": last.ranks.get(unit),
            "change": (last.ranks[unit] - int(ranks[i])) if unit in last.ranks else None,
            "significant": _("yes") if last.significant.get(unit) else "",
        }
        row |= {p: rounded(agg.column(p)[i]) for p in pillars}
        rows.append(row)
    rows.sort(key=lambda r: (r["rank"], r["unit"]))
    columns = [
        Column("rank", _("Rank"), "integer"),
        Column("unit", _("Unit"), link="url"),
        Column("score", _("Score"), "number"),
        Column("interval", _("Rank interval")),
        Column("low", _("Rank interval from"), "integer", on_page=False),
        Column("high", _("Rank interval to"), "integer", on_page=False),
        *[Column(p, meta.nodes[p].name, "number") for p in pillars],
        Column("last_rank", _("Rank %(year)s") % {"year": framework.year - 1}, "integer"),
        Column("change", _("Places gained"), "integer"),
        Column("significant", _("Beyond the method's noise")),
    ]
    return Table("results", str(framework), columns, rows)


def _treatment_table(ranking: Ranking) -> Table:
    meta = ranking.result.framework
    treated = [t for t in ranking.result.treatments if t.action != "none"]
    return Table(
        "treatment",
        _("Outliers treated"),
        [
            Column("code", _("Indicator")),
            Column("action", _("Treatment")),
            Column("points", _("Values changed"), "integer"),
            Column("units", _("Units")),
        ],
        [
            {
                "code": f"{t.code}. {meta.nodes[t.code].name}",
                "action": _("winsorised") if t.action == "winsorised" else _("log-transformed"),
                "points": t.points,
                "units": ", ".join(ranking.units[u].name for u in t.replaced),
            }
            for t in treated
        ],
    )


def _audit_table(ranking: Ranking) -> Table:
    result = ranking.result
    stats = indicator_stats(
        result.stages.get("Treated", result.stages["Normalised"]), result.framework
    )
    return Table(
        "audit",
        _("Indicators: statistics and flags"),
        [
            Column("code", _("Code")),
            Column("name", _("Indicator")),
            Column("available", _("Units with a value"), "integer"),
            Column("skew", _("Skewness"), "number"),
            Column("kurt", _("Kurtosis"), "number"),
            Column("flags", _("Flags")),
        ],
        [
            {
                "code": s.code,
                "name": s.name,
                "available": s.n_avail,
                "skew": rounded(s.skew),
                "kurt": rounded(s.kurt),
                "flags": ", ".join(
                    f"{k}: {v}" for k, v in _flags(s).items() if v not in ("ok", "")
                ),
            }
            for s in stats
        ],
    )


def _flags(stat: IndicatorStat) -> dict[str, str]:
    return {
        _("availability"): stat.flag_avail,
        _("zeros"): stat.flag_nonzero,
        _("repeated values"): stat.flag_unique,
        _("outliers"): stat.flag_skew_kurt,
    }


def _sensitivity_table(framework: Framework, ranking: Ranking) -> Table:
    result = ranking.result
    sensitivity = run_sensitivity(
        ranking.data,
        result.framework,
        result.options,
        ASSUMPTIONS,
        n=SENSITIVITY_N,
        seed=framework.year,
    )
    labels = {
        "weights": _("Weights (±25 %)"),
        "treatment": _("Outlier treatment"),
        "normalisation": _("Normalisation"),
        "aggregation": _("Aggregation"),
    }
    return Table(
        "sensitivity",
        _("What moves the ranks: sensitivity indices"),
        [
            Column("name", _("Assumption")),
            Column("si", _("First-order index"), "number"),
            Column("sti", _("Total index"), "number"),
        ],
        [
            {
                "name": str(labels.get(n, n)),
                "si": rounded(max(si, 0.0)),
                "sti": rounded(max(st, 0.0)),
            }
            for n, si, st in zip(sensitivity.names, sensitivity.si, sensitivity.sti, strict=True)
        ],
    )


@dataclass(frozen=True)
class UnitPage:
    programme: Programme
    framework: Framework
    unit: OrgUnit
    profile: Profile  # strengths and weaknesses
    rank: int
    score: float
    interval: tuple[int, int]  # the 5-95 % rank interval
    change: Change | None  # why the rank changed since last year
    change_note: str  # why there is no such explanation
    previous: Framework | None
    names: dict[str, str]  # the framework's names by code
    target: int | None  # the rank asked for
    plan: WhatIf | None  # what it would take to reach it
    plan_error: str
    units: int


def unit_page(
    *, framework: Framework, ranking: Ranking, unit_code: str, target: int | None, target_error: str
) -> UnitPage:
    """A unit's profile in the ranking: its rank, why it changed and, for the rank asked for
    (`target`; `target_error` when the rank given is not one), what it would take."""
    result = ranking.result
    unit = ranking.units[unit_code]
    i = result.aggregated.units.index(unit_code)
    previous = framework.previous()
    change, change_note = _change(framework, ranking, unit, previous)
    plan, plan_error = None, target_error
    if target is not None:
        try:
            plan = what_if(result, unit_code, target, data=ranking.data)
        except CompositeError as e:
            plan_error = str(e)
    return UnitPage(
        programme=framework.programme,
        framework=framework,
        unit=unit,
        profile=strengths_weaknesses(result, unit_code),
        rank=int(result.ranks()[i]),
        score=result.scores()[i],
        interval=(int(ranking.intervals.q05_rank[i]), int(ranking.intervals.q95_rank[i])),
        change=change,
        change_note=change_note,
        previous=previous,
        names={c: n.name for c, n in result.framework.nodes.items()},
        target=target,
        plan=plan,
        plan_error=plan_error,
        units=len(result.aggregated.units),
    )


def _change(
    framework: Framework, ranking: Ranking, unit: OrgUnit, previous: Framework | None
) -> tuple[Change | None, str]:
    """Why the unit's rank changed since last year, or a note saying why that is not known."""
    if previous is None:
        return None, ""
    last = previous_scores(framework, ranking)
    if last.ranking is not None and unit.code in last.ranking.result.aggregated.units:
        try:
            return change_decomposition(last.ranking.result, ranking.result, unit.code), ""
        except CompositeError as e:
            return None, str(e)
    if unit.code in last.ranks:
        return None, _(
            "%(unit)s did not exist in %(year)s: it is compared with the unweighted mean "
            "of its predecessors' scores, %(score)s."
        ) % {"unit": unit.name, "year": previous.year, "score": rounded(last.scores[unit.code])}
    return None, ""
