"""Weights for `Options(weights=...)`: equal, from principal components, or optimised so that
the children's correlations with their aggregate come out as asked (COINr's `get_PCA` weights
and `get_opt_weights`, R/PCA.R and R/weights.R).

Every function returns a dict code → weight for every child of every aggregate, rescaled to
sum to 1 within each parent, and refuses (CompositeError) a negative weight, or weights that
are all zero under a parent, naming the parent.

Levels follow COINr: `level` is the level of the nodes whose weights are set (1 = indicators,
grouped by their level-2 parents; 2 = the level-2 aggregates, grouped by their level-3
parents…). Note that `audit.pca_by_group` counts by the parents' level instead.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from steer.composite import CompositeError
from steer.composite.arrays import Floats
from steer.composite.audit import pca
from steer.composite.audit import pca_weights as pc1_weights
from steer.composite.pipeline import Result, aggregate_level, aggregate_tree
from steer.composite.tables import Framework

PCA_HOW = ("squared", "abs", "loadings")
AGAINST = ("parent", "index")


def _parents(framework: Framework) -> list[str]:
    return [p for level in range(2, framework.top_level + 1) for p in framework.level(level)]


def checked_weights(
    weights: dict[str, float], framework: Framework, what: str = "weights"
) -> dict[str, float]:
    """`weights` (every child of every aggregate) rescaled to sum to 1 within each parent;
    a missing, negative or non-finite weight, or all-zero weights under a parent, refused."""
    out: dict[str, float] = {}
    for parent in _parents(framework):
        kids = framework.children(parent)
        absent = [k for k in kids if k not in weights]
        if absent:
            raise CompositeError(f"{what}: no weight for {', '.join(absent)} (under {parent}).")
        for k in kids:
            w = weights[k]
            if not (isinstance(w, int | float | np.floating) and math.isfinite(w)):
                raise CompositeError(f"{what}: the weight of {k} (under {parent}) is {w!r}.")
            if w < 0:
                raise CompositeError(
                    f"{what}: the weight of {k} (under {parent}) is {w:g}; a weight cannot be "
                    "negative."
                )
        total = sum(float(weights[k]) for k in kids)
        if total <= 0:
            raise CompositeError(
                f"{what}: the weights under {parent} are all zero; they cannot be rescaled."
            )
        out |= {k: float(weights[k]) / total for k in kids}
    return out


def _check_level(framework: Framework, level: object, name: str) -> None:
    top = framework.top_level
    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level < top:
        raise CompositeError(
            f"{name}: level is the level of the weighted nodes, 1 to {top - 1}, not {level!r}."
        )


def _columns(result: Result, weights: dict[str, float]) -> dict[str, Floats]:
    """Every node's column, re-aggregated from the normalised indicators with `weights`."""
    norm = result.stages["Normalised"]
    return aggregate_tree(norm.values, norm.units, result.framework, weights, result.options)


# -- equal ------------------------------------------------------------------------------------


def equal_weights(framework: Framework) -> dict[str, float]:
    """1/n for each of the n children of every aggregate (COINr: a Weight of 1 everywhere)."""
    return {
        k: 1.0 / len(framework.children(p))
        for p in _parents(framework)
        for k in framework.children(p)
    }


# -- principal components ---------------------------------------------------------------------


