"""A plan item's status follows from its state and dates, as of a given day."""

import datetime as dt

from steer.steering.plan_status import PlanStatus, plan_status

DEADLINE = dt.date(2021, 7, 26)  # the 32 items had to be re-registered by 26/7/2021


def test_done_by_the_deadline_is_on_time_and_after_it_late():
    day = dt.date(2021, 12, 31)
    assert plan_status("completed", DEADLINE, dt.date(2021, 7, 26), day) == PlanStatus.DONE_ON_TIME
    assert plan_status("completed", DEADLINE, dt.date(2021, 8, 2), day) == PlanStatus.DONE_LATE


def test_open_items_are_in_progress_until_the_deadline_then_overdue():
    assert plan_status("in_progress", DEADLINE, None, DEADLINE) == PlanStatus.IN_PROGRESS
    assert plan_status("planned", DEADLINE, None, DEADLINE + dt.timedelta(days=1)) == (
        PlanStatus.OVERDUE
    )
    assert plan_status("suspended", DEADLINE, None, dt.date(2022, 1, 1)) == PlanStatus.OVERDUE


def test_an_item_completed_after_the_day_asked_about_was_still_open_that_day():
    status = plan_status("completed", DEADLINE, dt.date(2021, 9, 1), dt.date(2021, 8, 1))
    assert status == PlanStatus.OVERDUE


def test_cancelled_items_stay_cancelled():
    assert plan_status("cancelled", DEADLINE, None, dt.date(2030, 1, 1)) == PlanStatus.CANCELLED
