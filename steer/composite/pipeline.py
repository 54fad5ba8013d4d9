"""The pipeline, step by step as COINr runs it, every stage kept:
Raw → Denominated → Imputed → Screened → Treated → Normalised → Aggregated.

Options carry COINr's names and defaults (`f_i`, `dat_thresh`, `winmax`, `f_n`, `l_u`, `f_ag`…).
"""

import math
from dataclasses import dataclass, field, replace

import numpy as np

from steer.composite import CompositeError
from steer.composite.stats import kurtosis, min_ranks, skewness
from steer.composite.tables import Data, Framework

IMPUTE = ("i_mean", "i_median", "i_mean_grp", "i_median_grp")
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
AGGREGATE = ("a_amean", "a_gmean", "a_hmean", "a_genmean")
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
    goalposts: dict[str, tuple] = field(default_factory=dict)  # code: (lower, upper[, scale])
    f_ag: str = "a_amean"
    p: float = 2.0  # a_genmean's power
    weights: dict[str, float] = field(default_factory=dict)  # overrides iMeta's

    def check(self, framework: Framework, data: Data) -> None:
        if self.f_i is not None and self.f_i not in IMPUTE:
            raise CompositeError(f"f_i '{self.f_i}' is not one of {', '.join(IMPUTE)}.")
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
    values: np.ndarray  # units × codes

    def column(self, code: str) -> np.ndarray:
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

    def scores(self, code: str | None = None) -> np.ndarray:
        code = code or self.index
        return self.aggregated.column(code)

    @property
    def index(self) -> str:
        return self.framework.level(self.framework.top_level)[0]

    def ranks(self, code: str | None = None) -> np.ndarray:
        return min_ranks(self.scores(code))


# -- steps ------------------------------------------------------------------------------------


def denominate(x: np.ndarray, framework: Framework, data: Data) -> np.ndarray:
    out = x.copy()
    for j, code in enumerate(framework.indicators):
        denominator = framework.nodes[code].denominator
        if denominator:
            out[:, j] = x[:, j] / data.columns[denominator]
    return out


def impute(x: np.ndarray, how: str, groups: list[str] | None) -> np.ndarray:
    centre = np.nanmedian if how.startswith("i_median") else np.nanmean
    out = x.copy()
    keys = groups if how.endswith("_grp") else ["all"] * x.shape[0]
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


def _centres(block: np.ndarray, centre) -> np.ndarray:
    result = np.full(block.shape[1], np.nan)
    for j in range(block.shape[1]):
        column = block[:, j]
        if (~np.isnan(column)).any():
            result[j] = centre(column)
    return result


def screen(x: np.ndarray, options: Options) -> np.ndarray:
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


def _fails(x: np.ndarray, options: Options) -> tuple[bool, float, float]:
    s, k = skewness(x), kurtosis(x)
    return (abs(s) >= options.skew_thresh and k >= options.kurt_thresh), s, k


def treat_column(x: np.ndarray, code: str, units: list[str], options: Options):
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


