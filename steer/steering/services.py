"""Every change to a steering record goes through here: checked (who may, in which state),
done in one transaction, recorded as an Event, and told to the people concerned.

A refused change changes nothing and says why: PermissionDenied (403) when the user's role
does not allow it, SteeringError with a message for the user otherwise.
"""

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import NotRequired, TypedDict

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from steer.accounts.access import access_for
from steer.accounts.models import User
from steer.core import conflicts
from steer.core.conflicts import Fields
from steer.core.models import Event
from steer.core.numbering import allocate
from steer.core.selectors import last_event
from steer.core.services import record
from steer.core.uploads import DOCUMENT_TYPES, UnsafeUpload, accept
from steer.notifications.models import Notification
from steer.notifications.services import notify
from steer.programmes.models import PlanItem, Programme
from steer.reporting.models import absence_in
from steer.reporting.periods import Period, PeriodError
from steer.steering.models import (
    Attachment,
    Confidence,
    DeadlineChange,
    Directive,
    DirectiveUpdate,
    Inspection,
    InspectionMember,
    InspectionVisit,
    Meeting,
    ProgressReport,
    Recommendation,
    Synthesis,
)
from steer.units.models import OrgUnit, absent_text

MAX_FILE_BYTES = 10 * 1024 * 1024
FILE_TYPES = DOCUMENT_TYPES

# steer.core.conflicts.plain carries no annotations (core is not under the strict flags): the
# strict services call it through this typed name.
plain: Callable[[object], object] = conflicts.plain


class SteeringError(Exception):
    pass


class TeamMember(TypedDict):
    """One member of an inspection team, as the plan form reads the team's lines."""

    role: str
    name: str
    position: str
    user: NotRequired[User | None]


def _dmy(day: dt.date) -> str:
    return date_format(day, "d/m/Y")


# -- evidence files ---------------------------------------------------------------------------


def check_files(files: Iterable[UploadedFile]) -> None:
    for upload in files:
        try:
            accept(upload, kinds=FILE_TYPES, max_bytes=MAX_FILE_BYTES)
        except UnsafeUpload as error:
            raise SteeringError(str(error)) from None


def _store(subject: models.Model, user: User, files: Iterable[UploadedFile]) -> list[Attachment]:
    """Keep the files (checked by the caller) as the subject's evidence."""
    content_type = ContentType.objects.get_for_model(subject)
    return [
        Attachment.objects.create(
            content_type=content_type,
            object_id=subject.pk,
            file=upload,
            name=Path(upload.name or "").name[:200],
            size=upload.size or 0,
            uploaded_by=user,
        )
        for upload in files
    ]


def _may_attach(user: User, subject: models.Model) -> bool:
    """Who adds evidence to a record: whoever may change it."""
    access = access_for(user)
    if isinstance(subject, Inspection):
        return access.can_inspect(subject.programme)
    if isinstance(subject, Directive):
        assignees = subject.assignees.values_list("pk", flat=True)
        return access.can_direct(subject.programme) or access.can_report_on(
            subject.programme, assignees
        )
    if isinstance(subject, ProgressReport):
        subject = subject.plan_item
    if isinstance(subject, PlanItem):
        return access.can_report_on(subject.programme, [subject.lead_unit_id])
    if isinstance(subject, Recommendation):
        return access.can_synthesise(subject.programme) or access.can_raise_for(
            subject.programme, subject.unit_id
        )
    return False


@transaction.atomic
def attach(*, subject: models.Model, user: User, files: Sequence[UploadedFile]) -> list[Attachment]:
    """Evidence added to a record (an inspection's minutes, a directive's proof…) by those
    who may change it; recorded on the record."""
    if not _may_attach(user, subject):
        if isinstance(subject, Inspection):
            raise PermissionDenied(_("Only the inspection team attaches files to it."))
        raise PermissionDenied
    check_files(files)
    attachments = _store(subject, user, files)
    names = ", ".join(a.name for a in attachments)
    record(subject, user, Event.Action.ATTACHED, note=names)
    return attachments


# -- plan items -------------------------------------------------------------------------------


def _lock(row: models.Model) -> None:
    """Wait until other writes of the row have committed, then read it as it is now."""
    type(row)._default_manager.select_for_update().filter(pk=row.pk).exists()
    row.refresh_from_db()


