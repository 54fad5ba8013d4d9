"""Explanations of a unit's place in a composite index that COINr does not give:

- `change_decomposition`: why a unit's score and rank changed between two runs (last year, this
  year), split exactly into the method's change, the goalposts' move (the other units) and the
  unit's own data, with each indicator's share;
- `strengths_weaknesses`: the unit's best and worst indicators (by its rank among the units),
  overall and per pillar;
- `what_if`: how much the unit would have to improve, indicator by indicator or in the
  cheapest combination, to reach a better rank.

The engine's re-computations here start from the values that enter normalisation (the stage
before "Normalised": denominated, imputed, screened and treated as each run did) and repeat the
pipeline's normalisation and aggregation with the same formulas (`pipeline.aggregate_level`).
"""

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from typing import NamedTuple

import numpy as np

from steer.composite import CompositeError
from steer.composite.arrays import Floats
from steer.composite.pipeline import (
    Options,
    Result,
    Stage,
    aggregate_level,
    goalposts,
    meta_weights,
    normalise_with,
)
from steer.composite.stats import min_ranks
from steer.composite.tables import Data, Framework

# Normalisations whose result for a unit depends on the other units only through a few numbers
# (the "goalposts"): min and max, mean and sd, …
PARAMETRIC = ("n_minmax", "n_zscore", "n_goalposts", "n_dist2targ", "n_dist2max", "n_fracmax")
# Options of the steps before normalisation: in a change decomposition they are part of the data.
PREPARATION = (
    "denominate",
    "f_i",
    "use_group",
    "dat_thresh",
    "nonzero_thresh",
    "unit_screen",
    "treat",
    "winmax",
    "skew_thresh",
    "kurt_thresh",
)


# -- the engine's normalisation and aggregation, with goalposts held apart ---------------------


@dataclass(frozen=True)
class _Method:
    framework: Framework
    options: Options
    weights: dict[str, float]
    given_weights: dict[str, float]  # as the pipeline aggregates: pipeline.meta_weights

    @classmethod
    def of(cls, result: Result) -> "_Method":
        given = meta_weights(result.framework, result.options.weights)
        return cls(result.framework, result.options, result.weights, given)

    @property
    def index(self) -> str:
        return self.framework.level(self.framework.top_level)[0]


def _prepared(result: Result) -> Stage:
    """The stage that entered normalisation."""
    names = list(result.stages)
    return result.stages[names[names.index("Normalised") - 1]]


def _require_parametric(result: Result, what: str) -> None:
    if result.options.f_n not in PARAMETRIC:
        raise CompositeError(
            f"{what}: the normalisation {result.options.f_n} ranks the units; it has no "
            f"goalposts to hold fixed (use one of {', '.join(PARAMETRIC)})."
        )


def _goalposts(x: Floats, codes: list[str], method: _Method) -> list[tuple[float, ...]]:
    return goalposts(x, method.framework, codes, method.options)


def _normalise(
    x: Floats, codes: list[str], posts: list[tuple[float, ...]], method: _Method
) -> Floats:
    return normalise_with(x, method.framework, codes, posts, method.options)


def _aggregate(
    norm: Floats, codes: list[str], method: _Method, units: list[str] | None = None
) -> dict[str, Floats]:
    """Normalised indicators (units × codes) → every node's column, as pipeline.run does."""
    norm = np.atleast_2d(norm)
    units = units or [f"row {i + 1}" for i in range(norm.shape[0])]
    framework, options = method.framework, method.options
    columns = dict(zip(codes, norm.T, strict=True))
    for level in range(2, framework.top_level + 1):
        for parent in framework.level(level):
            kids = framework.children(parent)
            block = np.column_stack([columns[k] for k in kids])
            w = np.array([method.given_weights[k] for k in kids])
            columns[parent] = aggregate_level(block, w, options.f_ag, options.p, (units, kids))
    return columns


def _score(row: Floats, codes: list[str], method: _Method, unit: str = "unit") -> float:
    return float(_aggregate(row, codes, method, [unit])[method.index][0])


def _effective(row: Floats, codes: list[str], method: _Method) -> dict[str, float]:
    """Each indicator's weight in the index for a unit with this normalised row, under the
    arithmetic mean: the product of the rescaled weights down the tree, each re-scaled over
    the unit's present siblings (as a_amean re-weights). Missing indicators weigh 0. Under
    another mean, the weights of the arithmetic mean with the same tree."""
    framework = method.framework
    columns = _aggregate(row, codes, method)
    eff = {method.index: 1.0}
    for level in range(framework.top_level, 1, -1):
        for parent in framework.level(level):
            weight = eff.get(parent, 0.0)
            kids = framework.children(parent)
            present = [k for k in kids if not np.isnan(columns[k][0])]
            total = sum(method.weights[k] for k in present)
            for k in kids:
                eff[k] = weight * method.weights[k] / total if k in present and total else 0.0
    return {c: eff[c] for c in codes}


