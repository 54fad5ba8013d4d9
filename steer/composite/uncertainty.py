"""Monte Carlo uncertainty and sensitivity analysis of a composite index, with COINr's definitions
(`get_sensitivity`, `SA_sample`, `SA_estimate`, `get_noisy_weights`), computed fast.

What varies (`Assumptions`), each run drawing uniformly:

- the weights: every weight of the chosen levels times 1 + U(-f, f) (COINr's `get_noisy_weights`),
  then re-scaled within its parent, as the aggregation does;
- the outlier treatment: winmax alternatives, or no treatment;
- the normalisation: alternative methods (and their ranges);
- the aggregation: a_amean, a_gmean or a_hmean, the same at every level.

How it is fast. The pipeline (steer.composite.pipeline) runs once per (treatment, normalisation)
variant to give the normalised indicator matrix X (units × indicators). An arithmetic mean of
arithmetic means is one weighted mean: the index is X @ w_eff, where an indicator's effective weight
is the product of the re-scaled weights along its path to the top. The geometric mean is the same
in logs (exp(log X @ w_eff)), the harmonic mean in reciprocals (1 / ((1/X) @ w_eff)). So runs are
grouped by variant and each group's scores are one matrix product. Units with a missing value
(after the pipeline: no imputation, say) take the slower level-by-level route, which re-weights over
the values present as the pipeline does; `fast=False` sends every unit that way (the tests check
that both agree).

Ranks (1 = highest score, ties share the lowest rank, as stats.min_ranks) come from one SIMD sort
per run of integer keys: the score quantised over the run's range in the high bits, the unit's
position in the low bits. Sorting the keys gives the order and the units at once; units whose keys
share the quantised part (near or exact ties, about ten per run) are then ranked exactly on their
float64 scores. Ranks are stored as uint16 (or uint32), units × runs, never as a float array;
per-unit quantiles (R's type 7, as COINr's `quantile`) come from a radix sort of each unit's ranks.
Runs go in chunks of 64 through a pool of threads (2 by default): NumPy releases the GIL in the
matrix products, the sort and the fancy indexing. The products are cut into slices small enough
for OpenBLAS to run them in the calling thread (see `_simulate`).

Differences from COINr, on purpose:

- a discrete alternative is chosen by equal bins over [0, 1): u in [i/n, (i+1)/n) gives
  alternative i. COINr (`sample_2_para`) uses `cut(x, n)`, equal bins over the observed range of
  the sample column, which depends on the sample. A continuous range is lo + u(hi - lo) in both:
  here the weights, w(1 - f) + u · 2fw;
- in the sensitivity analysis the noisy weights are one assumption that picks one of a pool of N
  noisy weight sets (COINr's usage: a list from `get_noisy_weights` as a discrete distribution);
  in the uncertainty analysis every run draws its own;
- a combination that cannot be computed (a geometric or harmonic mean of values <= 0, an unknown
  method) is refused beforehand with a CompositeError; COINr lets the rebuild fail and records NAs;
- one varied assumption is allowed in a sensitivity analysis (COINr refuses d = 1).

The random numbers come from numpy's PCG64 Generator seeded with `seed`; R's Mersenne-Twister
draws are not reproduced, so COINr's Monte Carlo numbers are matched in distribution, not digit
for digit.
"""

import math
import numbers
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import NamedTuple, NotRequired, TypedDict

import numpy as np
from numpy.typing import ArrayLike, NDArray

from steer.composite import CompositeError
from steer.composite.arrays import Bools, Floats, Indices, Ranks
from steer.composite.pipeline import NORMALISE, Options, Result, normalise, run, treat_column
from steer.composite.tables import Data, Framework

AGGREGATIONS = ("a_amean", "a_gmean", "a_hmean")
NO_TREATMENT = "none"
NORMALISATION_FIELDS = ("f_n", "l_u", "m_sd", "goalposts")
CHUNK = 64  # runs per chunk: a chunk of scores (64 × 3,321 float64) stays in the core's L2


class OptionChanges(TypedDict, total=False):
    """The Options fields an alternative sets (dataclasses.replace of the base Options)."""

    treat: bool
    winmax: int
    f_n: str
    l_u: tuple[float, float]
    m_sd: tuple[float, float]
    goalposts: dict[str, tuple[float, ...]]
    f_ag: str


@dataclass(frozen=True)
class Assumptions:
    """What varies, and how. `None` in a tuple of alternatives means the base Options' own choice.

    weight_noise: f in [0, 1): each weight times 1 + U(-f, f) (0: the weights do not vary).
    noise_levels: the levels whose weights get noise (1 = the indicators' weights, 2 = the
        pillars'…); None: every level below the index.
    winmax: treatment alternatives: None (the base Options), an int >= 0 (treat, winsorising at most
        that many points before the log fallback) or "none" (no treatment).
    normalisations: None, a method name of pipeline.NORMALISE (with the base Options' l_u, m_sd…),
        or a dict of Options fields among f_n, l_u, m_sd, goalposts, e.g.
        {"f_n": "n_minmax", "l_u": (1, 100)}.
    aggregations: None or one of a_amean, a_gmean, a_hmean (used at every level). The geometric
        and harmonic means need positive normalised values: with min-max, l_u = (1, 100).
    """

    weight_noise: float = 0.25
    noise_levels: tuple[int, ...] | None = None
    winmax: tuple[int | str | None, ...] = (None,)
    normalisations: tuple[str | OptionChanges | None, ...] = (None,)
    aggregations: tuple[str | None, ...] = (None,)


@dataclass
class Parameters:
    """What each run used: `choices[name][r]` is the index of run r's alternative among
    `labels[name]` (name: treatment, normalisation, aggregation) and `weights[r]` its weights,
    re-scaled within each parent, in the order of `weight_codes`."""

    choices: dict[str, Indices]
    labels: dict[str, tuple[str, ...]]
    changes: dict[str, tuple[OptionChanges, ...]]  # the Options fields each alternative sets
    weights: Floats
    weight_codes: list[str]

    def label(self, name: str, run: int) -> str:
        return self.labels[name][int(self.choices[name][run])]

    def options(self, base: Options, run: int) -> Options:
        """The pipeline Options that reproduce run `run` (with pipeline.run, one run at a time)."""
        changes: OptionChanges = {}
        for name in ("treatment", "normalisation", "aggregation"):
            changes |= self.changes[name][int(self.choices[name][run])]
        weights = dict(zip(self.weight_codes, self.weights[run].tolist(), strict=True))
        return replace(base, **changes, weights=weights)


