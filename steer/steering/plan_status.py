"""A plan item's status, computed from its state and dates, never typed."""

import datetime as dt
from enum import StrEnum


class PlanStatus(StrEnum):
    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"
    IN_PROGRESS = "in_progress"  # not done, deadline not yet passed
    OVERDUE = "overdue"
    CANCELLED = "cancelled"


def plan_status(
    state: str, deadline: dt.date, completed_on: dt.date | None, today: dt.date
) -> PlanStatus:
    """As of `today`: an item completed after `today` was still open on that day."""
    if state == "cancelled":
        return PlanStatus.CANCELLED
    if state == "completed" and completed_on is not None and completed_on <= today:
        return PlanStatus.DONE_ON_TIME if completed_on <= deadline else PlanStatus.DONE_LATE
    return PlanStatus.IN_PROGRESS if today <= deadline else PlanStatus.OVERDUE
