"""Priorities for the next work programme: candidate issues scored on urgency, impact and
feasibility (1-5 each), ranked, each with its reasons: "những vấn đề bức xúc phải làm ngay,
không dàn trải" — a short list, not everything that is late.

Pure computation: the facts come in as plain values, the reasons go out as (key, values)
pairs that the interface words in the user's language.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

WEIGHTS = {"urgency": 0.4, "impact": 0.4, "feasibility": 0.2}

# A reason: its key and the numbers the interface words it with, e.g. ("overdue", {"days": 40})
Reason = tuple[str, dict[str, float]]


@dataclass(frozen=True)
class Candidate:
    kind: str  # directive, indicator, recommendation, plan_item
    key: str
    title: str
    urgency: int
    impact: int
    feasibility: int
    reasons: tuple[Reason, ...] = field(default_factory=tuple)
    url: str = ""
    # What orders equal scores (see `rank`): the shortfall as a share of the target, and the
    # days past the deadline; None where the item has none.
    gap_share: float | None = None
    days_overdue: int | None = None

    @property
    def score(self) -> float:
        return round(
            WEIGHTS["urgency"] * self.urgency
            + WEIGHTS["impact"] * self.impact
            + WEIGHTS["feasibility"] * self.feasibility,
            2,
        )


def _clamp(x: int) -> int:
    return max(1, min(5, x))


def by_lateness(days_late: int) -> int:
    """Urgency of something overdue by this many days (0 or fewer: due, not late)."""
    if days_late > 180:
        return 5
    if days_late > 90:
        return 4
    if days_late > 30:
        return 3
    return 2


def directive(
    key: str,
    title: str,
    *,
    days_late: int,
    steering_level: bool,
    assignees: int,
    under_way: bool,
    url: str = "",
) -> Candidate:
    reasons: list[Reason] = [("overdue", {"days": days_late})]
    impact = 4 if steering_level else 3
    if assignees >= 3:
        impact += 1
        reasons.append(("many_units", {"units": assignees}))
    if under_way:
        reasons.append(("under_way", {}))
    return Candidate(
        "directive",
        key,
        title,
        urgency=by_lateness(days_late),
        impact=_clamp(impact),
        feasibility=4 if under_way else 3,
        reasons=tuple(reasons),
        url=url,
        days_overdue=days_late,
    )


def indicator(
    key: str,
    title: str,
    *,
    off_track: bool,
    final_year: int,
    this_year: int,
    gap_share: float | None,
    reached: float | None = None,
    target: float | None = None,
    higher_is_better: bool = True,
    url: str = "",
) -> Candidate:
    """A target at risk or off track (or missed, its year past: the next programme inherits it);
    gap_share: the forecast shortfall as a share of the target (None without a forecast). A small
    gap is more feasible to close.

    A missed target with its final year's figure (`reached`) and `target` is short by their
    difference, which its reason names and which orders it among equal scores (`tie_break`); it
    leaves the feasibility alone, since how hard the work is depends on the next programme's
    target, not known here."""
    years_left = final_year - this_year
    urgency = 5 if years_left <= 1 else 4 if years_left == 2 else 3
    reasons: list[Reason]
    shortfall_share = gap_share
    if years_left < 0 and reached is not None and target:
        shortfall = (target - reached) if higher_is_better else (reached - target)
        shortfall_share = max(0.0, shortfall) / abs(target)
        figures = {"year": final_year, "reached": reached, "target": target}
        reasons = [("missed_by", {**figures, "percent": round(shortfall_share * 100, 1)})]
    elif years_left < 0:
        reasons = [("missed", {"year": final_year})]
    else:
        reasons = [
            ("off_track" if off_track else "at_risk", {}),
            ("years_left", {"years": years_left}),
        ]
    if gap_share is None:
        feasibility = 3
    else:
        feasibility = 4 if gap_share <= 0.1 else 3 if gap_share <= 0.3 else 2
        reasons.append(("gap", {"percent": round(gap_share * 100)}))
    return Candidate(
        "indicator",
        key,
        title,
        urgency=urgency,
        impact=5 if off_track else 4,
        feasibility=feasibility,
        reasons=tuple(reasons),
        url=url,
        gap_share=shortfall_share,
    )


# Recommendations that need a city decision (a policy, money) are harder to act on quickly.
FEASIBILITY_BY_CATEGORY = {
    "policy": 2,
    "finance": 2,
    "personnel": 3,
    "procedures_it": 4,
    "coordination": 4,
    "other": 3,
}


def recommendation(
    key: str, title: str, *, days_open: int, bottleneck: bool, category: str, url: str = ""
) -> Candidate:
    urgency = by_lateness(days_open) - 1 + (1 if bottleneck else 0)
    reasons: list[Reason] = [("open_for", {"days": days_open})]
    if bottleneck:
        reasons.append(("bottleneck", {}))
    return Candidate(
        "recommendation",
        key,
        title,
        urgency=_clamp(urgency),
        impact=4 if bottleneck else 3,
        feasibility=FEASIBILITY_BY_CATEGORY.get(category, 3),
        reasons=tuple(reasons),
        url=url,
    )


def plan_item(
    key: str,
    title: str,
    *,
    days_late: int,
    major: bool,
    percent: float | None,
    url: str = "",
) -> Candidate:
    """An overdue plan item; major: a scheme, project or programme rather than a task."""
    reasons: list[Reason] = [("overdue", {"days": days_late})]
    if percent is not None:
        reasons.append(("progress", {"percent": percent}))
    return Candidate(
        "plan_item",
        key,
        title,
        urgency=by_lateness(days_late),
        impact=4 if major else 3,
        feasibility=4 if percent is not None and percent >= 50 else 3 if percent else 2,
        reasons=tuple(reasons),
        url=url,
        days_overdue=days_late,
    )


def tie_break(candidate: Candidate) -> tuple[float, int]:
    """What orders equal scores: the larger gap to the target first, then the longer overdue
    (an item without a gap or a deadline counts as none)."""
    return (-(candidate.gap_share or 0.0), -max(candidate.days_overdue or 0, 0))


def rank(candidates: Iterable[Candidate], limit: int = 10) -> list[Candidate]:
    """The highest-scoring candidates, at most `limit`; equal scores ordered by `tie_break`,
    then by kind and code so that the order never depends on where the items came from."""
    ordered = sorted(candidates, key=lambda c: (-c.score, *tie_break(c), c.kind, c.key))
    return ordered[:limit]