@dataclass
class Uncertainty:
    """Rank statistics per unit over the runs (COINr's RankStats), units in the pipeline's order.
    A unit without an index score has NaN everywhere."""

    units: list[str]
    index: str
    nominal_score: Floats
    nominal_rank: Floats
    mean_rank: Floats
    median_rank: Floats
    q05_rank: Floats
    q95_rank: Floats
    runs: int  # the runs the statistics are taken over
    parameters: Parameters
    options: Options
    scores: Floats | None = None  # runs × units, when asked for (keep=True)
    ranks: Floats | None = None  # runs × units, float (NaN: no score)

    def interval(self, unit: str) -> tuple[float, float]:
        """The unit's 5th-95th percentile rank interval."""
        i = self.units.index(unit)
        return float(self.q05_rank[i]), float(self.q95_rank[i])

    def rows(self) -> list[dict[str, str | float | None]]:
        """One dict per unit, COINr's RankStats columns."""
        return [
            {
                "uCode": u,
                "Nominal": _number(self.nominal_rank[i]),
                "Mean": _number(self.mean_rank[i]),
                "Median": _number(self.median_rank[i]),
                "Q5": _number(self.q05_rank[i]),
                "Q95": _number(self.q95_rank[i]),
            }
            for i, u in enumerate(self.units)
        ]


@dataclass
class Sensitivity:
    """Sensitivity indices of the mean absolute rank shift, one per varied assumption (`names`).
    `y` is that output for every run (N(d + 2) runs, COINr's order); `uncertainty` holds the rank
    statistics over the first 2N runs (A and B), as COINr's RankStats in an SA."""

    names: list[str]
    si: Floats
    sti: Floats
    variance: float
    y: Floats
    n: int
    uncertainty: Uncertainty
    si_q05: Floats | None = None
    si_q95: Floats | None = None
    sti_q05: Floats | None = None
    sti_q95: Floats | None = None

    def rows(self) -> list[dict[str, str | float]]:
        out = []
        si_q05, si_q95, sti_q05, sti_q95 = self.si_q05, self.si_q95, self.sti_q05, self.sti_q95
        for i, name in enumerate(self.names):
            row: dict[str, str | float] = {
                "Variable": name,
                "Si": float(self.si[i]),
                "STi": float(self.sti[i]),
            }
            if (
                si_q05 is not None
                and si_q95 is not None
                and sti_q05 is not None
                and sti_q95 is not None
            ):
                row |= {
                    "Si_q5": float(si_q05[i]),
                    "Si_q95": float(si_q95[i]),
                    "STi_q5": float(sti_q05[i]),
                    "STi_q95": float(sti_q95[i]),
                }
            out.append(row)
        return out


def _number(value: float | np.floating) -> float | None:
    number = float(value)
    return None if math.isnan(number) else number


# -- ranking ----------------------------------------------------------------------------------


def _rank_rows_keys(scores: Floats, out: Ranks) -> None:
    """Min ranks (1 = highest, ties share the lowest rank) of each row of `scores` (finite
    float64, runs × units) into `out` (the same shape, unsigned integers).

    Each score is quantised over its row's range to q (monotone: a < b gives q(a) <= q(b), equal
    scores equal q) and packed with the unit's position j as q << bits | j. One sort of the keys
    orders every row by q, and the low bits say which unit sits where: position p holds a unit
    with n - p - 1 units above it. Units sharing a q (a "bucket": near or exact ties) are then
    ranked on their exact scores."""
    c, n = scores.shape
    if n == 0 or c == 0:
        return
    bits = max(1, (n - 1).bit_length())
    key_type: type[np.uint32] | type[np.uint64]
    if bits <= 12:  # up to 4,096 units: 32-bit keys, q in 20 or more bits
        key_type, q_bits = np.uint32, 32 - bits
    else:
        key_type, q_bits = np.uint64, min(64 - bits, 52)
    lo = scores.min(axis=1)
    with np.errstate(over="ignore"):
        span = scores.max(axis=1) - lo
    if not np.isfinite(span).all():  # beyond float64's range: the plain way
        _rank_rows_argsort(scores, out)
        return
    scale = np.zeros(c)
    wide = span > 0
    with np.errstate(over="ignore"):  # a subnormal span: one bucket (scale 0), ranked exactly
        scale[wide] = (2.0**q_bits - 2.0) / span[wide]
    scale[~np.isfinite(scale)] = 0.0
    q = scores - lo[:, None]
    q *= scale[:, None]
    keys = q.astype(key_type)
    keys <<= bits
    keys |= np.arange(n, dtype=key_type)
    keys.sort(axis=1)
    where = (keys & key_type((1 << bits) - 1)).astype(np.intp)
    base = (n - np.arange(n)).astype(out.dtype)
    for r in range(c):
        out[r, where[r]] = base
    keys >>= bits
    same = keys[:, 1:] == keys[:, :-1]
    hits = np.flatnonzero(same)
    if hits.size:
        _rank_buckets(scores, out, where, same, hits)


def _rank_buckets(scores: Floats, out: Ranks, where: Indices, same: Bools, hits: Indices) -> None:
    """Exact min ranks of the units in buckets of equal q (positions p, p + 1… of a sorted row
    whose q are equal). A unit's rank is n + 1 - (units in lower buckets) - (units of its bucket
    with a score <= its own)."""
    n = scores.shape[1]
    row, p = np.divmod(hits, n - 1)
    members = np.unique(np.concatenate([row * n + p, row * n + p + 1]))
    row, pos = np.divmod(members, n)
    linked = np.zeros(members.size, dtype=bool)  # same bucket as the previous member
    follows = (members[1:] == members[:-1] + 1) & (pos[1:] > 0)
    linked[1:][follows] = same[row[1:][follows], pos[1:][follows] - 1]
    bucket = np.cumsum(~linked) - 1
    first = np.flatnonzero(~linked)  # each bucket's first member
    unit = where[row, pos]
    value = scores[row, unit]
    order = np.lexsort((value, bucket))
    v, b = value[order], bucket[order]
    size = members.size
    last = np.ones(size, dtype=bool)  # the last member with this (bucket, score)
    last[:-1] = (b[1:] != b[:-1]) | (v[1:] != v[:-1])
    through = np.minimum.accumulate(np.where(last, np.arange(size), size)[::-1])[::-1]
    at_most = through - first[b] + 1  # members of the bucket with a score <= this one
    below = pos[first[b]]  # units in the lower buckets
    out[row[order], unit[order]] = n + 1 - below - at_most


