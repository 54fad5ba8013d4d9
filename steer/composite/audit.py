"""Statistical audit of a composite index, as COINr's `get_stats`, `get_corr`, `get_corr_flags`,
`get_denom_corr`, `get_cronbach` and `get_PCA` define it, with COINr's quirks fixed (each fix is
named where it is made):

- `indicator_stats`: the shares of non-zero and of unique values are taken over the values
  AVAILABLE for the flags too (COINr divides by the number of rows for the flags and by the
  number available for the columns: a missing value counted as a zero, or as a repeated value);
  numbers are not rounded to 3 significant figures.
- `correlations`: each unordered pair once; p-values are computed but not used to blank
  correlations unless asked (COINr blanks every r with p > 0.05 by default).
- `pca`: the PC1 loadings get a sign (their sum is positive) and a warning when some are
  negative (COINr's weights from `get_PCA` can be flipped or negative without a word);
  `pca_weights` turns them into weights that sum to 1 within a group.

Pure NumPy, no pandas and no Django: results are dataclasses holding plain Python numbers.
"""

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING

import numpy as np

from steer.composite import CompositeError
from steer.composite.arrays import Floats, Integers
from steer.composite.pipeline import Result, Stage
from steer.composite.stats import kurtosis, skewness
from steer.composite.tables import Data, Framework

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

# COINr's default thresholds (get_stats, get_corr_flags, get_denom_corr).
T_AVAIL, T_NONZERO, T_UNIQUE, T_SKEW, T_KURT = 0.65, 0.5, 0.5, 2.0, 3.5
T_COLLINEAR, T_NEGATIVE, T_DENOMINATOR = 0.9, -0.4, 0.6


def as_columns(rows: Sequence["DataclassInstance"]) -> dict[str, list[object]]:
    """A list of dataclass rows → a dict of lists (one per field), ready for a table."""
    if not rows:
        return {}
    return {f.name: [getattr(r, f.name) for r in rows] for f in fields(rows[0])}


# -- indicator statistics ---------------------------------------------------------------------


@dataclass
class IndicatorStat:
    code: str
    name: str
    min: float
    max: float
    mean: float
    median: float
    std: float  # n − 1
    skew: float
    kurt: float  # excess kurtosis
    n_avail: int
    n_nonzero: int
    n_unique: int
    n_same: int  # the largest number of units sharing one value
    frc_avail: float  # ÷ number of units
    frc_nonzero: float  # ÷ n_avail
    frc_unique: float  # ÷ n_avail
    frc_same: float  # ÷ n_avail
    flag_avail: str  # "ok" or "LOW"
    flag_nonzero: str  # "ok" or "LOW"
    flag_unique: str  # "ok" or "LOW"
    flag_skew_kurt: str  # "ok" or "OUT"

    @property
    def flagged(self) -> bool:
        return any(
            f != "ok"
            for f in (self.flag_avail, self.flag_nonzero, self.flag_unique, self.flag_skew_kurt)
        )