def _when(at: dt.datetime | None) -> str:
    return timezone.localtime(at).strftime("%d/%m/%Y %H:%M") if at else "?"


def _write_item(item: PlanItem, user: User, **changes: object) -> None:
    # The item is locked and fresh (_lock), so its version cannot have moved; checked regardless.
    if not item.update_at_version(user, item.version, **changes):
        raise SteeringError(
            _("Someone else changed the item at the same moment; nothing was saved. Try again.")
        )


def _check_progress(
    item: PlanItem,
    *,
    percent: Decimal,
    confidence: str,
    rationale: str,
    completed_on: dt.date | None,
    today: dt.date,
) -> None:
    if confidence not in Confidence.values:
        raise SteeringError(_("Choose a delivery confidence rating."))
    if not rationale.strip():
        raise SteeringError(_("Give the reason for the confidence rating."))
    if completed_on and percent < 100:
        raise SteeringError(_("A completion day goes with 100 % progress."))
    if completed_on and completed_on > today:
        raise SteeringError(_("The completion day cannot be in the future."))
    if completed_on and completed_on < item.start_date:
        raise SteeringError(_("The completion day cannot be before the item started."))


@transaction.atomic
def report_progress(
    *,
    item: PlanItem,
    user: User,
    period: str,
    percent: Decimal,
    done: str,
    confidence: str,
    rationale: str,
    product: str = "",
    budget_disbursed: Decimal | None = None,
    completed_on: dt.date | None = None,
    files: Sequence[UploadedFile] = (),
    today: dt.date | None = None,
) -> ProgressReport:
    """The lead unit's progress report; at 100 % with a completion day the item is completed."""
    _lock(item)
    access = access_for(user)
    if not access.can_report_on(item.programme, [item.lead_unit_id]):
        raise PermissionDenied(_("Only the lead unit reports progress on this item."))
    if item.state == PlanItem.State.CANCELLED:
        raise SteeringError(_("The item was cancelled: no more progress is reported on it."))
    today = today or timezone.localdate()
    try:
        reported = Period.parse(period)
    except PeriodError:
        raise SteeringError(_("Choose a valid period.")) from None
    # The lead reports for the periods it reports its figures for (ReportForm.refusal).
    absent = absence_in(item.lead_unit, reported)
    if absent:
        raise SteeringError(absent)
    _check_progress(
        item,
        percent=percent,
        confidence=confidence,
        rationale=rationale or "",
        completed_on=completed_on,
        today=today,
    )
    check_files(files)
    report = ProgressReport.objects.create(
        plan_item=item,
        reported_by=user,
        period=period,
        percent=percent,
        done=done,
        product=product,
        budget_disbursed=budget_disbursed,
        confidence=confidence,
        rationale=rationale,
        completed_on=completed_on,
    )
    _store(report, user, files)
    before, state, done_on = item.state, item.state, item.completed_on
    if completed_on:
        state, done_on = PlanItem.State.COMPLETED, completed_on
    elif state == PlanItem.State.PLANNED:
        state = PlanItem.State.IN_PROGRESS
    _write_item(item, user, state=state, completed_on=done_on)
    record(
        item,
        user,
        Event.Action.PROGRESS,
        from_state=before,
        to_state=item.state,
        note=f"{report.period}: {percent} %",
    )
    return report


def _deadline_moved(item: PlanItem, seen: dt.date) -> str:
    last = item.deadline_changes.select_related("changed_by").order_by("changed_at", "pk").last()
    who: User | None
    at: dt.datetime | None
    if last is not None and last.new_deadline == item.deadline:
        who, at = last.changed_by, last.changed_at
    else:  # moved in the back office
        who, at = item.updated_by, item.updated_at
    return _(
        "%(who)s already moved the deadline from %(old)s to %(new)s at %(when)s; your change "
        "was not saved. Look at the new deadline and move it again if it still needs to move."
    ) % {
        "who": who or _("another user"),
        "old": _dmy(seen),
        "new": _dmy(item.deadline),
        "when": _when(at),
    }