def effective_weights(result: Result, unit: str | None = None) -> dict[str, float]:
    """Each indicator's weight in the index: the product of the weights rescaled within each
    parent down the tree. For a unit, re-scaled over its present values as the arithmetic mean
    re-weights (its missing indicators weigh 0): the index then moves by exactly this weight
    per point of the normalised indicator."""
    method, codes = _Method.of(result), result.framework.indicators
    norm = result.stages["Normalised"]
    if unit is None:
        row = np.zeros(len(codes))
    else:
        row = norm.values[_unit_row(result, unit, "effective_weights")]
        row = row[[norm.codes.index(c) for c in codes]]
    return _effective(row, codes, method)


def _unit_row(result: Result, unit: str, what: str) -> int:
    units = result.aggregated.units
    if unit not in units:
        raise CompositeError(f"{what}: the unit {unit} is not in the results (screened out?).")
    return units.index(unit)


# -- change decomposition ---------------------------------------------------------------------


@dataclass
class Contribution:
    code: str
    name: str
    weight: float  # effective weight in the index (this year's method)
    before: float  # normalised value at the start of the step
    after: float  # normalised value at the end of the step
    contribution: float  # index points

    @property
    def delta(self) -> float:
        return self.after - self.before


@dataclass
class Change:
    unit: str
    score_last: float
    score_now: float
    method_effect: float  # last year's data and goalposts, this year's method − last year's
    goalposts_effect: float  # this year's data and method, this year's goalposts − last year's
    own_data_effect: float  # this year's method and last year's goalposts, the unit's data
    own_data: list[Contribution]  # by indicator, largest first; sum = own_data_effect
    goalposts: list[Contribution]  # by indicator, largest first; sum = goalposts_effect
    exact_contributions: bool  # False: the split among indicators is an approximation
    rank_last: int
    rank_now: int
    units_last: int
    units_now: int
    method_changes: list[str] = field(default_factory=list)  # measured by method_effect
    preparation_changes: list[str] = field(default_factory=list)  # inside the data effects

    @property
    def total(self) -> float:
        return self.score_now - self.score_last

    @property
    def places_gained(self) -> int:
        return self.rank_last - self.rank_now


def change_decomposition(result_last: Result, result_now: Result, unit: str) -> Change:
    """Why the unit's index score and rank changed from `result_last` to `result_now`.

    A chain (sequential) decomposition, with d the prepared data (the values entering
    normalisation), g the goalposts (min and max for min-max: computed from all the units of
    a year, under a method) and m the method (tree, directions, weights, normalisation and
    aggregation options):

        S(d_now, g_now, m_now) − S(d_last, g_last, m_last)
          = [S(d_last, g(last, m_now), m_now) − S(d_last, g_last, m_last)]   method effect
          + [S(d_now, g(last, m_now), m_now) − S(d_last, g(last, m_now), m_now)]   own data
          + [S(d_now, g_now, m_now) − S(d_now, g(last, m_now), m_now)]   goalposts effect

    The three sum to the change by construction (a telescoping sum), whatever the
    aggregation. The unit's own data are held with last year's goalposts, so a value outside
    last year's range is normalised outside [l, u] (no clipping, except n_goalposts).

    Per indicator: with the arithmetic mean, and the unit missing the same indicators in both
    years, the index is linear in each normalised value with fixed effective weights, so each
    indicator contributes exactly (effective weight) × (Δ normalised value) to the own-data and
    to the goalposts effect (`exact_contributions`). Otherwise (other means, or a value that
    appears or disappears) each indicator's share is the average of its increments when the
    indicators are changed one at a time in the framework's order and in the reverse order:
    the shares still sum exactly to the effect, but the split depends on the path (an
    approximation).

    What counts as "data": the prepared values as each run made them. If the data-preparation
    options changed (imputation, screening, treatment, denominators: `preparation_changes`),
    their effect lands in the own-data and goalposts effects, not in the method effect
    (`method_changes` lists what the method effect measures); an imputed or winsorised value
    of the unit moved by other units counts as the unit's own data. Both runs need the same
    indicators and a parametric normalisation (not a rank one).
    """
    what = "change_decomposition"
    i_last, i_now = _unit_row(result_last, unit, what), _unit_row(result_now, unit, what)
    codes = _same_indicators(result_last, result_now, what)
    _require_parametric(result_last, what)
    _require_parametric(result_now, what)
    m_now = _Method.of(result_now)
    rows = _chain_rows(result_last, result_now, unit, codes)
    score_last = float(result_last.scores()[i_last])
    score_now = float(result_now.scores()[i_now])
    for label, score in (("last", score_last), ("now", score_now)):
        if math.isnan(score):
            raise CompositeError(f"{what}: {unit} has no index score in the {label} run.")
    s_b, s_c = _chain_scores(
        rows, codes, _Method.of(result_last), m_now, unit, (score_last, score_now)
    )
    exact = m_now.options.f_ag == "a_amean" and np.array_equal(np.isnan(rows.b), np.isnan(rows.c))
    ranks_last, ranks_now = result_last.ranks(), result_now.ranks()
    return Change(
        unit=unit,
        score_last=score_last,
        score_now=score_now,
        method_effect=s_b - score_last,
        goalposts_effect=score_now - s_c,
        own_data_effect=s_c - s_b,
        own_data=_attribute(rows.b, rows.c, codes, m_now, exact),
        goalposts=_attribute(rows.c, rows.d, codes, m_now, exact),
        exact_contributions=exact,
        rank_last=int(ranks_last[i_last]),
        rank_now=int(ranks_now[i_now]),
        units_last=int((~np.isnan(ranks_last)).sum()),
        units_now=int((~np.isnan(ranks_now)).sum()),
        method_changes=_method_changes(result_last, result_now),
        preparation_changes=_option_changes(result_last, result_now, PREPARATION),
    )