def indicator_stats(
    stage: Stage,
    framework: Framework,
    *,
    codes: list[str] | None = None,
    t_avail: float = T_AVAIL,
    t_nonzero: float = T_NONZERO,
    t_unique: float = T_UNIQUE,
    t_skew: float = T_SKEW,
    t_kurt: float = T_KURT,
    coinr_shares: bool = False,
) -> list[IndicatorStat]:
    """COINr's `get_stats` for every column of a stage (or the `codes` asked for).

    Flags as COINr's defaults: availability < 0.65 → "LOW"; share of non-zero values < 0.5 →
    "LOW"; share of unique values < 0.5 → "LOW"; |skew| > 2 and kurtosis > 3.5 → "OUT" (strict
    inequalities, as `get_stats`; note that `Treat` uses ≥).

    Quirk fixed: COINr's flags divide the non-zero and unique counts by the number of ROWS, so
    an indicator with many missing values is flagged "LOW" on zeros and uniqueness for the
    values it does not have. Here both shares are over the values available (as COINr's own
    Frc.NonZero and Frc.Unique columns are). `coinr_shares=True` gives COINr's flags.
    """
    codes = list(stage.codes) if codes is None else codes
    unknown = [c for c in codes if c not in stage.codes]
    if unknown:
        raise CompositeError(f"indicator_stats: {', '.join(unknown)} not in this stage.")
    rows = len(stage.units)
    out = []
    for code in codes:
        x = stage.column(code)
        v = x[~np.isnan(x)]
        n = int(v.size)
        if n:
            values, counts = np.unique(v, return_counts=True)
            n_unique, n_same = int(values.size), int(counts.max())
            lo, hi, mean, median = (float(f(v)) for f in (np.min, np.max, np.mean, np.median))
        else:
            n_unique = n_same = 0
            lo = hi = mean = median = math.nan
        n_nonzero = int(np.count_nonzero(v))
        std = float(v.std(ddof=1)) if n > 1 else math.nan
        skew, kurt = skewness(x), kurtosis(x)
        share = _share(n, rows)
        frc_nonzero, frc_unique = _share(n_nonzero, n), _share(n_unique, n)
        flag_nz = _share(n_nonzero, rows) if coinr_shares else frc_nonzero
        flag_un = _share(n_unique, rows) if coinr_shares else frc_unique
        node = framework.nodes.get(code)
        out.append(
            IndicatorStat(
                code=code,
                name=node.name if node else code,
                min=lo,
                max=hi,
                mean=mean,
                median=median,
                std=std,
                skew=skew,
                kurt=kurt,
                n_avail=n,
                n_nonzero=n_nonzero,
                n_unique=n_unique,
                n_same=n_same,
                frc_avail=share,
                frc_nonzero=frc_nonzero,
                frc_unique=frc_unique,
                frc_same=_share(n_same, n),
                flag_avail="ok" if share >= t_avail else "LOW",
                flag_nonzero="ok" if flag_nz >= t_nonzero else "LOW",
                flag_unique="ok" if flag_un >= t_unique else "LOW",
                flag_skew_kurt="OUT" if (abs(skew) > t_skew and kurt > t_kurt) else "ok",
            )
        )
    return out


def _share(count: int, total: int) -> float:
    return count / total if total else math.nan


# -- correlations -----------------------------------------------------------------------------


def pairwise_correlation(x: Floats) -> tuple[Floats, Integers]:
    """Pearson correlations of the columns of x over the pairwise-complete rows (R's
    `cor(use = "pairwise.complete.obs")`: means and spreads over the rows both columns have),
    and the number of such rows. NaN where fewer than 2 rows or a column is constant there."""
    k = x.shape[1]
    r = np.full((k, k), np.nan)
    n = np.zeros((k, k), dtype=int)
    present = ~np.isnan(x)
    for i in range(k):
        for j in range(i, k):
            both = present[:, i] & present[:, j]
            n[i, j] = n[j, i] = int(both.sum())
            r[i, j] = r[j, i] = _pearson(x[both, i], x[both, j])
    return r, n


def _pearson(a: Floats, b: Floats) -> float:
    if a.size < 2:
        return math.nan
    da, db = a - a.mean(), b - b.mean()
    ss = math.sqrt(float(np.dot(da, da)) * float(np.dot(db, db)))
    if ss == 0:
        return math.nan
    return max(-1.0, min(1.0, float(np.dot(da, db)) / ss))


def pairwise_covariance(x: Floats) -> Floats:
    """Covariances (n − 1) of the columns over the pairwise-complete rows (R's `cov(use =
    "pairwise.complete.obs")`); a variance uses every value its column has."""
    k = x.shape[1]
    c = np.full((k, k), np.nan)
    present = ~np.isnan(x)
    for i in range(k):
        for j in range(i, k):
            both = present[:, i] & present[:, j]
            if both.sum() >= 2:
                a, b = x[both, i], x[both, j]
                c[i, j] = c[j, i] = float(np.dot(a - a.mean(), b - b.mean())) / (a.size - 1)
    return c