def pca_weights(result: Result, level: int | None = 1, how: str = "squared") -> dict[str, float]:
    """Weights from the first principal component of the children of each aggregate (COINr's
    `get_PCA(by_groups = TRUE)`: prcomp with centring and scaling on the units with every
    value; `audit.pca`). The children's values are the normalised indicators, and for higher
    levels the aggregates recomputed with the weights found below them (`level=None`: every
    level, from the indicators up); other levels keep the run's weights.

    `how`: "squared" (default) the squared PC1 loadings, the share of PC1's variance each
    child carries (the OECD/JRC Handbook's rule; never negative); "abs" the absolute loadings;
    "loadings" the loadings themselves, turned so that they sum to a positive number, as
    COINr returns them, refused if any is negative (COINr hands such weights over silently).
    A parent with a single child keeps weight 1."""
    framework = result.framework
    if how not in PCA_HOW:
        raise CompositeError(f"pca_weights: how is one of {', '.join(PCA_HOW)}, not '{how}'.")
    if level is None:
        levels = list(range(1, framework.top_level))
    else:
        _check_level(framework, level, "pca_weights")
        levels = [level]
    weights = dict(result.weights)
    for lev in levels:
        columns = _columns(result, weights)
        for parent in framework.level(lev + 1):
            kids = framework.children(parent)
            if len(kids) < 2:
                continue
            try:
                pc = pca(np.column_stack([columns[k] for k in kids]), kids)
            except CompositeError as e:
                raise CompositeError(f"PCA weights under {parent}: {e}") from None
            if how == "loadings":
                if pc.negative:
                    raise CompositeError(
                        f"PCA weights under {parent}: PC1 loads negatively on "
                        f"{', '.join(pc.negative)}; a weight cannot be negative (use "
                        "how='squared' or how='abs')."
                    )
                raw = dict(pc.pc1)
            else:
                raw = pc1_weights(pc, how)
            weights |= raw
        weights = checked_weights(weights, framework, "PCA weights")
    return checked_weights(weights, framework, "PCA weights")


# -- optimised --------------------------------------------------------------------------------


@dataclass
class WeightOptimisation:
    weights: dict[str, float]  # every node, rescaled within parents: Options(weights=...)
    level: int
    against: str  # "parent" or "index"
    target: dict[str, float]  # the target shares of correlation, summing to 1 in each group
    correlations_before: dict[str, float]  # with the run's weights
    correlations: dict[str, float]  # with the optimised weights
    objective_before: dict[str, float]  # per group (a parent, or the index)
    objective: dict[str, float]
    iterations: dict[str, int]
    converged: dict[str, bool]


def _pearson(a: Floats, b: Floats) -> float:
    both = ~(np.isnan(a) | np.isnan(b))
    if both.sum() < 2:
        return math.nan
    da, db = a[both] - a[both].mean(), b[both] - b[both].mean()
    ss = math.sqrt(float(np.dot(da, da)) * float(np.dot(db, db)))
    return float(np.dot(da, db)) / ss if ss > 0 else math.nan


def level_correlations(
    result: Result,
    level: int,
    weights: dict[str, float] | None = None,
    against: str = "parent",
) -> dict[str, float]:
    """Pearson correlation (pairwise-complete units) of every node at `level` with its
    parent's score ("parent") or with the index ("index", COINr's `get_opt_weights` target),
    the tree re-aggregated with `weights` (default: the run's)."""
    framework = result.framework
    _check_level(framework, level, "level_correlations")
    if against not in AGAINST:
        raise CompositeError(f"against is one of {', '.join(AGAINST)}, not '{against}'.")
    weights = result.weights if weights is None else checked_weights(weights, framework)
    columns = _columns(result, weights)
    index = framework.level(framework.top_level)[0]
    return {
        c: _pearson(columns[c], columns[framework.parent(c) if against == "parent" else index])
        for c in framework.level(level)
    }


def _targets(
    target: str | dict[str, float], framework: Framework, groups: dict[str, list[str]]
) -> dict[str, float]:
    codes = [c for kids in groups.values() for c in kids]
    if isinstance(target, str):
        if target != "equal":
            raise CompositeError(
                f"target is 'equal' or a dict code → relative importance, not '{target}'."
            )
        raw = dict.fromkeys(codes, 1.0)
    elif isinstance(target, dict):
        unknown = [c for c in target if c not in codes]
        if unknown:
            raise CompositeError(
                f"target: {', '.join(unknown)} not among the weighted nodes ({', '.join(codes)})."
            )
        absent = [c for c in codes if c not in target]
        if absent:
            raise CompositeError(f"target: no importance for {', '.join(absent)}.")
        bad = [c for c in codes if not (math.isfinite(target[c]) and target[c] > 0)]
        if bad:
            raise CompositeError(f"target: the importance of {', '.join(bad)} must be positive.")
        raw = {c: float(target[c]) for c in codes}
    else:
        raise CompositeError("target is 'equal' or a dict code → relative importance.")
    out: dict[str, float] = {}
    for kids in groups.values():
        total = sum(raw[k] for k in kids)
        out |= {k: raw[k] / total for k in kids}
    return out


