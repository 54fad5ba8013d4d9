"""Whether an indicator meets its target: the rule, in plain Python.

The rule (also in docs/assessment.md):

- The *path* runs straight between the anchors: the baseline (year, value) and every target
  set for a year. The value expected at a time is read off that path; before the first anchor
  it is the first anchor, after the last it is the last.
- A *stock* indicator (a level: a rate, a count to date) is judged against the path at the time
  of its latest figure. A *flow* indicator (summed over the periods of a year: supported firms,
  initiatives) is judged against its own year's target, pro rata for the part of the year the
  figures cover.
- **achieved**: the figure meets the final target (a stock) or the full year's target (a flow).
- **on track**: not achieved, but at least as good as the path.
- **at risk**: behind the path by no more than the indicator's tolerance (a percentage of the
  expected value), and time remains.
- **off track** (behind): further behind, while time remains.
- **missed**: short of a target whose year is over (the final year's full figures for a stock,
  the year's full figures for a flow): not reached, no longer "behind".
- **no target**: a figure but no target to judge it against.
- **no data**: no figure.

"At least as good" is direction-aware: a higher figure is better unless the indicator says
lower is better (a rank, for example).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    ACHIEVED = "achieved"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    MISSED = "missed"
    NO_TARGET = "no_target"
    NO_DATA = "no_data"


# Worst first: the order a committee reads a list in.
SEVERITY = (
    Status.MISSED,
    Status.OFF_TRACK,
    Status.AT_RISK,
    Status.NO_DATA,
    Status.NO_TARGET,
    Status.ON_TRACK,
    Status.ACHIEVED,
)
# Short of the path or of the target: what the warnings and priorities list.
SHORT = (Status.MISSED, Status.OFF_TRACK, Status.AT_RISK)


@dataclass(frozen=True)
class Judgement:
    status: Status
    expected: float | None  # the value on the path (or the pro-rata year target) at that time
    target: float | None  # the target the figure is finally judged against
    gap: float | None  # actual - expected, signed so that negative is worse


def _path(anchors: list[tuple[float, float]], time: float) -> float:
    """The value on the straight path through the anchors (time, value), sorted by time."""
    if time <= anchors[0][0]:
        return anchors[0][1]
    for (t0, v0), (t1, v1) in zip(anchors, anchors[1:], strict=False):
        if time <= t1:
            return v0 + (v1 - v0) * (time - t0) / (t1 - t0)
    return anchors[-1][1]


def anchors_of(
    baseline: tuple[int, float] | None, targets: dict[int, float]
) -> list[tuple[float, float]]:
    """Path anchors at year ends: the baseline, then each year's target (a later target wins)."""
    points = dict(targets)
    if baseline is not None and baseline[0] not in points:
        points[baseline[0]] = baseline[1]
    return [(float(year), float(value)) for year, value in sorted(points.items())]


def judge(
    actual: float | None,
    *,
    year: int,
    targets: dict[int, float],
    baseline: tuple[int, float] | None = None,
    higher_is_better: bool = True,
    flow: bool = False,
    covered: float = 1.0,
    tolerance: float = 10.0,
) -> Judgement:
    """Judge the figure of one year.

    actual: the year's figure so far (a stock: its latest value; a flow: the sum so far).
    targets: the targets by year; baseline: (year, value).
    covered: the share of the year the figure covers (0 < covered <= 1), e.g. 0.5 after H1.
    tolerance: percent of the expected value within which a shortfall is "at risk".
    """
    if not 0 < covered <= 1:
        raise ValueError("covered must be in (0, 1]")
    if tolerance < 0:
        raise ValueError("tolerance cannot be negative")
    unjudged = Judgement(Status.NO_DATA if actual is None else Status.NO_TARGET, None, None, None)
    if not targets:
        return unjudged
    sign = 1.0 if higher_is_better else -1.0
    final_year = max(targets)
    if flow:
        target = targets.get(year)
        if target is None:
            return unjudged
        expected = target * covered
        year_over = covered >= 1
    else:
        target = targets[final_year]
        time = year - 1 + covered
        expected = _path(anchors_of(baseline, targets), time)
        year_over = year >= final_year and covered >= 1
    if actual is None:
        return Judgement(Status.NO_DATA, expected, target, None)
    gap = sign * (actual - expected)
    if sign * (actual - target) >= 0:
        status = Status.ACHIEVED
    elif gap >= 0 and not year_over:
        status = Status.ON_TRACK
    elif not year_over and -gap <= abs(expected) * tolerance / 100:
        status = Status.AT_RISK
    else:
        status = Status.MISSED if year_over else Status.OFF_TRACK
    return Judgement(status, expected, target, gap)


def tally(statuses: Iterable[str]) -> dict[Status, int]:
    """How many of each status, every status present (zero when absent)."""
    counts = dict.fromkeys(Status, 0)
    for status in statuses:
        counts[Status(status)] += 1
    return counts