def _same_indicators(result_last: Result, result_now: Result, what: str) -> list[str]:
    """This year's indicators, refused unless last year had the same."""
    codes = result_now.framework.indicators
    if set(codes) != set(result_last.framework.indicators):
        only_now = sorted(set(codes) - set(result_last.framework.indicators))
        only_last = sorted(set(result_last.framework.indicators) - set(codes))
        raise CompositeError(
            f"{what}: both runs need the same indicators (only this year: "
            f"{', '.join(only_now) or '-'}; only last year: {', '.join(only_last) or '-'})."
        )
    return codes


class _ChainRows(NamedTuple):
    """The unit's normalised row at each step of the chain (see change_decomposition)."""

    a: Floats  # last year's data and goalposts, last year's method
    b: Floats  # last year's data and goalposts, this year's method
    c: Floats  # this year's data, last year's goalposts, this year's method
    d: Floats  # this year's data and goalposts, this year's method


def _chain_rows(result_last: Result, result_now: Result, unit: str, codes: list[str]) -> _ChainRows:
    m_last, m_now = _Method.of(result_last), _Method.of(result_now)
    p_last, p_now = _prepared(result_last), _prepared(result_now)
    x_last = p_last.values[:, [p_last.codes.index(c) for c in codes]]
    x_now = p_now.values[:, [p_now.codes.index(c) for c in codes]]
    g_last_last = _goalposts(x_last, codes, m_last)
    g_last_now = _goalposts(x_last, codes, m_now)
    g_now = _goalposts(x_now, codes, m_now)
    xl, xn = x_last[p_last.units.index(unit)], x_now[p_now.units.index(unit)]
    return _ChainRows(
        a=_normalise(xl, codes, g_last_last, m_last)[0],
        b=_normalise(xl, codes, g_last_now, m_now)[0],
        c=_normalise(xn, codes, g_last_now, m_now)[0],
        d=_normalise(xn, codes, g_now, m_now)[0],
    )


def _chain_scores(
    rows: _ChainRows,
    codes: list[str],
    m_last: _Method,
    m_now: _Method,
    unit: str,
    stored: tuple[float, float],
) -> tuple[float, float]:
    """The index scores at the two middle steps of the chain (b and c), once the two ends are
    checked against the runs' own scores (`stored`: last year's and this year's)."""
    what = "change_decomposition"
    try:
        s_a = _score(rows.a, codes, m_last, unit)
        s_b = _score(rows.b, codes, m_now, unit)
        s_c = _score(rows.c, codes, m_now, unit)
        s_d = _score(rows.d, codes, m_now, unit)
    except CompositeError as e:
        raise CompositeError(
            f"{what}: {unit}'s values with last year's goalposts cannot be aggregated: {e}"
        ) from None
    for label, mine, score in (("last", s_a, stored[0]), ("now", s_d, stored[1])):
        if not abs(mine - score) <= 1e-9 * max(1.0, abs(score)):
            raise CompositeError(
                f"{what}: {unit}'s {label} score ({score!r}) cannot be recomputed from the "
                f"run's stages ({mine!r}); was the Result changed after the run?"
            )
    return s_b, s_c