def optimise_weights(
    result: Result,
    level: int,
    *,
    target: str | dict[str, float] = "equal",
    against: str = "parent",
    max_iter: int = 500,
    tol: float = 1e-8,
) -> WeightOptimisation:
    """Weights at `level` such that each node's correlation with its parent's score
    ("parent", default) or with the index ("index") comes as close as it can to the target
    shares (COINr's `get_opt_weights`, optype "balance"; `target="equal"`, COINr's itarg
    "equal", or a dict code → relative importance, as COINr's itarg vector).

    As COINr: the correlations r (Pearson) are divided by their sum and compared with the
    target shares t (summing to 1); the objective is mean((t − r/Σr)²), i.e. for equal
    targets the squared spread of the correlations around their mean; the search starts from
    weights equal to the targets. Differences: COINr minimises the log of that objective
    (same minimum) with R's optim (Nelder–Mead over raw weights, which may turn negative,
    reltol 0.1, maxit 500 evaluations) and optimises a whole level at once against the
    index; here each parent's children are optimised on their own ("parent"; "index" does a
    whole level at once, as COINr), by a Nelder–Mead simplex over log-weight ratios (so each
    weight stays positive), written here, deterministic: stop when the simplex's objective
    values differ by at most tol·(|f₀| + tol) (R's reltol rule, f₀ the starting value) or
    after max_iter iterations. Weights at other levels stay as in the run."""
    framework = result.framework
    _check_search(framework, level, against, max_iter, tol)
    index = framework.level(framework.top_level)[0]
    if against == "parent":
        groups = {p: framework.children(p) for p in framework.level(level + 1)}
    else:
        groups = {index: framework.level(level)}
    targets = _targets(target, framework, groups)
    balance = _Balance.of(result, against)
    out = WeightOptimisation(
        weights={},
        level=level,
        against=against,
        target=targets,
        correlations_before={},
        correlations={},
        objective_before={},
        objective={},
        iterations={},
        converged={},
    )
    optimised: dict[str, float] = {}
    for group, codes in groups.items():
        t = np.array([targets[c] for c in codes])
        w0 = np.array([balance.base[c] for c in codes])
        before = balance.correlations(codes, w0)
        out.correlations_before |= dict(zip(codes, before.tolist(), strict=True))
        out.objective_before[group] = balance.objective(codes, t, w0)
        if len(codes) == 1:
            optimised[codes[0]] = 1.0
            out.correlations[codes[0]] = out.correlations_before[codes[0]]
            out.objective[group], out.iterations[group], out.converged[group] = 0.0, 0, True
            continue
        theta, value, iterations, converged = _search(balance, group, codes, t, max_iter, tol)
        w = _softmax(theta)
        optimised |= dict(zip(codes, w.tolist(), strict=True))
        out.correlations |= dict(zip(codes, balance.correlations(codes, w).tolist(), strict=True))
        out.objective[group] = value
        out.iterations[group] = iterations
        out.converged[group] = converged
    out.weights = checked_weights(balance.base | optimised, framework, "Optimised weights")
    return out


def _check_search(
    framework: Framework, level: int, against: str, max_iter: int, tol: float
) -> None:
    _check_level(framework, level, "optimise_weights")
    if against not in AGAINST:
        raise CompositeError(f"against is one of {', '.join(AGAINST)}, not '{against}'.")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise CompositeError(f"max_iter is a whole number >= 1, not {max_iter!r}.")
    if not (isinstance(tol, int | float) and tol > 0):
        raise CompositeError(f"tol is a positive number, not {tol!r}.")


