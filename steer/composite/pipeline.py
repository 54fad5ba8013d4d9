"""The pipeline, step by step as COINr runs it, every stage kept:
Raw → Denominated → Imputed → Screened → Treated → Normalised → Aggregated.

Options carry COINr's names and defaults (`f_i`, `dat_thresh`, `winmax`, `f_n`, `l_u`, `f_ag`…).

Panels (iData with several `Time` values, `tables.read_panel`): `run_panel` runs one year, and
with `f_i` = "i_latest", "i_constant" or "i_linear" fills that year's gaps from the unit's other
years first (`impute_panel`, COINr's `impute_panel` with `imp_type` "latest", "constant",
"linear").
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from steer.composite import CompositeError
from steer.composite.arrays import Bools, Floats
from steer.composite.stats import kurtosis, min_ranks, skewness
from steer.composite.tables import Data, Framework

IMPUTE = ("i_mean", "i_median", "i_mean_grp", "i_median_grp")
PANEL_IMPUTE = ("i_latest", "i_constant", "i_linear")  # over years: run_panel, impute_panel
NORMALISE = (
    "n_minmax",
    "n_zscore",
    "n_rank",
    "n_prank",
    "n_borda",
    "n_goalposts",
    "n_dist2targ",
    "n_dist2max",
    "n_fracmax",
)
AGGREGATE = ("a_amean", "a_gmean", "a_hmean", "a_genmean", "a_copeland")
COPELAND_MISSING = ("tie", "coinr")
SCREEN = ("byNA", "byNZ", "byBoth", "none")


@dataclass(frozen=True)
class Options:
    denominate: bool = True
    f_i: str | None = None  # None: no imputation
    use_group: str | None = None
    dat_thresh: float | None = None  # None: no screening
    nonzero_thresh: float = 0.05
    unit_screen: str = "byNA"
    treat: bool = True
    winmax: int = 5
    skew_thresh: float = 2.0
    kurt_thresh: float = 3.5
    f_n: str = "n_minmax"
    l_u: tuple[float, float] = (0.0, 100.0)
    m_sd: tuple[float, float] = (0.0, 1.0)  # n_zscore's mean and standard deviation
    goalposts: dict[str, tuple[float, ...]] = field(
        default_factory=dict
    )  # code: (lower, upper[, scale])
    f_ag: str = "a_amean"
    p: float = 2.0  # a_genmean's power
    weights: dict[str, float] = field(default_factory=dict)  # overrides iMeta's
    # a_copeland: a child missing for either unit of a pair counts as a tie ("tie"), or as
    # COINr counts it ("coinr": the pair's later unit in uCode order gets its weight).
    copeland_missing: str = "tie"
    max_time: int | None = None  # i_latest: how many earlier time points to look back (all)

    def check(self, framework: Framework, data: Data) -> None:
        if self.f_i is not None and self.f_i not in IMPUTE + PANEL_IMPUTE:
            raise CompositeError(
                f"f_i '{self.f_i}' is not one of {', '.join(IMPUTE + PANEL_IMPUTE)}."
            )
        if self.f_i in ("i_mean_grp", "i_median_grp"):
            if not self.use_group:
                raise CompositeError(f"{self.f_i} needs use_group, a group column.")
            if self.use_group not in data.groups:
                raise CompositeError(f"use_group: {self.use_group} is not a group column.")
        if self.unit_screen not in SCREEN:
            raise CompositeError(f"unit_screen '{self.unit_screen}' is not one of {SCREEN}.")
        if self.f_n not in NORMALISE:
            raise CompositeError(f"f_n '{self.f_n}' is not one of {', '.join(NORMALISE)}.")
        if self.f_ag not in AGGREGATE:
            raise CompositeError(f"f_ag '{self.f_ag}' is not one of {', '.join(AGGREGATE)}.")
        if self.winmax < 0:
            raise CompositeError("winmax cannot be negative.")
        if self.copeland_missing not in COPELAND_MISSING:
            raise CompositeError(
                f"copeland_missing '{self.copeland_missing}' is not one of "
                f"{', '.join(COPELAND_MISSING)}."
            )
        _check_max_time(self.max_time)
        unknown = [c for c in self.weights if c not in framework.nodes]
        if unknown:
            raise CompositeError(f"weights: unknown code(s) {', '.join(unknown)}.")
        negative = [c for c, w in self.weights.items() if not w >= 0]
        if negative:
            raise CompositeError(f"weights: {', '.join(negative)} cannot be negative.")


@dataclass
class Stage:
    units: list[str]
    codes: list[str]
    values: Floats  # units × codes

    def column(self, code: str) -> Floats:
        return self.values[:, self.codes.index(code)]


@dataclass
class Treatment:
    code: str
    skew: float
    kurt: float
    action: str  # none, winsorised, log
    points: int = 0  # values winsorised (before giving up, for log)
    skew_after: float = math.nan
    kurt_after: float = math.nan
    replaced: list[str] = field(default_factory=list)  # units whose values were winsorised


@dataclass
class Result:
    framework: Framework
    options: Options
    stages: dict[str, Stage]
    screened_out: list[str]
    treatments: list[Treatment]
    weights: dict[str, float]  # rescaled within each parent

    @property
    def aggregated(self) -> Stage:
        return self.stages["Aggregated"]

    def scores(self, code: str | None = None) -> Floats:
        code = code or self.index
        return self.aggregated.column(code)

    @property
    def index(self) -> str:
        return self.framework.level(self.framework.top_level)[0]

    def ranks(self, code: str | None = None) -> Floats:
        return min_ranks(self.scores(code))


# -- steps ------------------------------------------------------------------------------------


def denominate(x: Floats, framework: Framework, data: Data) -> Floats:
    out = x.copy()
    for j, code in enumerate(framework.indicators):
        denominator = framework.nodes[code].denominator
        if denominator:
            out[:, j] = x[:, j] / data.columns[denominator]
    return out


def impute(x: Floats, how: str, groups: list[str] | None) -> Floats:
    centre: Callable[[Floats], float] = np.nanmedian if how.startswith("i_median") else np.nanmean
    out = x.copy()
    if how.endswith("_grp"):
        if groups is None:
            raise CompositeError(f"{how} needs use_group, a group column.")
        keys = groups
    else:
        keys = ["all"] * x.shape[0]
    keys_arr = np.array(keys, dtype=object)
    for key in dict.fromkeys(keys):
        rows = keys_arr == key
        block = out[rows]
        with np.errstate(all="ignore"):
            missing = np.isnan(block)
            if not missing.any():
                continue
            filled = np.where(missing, _centres(block, centre), block)
        out[rows] = filled
    return out


def _centres(block: Floats, centre: Callable[[Floats], float]) -> Floats:
    result = np.full(block.shape[1], np.nan)
    for j in range(block.shape[1]):
        column = block[:, j]
        if (~np.isnan(column)).any():
            result[j] = centre(column)
    return result


def screen(x: Floats, options: Options) -> Bools:
    """Which units to keep (a boolean per unit)."""
    keep = np.ones(x.shape[0], dtype=bool)
    if options.dat_thresh is None or options.unit_screen == "none":
        return keep
    present = ~np.isnan(x)
    availability = present.mean(axis=1)
    with np.errstate(invalid="ignore"):
        nonzero = np.where(present, x != 0, False).sum(axis=1) / np.maximum(present.sum(axis=1), 1)
    if options.unit_screen in ("byNA", "byBoth"):
        keep &= availability >= options.dat_thresh
    if options.unit_screen in ("byNZ", "byBoth"):
        keep &= nonzero >= options.nonzero_thresh
    return keep


def _fails(x: Floats, options: Options) -> tuple[bool, float, float]:
    s, k = skewness(x), kurtosis(x)
    return (abs(s) >= options.skew_thresh and k >= options.kurt_thresh), s, k


def treat_column(
    x: Floats, code: str, units: list[str], options: Options
) -> tuple[Floats, Treatment]:
    """Winsorise up to winmax points, else log-transform the original values."""
    failing, s, k = _fails(x, options)
    if not failing:
        return x, Treatment(code, s, k, "none", skew_after=s, kurt_after=k)
    y = x.copy()
    high = low = np.zeros(x.shape, dtype=bool)
    # As COINr: the extreme and every value tied with it move to the next value in, so points
    # already moved move again with it; the count is the last high set plus the last low set.
    while failing and high.sum() + low.sum() < options.winmax:
        present = y[~np.isnan(y)]
        if skewness(y) >= 0:
            top = present.max()
            below = present[present < top]
            if below.size == 0:
                break
            high = y == top
            y[high] = below.max()
        else:
            bottom = present.min()
            above = present[present > bottom]
            if above.size == 0:
                break
            low = y == bottom
            y[low] = above.min()
        failing = _fails(y, options)[0]
    points = int(high.sum() + low.sum())
    replaced = [units[i] for i in np.flatnonzero(high | low)]
    if not failing:
        return y, Treatment(code, s, k, "winsorised", points, skewness(y), kurtosis(y), replaced)
    lo, hi = np.nanmin(x), np.nanmax(x)
    logged = np.log(x - lo + 0.01 * (hi - lo))
    return logged, Treatment(code, s, k, "log", points, skewness(logged), kurtosis(logged))


RANKED = ("n_rank", "n_prank", "n_borda")


def goalposts(
    x: Floats, framework: Framework, codes: list[str], options: Options
) -> list[tuple[float, ...]]:
    """Each column's normalisation parameters from the prepared values (after the direction):
    (min, max) for min-max and distance to max, (mean, sd) for z-scores, (lower, upper, scale)
    for goalposts, (min, target) for distance to target, (max,) for fraction of max. Kept apart
    from `normalise_with` so that a year's values can be normalised with another year's
    goalposts (explain.py)."""
    out: list[tuple[float, ...]] = []
    f = options.f_n
    for j, code in enumerate(codes):
        node = framework.nodes[code]
        v = x[:, j] * node.direction
        present = v[~np.isnan(v)]
        if present.size < 2:
            raise CompositeError(f"{code}: too few values to normalise ({present.size}).")
        vmin, vmax = float(present.min()), float(present.max())
        if f in ("n_minmax", "n_dist2max"):
            if vmax == vmin:
                raise CompositeError(
                    f"{code}: every unit has the same value; it cannot be normalised."
                )
            out.append((vmin, vmax))
        elif f == "n_zscore":
            sd = float(present.std(ddof=1))
            if sd == 0:
                raise CompositeError(f"{code}: every unit has the same value (no variance).")
            out.append((float(present.mean()), sd))
        elif f == "n_goalposts":
            if code not in options.goalposts:
                raise CompositeError(f"{code}: n_goalposts needs goalposts for it.")
            g_lo, g_hi, scale = (*options.goalposts[code], 1.0)[:3]
            if node.direction < 0:
                g_lo, g_hi = -g_hi, -g_lo
            out.append((g_lo, g_hi, scale))
        elif f == "n_dist2targ":
            if node.target is None:
                raise CompositeError(f"{code}: n_dist2targ needs a Target in iMeta.")
            target = node.target * node.direction
            if target == vmin:
                raise CompositeError(f"{code}: the target equals the lowest value.")
            out.append((vmin, target))
        elif f == "n_fracmax":
            if vmax == 0:
                raise CompositeError(f"{code}: the highest value is 0; no fraction of it.")
            out.append((vmax,))
        else:
            raise CompositeError(f"{f} normalises by rank: it has no goalposts.")
    return out


def normalise_with(
    x: Floats,
    framework: Framework,
    codes: list[str],
    posts: Sequence[tuple[float, ...]],
    options: Options,
) -> Floats:
    """Prepared values (units × codes) normalised with the given goalposts."""
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    out = np.empty_like(x)
    lo, hi = options.l_u
    f = options.f_n
    for j, code in enumerate(codes):
        v = x[:, j] * framework.nodes[code].direction
        g = posts[j]
        with np.errstate(invalid="ignore"):
            if f == "n_minmax":
                out[:, j] = (v - g[0]) / (g[1] - g[0]) * (hi - lo) + lo
            elif f == "n_zscore":
                mean, spread = options.m_sd
                out[:, j] = (v - g[0]) / g[1] * spread + mean
            elif f == "n_goalposts":
                out[:, j] = np.clip((v - g[0]) / (g[1] - g[0]), 0, 1) * g[2]
            elif f in ("n_dist2targ", "n_dist2max"):
                out[:, j] = (v - g[0]) / (g[1] - g[0])
            else:  # n_fracmax
                out[:, j] = v / g[0]
    return out


def normalise(x: Floats, framework: Framework, codes: list[str], options: Options) -> Floats:
    if options.f_n not in RANKED:
        return normalise_with(x, framework, codes, goalposts(x, framework, codes, options), options)
    out = np.empty_like(x)
    for j, code in enumerate(codes):
        v = x[:, j] * framework.nodes[code].direction
        n = int((~np.isnan(v)).sum())
        if n < 2:
            raise CompositeError(f"{code}: too few values to normalise ({n}).")
        ranks = _ascending_min_ranks(v)
        if options.f_n == "n_rank":
            out[:, j] = ranks
        elif options.f_n == "n_borda":
            out[:, j] = ranks - 1
        else:
            out[:, j] = (ranks - 1) / (n - 1)
    return out


def _ascending_min_ranks(v: Floats) -> Floats:
    present = ~np.isnan(v)
    out = np.full(v.shape, np.nan)
    values = v[present]
    out[present] = np.searchsorted(np.sort(values), values, side="left") + 1
    return out


def meta_weights(framework: Framework, overrides: dict[str, float]) -> dict[str, float]:
    """Each node's weight as iMeta (or an override) gives it, not rescaled: the weights COINr's
    Aggregate passes to its mean (a_amean rescales them over the children present)."""
    return {
        k: overrides.get(k, framework.nodes[k].weight)
        for level in range(2, framework.top_level + 1)
        for parent in framework.level(level)
        for k in framework.children(parent)
    }


def rescaled_weights(framework: Framework, overrides: dict[str, float]) -> dict[str, float]:
    weights: dict[str, float] = {}
    given = meta_weights(framework, overrides)
    for level in range(2, framework.top_level + 1):
        for parent in framework.level(level):
            kids = framework.children(parent)
            raw = {k: given[k] for k in kids}
            total = sum(raw.values())
            if total <= 0:
                raise CompositeError(f"The weights under {parent} sum to zero.")
            weights |= {k: w / total for k, w in raw.items()}
    return weights


def aggregate_level(
    values: Floats,
    weights: Floats,
    how: str,
    p: float,
    names: tuple[Sequence[str], Sequence[str]],
    copeland_missing: str = "tie",
) -> Floats:
    """Rows: units; columns: the children. NaN children are left out and the weights
    re-scaled over the present ones (COINr's a_amean; also for the other means here).
    a_copeland compares the units with each other instead (`copeland`).

    a_amean runs COINr's arithmetic (`amean`), so that scores equal in exact arithmetic
    (frequent with rank and Borda normalisations) tie or split as they do in COINr."""
    if how == "a_copeland":
        return copeland(values, weights, copeland_missing)
    present = ~np.isnan(values)
    w = np.where(present, weights, 0.0)
    total = w.sum(axis=1)
    v = np.where(present, values, 0.0)
    out: Floats
    with np.errstate(divide="ignore", invalid="ignore"):
        if how == "a_amean":
            out = amean(v, w)
        elif how == "a_gmean":
            bad = present & (values <= 0)
            if bad.any():
                unit, child = np.argwhere(bad)[0]
                raise CompositeError(
                    f"{names[1][child]} of {names[0][unit]} is {values[unit, child]:g}: a "
                    "geometric mean needs positive values (normalise to a positive range)."
                )
            out = np.exp((w * np.log(np.where(present, values, 1.0))).sum(axis=1) / total)
        elif how == "a_hmean":
            bad = present & (values <= 0)
            if bad.any():
                unit, child = np.argwhere(bad)[0]
                raise CompositeError(
                    f"{names[1][child]} of {names[0][unit]} is {values[unit, child]:g}: a "
                    "harmonic mean needs positive values."
                )
            out = total / (w / np.where(present, values, 1.0)).sum(axis=1)
        else:
            if p == 0:
                return aggregate_level(values, weights, "a_gmean", p, names)
            out = ((w * np.power(v, p)).sum(axis=1) / total) ** (1 / p)
    out[total == 0] = np.nan
    return out


def amean(values: Floats, weights: Floats) -> Floats:
    """Each row's weighted mean as COINr's a_amean computes it (R/aggregate.R):
    `w <- w/sum(w); sum(w*x)` over the present children, where R's `sum` adds left to right
    in long double (80-bit on x86-64) and rounds once, the rest in float64. Missing children
    come with value and weight 0 (adding 0 changes no sum). Exact ties then break, or not,
    on the same last bits as in COINr; a float64 sum breaks some the other way."""
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = weights / _long_row_sums(weights)[:, None]
    return _long_row_sums(shares * values)


def _long_row_sums(m: Floats) -> Floats:
    """Each row's sum as R's sum() runs it: children in order, in long double, rounded once."""
    acc = np.zeros(m.shape[0], dtype=np.longdouble)
    for column in m.T:
        acc += column
    out: Floats = acc.astype(np.float64)
    return out


def copeland(values: Floats, weights: Floats, missing: str = "tie") -> Floats:
    """Copeland scores (COINr's `a_copeland` over `outrankMatrix`, R/aggregate.R): every unit
    against every other on the children; a unit wins a pair when the weights of the children
    where it is strictly higher outweigh those where it is lower; score = wins − losses.

    As COINr computes it: the weights are scaled to sum to 1 (over every child); for a pair
    (i, j), i before j in row order (uCode order), s = Σ w where x_i > x_j + ½ Σ w where
    x_i = x_j (sums accumulated in long double, as R's `sum`); s > 0.5 → i wins (+1 for i,
    −1 for j), s < 0.5 → j wins, s = 0.5 → a draw (0 each). So equal values split their
    weight and cancel, and the score is an integer in [−(n − 1), n − 1]. Scores are unchanged
    by any increasing transform of a child (only the order of values counts).

    Missing values (`missing`):
    - "tie" (default): a child missing for either unit counts as a tie for that pair, i.e.
      the pair is decided on the children both have, whatever the row order; a unit with no
      child at all gets no score (NaN) and draws with everyone.
    - "coinr": COINr's exact numbers. COINr drops such a child from s and sets s_ji = 1 − s_ij,
      so its weight goes to the unit LATER in uCode order: with children (a, b, c), i ahead
      of j on a, behind on b and c missing, j wins (s_ij = 1/3). A unit missing everything
      loses to every later unit and beats every earlier one. Reproduces COINr; depends on
      the order of the codes."""
    if missing not in COPELAND_MISSING:
        raise CompositeError(
            f"copeland: missing is one of {', '.join(COPELAND_MISSING)}, not '{missing}'."
        )
    x = np.asarray(values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    n = x.shape[0]
    total = _long_sum(w)
    if not total > 0 or (w < 0).any():
        raise CompositeError("copeland: the weights must be non-negative with a positive sum.")
    w = w / total
    shape = (n, n)
    better, equal, gone = (np.zeros(shape, dtype=np.longdouble) for _ in range(3))
    for c in range(x.shape[1]):  # children in order, as R's sum runs
        a, b = x[:, c, None], x[None, :, c]
        better += np.where(a > b, w[c], 0.0)
        equal += np.where(a == b, w[c], 0.0)
        gone += np.where(np.isnan(a) | np.isnan(b), w[c], 0.0)
    wins = better.astype(np.float64).astype(np.longdouble)  # s, summed in long double
    wins += (equal.astype(np.float64) / 2).astype(np.longdouble)
    if missing == "tie":
        wins += (gone.astype(np.float64) / 2).astype(np.longdouble)
    s = wins.astype(np.float64)
    upper = np.triu_indices(n, 1)
    lower = (upper[1], upper[0])
    vote = np.zeros(shape)
    vote[upper] = _side(s[upper])
    vote[lower] = -vote[upper] if missing == "tie" else _side(1.0 - s[upper])
    scores: Floats = vote.sum(axis=1)
    if missing == "tie":
        scores[np.isnan(x).all(axis=1)] = np.nan
    return scores


def _side(share: Floats) -> Floats:
    return np.where(share > 0.5, 1.0, np.where(share < 0.5, -1.0, 0.0))


def _long_sum(v: Floats) -> float:
    """R's sum(): sequential, in long double, rounded once."""
    acc = np.longdouble(0)
    for value in v:
        acc += np.longdouble(value)
    return float(acc)


def aggregate_tree(
    normalised: Floats,
    units: list[str],
    framework: Framework,
    weights: dict[str, float],
    options: Options,
) -> dict[str, Floats]:
    """Every node's column from the normalised indicators (units × framework.indicators),
    level by level, as `run` aggregates."""
    columns = dict(zip(framework.indicators, normalised.T, strict=True))
    for level in range(2, framework.top_level + 1):
        for parent in framework.level(level):
            kids = framework.children(parent)
            block = np.column_stack([columns[k] for k in kids])
            w = np.array([weights[k] for k in kids])
            columns[parent] = aggregate_level(
                block, w, options.f_ag, options.p, (units, kids), options.copeland_missing
            )
    return columns


# -- panels -----------------------------------------------------------------------------------


def _check_max_time(max_time: object) -> None:
    if max_time is not None and (
        isinstance(max_time, bool) or not isinstance(max_time, int) or max_time < 1
    ):
        raise CompositeError(f"max_time is a whole number of time points >= 1, not {max_time!r}.")


def impute_panel(
    panel: dict[int, Data], year: int, method: str = "i_latest", max_time: int | None = None
) -> Data:
    """The data of `year` with each missing value filled from the same unit's other years,
    as COINr's `impute_panel` (R/impute.R), column by column (every numeric column: indicators
    and denominators; groups are left as they are):

    - "i_latest" (COINr's default, imp_type "latest"): the value of the most recent EARLIER
      time point of the panel that has one, looking back at most `max_time` time points of
      the panel (not years: with 2019, 2021, 2022, max_time=1 from 2022 reaches 2021 only).
      Never from a later year, so the first year's gaps stay.
    - "i_constant" (imp_type "constant", R's approx(method="constant", rule=2)): the last
      value before, or, before the unit's first value, its first value (carried back).
      `max_time` does not apply (as in COINr).
    - "i_linear" (imp_type "linear", approx(rule=2)): linear between the values just before
      and just after, y₀ + (y₁ − y₀)·((t − t₀)/(t₁ − t₀)); before the first or after the last
      value, the nearest value. `max_time` does not apply.

    A value no other year has stays missing (COINr warns). Only the unit's own years count;
    a unit absent from a year is skipped there. Deviation from COINr: with a single value in
    the series, i_linear uses it (as its rule 2 would); R's approx stops with "need at least
    two non-NA values to interpolate"."""
    if method not in PANEL_IMPUTE:
        raise CompositeError(
            f"impute_panel: method '{method}' is not one of {', '.join(PANEL_IMPUTE)}."
        )
    _check_max_time(max_time)
    if year not in panel:
        raise CompositeError(
            f"impute_panel: the panel has no year {year} (it has {_years_text(panel)})."
        )
    rows = {}
    for t, d in panel.items():
        if len(set(d.units)) != len(d.units):
            twice = next(u for u in d.units if d.units.count(u) > 1)
            raise CompositeError(f"Panel, Time {t}: the unit {twice} appears twice.")
        rows[t] = {u: i for i, u in enumerate(d.units)}
    target = panel[year]
    years = sorted(panel)
    earlier = [t for t in reversed(years) if t < year]
    if max_time is not None:
        earlier = earlier[:max_time]
    columns = {}
    for code, column in target.columns.items():
        out = column.copy()
        for i in np.flatnonzero(np.isnan(column)):
            unit = target.units[i]
            series = [
                (t, panel[t].columns[code][rows[t][unit]])
                for t in years
                if t != year and unit in rows[t] and code in panel[t].columns
            ]
            seen = [(t, v) for t, v in series if not math.isnan(v)]
            if method == "i_latest":
                found = dict(seen)
                out[i] = next((found[t] for t in earlier if t in found), math.nan)
            else:
                out[i] = _interpolate(seen, year, method)
        columns[code] = out
    return Data(
        units=list(target.units),
        names=list(target.names),
        columns=columns,
        groups={g: list(v) for g, v in target.groups.items()},
        time=None if target.time is None else list(target.time),
    )


def _interpolate(seen: list[tuple[int, float]], year: int, method: str) -> float:
    if not seen:
        return math.nan
    if year < seen[0][0]:
        return seen[0][1]
    if year > seen[-1][0]:
        return seen[-1][1]
    k = next(j for j, (t, _) in enumerate(seen) if t > year)
    (t0, y0), (t1, y1) = seen[k - 1], seen[k]
    if method == "i_constant":
        return y0
    return y0 + (y1 - y0) * ((year - t0) / (t1 - t0))


def _years_text(panel: dict[int, Data]) -> str:
    return ", ".join(str(t) for t in sorted(panel)) or "none"


def run_panel(
    panel: dict[int, Data], framework: Framework, options: Options | None, year: int
) -> Result:
    """The pipeline for one `year` of a panel (`tables.read_panel`). With a panel `f_i`
    ("i_latest", "i_constant", "i_linear") each year is denominated first, then the year's
    gaps are filled from the unit's other years (`impute_panel`, on the denominated values,
    as COINr's Impute(purse, dset = "Denominated", f_i = "impute_panel")); the other steps
    run on that year alone, as COINr runs each coin of a purse. Other `f_i` values impute
    within the year, as `run`."""
    options = options or Options()
    if year not in panel:
        raise CompositeError(
            f"run_panel: the panel has no year {year} (it has {_years_text(panel)})."
        )
    data = panel[year]
    options.check(framework, data)
    imputed = None
    if options.f_i in PANEL_IMPUTE:
        codes = framework.indicators
        denominated = {}
        for t, d in panel.items():
            x = d.matrix(codes)
            if options.denominate:
                x = denominate(x, framework, d)
            denominated[t] = replace(d, columns=dict(zip(codes, x.T, strict=True)))
        imputed = impute_panel(denominated, year, options.f_i, options.max_time).matrix(codes)
    return _run(data, framework, options, imputed)


# -- the whole pipeline -----------------------------------------------------------------------


def run(data: Data, framework: Framework, options: Options | None = None) -> Result:
    options = options or Options()
    options.check(framework, data)
    if options.f_i in PANEL_IMPUTE:
        raise CompositeError(
            f"f_i '{options.f_i}' fills gaps from other years: run a panel with run_panel "
            "(tables.read_panel reads iData with a Time column)."
        )
    return _run(data, framework, options, None)


def _run(
    data: Data, framework: Framework, options: Options, panel_imputed: Floats | None
) -> Result:
    codes = framework.indicators
    units = list(data.units)
    stages = {"Raw": Stage(units, codes, data.matrix(codes))}
    x = stages["Raw"].values
    if options.denominate:
        x = denominate(x, framework, data)
        stages["Denominated"] = Stage(units, codes, x)
    if panel_imputed is not None:  # f_i is a panel method (run_panel)
        x = panel_imputed
        stages["Imputed"] = Stage(units, codes, x)
    elif options.f_i:
        groups = data.groups.get(options.use_group) if options.use_group else None
        x = impute(x, options.f_i, groups)
        stages["Imputed"] = Stage(units, codes, x)
    keep = screen(x, options)
    screened_out = [u for u, k in zip(units, keep, strict=True) if not k]
    if options.dat_thresh is not None:
        units = [u for u, k in zip(units, keep, strict=True) if k]
        x = x[keep]
        stages["Screened"] = Stage(units, codes, x)
    treatments = []
    if options.treat:
        treated = np.empty_like(x)
        for j, code in enumerate(codes):
            treated[:, j], log = treat_column(x[:, j], code, units, options)
            treatments.append(log)
        x = treated
        stages["Treated"] = Stage(units, codes, x)
    x = normalise(x, framework, codes, options)
    stages["Normalised"] = Stage(units, codes, x)
    weights = rescaled_weights(framework, options.weights)
    columns = aggregate_tree(x, units, framework, meta_weights(framework, options.weights), options)
    order = list(columns)
    stages["Aggregated"] = Stage(units, order, np.column_stack([columns[c] for c in order]))
    return Result(framework, options, stages, screened_out, treatments, weights)