def _attribute(
    start: Floats, end: Floats, codes: list[str], method: _Method, exact: bool
) -> list[Contribution]:
    """Each indicator's share of S(end) − S(start) (see change_decomposition)."""
    weights = _effective(end, codes, method)
    at_start = _effective(start, codes, method)
    weights = {c: at_start[c] if np.isnan(end[j]) else weights[c] for j, c in enumerate(codes)}
    if exact:
        with np.errstate(invalid="ignore"):
            delta = np.where(np.isnan(start) & np.isnan(end), 0.0, end - start)
        parts = np.array([weights[c] for c in codes]) * delta
    else:
        parts = np.zeros(len(codes))
        for order in (range(len(codes)), range(len(codes) - 1, -1, -1)):
            row, previous = start.copy(), _score(start, codes, method)
            for j in order:
                if _same(start[j], end[j]):
                    continue
                row[j] = end[j]
                now = _score(row, codes, method)
                parts[j] += (now - previous) / 2
                previous = now
    nodes = method.framework.nodes
    out = [
        Contribution(c, nodes[c].name, weights[c], float(start[j]), float(end[j]), float(parts[j]))
        for j, c in enumerate(codes)
    ]
    return sorted(out, key=lambda c: -abs(c.contribution))


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def _option_changes(last: Result, now: Result, names: Iterable[str]) -> list[str]:
    pairs = ((n, getattr(last.options, n), getattr(now.options, n)) for n in names)
    return [f"{n}: {a!r} → {b!r}" for n, a, b in pairs if a != b]


def _method_changes(last: Result, now: Result) -> list[str]:
    names = [f.name for f in fields(now.options) if f.name not in ("weights", *PREPARATION)]
    out = _option_changes(last, now, names)
    for code in now.weights:
        a, b = last.weights.get(code), now.weights[code]
        if a is None or not math.isclose(a, b, rel_tol=1e-12):
            out.append(f"weight of {code}: {'-' if a is None else f'{a:.4g}'} → {b:.4g}")
    for code in now.framework.indicators:
        old, new = last.framework.nodes[code], now.framework.nodes[code]
        if old.direction != new.direction:
            out.append(f"direction of {code}: {old.direction} → {new.direction}")
        if old.parent != new.parent:
            out.append(f"parent of {code}: {old.parent} → {new.parent}")
    return out


# -- strengths and weaknesses -----------------------------------------------------------------


@dataclass
class Standing:
    code: str
    name: str
    rank: int  # among the units with a value, 1 = best, ties share the lowest rank
    of: int  # units with a value
    value: float  # normalised
    weight: float  # effective weight in the index (nominal: product down the tree)


@dataclass
class PillarStanding:
    code: str
    name: str
    level: int
    rank: int | None  # on the aggregate's score
    of: int
    score: float
    strengths: list[Standing]
    weaknesses: list[Standing]


@dataclass
class Profile:
    unit: str
    rank: int | None
    of: int
    score: float
    strengths: list[Standing]
    weaknesses: list[Standing]
    missing: list[str]  # indicators the unit has no value for
    pillars: list[PillarStanding]