@transaction.atomic
def change_deadline(
    *,
    item: PlanItem,
    user: User,
    new: dt.date,
    reason: str,
    decided_by: str = "",
    seen: dt.date | None = None,
) -> None:
    """Move an item's deadline; the first one stays as the baseline. `seen` is the deadline the
    user was shown (default: the item's as passed in); if it moved meanwhile, nothing changes."""
    seen = item.deadline if seen is None else seen
    _lock(item)
    if not access_for(user).can_edit_programme(item.programme):
        raise PermissionDenied(_("Only the standing agency moves a deadline."))
    if item.deadline != seen:
        raise SteeringError(_deadline_moved(item, seen))
    if not reason.strip():
        raise SteeringError(_("Give the reason for moving the deadline."))
    if new < item.start_date:
        raise SteeringError(_("The deadline cannot be before the start."))
    if new == item.deadline:
        raise SteeringError(_("The new deadline is the same as the current one."))
    early = item.units_ending_before(new, item.units())
    if early:
        raise SteeringError(
            _(
                "%(units)s end before the new deadline %(day)s: take them off the item, or give "
                "the rest of their part to the units that took their place as a new item, first."
            )
            % {"units": ", ".join(u.named_with_validity() for u in early), "day": _dmy(new)}
        )
    DeadlineChange.objects.create(
        plan_item=item,
        old_deadline=item.deadline,
        new_deadline=new,
        reason=reason,
        decided_by=decided_by,
        changed_by=user,
    )
    old = item.deadline
    _write_item(item, user, deadline=new, baseline_deadline=item.baseline_deadline or old)
    record(item, user, Event.Action.DEADLINE, from_state=_dmy(old), to_state=_dmy(new), note=reason)


# -- directives -------------------------------------------------------------------------------


def next_number(model: type[Directive] | type[Recommendation], programme: Programme) -> int:
    """The next number of the programme's directives or recommendations (steer.core.numbering:
    the counter stays locked until the record is written, so no two get the same)."""

    def used() -> int | None:
        highest: int | None = model._default_manager.filter(programme=programme).aggregate(
            n=Max("number")
        )["n"]
        return highest

    return allocate(scope=f"{model._meta.label_lower}:{programme.pk}", used=used)


def _check_directive(
    assignees: list[OrgUnit], content: str, given_on: dt.date, deadline: dt.date, today: dt.date
) -> None:
    if not assignees:
        raise SteeringError(_("Choose at least one unit to carry the directive out."))
    if not content.strip():
        raise SteeringError(_("Write the directive's content."))
    if deadline < today:
        raise SteeringError(_("The deadline %(day)s is in the past.") % {"day": _dmy(deadline)})
    if deadline < given_on:
        raise SteeringError(_("The deadline cannot be before the directive."))
    gone = [u for u in assignees if not u.exists_throughout(given_on, deadline)]
    if gone:
        raise SteeringError(absent_text(gone, given_on, deadline))


@transaction.atomic
def give_directive(
    *,
    programme: Programme,
    user: User,
    assignees: Iterable[OrgUnit],
    content: str,
    given_by: str,
    given_on: dt.date,
    source: str,
    deadline: dt.date,
    meeting: Meeting | None = None,
    inspection: Inspection | None = None,
    document_number: str = "",
    files: Sequence[UploadedFile] = (),
    today: dt.date | None = None,
) -> Directive:
    access = access_for(user)
    if not access.can_direct(programme):
        raise PermissionDenied(_("You may not give directives in this programme."))
    units = list(assignees)
    _check_directive(units, content or "", given_on, deadline, today or timezone.localdate())
    check_files(files)
    directive = Directive.objects.create(
        programme=programme,
        number=next_number(Directive, programme),
        created_by=user,
        content=content,
        given_by=given_by,
        given_on=given_on,
        source=source,
        deadline=deadline,
        meeting=meeting,
        inspection=inspection,
        document_number=document_number,
    )
    directive.assignees.set(units)
    _store(directive, user, files)
    record(directive, user, Event.Action.GIVEN, to_state=directive.state)
    notify(
        units=units,
        kind=Notification.Kind.ASSIGNED,
        text=_("New directive %(code)s for your unit, due %(day)s: %(text)s")
        % {"code": directive.code, "day": _dmy(directive.deadline), "text": directive.content},
        url=directive.get_absolute_url(),
    )
    return directive


def _open(directive: Directive) -> None:
    if directive.state == Directive.State.DONE:
        raise SteeringError(_("The directive is closed: it can no longer be changed."))