def t_cdf(t: float, df: float) -> float:
    """The Student t distribution function, through the regularized incomplete beta
    function: P(T ≤ t) = 1 − I_{df/(df+t²)}(df/2, 1/2) / 2 for t ≥ 0."""
    if math.isnan(t) or df <= 0:
        return math.nan
    if math.isinf(t):
        return 1.0 if t > 0 else 0.0
    tail = 0.5 * betainc(df / 2, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def betainc(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b) (Lentz's continued fraction, as in
    Numerical Recipes' betai/betacf), accurate to about 1e-14."""
    if not 0.0 <= x <= 1.0:
        raise ValueError("x must be in [0, 1]")
    if x in (0.0, 1.0):
        return x
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


def _betacf(a: float, b: float, x: float) -> float:
    tiny, eps = 1e-300, 1e-16
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 1000):
        m2 = 2 * m
        for num in (
            m * (b - m) * x / ((qam + m2) * (a + m2)),
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
        ):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            delta = d * c
            h *= delta
        if abs(delta - 1.0) < eps:
            break
    return h


def correlation_p_value(r: float, n: int) -> float:
    """Two-sided p-value of a Pearson correlation (as R's `cor.test`): t = r·√((n−2)/(1−r²))
    on n − 2 degrees of freedom."""
    if math.isnan(r) or n < 3:
        return math.nan
    if abs(r) >= 1.0:
        return 0.0
    t = r * math.sqrt((n - 2) / (1.0 - r * r))
    return 2.0 * (1.0 - t_cdf(abs(t), n - 2))


@dataclass
class Pair:
    a: str
    b: str
    r: float
    n: int  # pairwise-complete units
    p: float = math.nan  # two-sided; NaN when p-values were not asked for
    group: str | None = None  # the common ancestor (within pairs), the level (parents)


@dataclass
class Correlations:
    dset: str
    level: int
    grouplev: int | None
    within: list[Pair]  # pairs at `level` in the same group at `grouplev`, each once
    with_ancestors: list[Pair]  # each code at `level` with its parent and every ancestor
    collinear: list[Pair]  # within pairs, r > thresh_high
    negative: list[Pair]  # within pairs, r < thresh_low
    denominators: list[Pair] = field(default_factory=list)  # every indicator × denominator
    denominator_flags: list[Pair] = field(default_factory=list)  # |r| > thresh_denom

    def as_dicts(self) -> dict[str, list[dict[str, object]]]:
        return {
            name: [asdict(p) for p in getattr(self, name)]
            for name in (
                "within",
                "with_ancestors",
                "collinear",
                "negative",
                "denominators",
                "denominator_flags",
            )
        }


def correlations(
    result: Result,
    data: Data | None = None,
    *,
    dset: str = "Aggregated",
    level: int = 1,
    grouplev: int | None = None,
    thresh_high: float = T_COLLINEAR,
    thresh_low: float = T_NEGATIVE,
    thresh_denom: float = T_DENOMINATOR,
    p_values: bool = False,
    na_insignificant: bool = False,
    pval: float = 0.05,
) -> Correlations:
    """Pearson correlations, pairwise complete (COINr's `get_corr`, `get_corr_flags` and
    `get_denom_corr`).

    - within: every pair of codes at `level` sharing their ancestor at `grouplev` (default
      level + 1, the parent; the whole level when there is no such ancestor level), each
      unordered pair once (COINr may list both orders);
    - with_ancestors: each code at `level` with its parent and every ancestor above (the
      Aggregated stage holds indicators and aggregates);
    - collinear flags: within pairs with r > `thresh_high` (0.9); negative flags: within pairs
      with r < `thresh_low` (−0.4: an indicator pulling against its group);
    - denominators (only when `data` is given, as the Result does not keep them): every
      indicator of the Raw stage against every denominator, flagged when |r| > 0.6.

    `dset` is a stage name; its codes must include the level's codes (and the ancestors'
    for with_ancestors, skipped when absent). In Normalised and Aggregated, directions are
    applied, so a negative r means "pulls the other way" whatever the indicators' direction.
    `p_values`: two-sided p-values (Student t, R's `cor.test`). `na_insignificant`: COINr's
    default of blanking (NaN) every r with p > `pval`; off by default, and flags then ignore
    the blanked pairs.
    """
    stage, grouplev, codes = _correlated_level(result, dset, level, grouplev)
    rule = _PairRule(p_values or na_insignificant, na_insignificant, pval)
    within = _within_pairs(result.framework, stage, codes, grouplev, rule)
    with_ancestors = _ancestor_pairs(result.framework, stage, codes, rule)
    denominators = [] if data is None else _denominator_pairs(result, data, rule)
    return Correlations(
        dset=dset,
        level=level,
        grouplev=grouplev,
        within=within,
        with_ancestors=with_ancestors,
        collinear=[p for p in within if p.r > thresh_high],
        negative=[p for p in within if p.r < thresh_low],
        denominators=denominators,
        denominator_flags=[p for p in denominators if abs(p.r) > thresh_denom],
    )


def _correlated_level(
    result: Result, dset: str, level: int, grouplev: int | None
) -> tuple[Stage, int | None, list[str]]:
    """The stage, the grouping level (default: the parents' level, None at the top) and the
    codes at `level`, once checked."""
    framework = result.framework
    if dset not in result.stages:
        raise CompositeError(f"correlations: no stage {dset} (have {', '.join(result.stages)}).")
    stage = result.stages[dset]
    if not 1 <= level <= framework.top_level:
        raise CompositeError(f"correlations: level {level} is not in 1..{framework.top_level}.")
    if grouplev is None:
        grouplev = level + 1 if level < framework.top_level else None
    elif not level < grouplev <= framework.top_level:
        raise CompositeError(
            f"correlations: grouplev {grouplev} must be above level {level} and at most "
            f"{framework.top_level}."
        )
    codes = [c for c in framework.level(level) if c in stage.codes]
    if len(codes) < len(framework.level(level)):
        missing = [c for c in framework.level(level) if c not in stage.codes]
        raise CompositeError(f"correlations: {dset} lacks {', '.join(missing)}.")
    return stage, grouplev, codes


@dataclass(frozen=True)
class _PairRule:
    """How a pair's correlation is taken: with its p-value or not, blanked when insignificant
    or not."""

    p_values: bool
    na_insignificant: bool
    pval: float

    def pair(self, a: str, b: str, x: Floats, y: Floats, group: str | None) -> Pair:
        both = ~np.isnan(x) & ~np.isnan(y)
        n = int(both.sum())
        r = _pearson(x[both], y[both])
        p = correlation_p_value(r, n) if self.p_values else math.nan
        if self.na_insignificant and not p <= self.pval:
            r = math.nan
        return Pair(a, b, r, n, p, group)


def _within_pairs(
    framework: Framework, stage: Stage, codes: list[str], grouplev: int | None, rule: _PairRule
) -> list[Pair]:
    """Each unordered pair of codes sharing their ancestor at `grouplev` (all, without it)."""
    within = []
    for i, a in enumerate(codes):
        for b in codes[i + 1 :]:
            ga = _ancestor(framework, a, grouplev) if grouplev else None
            gb = _ancestor(framework, b, grouplev) if grouplev else None
            if ga == gb:
                within.append(rule.pair(a, b, stage.column(a), stage.column(b), ga))
    return within


def _ancestor_pairs(
    framework: Framework, stage: Stage, codes: list[str], rule: _PairRule
) -> list[Pair]:
    """Each code with its parent and every ancestor above that the stage holds."""
    pairs = []
    for a in codes:
        parent = framework.nodes[a].parent
        while parent is not None:
            if parent in stage.codes:
                lev = framework.nodes[parent].level
                pairs.append(rule.pair(a, parent, stage.column(a), stage.column(parent), str(lev)))
            parent = framework.nodes[parent].parent
    return pairs


def _denominator_pairs(result: Result, data: Data, rule: _PairRule) -> list[Pair]:
    """Every indicator of the Raw stage with every denominator of the data."""
    raw = result.stages["Raw"]
    rows = _rows_of(data, raw.units)
    pairs = []
    for a in raw.codes:
        for d in result.framework.denominators:
            if d in data.columns:
                pairs.append(rule.pair(a, d, raw.column(a), data.columns[d][rows], None))
    return pairs


def _ancestor(framework: Framework, code: str, level: int) -> str | None:
    cursor: str | None = code
    while cursor is not None and framework.nodes[cursor].level != level:
        cursor = framework.nodes[cursor].parent
    return cursor


def _rows_of(data: Data, units: list[str]) -> Integers:
    index = {u: i for i, u in enumerate(data.units)}
    missing = [u for u in units if u not in index]
    if missing:
        raise CompositeError(f"correlations: the data lack the unit(s) {', '.join(missing)}.")
    return np.array([index[u] for u in units], dtype=int)


# -- Cronbach's alpha -------------------------------------------------------------------------


def cronbach_alpha(matrix: Floats) -> float:
    """Cronbach's alpha of the columns of a units × items matrix (COINr's `get_cronbach`):
    α = k/(k−1)·(1 − tr C / ΣC), C the pairwise-complete covariance matrix (n − 1).
    NaN when there are fewer than 2 items or the covariances cannot all be computed."""
    x = np.asarray(matrix, dtype=np.float64)
    if x.ndim != 2:
        raise CompositeError("cronbach_alpha: a units × items matrix is expected.")
    k = x.shape[1]
    if k < 2:
        return math.nan
    c = pairwise_covariance(x)
    total = c.sum()
    if np.isnan(c).any() or total == 0:
        return math.nan
    return float(k / (k - 1) * (1 - np.trace(c) / total))


def cronbach_by_group(
    result: Result, *, dset: str = "Aggregated", level: int | None = None
) -> dict[str, float]:
    """Cronbach's alpha of the children of every aggregate (or of those at `level`), taking
    the children's columns of `dset` (Aggregated holds indicators and aggregates)."""
    framework = result.framework
    if dset not in result.stages:
        raise CompositeError(f"cronbach_by_group: no stage {dset}.")
    stage = result.stages[dset]
    out = {}
    for lev in range(2, framework.top_level + 1):
        if level is not None and lev != level:
            continue
        for parent in framework.level(lev):
            kids = [k for k in framework.children(parent) if k in stage.codes]
            if kids:
                out[parent] = cronbach_alpha(np.column_stack([stage.column(k) for k in kids]))
    return out


# -- principal components ---------------------------------------------------------------------


@dataclass
class PCA:
    codes: list[str]
    n_used: int  # complete rows
    n_dropped: int  # rows with a missing value, left out (as prcomp after na.omit)
    eigenvalues: list[float]  # of the correlation matrix, largest first
    variance_explained: list[float]  # eigenvalue / k, summing to 1
    loadings: list[list[float]]  # codes × components (unit eigenvectors, prcomp's rotation)
    pc1: dict[str, float]  # first-component loadings, sign fixed: their sum is positive
    negative: list[str] = field(default_factory=list)  # codes with a negative PC1 loading

    @property
    def warning(self) -> str | None:
        if not self.negative:
            return None
        return (
            f"PC1 loads negatively on {', '.join(self.negative)}: PCA weights would pull "
            "these indicators the wrong way (COINr gives no warning)."
        )


def pca(matrix: Floats, codes: list[str] | None = None) -> PCA:
    """Principal components of the columns (COINr's `get_PCA`, prcomp with center and scale):
    rows with a missing value dropped (and counted), columns centred and scaled (sd n − 1),
    eigen decomposition of their correlation matrix.

    Fixes: the sign of a component is arbitrary; PC1 is turned so that its loadings sum to a
    positive number, and every negative loading left is listed (`negative`, `warning`)."""
    x = np.asarray(matrix, dtype=np.float64)
    if x.ndim != 2:
        raise CompositeError("pca: a units × indicators matrix is expected.")
    k = x.shape[1]
    codes = list(codes) if codes is not None else [f"V{j + 1}" for j in range(k)]
    if len(codes) != k:
        raise CompositeError("pca: one code per column is expected.")
    if k < 2:
        raise CompositeError("pca: at least 2 indicators are needed.")
    complete = ~np.isnan(x).any(axis=1)
    y = x[complete]
    n = y.shape[0]
    if n < 3:
        raise CompositeError(f"pca: only {n} units have every value; at least 3 are needed.")
    sd = y.std(axis=0, ddof=1)
    flat = [c for c, s in zip(codes, sd, strict=True) if s == 0]
    if flat:
        raise CompositeError(f"pca: {', '.join(flat)} do not vary over the complete rows.")
    z = (y - y.mean(axis=0)) / sd
    corr = z.T @ z / (n - 1)
    values, vectors = np.linalg.eigh(corr)
    order = np.argsort(values)[::-1]
    values, vectors = np.clip(values[order], 0.0, None), vectors[:, order]
    for j in range(k):  # each component's loadings sum to a non-negative number
        if vectors[:, j].sum() < 0:
            vectors[:, j] = -vectors[:, j]
    pc1 = {c: float(v) for c, v in zip(codes, vectors[:, 0], strict=True)}
    return PCA(
        codes=codes,
        n_used=int(n),
        n_dropped=int((~complete).sum()),
        eigenvalues=[float(v) for v in values],
        variance_explained=[float(v) for v in values / values.sum()],
        loadings=vectors.tolist(),
        pc1=pc1,
        negative=[c for c, v in pc1.items() if v < 0],
    )


def pca_weights(result: PCA, how: str = "squared") -> dict[str, float]:
    """Weights from PC1 that sum to 1 within the group.

    `how="squared"` (default): the squared loadings, each the share of PC1's variance that
    the indicator carries (the OECD/JRC Handbook's rule); they already sum to 1 for a unit
    eigenvector and are never negative, so a negative loading becomes a small positive
    weight: read `result.warning`. `how="abs"`: the absolute loadings rescaled to sum to 1
    (closer to COINr's raw loadings, without their arbitrary sign)."""
    if how not in ("squared", "abs"):
        raise CompositeError(f"pca_weights: how is 'squared' or 'abs', not '{how}'.")
    raw = {c: (v * v if how == "squared" else abs(v)) for c, v in result.pc1.items()}
    total = sum(raw.values())
    return {c: v / total for c, v in raw.items()}


def pca_by_group(
    result: Result, *, dset: str = "Aggregated", level: int = 2, how: str = "squared"
) -> tuple[dict[str, PCA], dict[str, float]]:
    """PCA of the children of every aggregate at `level` (COINr's `by_groups`), and the
    weights they give, ready for `Options(weights=...)` (rescaled within each parent)."""
    framework = result.framework
    if dset not in result.stages:
        raise CompositeError(f"pca_by_group: no stage {dset}.")
    if not 2 <= level <= framework.top_level:
        raise CompositeError(f"pca_by_group: level {level} is not in 2..{framework.top_level}.")
    stage = result.stages[dset]
    out: dict[str, PCA] = {}
    weights: dict[str, float] = {}
    for parent in framework.level(level):
        kids = framework.children(parent)
        absent = [k for k in kids if k not in stage.codes]
        if absent:
            raise CompositeError(f"pca_by_group: {dset} lacks {', '.join(absent)}.")
        if len(kids) < 2:
            continue
        out[parent] = pca(np.column_stack([stage.column(k) for k in kids]), kids)
        weights |= pca_weights(out[parent], how)
    return out, weights
