"""Moving a report through its workflow: submit, return or approve, accept, reopen.

draft → submitted → approved (by the unit head; the values lock) → accepted (standing agency).
A submitted report can be returned with a reason; an approved or accepted one reopened with a
reason. Each step is one transaction that writes its event row.
"""

import copy

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from steer.accounts.access import access_for
from steer.accounts.models import User
from steer.notifications.models import Notification
from steer.notifications.services import notify
from steer.reporting.checks import refresh_violations, violation_text
from steer.reporting.labels import period_label_of
from steer.reporting.models import ReportForm, Submission, SubmissionEvent, ValidationRule
from steer.reporting.signals import report_moved
from steer.units.models import OrgUnit

State = Submission.State
Action = SubmissionEvent.Action


class WorkflowError(Exception):
    pass


def _tell_sent_back(submission: Submission, reason: str) -> None:
    """The unit hears when its report is sent back."""
    notify(
        units=[submission.unit],
        kind=Notification.Kind.RETURNED,
        text=_("The report %(form)s, %(period)s was sent back: %(reason)s")
        % {
            "form": submission.form.name,
            "period": period_label_of(submission.period),
            "reason": reason,
        },
        url=submission.get_absolute_url(),
    )


def allowed_actions(submission: Submission, user: User | AnonymousUser) -> list[str]:
    access = access_for(user)
    programme = submission.form.programme
    unit_id, state = submission.unit_id, submission.state
    actions: list[str] = []
    if state in Submission.EDITABLE and access.can_enter_values(programme, unit_id):
        actions.append(Action.SUBMIT)
    head, agency = access.can_approve(programme, unit_id), access.can_accept(programme)
    if state == State.SUBMITTED and head:
        actions.append(Action.APPROVE)
    if state == State.SUBMITTED and (head or agency):
        actions.append(Action.RETURN)
    if state == State.APPROVED and agency:
        actions.append(Action.ACCEPT)
    if (state == State.APPROVED and (head or agency)) or (state == State.ACCEPTED and agency):
        actions.append(Action.REOPEN)
    return actions


TARGET: dict[str, State] = {
    Action.SUBMIT: State.SUBMITTED,
    Action.APPROVE: State.APPROVED,
    Action.RETURN: State.RETURNED,
    Action.ACCEPT: State.ACCEPTED,
    Action.REOPEN: State.RETURNED,
}


@transaction.atomic
def act(submission: Submission, user: User, action: str, reason: str = "") -> Submission:
    """Carry out one workflow step, or raise WorkflowError saying why it cannot be done."""
    # Only the submission's row: locking the joined form and programme rows too (PostgreSQL's
    # FOR UPDATE without OF) deadlocked with imports writing under the programme lock.
    submission = (
        Submission.objects.select_for_update(of=("self",))
        .select_related("form__programme", "unit")
        .get(pk=submission.pk)
    )
    _check_allowed(submission, user, action)
    if action in (Action.SUBMIT, Action.APPROVE, Action.ACCEPT):
        # A report the form does not ask for (a unit in a period it did not exist in) never
        # moves towards the figures; returning or reopening one takes it away from them.
        refusal = submission.form.refusal(submission.unit, submission.period_obj)
        if refusal:
            raise WorkflowError(capfirst(refusal))
    reason = reason.strip()
    if action in (Action.RETURN, Action.REOPEN) and not reason:
        raise WorkflowError(_("Give the reason for sending the report back."))
    if action == Action.SUBMIT:
        refresh_violations([submission.pk])
        blocking = submission.violations.filter(
            severity=ValidationRule.Severity.BLOCK
        ).select_related("indicator", "rule")
        if blocking:
            raise WorkflowError(
                _("The report cannot be submitted yet: %(problems)s")
                % {"problems": " ".join(violation_text(v) for v in blocking)}
            )
        now = timezone.now()
        submission.submitted_at = now
        submission.first_submitted_at = submission.first_submitted_at or now
    old_state = submission.state
    submission.state = TARGET[action]
    submission.save()
    SubmissionEvent.objects.create(
        submission=submission,
        action=action,
        from_state=old_state,
        to_state=submission.state,
        user=user,
        reason=reason,
    )
    if action in (Action.RETURN, Action.REOPEN):
        _tell_sent_back(submission, reason)
    report_moved.send(
        sender=Submission,
        submission=submission,
        action=action,
        from_state=old_state,
        to_state=submission.state,
        user=user,
        reason=reason,
    )
    return submission


def _check_allowed(submission: Submission, user: User, action: str) -> None:
    """Refuse a step the user may never take on this report (PermissionDenied) or may not take
    in the state it is in now (WorkflowError)."""
    if action in allowed_actions(submission, user):
        return
    if not _may_ever(submission, user, action):
        raise PermissionDenied(_("Your role does not allow this step on this report."))
    raise WorkflowError(
        _moved_meanwhile(submission, user, action)
        or _("This step is not possible for this report now.")
    )


def _may_ever(submission: Submission, user: User | AnonymousUser, action: str) -> bool:
    for state in State.values:
        other = copy.copy(submission)
        other.state = state
        if action in allowed_actions(other, user):
            return True
    return False


def _moved_meanwhile(submission: Submission, user: User, action: str) -> str | None:
    """Why a step the user could take from the report's previous state is refused: someone
    moved the report on since the page was shown."""
    last = submission.events.select_related("user").last() if submission.pk else None
    if last is None:
        return None
    before = copy.copy(submission)
    before.state = last.from_state
    if action not in allowed_actions(before, user):
        return None
    return _(
        "%(who)s already moved this report to “%(state)s” at %(when)s; this step is no "
        "longer possible. Look at the report as it is now."
    ) % {
        "who": last.user,
        "state": submission.get_state_display(),
        "when": timezone.localtime(last.at).strftime("%d/%m/%Y %H:%M"),
    }


@transaction.atomic
def act_on_report(
    form: ReportForm, unit: OrgUnit, period_code: str, user: User, action: str, reason: str = ""
) -> Submission:
    """Carry out one step on a unit's report for a period. A report nobody has started yet is
    made only once the user may take the step, and undone with the step if it is refused for
    another reason: a refused step leaves no empty report behind."""
    submission = Submission.objects.filter(form=form, unit=unit, period=period_code).first()
    if submission is None:
        _check_allowed(Submission(form=form, unit=unit, period=period_code), user, action)
        submission, _created = Submission.objects.get_or_create(
            form=form, unit=unit, period=period_code
        )
    return act(submission, user, action, reason)