@transaction.atomic
def report_on_directive(
    *,
    directive: Directive,
    user: User,
    unit: OrgUnit,
    text: str,
    files: Sequence[UploadedFile] = (),
    done: bool = False,
) -> DirectiveUpdate:
    """An assignee's progress report; with done, it asks for the directive to be closed."""
    directive = Directive.objects.select_for_update().get(pk=directive.pk)
    _open(directive)
    assignees = set(directive.assignees.values_list("pk", flat=True))
    if unit.pk not in assignees:
        raise SteeringError(_("%(unit)s is not assigned this directive.") % {"unit": unit})
    if not access_for(user).can_report_on(directive.programme, [unit.pk]):
        raise PermissionDenied(_("You may not report for %(unit)s.") % {"unit": unit})
    if not text.strip():
        raise SteeringError(_("Write what was done."))
    check_files(files)
    if done and not files and not directive.attachments.exists():
        raise SteeringError(_("Attach the evidence that the directive was carried out."))
    update = DirectiveUpdate.objects.create(
        directive=directive, unit=unit, text=text, reported_by=user
    )
    _store(directive, user, files)
    before = directive.state
    if done:
        directive.state = Directive.State.REPORTED_DONE
    elif before != Directive.State.REPORTED_DONE:  # a further note does not withdraw it
        directive.state = Directive.State.IN_PROGRESS
    directive.save(update_fields=["state"])
    record(
        directive,
        user,
        Event.Action.REPORTED,
        from_state=before,
        to_state=directive.state,
        note=text,
    )
    return update


@transaction.atomic
def close_directive(
    *,
    directive: Directive,
    user: User,
    note: str,
    files: Sequence[UploadedFile] = (),
    today: dt.date | None = None,
) -> None:
    """The standing agency (or whoever directs) accepts that the directive was carried out."""
    directive = Directive.objects.select_for_update().get(pk=directive.pk)
    _open(directive)
    if not access_for(user).can_direct(directive.programme):
        raise PermissionDenied(_("Only the steering side may close a directive."))
    check_files(files)
    if not files and not directive.attachments.exists():
        raise SteeringError(_("A directive is closed on evidence: attach it first."))
    if not note.strip():
        raise SteeringError(_("Write the closing assessment."))
    _store(directive, user, files)
    before = directive.state
    directive.state = Directive.State.DONE
    directive.closed_on = today or timezone.localdate()
    directive.closure_note = note
    directive.accepted_by = user
    directive.save(update_fields=["state", "closed_on", "closure_note", "accepted_by"])
    record(
        directive, user, Event.Action.CLOSED, from_state=before, to_state=directive.state, note=note
    )


@transaction.atomic
def return_directive(*, directive: Directive, user: User, reason: str) -> None:
    """Not done yet: the report of completion goes back to the assignees."""
    directive = Directive.objects.select_for_update().get(pk=directive.pk)
    _open(directive)
    if not access_for(user).can_direct(directive.programme):
        raise PermissionDenied(_("Only the steering side may return a directive."))
    if directive.state != Directive.State.REPORTED_DONE:
        who, at = last_event(directive)
        if who is None:
            raise SteeringError(_("Only a directive reported done can be returned."))
        raise SteeringError(
            _(
                "Only a directive reported done can be returned; it is “%(state)s” since "
                "%(who)s changed it at %(when)s."
            )
            % {"state": directive.get_state_display(), "who": who, "when": _when(at)}
        )
    if not reason.strip():
        raise SteeringError(_("Give the reason for returning it."))
    directive.state = Directive.State.IN_PROGRESS
    directive.save(update_fields=["state"])
    record(
        directive,
        user,
        Event.Action.RETURNED,
        from_state=Directive.State.REPORTED_DONE,
        to_state=directive.state,
        note=reason,
    )
    notify(
        units=directive.assignees.all(),
        kind=Notification.Kind.RETURNED,
        text=_("Directive %(code)s was returned: %(reason)s")
        % {"code": directive.code, "reason": reason},
        url=directive.get_absolute_url(),
    )


# -- inspections ------------------------------------------------------------------------------