def normalise(x: np.ndarray, framework: Framework, codes: list[str], options: Options):
    out = np.empty_like(x)
    lo, hi = options.l_u
    for j, code in enumerate(codes):
        node = framework.nodes[code]
        v = x[:, j] * node.direction
        present = v[~np.isnan(v)]
        if present.size < 2:
            raise CompositeError(f"{code}: too few values to normalise ({present.size}).")
        vmin, vmax = present.min(), present.max()
        f = options.f_n
        if f in ("n_minmax", "n_dist2max") and vmax == vmin:
            raise CompositeError(f"{code}: every unit has the same value; it cannot be normalised.")
        if f == "n_minmax":
            out[:, j] = (v - vmin) / (vmax - vmin) * (hi - lo) + lo
        elif f == "n_zscore":
            sd = present.std(ddof=1)
            if sd == 0:
                raise CompositeError(f"{code}: every unit has the same value (no variance).")
            mean, spread = options.m_sd
            out[:, j] = (v - present.mean()) / sd * spread + mean
        elif f in ("n_rank", "n_prank", "n_borda"):
            ranks = _ascending_min_ranks(v)
            if f == "n_rank":
                out[:, j] = ranks
            elif f == "n_borda":
                out[:, j] = ranks - 1
            else:
                out[:, j] = (ranks - 1) / (present.size - 1)
        elif f == "n_goalposts":
            if code not in options.goalposts:
                raise CompositeError(f"{code}: n_goalposts needs goalposts for it.")
            g_lo, g_hi, scale = (*options.goalposts[code], 1.0)[:3]
            if node.direction < 0:
                g_lo, g_hi = -g_hi, -g_lo
            out[:, j] = np.clip((v - g_lo) / (g_hi - g_lo), 0, 1) * scale
        elif f == "n_dist2targ":
            if node.target is None:
                raise CompositeError(f"{code}: n_dist2targ needs a Target in iMeta.")
            target = node.target * node.direction
            if target == vmin:
                raise CompositeError(f"{code}: the target equals the lowest value.")
            out[:, j] = (v - vmin) / (target - vmin)
        elif f == "n_dist2max":
            out[:, j] = (v - vmin) / (vmax - vmin)
        elif f == "n_fracmax":
            if vmax == 0:
                raise CompositeError(f"{code}: the highest value is 0; no fraction of it.")
            out[:, j] = v / vmax
    return out


def _ascending_min_ranks(v: np.ndarray) -> np.ndarray:
    present = ~np.isnan(v)
    out = np.full(v.shape, np.nan)
    values = v[present]
    out[present] = np.searchsorted(np.sort(values), values, side="left") + 1
    return out


def rescaled_weights(framework: Framework, overrides: dict[str, float]) -> dict[str, float]:
    weights = {}
    for level in range(2, framework.top_level + 1):
        for parent in framework.level(level):
            kids = framework.children(parent)
            raw = {k: overrides.get(k, framework.nodes[k].weight) for k in kids}
            total = sum(raw.values())
            if total <= 0:
                raise CompositeError(f"The weights under {parent} sum to zero.")
            weights |= {k: w / total for k, w in raw.items()}
    return weights


def aggregate_level(values: np.ndarray, weights: np.ndarray, how: str, p: float, names):
    """Rows: units; columns: the children. NaN children are left out and the weights
    re-scaled over the present ones (COINr's a_amean; also for the other means here)."""
    present = ~np.isnan(values)
    w = np.where(present, weights, 0.0)
    total = w.sum(axis=1)
    v = np.where(present, values, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        if how == "a_amean":
            out = (w * v).sum(axis=1) / total
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


# -- the whole pipeline -----------------------------------------------------------------------


def run(data: Data, framework: Framework, options: Options | None = None) -> Result:
    options = options or Options()
    options.check(framework, data)
    codes = framework.indicators
    units = list(data.units)
    stages = {"Raw": Stage(units, codes, data.matrix(codes))}
    x = stages["Raw"].values
    if options.denominate:
        x = denominate(x, framework, data)
        stages["Denominated"] = Stage(units, codes, x)
    if options.f_i:
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
    columns = dict(zip(codes, x.T, strict=True))
    for level in range(2, framework.top_level + 1):
        for parent in framework.level(level):
            kids = framework.children(parent)
            block = np.column_stack([columns[k] for k in kids])
            w = np.array([weights[k] for k in kids])
            columns[parent] = aggregate_level(block, w, options.f_ag, options.p, (units, kids))
    order = list(columns)
    stages["Aggregated"] = Stage(units, order, np.column_stack([columns[c] for c in order]))
    return Result(framework, options, stages, screened_out, treatments, weights)


def with_options(options: Options, **changes) -> Options:
    return replace(options, **changes)
