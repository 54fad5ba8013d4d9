"""Assessment's answers to what reporting tells: the figures follow the approved reports."""

from steer.assessment.aggregates import refresh_report
from steer.reporting.models import Submission


def refresh_figures(sender, submission, from_state, to_state, **kwargs) -> None:
    if (from_state in Submission.COUNTED) != (to_state in Submission.COUNTED):
        refresh_report(submission)