def _check_plan(
    units: list[OrgUnit], members: list[TeamMember], start: dt.date, end: dt.date, purpose: str
) -> None:
    if not units:
        raise SteeringError(_("Choose at least one unit to inspect."))
    if not any(m["role"] == InspectionMember.Role.HEAD for m in members):
        raise SteeringError(_("Name the head of the inspection team."))
    if end < start:
        raise SteeringError(_("The last day cannot be before the first."))
    if not purpose.strip():
        raise SteeringError(_("State the purpose of the inspection."))
    gone = [u for u in units if not u.exists_throughout(start, end)]
    if gone:
        raise SteeringError(absent_text(gone, start, end))


@transaction.atomic
def plan_inspection(
    *,
    programme: Programme,
    user: User,
    units: Iterable[OrgUnit],
    members: Iterable[TeamMember],
    number: str,
    title: str,
    purpose: str,
    start: dt.date,
    end: dt.date,
    scope: str = "",
) -> Inspection:
    """The inspection plan: its team, the units inspected, the days, purpose and scope."""
    if not access_for(user).can_inspect(programme):
        raise PermissionDenied(_("You may not plan inspections in this programme."))
    visited, team = list(units), list(members)
    _check_plan(visited, team, start, end, purpose or "")
    inspection = Inspection.objects.create(
        programme=programme,
        number=number,
        title=title,
        purpose=purpose,
        scope=scope,
        start=start,
        end=end,
    )
    for order, member in enumerate(team):
        InspectionMember.objects.create(inspection=inspection, order=order, **member)
    for unit in visited:
        InspectionVisit.objects.create(inspection=inspection, unit=unit)
    record(inspection, user, Event.Action.PLANNED, to_state=inspection.state)
    notify(
        units=visited,
        kind=Notification.Kind.ASSIGNED,
        text=_("%(title)s will inspect your unit from %(start)s to %(end)s.")
        % {"title": inspection.title, "start": _dmy(inspection.start), "end": _dmy(inspection.end)},
        url=inspection.get_absolute_url(),
    )
    return inspection


VISIT = Fields(
    InspectionVisit, ["visited_on", "documents_received", "results", "limitations", "causes"]
)
CONCLUSION = Fields(Inspection, ["conclusion", "concluded_on", "conclusion_document"])


@transaction.atomic
def record_visit(
    *,
    inspection: Inspection,
    user: User,
    unit: OrgUnit,
    visited_on: dt.date,
    documents_received: str = "",
    results: str = "",
    limitations: str = "",
    causes: str = "",
    seen: dict[str, object] | None = None,
) -> None:
    """The findings at one unit. `seen`: the findings as the form showed them
    (steer.core.conflicts); changed meanwhile by someone else, nothing is saved."""
    if not access_for(user).can_inspect(inspection.programme):
        raise PermissionDenied(_("Only the inspection team records findings."))
    _lock(inspection)
    visit = inspection.visits.select_for_update().filter(unit=unit).first()
    if visit is None:
        raise SteeringError(_("%(unit)s is not on this inspection.") % {"unit": unit})
    findings: dict[str, object] = {
        "visited_on": visited_on,
        "documents_received": documents_received,
        "results": results,
        "limitations": limitations,
        "causes": causes,
    }
    conflicts.check(
        seen=seen,
        now=VISIT.values(visit),
        posted={name: plain(value) for name, value in findings.items()},
        fields=VISIT,
        last=lambda: last_event(inspection, action=Event.Action.FINDINGS, note=str(unit)),
    )
    if inspection.state == Inspection.State.CONCLUDED:
        raise SteeringError(_("The inspection is concluded: its findings can no longer change."))
    if visited_on and not (inspection.start <= visited_on <= inspection.end):
        raise SteeringError(
            _("The visit must fall within the inspection, %(start)s to %(end)s.")
            % {"start": _dmy(inspection.start), "end": _dmy(inspection.end)}
        )
    for name, value in findings.items():
        setattr(visit, name, value)
    visit.save()
    before = inspection.state
    if before == Inspection.State.PLANNED:
        inspection.state = Inspection.State.VISITED
        inspection.save(update_fields=["state"])
    record(
        inspection,
        user,
        Event.Action.FINDINGS,
        from_state=before,
        to_state=inspection.state,
        note=str(unit),
    )