def _rank_rows_argsort(scores: Floats, out: Ranks) -> None:
    """The plain NumPy way (argsort per run), kept as a reference and for the benchmark."""
    c, n = scores.shape
    if n == 0 or c == 0:
        return
    order = np.argsort(-scores, axis=1, kind="stable")
    ordered = np.take_along_axis(scores, order, axis=1)
    start = np.zeros((c, n), dtype=np.int64)
    start[:, 1:] = np.where(ordered[:, 1:] == ordered[:, :-1], 0, np.arange(1, n))
    np.maximum.accumulate(start, axis=1, out=start)
    np.put_along_axis(out, order, (start + 1).astype(out.dtype), axis=1)


RANKERS: dict[str, Callable[[Floats, Ranks], None]] = {
    "keys": _rank_rows_keys,
    "argsort": _rank_rows_argsort,
}


def _rank_type(n: int) -> type[np.uint16] | type[np.uint32]:
    return np.uint16 if n < 2**16 else np.uint32


def min_ranks_rows(scores: ArrayLike) -> NDArray[np.int64]:
    """Ranks of each row (the last axis) of finite scores: 1 for the highest, ties sharing the
    lowest rank, as stats.min_ranks, by the fast method of the Monte Carlo."""
    values = np.asarray(scores, dtype=np.float64)
    if not np.isfinite(values).all():
        raise CompositeError("min_ranks_rows: the scores must be finite (no NaN or infinity).")
    flat = np.ascontiguousarray(values.reshape(-1, values.shape[-1]))
    out = np.empty(flat.shape, dtype=_rank_type(flat.shape[1]))
    _rank_rows_keys(flat, out)
    return out.astype(np.int64).reshape(values.shape)


# -- statistics -------------------------------------------------------------------------------


def quantile7(sorted_values: NDArray[np.number], p: float) -> Floats:
    """R's quantile(type = 7) of each row of a row-sorted array, with R's arithmetic."""
    n = sorted_values.shape[-1]
    index = 1 + (n - 1) * p
    lo = math.floor(index)
    hi = math.ceil(index)
    h = index - lo
    x_lo = sorted_values[..., lo - 1].astype(np.float64)
    x_hi = sorted_values[..., hi - 1].astype(np.float64)
    quantiles: Floats = np.where(x_hi != x_lo, (1 - h) * x_lo + h * x_hi, x_lo)
    return quantiles


def _median(sorted_values: NDArray[np.number]) -> Floats:
    n = sorted_values.shape[-1]
    half = n // 2
    if n % 2:
        return sorted_values[..., half].astype(np.float64)
    return (
        sorted_values[..., half - 1].astype(np.float64)
        + sorted_values[..., half].astype(np.float64)
    ) / 2