@dataclass(frozen=True)
class _Balance:
    """What optimise_weights balances: the correlations of a group's nodes with their parent's
    score (or the index) under given weights, and how far their shares are from the targets.
    Weights outside the group stay as in the run (`base`)."""

    result: Result
    against: str
    base: dict[str, float]
    columns: dict[str, Floats]  # every node's column with the run's weights

    @classmethod
    def of(cls, result: Result, against: str) -> "_Balance":
        base = dict(result.weights)
        return cls(result, against, base, _columns(result, base))

    def correlations(self, codes: list[str], w: Floats) -> Floats:
        columns, options = self.columns, self.result.options
        if self.against == "parent":
            units = self.result.stages["Normalised"].units
            block = np.column_stack([columns[c] for c in codes])
            score = aggregate_level(
                block, w, options.f_ag, options.p, (units, codes), options.copeland_missing
            )
            return np.array([_pearson(columns[c], score) for c in codes])
        index = self.result.index
        cols = _columns(self.result, self.base | dict(zip(codes, w.tolist(), strict=True)))
        return np.array([_pearson(cols[c], cols[index]) for c in codes])

    def objective(self, codes: list[str], t: Floats, w: Floats) -> float:
        """mean((t − r/Σr)²), infinite when a correlation is missing or they do not sum to a
        positive number."""
        r = self.correlations(codes, w)
        if np.isnan(r).any() or not r.sum() > 0:
            return math.inf
        return float(np.mean((t - r / r.sum()) ** 2))


def _search(
    balance: _Balance, group: str, codes: list[str], t: Floats, max_iter: int, tol: float
) -> tuple[Floats, float, int, bool]:
    """The Nelder–Mead search over the log-weight ratios of one group, from the targets."""

    def f(theta: Floats) -> float:
        return balance.objective(codes, t, _softmax(theta))

    theta0 = np.log(t[1:] / t[0])
    if not math.isfinite(f(theta0)):
        raise CompositeError(
            f"Optimised weights ({group}): the correlations of {', '.join(codes)} with "
            f"{'their parent' if balance.against == 'parent' else 'the index'} cannot be "
            "computed or do not sum to a positive number."
        )
    return nelder_mead(f, theta0, max_iter, tol)


def _softmax(theta: Floats) -> Floats:
    z = np.concatenate(([0.0], np.asarray(theta, dtype=np.float64)))
    e = np.exp(z - z.max())
    weights: Floats = e / e.sum()
    return weights


def nelder_mead(
    f: Callable[[Floats], float],
    x0: Floats,
    max_iter: int = 500,
    tol: float = 1e-8,
    step: float = 0.5,
) -> tuple[Floats, float, int, bool]:
    """Minimise f from x0 by the Nelder–Mead simplex (reflection 1, expansion 2, contraction
    ½, shrink ½; the first simplex x0 and x0 + step along each axis). Stops when the
    objective values of the simplex differ by at most tol·(|f(x0)| + tol) (R's optim reltol
    rule), when the best value is 0, or after max_iter iterations.
    Returns (x, f(x), iterations, converged)."""
    x0 = np.asarray(x0, dtype=np.float64)
    n = x0.size
    simplex = [x0] + [x0 + step * np.eye(n)[i] for i in range(n)]
    values = [f(x) for x in simplex]
    limit = tol * (abs(values[0]) + tol) if math.isfinite(values[0]) else 0.0
    iterations, converged = 0, False
    while True:
        order = sorted(range(n + 1), key=lambda i: values[i])
        simplex, values = [simplex[i] for i in order], [values[i] for i in order]
        if values[0] <= 0 or values[-1] - values[0] <= limit:
            converged = True
            break
        if iterations >= max_iter:
            break
        iterations += 1
        centroid = np.mean(simplex[:-1], axis=0)
        worst = simplex[-1]
        xr = centroid + (centroid - worst)
        fr = f(xr)
        if fr < values[0]:
            xe = centroid + 2.0 * (centroid - worst)
            fe = f(xe)
            simplex[-1], values[-1] = (xe, fe) if fe < fr else (xr, fr)
        elif fr < values[-2]:
            simplex[-1], values[-1] = xr, fr
        else:
            if fr < values[-1]:
                xc = centroid + 0.5 * (xr - centroid)
            else:
                xc = centroid + 0.5 * (worst - centroid)
            fc = f(xc)
            if fc < min(fr, values[-1]):
                simplex[-1], values[-1] = xc, fc
            else:
                best = simplex[0]
                for i in range(1, n + 1):
                    simplex[i] = best + 0.5 * (simplex[i] - best)
                    values[i] = f(simplex[i])
    return simplex[0], values[0], iterations, converged