def _check_conclusion(inspection: Inspection, conclusion: str, concluded_on: dt.date) -> None:
    if inspection.state == Inspection.State.CONCLUDED:
        raise SteeringError(_("The inspection is already concluded."))
    if not conclusion.strip():
        raise SteeringError(_("Write the conclusion."))
    if concluded_on < inspection.start:
        raise SteeringError(_("The conclusion cannot come before the inspection."))
    missing = [v.unit for v in inspection.visits.select_related("unit") if not v.results.strip()]
    if missing:
        raise SteeringError(
            _("Record the findings at %(units)s first.")
            % {"units": ", ".join(str(u) for u in missing)}
        )


@transaction.atomic
def conclude(
    *,
    inspection: Inspection,
    user: User,
    conclusion: str,
    concluded_on: dt.date,
    conclusion_document: str = "",
    seen: dict[str, object] | None = None,
) -> None:
    if not access_for(user).can_inspect(inspection.programme):
        raise PermissionDenied(_("Only the inspection team concludes the inspection."))
    _lock(inspection)
    conflicts.check(
        seen=seen,
        now=CONCLUSION.values(inspection),
        posted={
            "conclusion": plain(conclusion),
            "concluded_on": plain(concluded_on),
            "conclusion_document": plain(conclusion_document),
        },
        fields=CONCLUSION,
        last=lambda: last_event(inspection, action=Event.Action.CONCLUDED),
    )
    _check_conclusion(inspection, conclusion, concluded_on)
    before = inspection.state
    inspection.state = Inspection.State.CONCLUDED
    inspection.conclusion, inspection.concluded_on = conclusion, concluded_on
    inspection.conclusion_document = conclusion_document
    inspection.save()
    record(
        inspection,
        user,
        Event.Action.CONCLUDED,
        from_state=before,
        to_state=inspection.state,
        note=conclusion_document,
    )


# -- recommendations --------------------------------------------------------------------------


@transaction.atomic
def raise_recommendation(
    *,
    programme: Programme,
    user: User,
    unit: OrgUnit,
    raised_on: dt.date,
    channel: str,
    category: str,
    content: str,
    addressed_to: str,
    is_bottleneck: bool = False,
    inspection: Inspection | None = None,
) -> Recommendation:
    if not access_for(user).can_raise_for(programme, unit.pk):
        raise PermissionDenied(
            _("You may not raise recommendations for %(unit)s.") % {"unit": unit}
        )
    if not (content or "").strip():
        raise SteeringError(_("Write the recommendation."))
    if category not in Recommendation.Category.values:
        raise SteeringError(_("Choose a category."))
    if not (addressed_to or "").strip():
        raise SteeringError(_("Say which agency the recommendation is addressed to."))
    if not unit.exists_on(raised_on):
        raise SteeringError(absent_text([unit], raised_on, raised_on))
    recommendation = Recommendation.objects.create(
        programme=programme,
        number=next_number(Recommendation, programme),
        unit=unit,
        created_by=user,
        raised_on=raised_on,
        channel=channel,
        category=category,
        content=content,
        addressed_to=addressed_to,
        is_bottleneck=is_bottleneck,
        inspection=inspection,
    )
    record(recommendation, user, Event.Action.RAISED, to_state=recommendation.state)
    return recommendation


ROUTE = Fields(Recommendation, ["routed_to", "synthesis_note"])
ANSWER = Fields(Recommendation, ["response", "responded_on"])


def _check_handler(recommendation: Recommendation, user: User) -> None:
    if not access_for(user).can_synthesise(recommendation.programme):
        raise PermissionDenied(_("Only the standing agency handles recommendations."))


def check_can_handle(*, recommendation: Recommendation, user: User) -> None:
    _check_handler(recommendation, user)
    if recommendation.state == Recommendation.State.CLOSED:
        raise SteeringError(_("The recommendation is closed: it can no longer be changed."))


def _handle(
    recommendation: Recommendation,
    user: User,
    form: Fields,
    seen: dict[str, object] | None,
    posted: dict[str, object],
) -> None:
    """Lock the recommendation, then refuse if what this form edits was changed by someone
    else since the form showed `seen` (the editor keeps their text), or if it was closed."""
    _check_handler(recommendation, user)
    _lock(recommendation)
    conflicts.check(
        seen=seen,
        now=form.values(recommendation),
        posted={name: plain(value) for name, value in posted.items()},
        fields=form,
        last=lambda: last_event(recommendation),
    )
    check_can_handle(recommendation=recommendation, user=user)


