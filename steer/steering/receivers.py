"""Steering's answers to what reporting tells: the unit hears when its report is sent back."""

from django.utils.translation import gettext as _

from steer.notifications.models import Notification
from steer.notifications.services import notify
from steer.reporting.models import SubmissionEvent


def notify_sent_back(sender, submission, action, reason, **kwargs) -> None:
    if action in (SubmissionEvent.Action.RETURN, SubmissionEvent.Action.REOPEN):
        notify(
            units=[submission.unit],
            kind=Notification.Kind.RETURNED,
            text=_("The report %(form)s, %(period)s was sent back: %(reason)s")
            % {"form": submission.form.name, "period": submission.period, "reason": reason},
            url=submission.get_absolute_url(),
        )