def strengths_weaknesses(result: Result, unit: str, k: int = 3) -> Profile:
    """The unit's best and worst indicators: its rank among the units on each normalised
    indicator (higher is better after the direction; ties share the lowest rank), the best k
    and the worst k, with each indicator's effective weight in the index. Equal ranks are
    ordered by the larger weight first (the one that matters more), then the framework's order.
    With fewer than 2k indicators the list is split, the better half being strengths, so that
    no indicator is both. The same per aggregate below the index (pillars, sub-pillars), over
    the indicators under it, with the unit's rank on the aggregate's score."""
    what = "strengths_weaknesses"
    if k < 1:
        raise CompositeError(f"{what}: k must be at least 1.")
    i = _unit_row(result, unit, what)
    framework, norm = result.framework, result.stages["Normalised"]
    weights = effective_weights(result)
    standings, missing = {}, []
    for code in framework.indicators:
        column = norm.column(code)
        if np.isnan(column[i]):
            missing.append(code)
            continue
        standings[code] = Standing(
            code,
            framework.nodes[code].name,
            int(min_ranks(column)[i]),
            int((~np.isnan(column)).sum()),
            float(column[i]),
            weights[code],
        )

    def split(codes: list[str]) -> tuple[list[Standing], list[Standing]]:
        rows = [standings[c] for c in codes if c in standings]
        n_best = min(k, (len(rows) + 1) // 2)
        best = sorted(rows, key=lambda s: (s.rank, -s.weight))[:n_best]
        rest = [s for s in rows if s not in best]
        worst = sorted(rest, key=lambda s: (-s.rank, -s.weight))[: min(k, len(rest))]
        return best, worst

    agg = result.aggregated
    pillars = []
    for level in range(2, framework.top_level):
        for code in framework.level(level):
            column = agg.column(code)
            ranks = min_ranks(column)
            good, bad = split(_indicators_under(framework, code))
            pillars.append(
                PillarStanding(
                    code,
                    framework.nodes[code].name,
                    level,
                    None if np.isnan(ranks[i]) else int(ranks[i]),
                    int((~np.isnan(column)).sum()),
                    float(column[i]),
                    good,
                    bad,
                )
            )
    good, bad = split(framework.indicators)
    index_ranks, scores = result.ranks(), result.scores()
    return Profile(
        unit=unit,
        rank=None if np.isnan(index_ranks[i]) else int(index_ranks[i]),
        of=int((~np.isnan(scores)).sum()),
        score=float(scores[i]),
        strengths=good,
        weaknesses=bad,
        missing=missing,
        pillars=pillars,
    )


def _indicators_under(framework: Framework, code: str) -> list[str]:
    out = []
    for kid in framework.children(code):
        if framework.nodes[kid].type == "Indicator":
            out.append(kid)
        else:
            out.extend(_indicators_under(framework, kid))
    return out


# -- what if ----------------------------------------------------------------------------------


@dataclass
class Move:
    code: str
    name: str
    weight: float  # the index points one normalised point of this indicator is worth
    current: float  # raw value (NaN: missing)
    needed: float | None  # raw value to reach (None: not feasible, or not convertible)
    current_prepared: float  # the value that entered normalisation
    needed_prepared: float | None
    normalised_now: float
    normalised_needed: float | None
    relative_effort: float | None  # |Δ| as a share of the observed range (× cost)
    feasible: bool
    rank_after: int | None  # re-normalised and re-aggregated with this value
    notes: list[str] = field(default_factory=list)

    @property
    def change(self) -> float | None:
        if self.needed is None or math.isnan(self.current):
            return None
        return self.needed - self.current


@dataclass
class WhatIf:
    unit: str
    rank: int
    target_rank: int
    score: float
    target_score: float  # the score to reach (the rival's, plus a tiny margin)
    gap: float  # target_score − score
    single: list[Move]  # one indicator at a time: feasible first, least effort first
    combination: list[Move]  # the cheapest combination (greedy), in the order taken
    combination_feasible: bool
    combination_rank: int | None  # re-normalised and re-aggregated with the combination


def what_if(
    result: Result,
    unit: str,
    target_rank: int,
    *,
    codes: list[str] | None = None,
    costs: dict[str, float] | None = None,
    data: Data | None = None,
    margin: float = 1e-9,
) -> WhatIf:
    """The smallest improvements that would lift the unit to `target_rank` (min-max
    normalisation and the arithmetic mean only: the index is then linear in each normalised
    indicator).

    The score to reach: the target_rank-th highest score among the OTHER units, plus a margin
    of `margin` × (u − l) (1e-7 points on 0–100), so that at most target_rank − 1 units stay
    strictly above. The gap Δ = that − the unit's score.

    One indicator at a time (`single`, exact): the index moves by w per normalised point,
    w the indicator's effective weight for this unit, so the normalised value needed is
    (current + Δ / w), turned back through min-max (the current min and max), the direction,
    the treatment (the log, if the indicator was log-transformed) and the denominator into a
    raw value. Not feasible when even the best observed value does not suffice: beyond the
    current max the goalposts move (the unit becomes the max, scoring u on it, and every other
    unit's normalised value on it shrinks), which this does not follow. When the unit alone
    holds the lowest value, raising it moves the lower goalpost for everyone: the value needed
    is then found by bisection, re-normalising all units each time. Every answer is checked by
    re-normalising and re-aggregating all units (`rank_after`), holding the other units'
    prepared values (imputed, treated) fixed; a full re-run of the pipeline can differ when
    the new value changes an imputation mean or the treatment.

    The cheapest combination: the effort of a change is |Δ value| / (observed max − min) of the
    indicator (a share of its range), times `costs[code]` (default 1). One normalised point of
    indicator j then costs cost_j / (u − l) and gains w_j index points; the indicators are
    taken in decreasing order of index points per unit of effort, w_j (u − l) / cost_j, each
    raised up to the best observed value, until Δ is covered (the last one partly). With the
    goalposts fixed this is a fractional knapsack, for which this greedy order is optimal.
    Where the unit alone holds the lowest value, its own value is planned against the second
    lowest (it gains nothing until it passes it, which lowers that indicator's points per
    effort, averaged over its whole headroom); the other units then lose a little on it,
    which is not counted, so the plan errs on the safe side and is no longer provably the
    cheapest. Indicators the unit is missing are left out of the combination. The
    combination is checked by re-normalising and re-aggregating all units
    (`combination_rank`; `combination_feasible` when it reaches the target rank).
    `codes` restricts the indicators considered (those the unit can act on).
    """
    chosen = _chosen_codes(result, codes, costs)
    scene = _Scene.of(result, unit, target_rank, margin, costs or {}, data)
    single = [_single_move(scene, code) for code in chosen]
    single.sort(key=lambda m: (not m.feasible, _effort_key(m), scene.codes.index(m.code)))
    combination, changes = _combination(scene, _candidates(scene, chosen))
    combination_rank = scene.rank_with(changes)[0] if changes else None
    feasible = combination_rank is not None and combination_rank <= target_rank
    return WhatIf(
        unit=unit,
        rank=scene.rank,
        target_rank=int(target_rank),
        score=scene.score,
        target_score=scene.target_score,
        gap=scene.gap,
        single=single,
        combination=combination,
        combination_feasible=feasible,
        combination_rank=combination_rank,
    )


def _chosen_codes(
    result: Result, codes: list[str] | None, costs: dict[str, float] | None
) -> list[str]:
    """The indicators to consider, once the method, the codes and the costs are checked."""
    what = "what_if"
    options = result.options
    if options.f_n != "n_minmax" or options.f_ag != "a_amean":
        raise CompositeError(
            f"{what}: needs min-max normalisation and the arithmetic mean (this run uses "
            f"{options.f_n} and {options.f_ag})."
        )
    codes_all = result.framework.indicators
    chosen = codes_all if codes is None else list(codes)
    unknown = [c for c in chosen if c not in codes_all]
    unknown += [c for c in (costs or {}) if c not in codes_all]
    if unknown:
        raise CompositeError(f"{what}: unknown indicator(s) {', '.join(dict.fromkeys(unknown))}.")
    bad_cost = [c for c, v in (costs or {}).items() if not v > 0]
    if bad_cost:
        raise CompositeError(f"{what}: costs must be positive ({', '.join(bad_cost)}).")
    return chosen


@dataclass(frozen=True)
class _Scene:
    """A what-if question and the run it is asked of: the unit, the score to reach, and the
    prepared values (x), goalposts and normalised row that every answer starts from."""

    result: Result
    unit: str
    i: int  # the unit's row
    rank: int
    score: float
    target_rank: int
    target_score: float
    gap: float
    eps: float  # the margin above the rival's score, in index points
    method: _Method
    codes: list[str]  # every indicator, the framework's order
    units: list[str]  # the prepared stage's units
    x: Floats  # prepared values, units × codes
    posts: list[tuple[float, ...]]  # min-max goalposts (after the direction)
    row: Floats  # the unit's normalised values
    costs: dict[str, float]
    data: Data | None

    @classmethod
    def of(
        cls,
        result: Result,
        unit: str,
        target_rank: int,
        margin: float,
        costs: dict[str, float],
        data: Data | None,
    ) -> "_Scene":
        i, score, rank = _standing(result, unit, target_rank)
        eps = margin * abs(result.options.l_u[1] - result.options.l_u[0])
        target_score = _rivals(result.scores(), i)[target_rank - 1] + eps
        method, codes, prepared = _Method.of(result), result.framework.indicators, _prepared(result)
        x = prepared.values[:, [prepared.codes.index(c) for c in codes]]
        posts = _goalposts(x, codes, method)
        return cls(
            result=result,
            unit=unit,
            i=i,
            rank=rank,
            score=score,
            target_rank=int(target_rank),
            target_score=target_score,
            gap=target_score - score,
            eps=eps,
            method=method,
            codes=codes,
            units=prepared.units,
            x=x,
            posts=posts,
            row=_normalise(x, codes, posts, method)[i],
            costs=costs,
            data=data,
        )

    @property
    def lo(self) -> float:
        return self.result.options.l_u[0]

    @property
    def hi(self) -> float:
        return self.result.options.l_u[1]

    @property
    def span(self) -> float:
        return self.hi - self.lo

    def rank_with(self, changes: dict[int, float]) -> tuple[int, float]:
        """The unit's rank, and its lead over the score to beat, everyone re-normalised with
        the unit's prepared values changed (column → value)."""
        y = self.x.copy()
        for j, value in changes.items():
            y[self.i, j] = value
        codes, method = self.codes, self.method
        posts = _goalposts(y, codes, method)
        scores = _aggregate(_normalise(y, codes, posts, method), codes, method, self.units)
        scores_y = scores[method.index]
        lead = float(scores_y[self.i]) - _rivals(scores_y, self.i)[self.target_rank - 1]
        return int(min_ranks(scores_y)[self.i]), lead

    def move(self, code: str, weight: float) -> Move:
        """A move on `code` from where the unit stands, nothing needed yet."""
        j = self.codes.index(code)
        return Move(
            code=code,
            name=self.result.framework.nodes[code].name,
            weight=weight,
            current=_at(self.result.stages["Raw"], self.unit, code),
            needed=None,
            current_prepared=float(self.x[self.i, j]),
            needed_prepared=None,
            normalised_now=float(self.row[j]),
            normalised_needed=None,
            relative_effort=None,
            feasible=False,
            rank_after=None,
        )


def _standing(result: Result, unit: str, target_rank: int) -> tuple[int, float, int]:
    """The unit's row, index score and rank, once the target rank is checked."""
    what = "what_if"
    i = _unit_row(result, unit, what)
    scores, ranks = result.scores(), result.ranks()
    score = float(scores[i])
    if math.isnan(score):
        raise CompositeError(f"{what}: {unit} has no index score.")
    rank = int(ranks[i])
    n_units = int((~np.isnan(scores)).sum())
    if not isinstance(target_rank, int | np.integer) or not 1 <= target_rank <= n_units:
        raise CompositeError(f"{what}: the target rank must be a whole number in 1..{n_units}.")
    if target_rank >= rank:
        raise CompositeError(
            f"{what}: {unit} already ranks {rank}; the target rank must be better (a "
            f"smaller number than {rank}), not {target_rank}."
        )
    return i, score, rank


def _single_move(s: _Scene, code: str) -> Move:
    """The value of `code` alone that lifts the unit to the target rank (see what_if)."""
    j = s.codes.index(code)
    direction = s.result.framework.nodes[code].direction
    vmin, vmax = s.posts[j]
    column = s.x[:, j] * direction
    v_now = column[s.i]
    present = not math.isnan(s.row[j])
    base = s.row[j] if present else s.lo
    trial = s.row.copy()
    trial[j] = base
    s_base = _score(trial, s.codes, s.method, s.unit)
    move = s.move(code, _effective(trial, s.codes, s.method)[code])
    if not present:
        move.notes.append("missing: a value would have to be supplied")
    if move.weight <= 0:
        move.notes.append("weight 0: it does not move the index")
        return move
    n_need = max(base + (s.target_score - s_base) / move.weight, s.lo)
    holds_min = present and v_now == vmin and int((column == vmin).sum()) == 1

    def reaches(v: float) -> bool:
        return s.rank_with({j: v * direction})[1] >= s.eps

    if holds_min:
        move.notes.append(
            "the unit alone holds the lowest value: raising it moves the lower goalpost "
            "for every unit (solved by re-normalising)"
        )
        v_need = _bisect(reaches, v_now, vmax)
    elif n_need > s.hi + 1e-12 * abs(s.span):
        v_need = None
    else:
        v_need = min(vmin + (n_need - s.lo) / s.span * (vmax - vmin), vmax)
        if not reaches(v_need):  # float rounding at the margin: settle it exactly
            v_need = _bisect(reaches, v_now, vmax)
    if v_need is None:
        best = vmax * direction
        r_best, _ = s.rank_with({j: best})
        move.notes.append(
            f"not enough even at the best observed value ({best:g}, rank {r_best} "
            "there); going beyond it moves the upper goalpost (not followed here)"
        )
        return move
    x_need = v_need * direction
    move.feasible = True
    move.needed_prepared = float(x_need)
    move.normalised_needed = float(_normalise_value(v_need, s.posts[j], s.result.options))
    move.rank_after = s.rank_with({j: x_need})[0]
    if present:
        move.relative_effort = abs(v_need - v_now) / (vmax - vmin) * s.costs.get(code, 1.0)
    move.needed = _to_raw(s.result, s.i, code, x_need, s.data, move.notes)
    return move


class _Candidate(NamedTuple):
    """An indicator for the cheapest combination; sorted, the best buy comes first."""

    key: float  # minus the index points per unit of effort
    j: int
    code: str
    weight: float
    cost: float
    low: float  # the planning lower goalpost
    n0: float  # the unit's normalised value against it


def _candidates(s: _Scene, chosen: list[str]) -> list[_Candidate]:
    """The indicators the unit can raise, best buy first (see what_if)."""
    out = []
    weights = _effective(s.row, s.codes, s.method)
    for code in chosen:
        j = s.codes.index(code)
        vmin, vmax = s.posts[j]
        column = s.x[:, j] * s.result.framework.nodes[code].direction
        w = weights[code]
        if math.isnan(s.row[j]) or w <= 0 or s.row[j] >= s.hi:
            continue
        # planning goalposts: the unit's own value moves against (a, vmax) with a = vmin,
        # or the second lowest value when the unit alone holds the lowest (it must pass it
        # before it gains anything; the others then lose a little, which is not counted)
        a = vmin
        if column[s.i] == vmin and int((column == vmin).sum()) == 1:
            a = float(np.min(column[column > vmin]))
        n0 = max(s.lo, _normalise_value(column[s.i], (a, vmax), s.result.options))
        cost = s.costs.get(code, 1.0)
        effort_all = (vmax - column[s.i]) / (vmax - vmin) * cost
        ratio = w * (s.hi - n0) / effort_all
        out.append(_Candidate(-ratio, j, code, w, cost, a, n0))
    return sorted(out)


def _combination(s: _Scene, candidates: list[_Candidate]) -> tuple[list[Move], dict[int, float]]:
    """The greedy cheapest combination: each candidate raised up to the best observed value
    until the gap is covered (the last one partly); the moves and the prepared values."""
    combination: list[Move] = []
    need, changes = s.gap, {}
    for _, j, code, w, cost, a, n0 in candidates:
        if need <= 0:
            break
        direction = s.result.framework.nodes[code].direction
        vmin, vmax = s.posts[j]
        step = min(s.hi - n0, need / w)
        n_new = n0 + step
        need -= w * step
        v_new = vmax if n_new >= s.hi else a + (n_new - s.lo) / s.span * (vmax - a)
        x_new = v_new * direction
        changes[j] = x_new
        move = s.move(code, w)
        if a != vmin:
            move.notes.append("the unit alone holds the lowest value: past the second lowest first")
        move.needed = _to_raw(s.result, s.i, code, x_new, s.data, move.notes)
        move.needed_prepared = float(x_new)
        move.normalised_needed = float(_normalise_value(v_new, s.posts[j], s.result.options))
        move.relative_effort = abs(v_new - s.x[s.i, j] * direction) / (vmax - vmin) * cost
        move.feasible = True
        combination.append(move)
    return combination, changes


def _rivals(scores: Floats, i: int) -> list[float]:
    """The other units' scores, highest first."""
    others = np.delete(scores, i)
    return [float(v) for v in np.sort(others[~np.isnan(others)])[::-1]]


def _effort_key(move: Move) -> float:
    return math.inf if move.relative_effort is None else move.relative_effort


def _normalise_value(v: float, post: tuple[float, ...], options: Options) -> float:
    lo, hi = options.l_u
    return (v - post[0]) / (post[1] - post[0]) * (hi - lo) + lo


def _bisect(ok: Callable[[float], bool], start: float, end: float) -> float | None:
    """The smallest v in (start, end] with ok(v), ok being monotone (False then True); None
    when even ok(end) fails. Converges to the last representable step."""
    if not ok(end):
        return None
    bad, good = start, end
    for _ in range(200):
        mid = bad + (good - bad) / 2
        if mid in (bad, good):
            break
        if ok(mid):
            good = mid
        else:
            bad = mid
    return good


def _to_raw(
    result: Result, i: int, code: str, x: float, data: Data | None, notes: list[str]
) -> float | None:
    """A value as it entered normalisation → the raw value (undoing the treatment's log and
    the denominator); None when the denominator of the unit cannot be found."""
    stages = result.stages
    node = result.framework.nodes[code]
    value = float(x)
    treatment = next((t for t in result.treatments if t.code == code), None)
    if "Treated" in stages and treatment is not None and treatment.action != "none":
        names = list(stages)
        before = stages[names[names.index("Treated") - 1]].column(code)
        if treatment.action == "log":
            t_lo, t_hi = float(np.nanmin(before)), float(np.nanmax(before))
            value = math.exp(value) + t_lo - 0.01 * (t_hi - t_lo)
            notes.append("log-transformed by the treatment: converted back through the log")
        else:
            notes.append("winsorised by the treatment: values past its cap are cut back")
        notes.append("a re-run may treat this indicator differently")
    unit = result.aggregated.units[i]
    if "Denominated" in stages and node.denominator:
        raw, per = _at(stages["Raw"], unit, code), _at(stages["Denominated"], unit, code)
        factor = None
        if data is not None and node.denominator in data.columns and unit in data.units:
            factor = float(data.columns[node.denominator][data.units.index(unit)])
        elif math.isfinite(raw) and math.isfinite(per) and per != 0:
            factor = raw / per
        if factor is None or not math.isfinite(factor):
            notes.append(
                f"per {node.denominator}: the unit's {node.denominator} is unknown here "
                "(pass the data); the value needed is the per-denominator one"
            )
            return None
        notes.append(f"per {node.denominator} ({factor:g}): the raw value is that times it")
        value *= factor
    if math.isnan(_at(stages["Raw"], unit, code)):
        notes.append("missing in the raw data")
    return value


def _at(stage: Stage, unit: str, code: str) -> float:
    """A unit's value in a stage (stages before screening hold more units)."""
    return float(stage.values[stage.units.index(unit), stage.codes.index(code)])
