"""A plan item's status, computed from its state and dates, never typed.

The one status shown for a plan item on every page, chart, export and document: an item past
its deadline and not done is overdue whatever its typed state, so the list, the overdue page, a
unit's page and the documents say the same word for it.
"""

import datetime as dt
from enum import StrEnum


class PlanStatus(StrEnum):
    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"
    IN_PROGRESS = "in_progress"  # under way, deadline not yet passed
    NOT_STARTED = "not_started"  # not started, deadline not yet passed
    SUSPENDED = "suspended"  # suspended, deadline not yet passed
    OVERDUE = "overdue"  # not done, deadline passed
    CANCELLED = "cancelled"


# Not done and not cancelled: work still to do.
OPEN_PLAN_STATUSES = (
    PlanStatus.IN_PROGRESS,
    PlanStatus.NOT_STARTED,
    PlanStatus.SUSPENDED,
    PlanStatus.OVERDUE,
)
_WITHIN_DEADLINE = {"planned": PlanStatus.NOT_STARTED, "suspended": PlanStatus.SUSPENDED}


def plan_status(
    state: str, deadline: dt.date, completed_on: dt.date | None, today: dt.date
) -> PlanStatus:
    """As of `today`: an item completed after `today` was still open on that day."""
    if state == "cancelled":
        return PlanStatus.CANCELLED
    if state == "completed" and completed_on is not None and completed_on <= today:
        return PlanStatus.DONE_ON_TIME if completed_on <= deadline else PlanStatus.DONE_LATE
    if today > deadline:
        return PlanStatus.OVERDUE
    return _WITHIN_DEADLINE.get(state, PlanStatus.IN_PROGRESS)


def days_overdue(status: PlanStatus, deadline: dt.date, today: dt.date) -> int:
    """How many days past its deadline an overdue item is (0 for any other status)."""
    return (today - deadline).days if status == PlanStatus.OVERDUE else 0