@transaction.atomic
def route(
    *,
    recommendation: Recommendation,
    user: User,
    routed_to: str,
    synthesis_note: str,
    seen: dict[str, object] | None = None,
) -> None:
    """The standing agency's assessment and the agency it forwards the recommendation to.
    `seen`: the values the form showed (steer.core.conflicts)."""
    posted: dict[str, object] = {"routed_to": routed_to, "synthesis_note": synthesis_note}
    _handle(recommendation, user, ROUTE, seen, posted)
    if not routed_to.strip():
        raise SteeringError(_("Say which agency the recommendation is forwarded to."))
    before = recommendation.state
    recommendation.routed_to, recommendation.synthesis_note = routed_to, synthesis_note
    if recommendation.state == Recommendation.State.NEW:
        recommendation.state = Recommendation.State.ROUTED
    recommendation.save()
    record(
        recommendation,
        user,
        Event.Action.ROUTED,
        from_state=before,
        to_state=recommendation.state,
        note=routed_to,
    )


@transaction.atomic
def answer(
    *,
    recommendation: Recommendation,
    user: User,
    response: str,
    responded_on: dt.date,
    close: bool = False,
    seen: dict[str, object] | None = None,
) -> None:
    posted: dict[str, object] = {"response": response, "responded_on": responded_on}
    _handle(recommendation, user, ANSWER, seen, posted)
    if not response.strip():
        raise SteeringError(_("Write the response."))
    if responded_on < recommendation.raised_on:
        raise SteeringError(_("The response cannot come before the recommendation."))
    before = recommendation.state
    recommendation.response, recommendation.responded_on = response, responded_on
    closed, answered = Recommendation.State.CLOSED, Recommendation.State.ANSWERED
    recommendation.state = closed if close else answered
    recommendation.save()
    record(
        recommendation,
        user,
        Event.Action.ANSWERED,
        from_state=before,
        to_state=recommendation.state,
        note=response,
    )
    notify(
        units=[recommendation.unit],
        kind=Notification.Kind.ANSWERED,
        text=_("Recommendation %(code)s was answered.") % {"code": recommendation.code},
        url=recommendation.get_absolute_url(),
    )


@transaction.atomic
def synthesise(
    *, programme: Programme, user: User, title: str, note: str, today: dt.date | None = None
) -> Synthesis:
    """A synthesis for the city of every open recommendation not yet in one."""
    if not access_for(user).can_synthesise(programme):
        raise PermissionDenied(_("Only the standing agency prepares the synthesis."))
    if not title.strip():
        raise SteeringError(_("Give the synthesis a title."))
    pending = Recommendation.objects.filter(
        programme=programme, state__in=Recommendation.OPEN, synthesis__isnull=True
    )
    # Locked: of two syntheses at the same moment the second waits, then finds the
    # recommendations taken and says so instead of making an empty batch.
    taken = list(pending.select_for_update().values_list("pk", flat=True))
    if not taken:
        raise SteeringError(_("There is no open recommendation to synthesise."))
    batch = Synthesis.objects.create(
        programme=programme,
        title=title,
        note=note,
        prepared_on=today or timezone.localdate(),
        prepared_by=user,
    )
    count = Recommendation.objects.filter(pk__in=taken).update(synthesis=batch)
    record(batch, user, Event.Action.SYNTHESISED, note=str(count))
    return batch


# -- overdue ----------------------------------------------------------------------------------


def notify_overdue(*, today: dt.date | None = None) -> int:
    """Tell the assignees of every overdue directive, once per directive."""
    today = today or timezone.localdate()
    made = 0
    overdue = Directive.objects.filter(state__in=Directive.OPEN, deadline__lt=today)
    for directive in overdue.select_related("programme").prefetch_related("assignees"):
        made += notify(
            units=directive.assignees.all(),
            kind=Notification.Kind.OVERDUE,
            text=_("Directive %(code)s is overdue (due %(day)s).")
            % {"code": directive.code, "day": _dmy(directive.deadline)},
            url=directive.get_absolute_url(),
            key=f"overdue:directive:{directive.pk}",
        )
    return made