def _rank_stats(ranks: Ranks, threads: int) -> tuple[Floats, Floats, Floats, Floats]:
    """Mean, median, q05 and q95 of each row of an integer units × runs array, which is sorted
    in place (a radix sort for 16-bit integers), in blocks of units over the threads."""
    n, runs = ranks.shape
    mean, median, q05, q95 = np.empty(n), np.empty(n), np.empty(n), np.empty(n)

    def part(rows: slice) -> None:
        block = ranks[rows]
        mean[rows] = block.sum(axis=1, dtype=np.int64) / runs
        block.sort(axis=1, kind="stable")
        median[rows] = _median(block)
        q05[rows] = quantile7(block, 0.05)
        q95[rows] = quantile7(block, 0.95)

    step = max(1, -(-n // max(1, threads * 4)))
    parts = [slice(i, min(n, i + step)) for i in range(0, n, step)]
    if threads > 1 and len(parts) > 1:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(part, parts))
    else:
        for rows in parts:
            part(rows)
    return mean, median, q05, q95


def rank_change_is_significant(
    rank_last: ArrayLike, rank_now: ArrayLike, interval_last: ArrayLike, interval_now: ArrayLike
) -> bool | Bools:
    """Whether a year-over-year rank change exceeds the method's noise.

    The change counts when the rank moved and the two years' rank intervals (each year's 5th-95th
    percentile of the unit's rank over the Monte Carlo runs, `Uncertainty.interval`) do not
    overlap: no plausible choice of weights, treatment, normalisation and aggregation puts the unit
    at the same rank both years. Overlapping intervals mean the move is within what the method's
    assumptions alone can produce. The test is conservative (a change can be real with overlapping
    intervals), and it is only meaningful when both years were analysed under the same Assumptions.
    Arrays work element-wise: intervals then have a last axis of 2 (low, high)."""
    last = np.asarray(interval_last, dtype=np.float64)
    now = np.asarray(interval_now, dtype=np.float64)
    if last.shape[-1:] != (2,) or now.shape[-1:] != (2,):
        raise CompositeError("An interval is a pair (low rank, high rank).")
    moved = np.asarray(rank_last) != np.asarray(rank_now)
    apart = (np.maximum(now[..., 0], now[..., 1]) < np.minimum(last[..., 0], last[..., 1])) | (
        np.maximum(last[..., 0], last[..., 1]) < np.minimum(now[..., 0], now[..., 1])
    )
    result: Bools = moved & apart
    return bool(result) if np.ndim(result) == 0 else result


# -- the model: alternatives, weights, normalised variants ------------------------------------


@dataclass
class _Variant:
    """One (treatment, normalisation, aggregation): the indicator matrix in the aggregation's
    space (x, log x or -1/x, all increasing in x), split into complete and incomplete units."""

    aggregation: str
    fast_pos: Indices  # positions among the ranked units with every indicator present
    fast_t: Floats  # indicators × fast units (transposed, C order, for the matrix product)
    slow_pos: Indices  # ranked units with a missing indicator: level by level
    slow_values: Floats  # slow units × indicators, NaN where missing
    # fast units whose indicators equal an earlier unit's (copy, original), so that identical
    # units score identically whichever slice of the product they fall in
    twins: tuple[Indices, Indices] = (np.empty(0, np.intp), np.empty(0, np.intp))


@dataclass
class _Model:
    framework: Framework
    options: Options
    nominal: Result
    units: list[str]
    ranked: Bools  # per unit: has an index score
    nominal_rank: NDArray[np.int64]  # ranks of the ranked units
    node_codes: list[str]  # weighted nodes (every tree node below the index)
    base_weights: Floats
    noisy: Bools  # per node
    parent_index: Indices  # per node, its parent among `parents`
    parents: list[str]
    paths: Indices  # indicators × depth: node positions from the indicator up
    treatments: list[OptionChanges]
    normalisations: list[OptionChanges]
    aggregations: list[str]
    labels: dict[str, tuple[str, ...]]
    pre_treatment: Floats = field(repr=False)  # the values the treatment starts from
    treated: dict[int, Floats] = field(default_factory=dict, repr=False)
    variants: dict[tuple[int, int, int], _Variant] = field(default_factory=dict, repr=False)

    # weights ---------------------------------------------------------------------------------

    def rescale(self, raw: Floats) -> Floats:
        """Runs × nodes raw weights → re-scaled within each parent."""
        sums = np.zeros((raw.shape[0], len(self.parents)))
        for j, parent in enumerate(self.parent_index):
            sums[:, parent] += raw[:, j]
        rescaled: Floats = raw / sums[:, self.parent_index]
        return rescaled

    def noisy_weights(self, uniforms: Floats, noise: float) -> Floats:
        """w · (1 + U(-f, f)) = lo + u (hi - lo) for the noisy nodes, then re-scaled."""
        raw = np.broadcast_to(self.base_weights, uniforms.shape).copy()
        lo = self.base_weights * (1 - noise)
        hi = self.base_weights * (1 + noise)
        noisy = lo + uniforms * (hi - lo)
        raw[:, self.noisy] = noisy[:, self.noisy]
        return self.rescale(raw)

    def effective(self, weights: Floats) -> Floats:
        """Runs × indicators: the product of the re-scaled weights from indicator to index."""
        out = weights[:, self.paths[:, 0]].copy()
        for level in range(1, self.paths.shape[1]):
            out *= weights[:, self.paths[:, level]]
        return out

    # variants --------------------------------------------------------------------------------

    def variant(self, t: int, m: int, a: int) -> _Variant:
        key = (t, m, a)
        if key not in self.variants:
            self.variants[key] = self._variant(t, m, a)
        return self.variants[key]

    def _normalised(self, t: int, m: int) -> Floats:
        treat, norm = self.treatments[t], self.normalisations[m]
        if not treat and not norm:
            return self.nominal.stages["Normalised"].values
        if t not in self.treated:
            self.treated[t] = self._treat(treat)
        options = replace(self.options, **(treat | norm))  # fields apart: no key in both
        codes = self.framework.indicators
        try:
            return normalise(self.treated[t], self.framework, codes, options)
        except CompositeError as error:
            raise CompositeError(
                f"Normalisation {self.labels['normalisation'][m]}: {error}"
            ) from None

    def _treat(self, changes: OptionChanges) -> Floats:
        options = replace(self.options, **changes)
        if not options.treat:
            return self.pre_treatment
        if self.options.treat and options.winmax == self.options.winmax:
            return self.nominal.stages["Treated"].values
        x = self.pre_treatment
        out = np.empty_like(x)
        for j, code in enumerate(self.framework.indicators):
            out[:, j] = treat_column(x[:, j], code, self.units, options)[0]
        return out

    def _variant(self, t: int, m: int, a: int) -> _Variant:
        x = self._normalised(t, m)[self.ranked]
        how = self.aggregations[a]
        if how != "a_amean":
            bad = ~np.isnan(x) & (x <= 0)
            if bad.any():
                i, j = np.argwhere(bad)[0]
                unit = [u for u, k in zip(self.units, self.ranked, strict=True) if k][i]
                raise CompositeError(
                    f"{how} needs positive normalised values, but with "
                    f"{self.labels['treatment'][t]} and {self.labels['normalisation'][m]}, "
                    f"{self.framework.indicators[j]} of {unit} is {x[i, j]:g}. Normalise to a "
                    "positive range, e.g. {'f_n': 'n_minmax', 'l_u': (1, 100)}."
                )
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                x = np.log(x) if how == "a_gmean" else -1.0 / x
        complete = ~np.isnan(x).any(axis=1)
        fast_pos = np.flatnonzero(complete)
        slow_pos = np.flatnonzero(~complete)
        fast_x = x[complete]
        _, first, inverse = np.unique(fast_x, axis=0, return_index=True, return_inverse=True)
        original = first[inverse.ravel()]
        copies = np.flatnonzero(original != np.arange(fast_x.shape[0]))
        return _Variant(
            aggregation=how,
            fast_pos=fast_pos,
            fast_t=np.ascontiguousarray(fast_x.T),
            slow_pos=slow_pos,
            slow_values=x[~complete],
            twins=(copies, original[copies]),
        )

    def levels(self, values: Floats, weights: Floats) -> Floats:
        """Runs × units index (in the aggregation's space) level by level: each parent the mean
        of its present children, weights re-scaled over them (pipeline.aggregate_level)."""
        framework = self.framework
        position = {code: j for j, code in enumerate(self.node_codes)}
        current = dict(zip(framework.indicators, values.T, strict=True))
        runs = weights.shape[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            for level in range(2, framework.top_level + 1):
                for parent in framework.level(level):
                    total = np.zeros((runs, values.shape[0]))
                    weight = np.zeros((runs, values.shape[0]))
                    for kid in framework.children(parent):
                        v = current[kid]
                        present = ~np.isnan(v)
                        w = weights[:, position[kid], None]
                        total += w * np.where(present, v, 0.0)
                        weight += w * present
                    current[parent] = np.where(weight > 0, total / weight, np.nan)
        index: Floats = np.broadcast_to(
            current[framework.level(framework.top_level)[0]], (runs, len(values))
        )
        return index


class _Alternatives(NamedTuple):
    """Each assumption's alternatives as the Options fields they set, with their labels."""

    treatments: list[OptionChanges]
    normalisations: list[OptionChanges]
    aggregations: list[str]
    labels: dict[str, tuple[str, ...]]
    changes: dict[str, tuple[OptionChanges, ...]]


def _alternatives(
    assumptions: Assumptions, options: Options, framework: Framework
) -> _Alternatives:
    """Check the assumptions; each alternative as the Options fields it sets, and labels."""
    _check_assumptions(assumptions, framework)
    treatments, treatment_labels = _treatment_alternatives(assumptions.winmax, options)
    normalisations, normalisation_labels = _normalisation_alternatives(
        assumptions.normalisations, options
    )
    aggregations, aggregation_changes = _aggregation_alternatives(assumptions.aggregations, options)
    labels = {
        "treatment": tuple(treatment_labels),
        "normalisation": tuple(normalisation_labels),
        "aggregation": tuple(aggregations),
    }
    changes = {
        "treatment": tuple(treatments),
        "normalisation": tuple(normalisations),
        "aggregation": tuple(aggregation_changes),
    }
    return _Alternatives(treatments, normalisations, aggregations, labels, changes)


def _check_assumptions(assumptions: Assumptions, framework: Framework) -> None:
    noise = assumptions.weight_noise
    if not isinstance(noise, int | float) or not 0 <= noise < 1:
        raise CompositeError(
            f"weight_noise is a fraction in [0, 1) (each weight times 1 + U(-f, f)), not {noise!r}."
        )
    top = framework.top_level
    if assumptions.noise_levels is not None:
        wrong = [lv for lv in assumptions.noise_levels if lv not in range(1, top)]
        if wrong or not assumptions.noise_levels:
            raise CompositeError(
                f"noise_levels: the weighted levels are 1 to {top - 1}, not {wrong or '()'}."
            )
    for name in ("winmax", "normalisations", "aggregations"):
        value = getattr(assumptions, name)
        if not isinstance(value, tuple | list) or not value:
            raise CompositeError(f"{name}: give a tuple of one or more alternatives.")


def _treatment_alternatives(
    alternatives: tuple[int | str | None, ...], options: Options
) -> tuple[list[OptionChanges], list[str]]:
    treatments, labels = [], []
    for alt in alternatives:
        changes: OptionChanges
        if alt is None:
            changes = {}
        elif alt == NO_TREATMENT or alt is False:
            changes = {"treat": False}
        elif isinstance(alt, int) and not isinstance(alt, bool) and alt >= 0:
            changes = {"treat": True, "winmax": alt}
        else:
            raise CompositeError(
                f"winmax alternative {alt!r}: use None (the base options), a whole number >= 0, "
                f"or '{NO_TREATMENT}' (no treatment)."
            )
        resolved = replace(options, **changes)
        treatments.append(changes)
        labels.append(f"winmax {resolved.winmax}" if resolved.treat else "no treatment")
    return treatments, labels


def _normalisation_alternatives(
    alternatives: tuple[str | OptionChanges | None, ...], options: Options
) -> tuple[list[OptionChanges], list[str]]:
    normalisations, labels = [], []
    for alt in alternatives:
        changes: OptionChanges
        if alt is None:
            changes = {}
        elif isinstance(alt, str):
            changes = {"f_n": alt}
        elif isinstance(alt, dict):
            unknown = [k for k in alt if k not in NORMALISATION_FIELDS]
            if unknown:
                raise CompositeError(
                    f"normalisation alternative {alt!r}: unknown field(s) {', '.join(unknown)}; "
                    f"use {', '.join(NORMALISATION_FIELDS)}."
                )
            changes = alt.copy()
        else:
            raise CompositeError(
                f"normalisation alternative {alt!r}: use None, a method name or a dict of fields."
            )
        resolved = replace(options, **changes)
        if resolved.f_n not in NORMALISE:
            raise CompositeError(
                f"normalisation '{resolved.f_n}' is not one of {', '.join(NORMALISE)}."
            )
        normalisations.append(changes)
        labels.append(_normalisation_label(resolved))
    return normalisations, labels


def _aggregation_alternatives(
    alternatives: tuple[str | None, ...], options: Options
) -> tuple[list[str], list[OptionChanges]]:
    aggregations: list[str] = []
    changes: list[OptionChanges] = []
    for alt in alternatives:
        how = options.f_ag if alt is None else alt
        if how not in AGGREGATIONS:
            raise CompositeError(
                f"aggregation '{how}' is not one of {', '.join(AGGREGATIONS)} (the Monte Carlo "
                "computes these three at every level)."
            )
        aggregations.append(how)
        changes.append({} if alt is None else {"f_ag": alt})
    return aggregations, changes


def _normalisation_label(options: Options) -> str:
    if options.f_n == "n_minmax":
        return f"n_minmax {tuple(options.l_u)}"
    if options.f_n == "n_zscore":
        return f"n_zscore {tuple(options.m_sd)}"
    return options.f_n


def _model(
    data: Data, framework: Framework, options: Options | None, assumptions: Assumptions
) -> tuple[_Model, dict[str, tuple[OptionChanges, ...]]]:
    options = options or Options()
    treatments, normalisations, aggregations, labels, changes = _alternatives(
        assumptions, options, framework
    )
    nominal = run(data, framework, options)
    scores = nominal.scores()
    ranked = ~np.isnan(scores)
    if not ranked.any():
        raise CompositeError(f"No unit has a score for {nominal.index}; nothing to rank.")
    nominal_rank = nominal.ranks()[ranked].astype(np.int64)
    stages = list(nominal.stages)
    first = "Treated" if "Treated" in stages else "Normalised"
    pre_treatment = nominal.stages[stages[stages.index(first) - 1]].values

    top = framework.top_level
    node_codes = [c for level in range(1, top) for c in framework.level(level)]
    levels = assumptions.noise_levels or tuple(range(1, top))
    noisy = np.array([framework.nodes[c].level in levels for c in node_codes], dtype=bool)
    if assumptions.weight_noise == 0:
        noisy[:] = False
    base = np.array([options.weights.get(c, framework.nodes[c].weight) for c in node_codes])
    parents = list(dict.fromkeys(framework.parent(c) for c in node_codes))
    parent_index = np.array([parents.index(framework.parent(c)) for c in node_codes])
    position = {c: j for j, c in enumerate(node_codes)}
    paths = []
    for code in framework.indicators:
        path, cursor = [], code
        while (level := framework.nodes[cursor].level) is not None and level < top:
            path.append(position[cursor])
            cursor = framework.parent(cursor)
        paths.append(path)
    model = _Model(
        framework=framework,
        options=options,
        nominal=nominal,
        units=list(nominal.aggregated.units),
        ranked=ranked,
        nominal_rank=nominal_rank,
        node_codes=node_codes,
        base_weights=base,
        noisy=noisy,
        parent_index=parent_index,
        parents=parents,
        paths=np.array(paths, dtype=np.intp),
        treatments=treatments,
        normalisations=normalisations,
        aggregations=aggregations,
        labels=labels,
        pre_treatment=pre_treatment,
    )
    return model, changes


# -- the runs ---------------------------------------------------------------------------------


@dataclass
class _Runs:
    ranks: Ranks  # ranked units × runs in processing order (runs grouped by variant)
    order: Indices  # processing position → run
    scores: Floats | None  # runs (processing order) × ranked units, if kept
    y: Floats | None  # per run (in run order): mean |rank - nominal rank|, if asked for

    def outputs(self) -> Floats:
        """y, which the sensitivity analysis asks for (want_y)."""
        if self.y is None:
            raise CompositeError("The runs were made without their outputs (want_y).")
        return self.y


BLAS_MNK = 65536 * 4  # OpenBLAS runs a product m·n·k up to this size in the calling thread


def _simulate(
    model: _Model,
    choice: Indices,  # runs × 3: treatment, normalisation, aggregation
    weights: Floats,  # runs × nodes, re-scaled
    *,
    keep: bool,
    want_y: bool,
    fast: bool,
    threads: int,
    ranking: str,
    chunk: int = CHUNK,
) -> _Runs:
    """Every run's ranks, chunk by chunk in the worker threads: the chunk's scores (a matrix
    product per variant), the ranks, and their transpose into a units × runs array, which is
    what the per-unit statistics read."""
    runs = choice.shape[0]
    n = int(model.ranked.sum())
    shape = (len(model.treatments), len(model.normalisations), len(model.aggregations))
    variant_id = np.ravel_multi_index(tuple(choice.T), shape)
    order = np.argsort(variant_id, kind="stable")
    out = _Runs(
        ranks=np.empty((n, runs), dtype=_rank_type(n)),
        order=order,
        scores=np.empty((runs, n)) if keep else None,
        y=np.empty(runs) if want_y else None,
    )
    worker = _ChunkWorker(
        model, weights, model.effective(weights), out, fast, RANKERS[ranking], chunk
    )
    jobs = []
    bounds = np.flatnonzero(np.diff(variant_id[order])) + 1
    for start, stop in zip(np.r_[0, bounds], np.r_[bounds, runs], strict=True):
        variant = model.variant(*np.unravel_index(variant_id[order[start]], shape))
        for lo in range(start, stop, chunk):
            jobs.append(_Job(variant, lo, min(stop, lo + chunk)))
    if threads <= 1 or len(jobs) <= 1:
        for job in jobs:
            worker.work(job)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(worker.work, jobs))
    return out


class _Job(NamedTuple):
    """Runs lo..hi (processing order) of one variant: at most a chunk."""

    variant: _Variant
    lo: int
    hi: int


@dataclass
class _Scratch:
    """A worker thread's own arrays, a chunk of runs × the ranked units."""

    scores: Floats
    fast: Floats
    ranks: Ranks


@dataclass
class _ChunkWorker:
    """Scores and ranks a job's runs into the shared outputs (`out`, each job its own columns
    and rows); each thread keeps scratch arrays of its own."""

    model: _Model
    weights: Floats  # runs × nodes, re-scaled
    effective: Floats  # runs × indicators
    out: _Runs
    fast: bool
    rank: Callable[[Floats, Ranks], None]
    chunk: int = CHUNK
    local: threading.local = field(default_factory=threading.local)
    n: int = field(init=False)  # ranked units
    nominal: NDArray[np.int32] = field(init=False)  # their nominal ranks
    # Units per slice of the matrix product. The products are cut into slices small enough for
    # OpenBLAS to run them in the worker's own thread: a threaded product leaves its helper
    # threads spinning for a while after it returns, which would take the cores from the workers.
    width: int = field(init=False)

    def __post_init__(self) -> None:
        self.n = int(self.out.ranks.shape[0])
        self.nominal = self.model.nominal_rank.astype(np.int32)
        indicators = len(self.model.framework.indicators)
        self.width = max(8, BLAS_MNK // (self.chunk * max(1, indicators)))

    def scratch(self) -> _Scratch:
        mine = getattr(self.local, "scratch", None)
        if mine is None:
            shape = (self.chunk, self.n)
            mine = _Scratch(np.empty(shape), np.empty(shape), np.empty(shape, self.out.ranks.dtype))
            self.local.scratch = mine
        return mine

    def work(self, job: _Job) -> None:
        variant, lo, hi = job
        scratch = self.scratch()
        s = scratch.scores[: hi - lo]
        runs_here = self.out.order[lo:hi]
        if self.fast and variant.fast_pos.size:
            self.fast_scores(variant, s, scratch.fast, runs_here)
        self.slow_scores(variant, s, runs_here)
        ranks = scratch.ranks[: hi - lo]
        self.rank(s, ranks)
        self.out.ranks[:, lo:hi] = ranks.T
        if self.out.scores is not None:
            self.out.scores[lo:hi] = _back(s, variant.aggregation)
        if self.out.y is not None:
            self.out.y[runs_here] = np.abs(ranks.astype(np.int32) - self.nominal).mean(axis=1)

    def fast_scores(self, variant: _Variant, s: Floats, spare: Floats, runs_here: Indices) -> None:
        """The complete units' scores: a matrix product with the runs' effective weights."""
        w = self.effective[runs_here]
        full = variant.fast_pos.size == self.n
        target = s if full else spare[: s.shape[0], : variant.fast_pos.size]
        width = self.width
        for j in range(0, target.shape[1], width):
            np.matmul(w, variant.fast_t[:, j : j + width], out=target[:, j : j + width])
        copies, originals = variant.twins
        if copies.size:
            target[:, copies] = target[:, originals]
        if not full:
            s[:, variant.fast_pos] = target

    def slow_scores(self, variant: _Variant, s: Floats, runs_here: Indices) -> None:
        """The other units' scores (every unit's, fast=False), level by level."""
        slow = variant.slow_pos if self.fast else np.arange(self.n)
        if slow.size:
            values = variant.slow_values if self.fast else _all_values(variant, self.n)
            s[:, slow] = self.model.levels(values, self.weights[runs_here])
            if np.isnan(s[:, slow]).any():
                raise CompositeError("A unit lost its index score in a run; this is a bug.")


def _all_values(variant: _Variant, n: int) -> Floats:
    values = np.empty((n, variant.fast_t.shape[0]))
    values[variant.fast_pos] = variant.fast_t.T
    values[variant.slow_pos] = variant.slow_values
    return values


def _back(t: Floats, how: str) -> Floats:
    """From the aggregation's space back to scores."""
    scores: Floats
    if how == "a_gmean":
        scores = np.exp(t)
    elif how == "a_hmean":
        scores = -1.0 / t
    else:
        scores = t.copy()
    return scores


def _threads(threads: int | None) -> int:
    if threads is None:
        return max(1, min(2, os.cpu_count() or 1))
    return max(1, int(threads))


def _uncertainty(
    model: _Model,
    runs_out: _Runs,
    parameters: Parameters,
    rows: Indices | None,
    threads: int,
) -> Uncertainty:
    """Rank statistics over the runs (all, or the runs `rows` in run order)."""
    total = runs_out.order.size
    units = len(model.units)
    ranked = model.ranked
    scores = ranks = None
    if runs_out.scores is not None:  # keep=True
        inverse = np.empty(total, dtype=np.intp)
        inverse[runs_out.order] = np.arange(total)
        scores = np.full((total, units), np.nan)
        scores[:, ranked] = runs_out.scores[inverse]
        ranks = np.full((total, units), np.nan)
        ranks[:, ranked] = runs_out.ranks[:, inverse].T
    # all the runs: sorted in place below; some: a copy
    selected = slice(None) if rows is None else np.isin(runs_out.order, rows)
    chosen = runs_out.ranks[:, selected]
    stats = [np.full(units, np.nan) for _ in range(4)]
    if chosen.shape[0]:
        for full, part in zip(stats, _rank_stats(chosen, threads), strict=True):
            full[ranked] = part
    nominal_rank = np.full(units, np.nan)
    nominal_rank[ranked] = model.nominal_rank
    return Uncertainty(
        units=model.units,
        index=model.nominal.index,
        nominal_score=model.nominal.scores().copy(),
        nominal_rank=nominal_rank,
        mean_rank=stats[0],
        median_rank=stats[1],
        q05_rank=stats[2],
        q95_rank=stats[3],
        runs=int(chosen.shape[1]),
        parameters=parameters,
        options=model.options,
        scores=scores,
        ranks=ranks,
    )


def _pick(u: Floats, count: int) -> Indices:
    """Uniforms in [0, 1) → alternative indices by equal bins (see the module docstring)."""
    return np.minimum((u * count).astype(np.intp), count - 1)


def run_uncertainty(
    data: Data,
    framework: Framework,
    options: Options | None = None,
    assumptions: Assumptions | None = None,
    runs: int = 1000,
    seed: int | None = 0,
    *,
    keep: bool = False,
    threads: int | None = None,
    fast: bool = True,
    ranking: str = "keys",
) -> Uncertainty:
    """COINr's uncertainty analysis (get_sensitivity(SA_type = "UA")): `runs` runs, each drawing
    its treatment, normalisation and aggregation (equally likely alternatives) and its noisy
    weights.

    Draws, in this order from numpy.random.default_rng(seed): a runs × 3 matrix of uniforms
    (treatment, normalisation, aggregation), then a runs × nodes matrix for the weights (nodes in
    the framework's order, level by level). keep=True also returns every run's scores and ranks
    (runs × units). threads: worker threads (default: 2, or 1 on a one-core machine).
    fast=False computes every unit level by level; ranking="argsort" ranks the plain way (both
    for tests and benchmarks)."""
    assumptions = assumptions or Assumptions()
    if not isinstance(runs, numbers.Integral) or runs < 3:
        raise CompositeError(f"runs: at least 3 runs are needed (COINr: N > 2), not {runs!r}.")
    if ranking not in RANKERS:
        raise CompositeError(f"ranking is one of {', '.join(RANKERS)}, not {ranking!r}.")
    model, changes = _model(data, framework, options, assumptions)
    rng = np.random.default_rng(seed)
    u = rng.random((runs, 3))
    counts = (len(model.treatments), len(model.normalisations), len(model.aggregations))
    choice = np.column_stack([_pick(u[:, i], counts[i]) for i in range(3)])
    weights = model.noisy_weights(
        rng.random((runs, len(model.node_codes))), assumptions.weight_noise
    )
    threads = _threads(threads)
    out = _simulate(
        model,
        choice,
        weights,
        keep=keep,
        want_y=False,
        fast=fast,
        threads=threads,
        ranking=ranking,
    )
    parameters = _parameters(model, choice, weights, changes)
    return _uncertainty(model, out, parameters, None, threads)


def _parameters(
    model: _Model,
    choice: Indices,
    weights: Floats,
    changes: dict[str, tuple[OptionChanges, ...]],
) -> Parameters:
    return Parameters(
        choices={
            "treatment": choice[:, 0],
            "normalisation": choice[:, 1],
            "aggregation": choice[:, 2],
        },
        labels=model.labels,
        changes=changes,
        weights=weights,
        weight_codes=model.node_codes,
    )


class SaltelliIndices(TypedDict):
    """saltelli_indices' result; the percentiles only with n_boot."""

    variance: float
    si: Floats
    sti: Floats
    si_q05: NotRequired[Floats]
    si_q95: NotRequired[Floats]
    sti_q05: NotRequired[Floats]
    sti_q95: NotRequired[Floats]


def saltelli_sample(uniforms: Floats) -> Floats:
    """COINr's SA_sample from an N × 2d matrix of uniforms: A (first d columns), B (last d),
    then for each i, A with column i from B; N(d + 2) rows."""
    n, two_d = uniforms.shape
    d = two_d // 2
    a, b = uniforms[:, :d], uniforms[:, d:]
    blocks = [a, b]
    for i in range(d):
        ab = a.copy()
        ab[:, i] = b[:, i]
        blocks.append(ab)
    sample: Floats = np.vstack(blocks)
    return sample


def saltelli_indices(
    y: ArrayLike,
    n: int,
    d: int,
    n_boot: int | None = None,
    rng: np.random.Generator | None = None,
) -> "SaltelliIndices":
    """COINr's SA_estimate: Si = mean(yB (yABi - yA)) / V (Saltelli 2010), STi = Σ(yA - yABi)² /
    (2 N V) (Jansen), V = var(c(yA, yB)) with n - 1; with n_boot, the 5th and 95th percentiles
    (type 7) of the indices recomputed on resampled terms, V kept. If the output never varies
    (V = 0), no assumption has any effect and every index is 0."""
    out_y = np.asarray(y, dtype=np.float64)
    if out_y.size != n * (d + 2):
        raise CompositeError(f"SA: {out_y.size} outputs, expected N(d + 2) = {n * (d + 2)}.")
    y_a, y_b = out_y[:n], out_y[n : 2 * n]
    y_ab = out_y[2 * n :].reshape(d, n)
    variance = float(np.var(np.concatenate([y_a, y_b]), ddof=1))
    first_terms = y_b * (y_ab - y_a)  # d × n
    total_terms = y_a - y_ab
    if variance > 0:
        si = first_terms.mean(axis=1) / variance
        sti = (total_terms**2).sum(axis=1) / (2 * n * variance)
    else:
        si, sti = np.zeros(d), np.zeros(d)
    out: SaltelliIndices = {"variance": variance, "si": si, "sti": sti}
    if n_boot:
        rng = rng if rng is not None else np.random.default_rng()
        si_boot, sti_boot = np.zeros((d, n_boot)), np.zeros((d, n_boot))
        if variance > 0:
            for i in range(d):
                pick_s = rng.integers(0, n, size=(n_boot, n))
                pick_t = rng.integers(0, n, size=(n_boot, n))
                si_boot[i] = first_terms[i][pick_s].mean(axis=1) / variance
                sti_boot[i] = (total_terms[i][pick_t] ** 2).sum(axis=1) / (2 * n * variance)
        out["si_q05"] = np.quantile(si_boot, 0.05, axis=1)  # numpy's "linear" is R's type 7
        out["si_q95"] = np.quantile(si_boot, 0.95, axis=1)
        out["sti_q05"] = np.quantile(sti_boot, 0.05, axis=1)
        out["sti_q95"] = np.quantile(sti_boot, 0.95, axis=1)
    return out


def run_sensitivity(
    data: Data,
    framework: Framework,
    options: Options | None = None,
    assumptions: Assumptions | None = None,
    n: int = 100,
    seed: int | None = 0,
    n_boot: int | None = None,
    *,
    keep: bool = False,
    threads: int | None = None,
    fast: bool = True,
) -> Sensitivity:
    """COINr's sensitivity analysis (get_sensitivity(SA_type = "SA")): N(d + 2) runs of the
    Saltelli design over the d varied assumptions, in this order: weights (if weight_noise > 0),
    treatment, normalisation, aggregation (each if it has more than one alternative). The output
    is y = the mean over units of |rank - nominal rank|; see `saltelli_indices`.

    Draws from numpy.random.default_rng(seed): the N × 2d uniforms of the design, then (if the
    weights vary) a pool of N noisy weight sets (N × nodes uniforms) that the weights' column picks
    from, then the bootstrap resamples."""
    assumptions = assumptions or Assumptions()
    if not isinstance(n, numbers.Integral) or n < 3:
        raise CompositeError(f"N: at least 3 are needed (COINr: N > 2), not {n!r}.")
    if n_boot is not None and (not isinstance(n_boot, numbers.Integral) or n_boot < 1):
        raise CompositeError(f"n_boot is a positive whole number or None, not {n_boot!r}.")
    model, changes = _model(data, framework, options, assumptions)
    counts = {
        "treatment": len(model.treatments),
        "normalisation": len(model.normalisations),
        "aggregation": len(model.aggregations),
    }
    names = (["weights"] if model.noisy.any() else []) + [k for k, c in counts.items() if c > 1]
    d = len(names)
    if d == 0:
        raise CompositeError(
            "Nothing varies: give weight_noise > 0 or two or more alternatives of an assumption."
        )
    rng = np.random.default_rng(seed)
    design = saltelli_sample(rng.random((n, 2 * d)))
    total = design.shape[0]
    choice = np.zeros((total, 3), dtype=np.intp)
    for column, name in enumerate(names):
        if name != "weights":
            k = ("treatment", "normalisation", "aggregation").index(name)
            choice[:, k] = _pick(design[:, column], counts[name])
    if "weights" in names:
        pool = model.noisy_weights(rng.random((n, len(model.node_codes))), assumptions.weight_noise)
        weights = pool[_pick(design[:, names.index("weights")], n)]
    else:
        weights = model.rescale(np.broadcast_to(model.base_weights, (total, len(model.node_codes))))
    threads = _threads(threads)
    out = _simulate(
        model,
        choice,
        weights,
        keep=keep,
        want_y=True,
        fast=fast,
        threads=threads,
        ranking="keys",
    )
    parameters = _parameters(model, choice, weights, changes)
    stats = _uncertainty(model, out, parameters, np.arange(2 * n), threads)
    indices = saltelli_indices(out.outputs(), n, d, n_boot, rng)
    return Sensitivity(
        names=names,
        si=indices["si"],
        sti=indices["sti"],
        variance=indices["variance"],
        y=out.outputs(),
        n=n,
        uncertainty=stats,
        si_q05=indices.get("si_q05"),
        si_q95=indices.get("si_q95"),
        sti_q05=indices.get("sti_q05"),
        sti_q95=indices.get("sti_q95"),
    )
