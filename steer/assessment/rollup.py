"""Combining figures: across units, across the periods of a year, across unit mergers and splits.

Plain Python. Each indicator says how its figures combine:
- across units: sum, mean, weighted mean (by another indicator's figures), maximum, or not at all;
- across periods: sum, last value, mean, maximum.
Across the 2025 restructuring, a former unit's figure goes to its successors in proportion to
the share of it each received (sums), or as the same rate (means); and back the same way.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

UNIT_METHODS = frozenset({"sum", "mean", "weighted_mean", "max", "none"})
PERIOD_METHODS = frozenset({"sum", "last", "mean", "max"})


def across_units(
    values: Mapping[int, float], method: str, weights: Mapping[int, float] | None = None
) -> float | None:
    """Combine the figures of several units (unit id → value); None if nothing to combine.

    A weighted mean with no positive weight among the units falls back to None, not to a plain
    mean: a rate weighted by, say, the number of products means nothing without them.
    """
    if method not in UNIT_METHODS:
        raise ValueError(f"unknown method {method!r}")
    if not values:
        return None
    if method == "sum":
        return sum(values.values())
    if method == "mean":
        return sum(values.values()) / len(values)
    if method == "max":
        return max(values.values())
    if method == "weighted_mean":
        weights = weights or {}
        pairs = [(v, weights.get(unit)) for unit, v in values.items()]
        weighed = [(v, w) for v, w in pairs if w is not None and w > 0]
        total = sum(w for _, w in weighed)
        return sum(v * w for v, w in weighed) / total if total else None
    # "none": figures of different units do not combine; a single reporter's figure stands.
    return next(iter(values.values())) if len(values) == 1 else None


def across_periods(values: Iterable[tuple[int, float]], method: str) -> float | None:
    """Combine a unit's figures of several periods ((number in the year, value) pairs) into
    one."""
    if method not in PERIOD_METHODS:
        raise ValueError(f"unknown method {method!r}")
    ordered = sorted(values, key=lambda kv: kv[0])
    if not ordered:
        return None
    figures = [v for _, v in ordered]
    if method == "sum":
        return sum(figures)
    if method == "last":
        return figures[-1]
    if method == "mean":
        return sum(figures) / len(figures)
    return max(figures)


@dataclass(frozen=True)
class Link:
    """A former unit (predecessor) went, wholly or in part (share 0-1), into a new one."""

    predecessor: int
    successor: int
    share: float


def forward(values: Mapping[int, float], links: Iterable[Link], additive: bool) -> dict[int, float]:
    """Figures of former units carried to the new units.

    Additive (counts): each new unit gets the shares it received of its predecessors' figures.
    Otherwise (rates): each new unit gets the mean of its predecessors' figures weighted by the
    shares. A new unit none of whose predecessors has a figure gets nothing.
    """
    return _carry(
        values, [(link.predecessor, link.successor, link.share) for link in links], additive
    )


def backward(
    values: Mapping[int, float], links: Iterable[Link], additive: bool
) -> dict[int, float]:
    """Figures of new units carried back to the former units they came from.

    A new unit's figure is split among its predecessors in proportion to what each gave it
    (its share); a rate goes back as the weighted mean of the new units' rates.
    """
    links = list(links)
    given: dict[int, float] = {}
    for link in links:
        given[link.successor] = given.get(link.successor, 0.0) + link.share
    if additive:
        moves = [
            (link.successor, link.predecessor, link.share / given[link.successor])
            for link in links
            if given[link.successor] > 0
        ]
    else:
        moves = [(link.successor, link.predecessor, link.share) for link in links]
    return _carry(values, moves, additive)


def _carry(
    values: Mapping[int, float], moves: Iterable[tuple[int, int, float]], additive: bool
) -> dict[int, float]:
    totals: dict[int, float] = {}
    weights: dict[int, float] = {}
    for source, destination, share in moves:
        if source not in values or share <= 0:
            continue
        totals[destination] = totals.get(destination, 0.0) + values[source] * share
        weights[destination] = weights.get(destination, 0.0) + share
    if additive:
        return totals
    return {unit: totals[unit] / weights[unit] for unit in totals}


@dataclass(frozen=True)
class Figure:
    value: float
    units: int  # reporting units behind the figure
    rolled_up: bool  # False: the unit's own reported figure


def up_the_tree(
    known: Mapping[int, Figure],
    parent_of: Mapping[int, int | None],
    method: str,
    *,
    compute: Iterable[int] | None = None,
    weights: Mapping[int, float] | None = None,
) -> dict[int, Figure]:
    """Roll figures up the unit tree, deepest units first.

    known: the figures already known (reported ones, and any rolled-up rows kept as they are).
    compute: the units to (re)compute from their children; by default every ancestor of a known
    unit. A unit's own reported figure is never replaced by its children's. Returns the
    computed figures only.
    """
    if compute is None:
        compute = set()
        for unit in known:
            parent = parent_of.get(unit)
            while parent is not None and parent not in compute:
                compute.add(parent)
                parent = parent_of.get(parent)
    depth: dict[int, int] = {}

    def depth_of(unit: int) -> int:
        if unit not in depth:
            seen, cursor, steps = set(), unit, 0
            while (parent := parent_of.get(cursor)) is not None and parent not in seen:
                seen.add(parent)
                cursor = parent
                steps += 1
            depth[unit] = steps
        return depth[unit]

    figures = dict(known)
    children: dict[int, list[int]] = {}
    for unit in known:
        parent = parent_of.get(unit)
        if parent is not None:
            children.setdefault(parent, []).append(unit)
    computed: dict[int, Figure] = {}
    for unit in sorted(set(compute), key=depth_of, reverse=True):
        own = known.get(unit)
        if own is not None and not own.rolled_up:
            continue
        below = {c: figures[c] for c in children.get(unit, ()) if c in figures}
        value = across_units({c: f.value for c, f in below.items()}, method, weights)
        if value is None:
            figures.pop(unit, None)
        else:
            figure = Figure(value, sum(f.units for f in below.values()), True)
            figures[unit] = computed[unit] = figure
            parent = parent_of.get(unit)
            if parent is not None and unit not in known:
                children.setdefault(parent, []).append(unit)
    return computed
