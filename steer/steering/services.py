"""Every change to a steering record goes through here: checked (who may, in which state),
done in one transaction, recorded as an Event, and told to the people concerned.

A refused change changes nothing and says why: PermissionDenied (403) when the user's role
does not allow it, SteeringError with a message for the user otherwise.
"""

import datetime as dt
from pathlib import Path

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from steer.accounts.access import access_for
from steer.accounts.models import User
from steer.core import conflicts
from steer.core.conflicts import Fields, plain
from steer.core.numbering import allocate
from steer.core.uploads import DOCUMENT_TYPES, UnsafeUpload, accept
from steer.programmes.models import PlanItem, Programme
from steer.reporting.models import Evidence, ImportBatch, Reminder, absence_in
from steer.reporting.periods import Period, PeriodError
from steer.steering.models import (
    Attachment,
    Confidence,
    DeadlineChange,
    Directive,
    DirectiveUpdate,
    Event,
    Inspection,
    InspectionMember,
    InspectionVisit,
    Notification,
    ProgressReport,
    Recommendation,
    Synthesis,
)
from steer.units.models import OrgUnit, absent_text

MAX_FILE_BYTES = 10 * 1024 * 1024
FILE_TYPES = DOCUMENT_TYPES


class SteeringError(Exception):
    pass


def _dmy(day: dt.date) -> str:
    return date_format(day, "d/m/Y")


def record(subject, user, action: Event.Action, from_state="", to_state="", note="") -> Event:
    return Event.objects.create(
        content_type=ContentType.objects.get_for_model(subject),
        object_id=subject.pk,
        action=Event.Action(action),  # an action outside the vocabulary fails here, not later
        from_state=from_state,
        to_state=to_state,
        note=note,
        user=user,
    )


def record_reporting(
    sender: object,
    *,
    subject: Reminder | Evidence | ImportBatch,
    user: User,
    from_state: str = "",
    **kwargs: object,
) -> None:
    """The history of reporting's writes, told by `reporting.signals.recorded` inside their
    transaction: reporting sits below steering and cannot write an Event itself."""
    if isinstance(subject, Reminder):
        record(subject, user, Event.Action.REMINDED)
    elif isinstance(subject, Evidence):
        record(subject, user, Event.Action.ATTACHED)
    else:
        record(subject, user, Event.Action.IMPORT, from_state, subject.state)


def events_of(subject):
    return Event.objects.filter(
        content_type=ContentType.objects.get_for_model(subject), object_id=subject.pk
    ).select_related("user")


def notify(units, kind: str, text: str, url: str, key: str = "") -> int:
    """Tell the active members of these units (and of no other). With a key, only once each."""
    users = list(
        User.objects.filter(unit__in=list(units), is_active=True).values_list("pk", flat=True)
    )
    if key:
        told = set(
            Notification.objects.filter(user__in=users, key=key).values_list("user", flat=True)
        )
        users = [u for u in users if u not in told]
    # With a key, one told meanwhile (two overdue runs at once) is skipped on notification_once;
    # the count may then include them.
    Notification.objects.bulk_create(
        (Notification(user_id=u, kind=kind, text=text[:500], url=url, key=key) for u in users),
        ignore_conflicts=bool(key),
    )
    return len(users)


def check_files(files) -> None:
    for upload in files:
        try:
            accept(upload, kinds=FILE_TYPES, max_bytes=MAX_FILE_BYTES)
        except UnsafeUpload as error:
            raise SteeringError(str(error)) from None


def attach(subject, user, files) -> list[Attachment]:
    content_type = ContentType.objects.get_for_model(subject)
    return [
        Attachment.objects.create(
            content_type=content_type,
            object_id=subject.pk,
            file=upload,
            name=Path(upload.name).name[:200],
            size=upload.size,
            uploaded_by=user,
        )
        for upload in files
    ]


@transaction.atomic
def attach_to_inspection(inspection: Inspection, user, files) -> list[Attachment]:
    """The inspection's evidence (minutes, the conclusion notice), attached by its team."""
    if not access_for(user).can_inspect(inspection.programme):
        raise PermissionDenied(_("Only the inspection team attaches files to it."))
    check_files(files)
    return attach(inspection, user, files)


# -- plan items -------------------------------------------------------------------------------


@transaction.atomic
def report_progress(item: PlanItem, user, *, files=(), today=None, **fields) -> ProgressReport:
    """The lead unit's progress report; at 100 % with a completion day the item is completed."""
    _lock(item)
    access = access_for(user)
    if not access.can_report_on(item.programme, [item.lead_unit_id]):
        raise PermissionDenied(_("Only the lead unit reports progress on this item."))
    if item.state == PlanItem.State.CANCELLED:
        raise SteeringError(_("The item was cancelled: no more progress is reported on it."))
    today = today or timezone.localdate()
    try:
        period = Period.parse(fields["period"])
    except PeriodError:
        raise SteeringError(_("Choose a valid period.")) from None
    # The lead reports for the periods it reports its figures for (ReportForm.refusal).
    absent = absence_in(item.lead_unit, period)
    if absent:
        raise SteeringError(absent)
    percent = fields["percent"]
    completed_on = fields.get("completed_on")
    if fields.get("confidence") not in Confidence.values:
        raise SteeringError(_("Choose a delivery confidence rating."))
    if not (fields.get("rationale") or "").strip():
        raise SteeringError(_("Give the reason for the confidence rating."))
    if completed_on and percent < 100:
        raise SteeringError(_("A completion day goes with 100 % progress."))
    if completed_on and completed_on > today:
        raise SteeringError(_("The completion day cannot be in the future."))
    if completed_on and completed_on < item.start_date:
        raise SteeringError(_("The completion day cannot be before the item started."))
    check_files(files)
    report = ProgressReport.objects.create(plan_item=item, reported_by=user, **fields)
    attach(report, user, files)
    before, state, done_on = item.state, item.state, item.completed_on
    if completed_on:
        state, done_on = PlanItem.State.COMPLETED, completed_on
    elif state == PlanItem.State.PLANNED:
        state = PlanItem.State.IN_PROGRESS
    _write_item(item, user, state=state, completed_on=done_on)
    record(item, user, Event.Action.PROGRESS, before, item.state, f"{report.period}: {percent} %")
    return report


def _lock(record) -> None:
    """Wait until other writes of the record have committed, then read it as it is now."""
    type(record).objects.select_for_update().filter(pk=record.pk).exists()
    record.refresh_from_db()


def _last_event(subject, **filters) -> tuple:
    """Who made the subject's latest change (of these kinds) and when, or (None, None)."""
    event = events_of(subject).filter(**filters).order_by("at", "pk").last()
    return (event.user, event.at) if event else (None, None)


def _when(at) -> str:
    return timezone.localtime(at).strftime("%d/%m/%Y %H:%M") if at else "?"


def _write_item(item: PlanItem, user, **changes) -> None:
    # The item is locked and fresh (_lock), so its version cannot have moved; checked regardless.
    if not item.update_at_version(user, item.version, **changes):
        raise SteeringError(
            _("Someone else changed the item at the same moment; nothing was saved. Try again.")
        )


def _deadline_moved(item: PlanItem, seen: dt.date) -> str:
    last = item.deadline_changes.select_related("changed_by").order_by("changed_at", "pk").last()
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
    item: PlanItem, user, new: dt.date, reason: str, decided_by="", seen: dt.date | None = None
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
    record(item, user, Event.Action.DEADLINE, _dmy(old), _dmy(new), reason)


# -- directives -------------------------------------------------------------------------------


def next_number(model, programme: Programme) -> int:
    """The next number of the programme's directives or recommendations (steer.core.numbering:
    the counter stays locked until the record is written, so no two get the same)."""
    return allocate(
        scope=f"{model._meta.label_lower}:{programme.pk}",
        used=lambda: model.objects.filter(programme=programme).aggregate(n=Max("number"))["n"],
    )


@transaction.atomic
def give_directive(
    programme: Programme, user, *, assignees, today=None, files=(), **fields
) -> Directive:
    access = access_for(user)
    if not access.can_direct(programme):
        raise PermissionDenied(_("You may not give directives in this programme."))
    today = today or timezone.localdate()
    assignees = list(assignees)
    if not assignees:
        raise SteeringError(_("Choose at least one unit to carry the directive out."))
    if not (fields.get("content") or "").strip():
        raise SteeringError(_("Write the directive's content."))
    if fields["deadline"] < today:
        raise SteeringError(
            _("The deadline %(day)s is in the past.") % {"day": _dmy(fields["deadline"])}
        )
    if fields["deadline"] < fields["given_on"]:
        raise SteeringError(_("The deadline cannot be before the directive."))
    given_on, deadline = fields["given_on"], fields["deadline"]
    gone = [u for u in assignees if not u.exists_throughout(given_on, deadline)]
    if gone:
        raise SteeringError(absent_text(gone, given_on, deadline))
    check_files(files)
    directive = Directive.objects.create(
        programme=programme, number=next_number(Directive, programme), created_by=user, **fields
    )
    directive.assignees.set(assignees)
    attach(directive, user, files)
    record(directive, user, Event.Action.GIVEN, "", directive.state)
    notify(
        assignees,
        Notification.Kind.ASSIGNED,
        _("New directive %(code)s for your unit, due %(day)s: %(text)s")
        % {"code": directive.code, "day": _dmy(directive.deadline), "text": directive.content},
        directive.get_absolute_url(),
    )
    return directive


def _open(directive: Directive) -> None:
    if directive.state == Directive.State.DONE:
        raise SteeringError(_("The directive is closed: it can no longer be changed."))


@transaction.atomic
def report_on_directive(
    directive: Directive, user, unit: OrgUnit, text: str, *, files=(), done=False
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
    attach(directive, user, files)
    before = directive.state
    if done:
        directive.state = Directive.State.REPORTED_DONE
    elif before != Directive.State.REPORTED_DONE:  # a further note does not withdraw it
        directive.state = Directive.State.IN_PROGRESS
    directive.save(update_fields=["state"])
    record(directive, user, Event.Action.REPORTED, before, directive.state, text)
    return update


@transaction.atomic
def close_directive(directive: Directive, user, note: str, *, files=(), today=None) -> None:
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
    attach(directive, user, files)
    before = directive.state
    directive.state = Directive.State.DONE
    directive.closed_on = today or timezone.localdate()
    directive.closure_note = note
    directive.accepted_by = user
    directive.save(update_fields=["state", "closed_on", "closure_note", "accepted_by"])
    record(directive, user, Event.Action.CLOSED, before, directive.state, note)


@transaction.atomic
def return_directive(directive: Directive, user, reason: str) -> None:
    """Not done yet: the report of completion goes back to the assignees."""
    directive = Directive.objects.select_for_update().get(pk=directive.pk)
    _open(directive)
    if not access_for(user).can_direct(directive.programme):
        raise PermissionDenied(_("Only the steering side may return a directive."))
    if directive.state != Directive.State.REPORTED_DONE:
        who, at = _last_event(directive)
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
        Directive.State.REPORTED_DONE,
        directive.state,
        reason,
    )
    notify(
        directive.assignees.all(),
        Notification.Kind.RETURNED,
        _("Directive %(code)s was returned: %(reason)s")
        % {"code": directive.code, "reason": reason},
        directive.get_absolute_url(),
    )


# -- inspections ------------------------------------------------------------------------------


@transaction.atomic
def plan_inspection(programme: Programme, user, *, units, members, **fields) -> Inspection:
    """The inspection plan: team (dicts of name, position, role, user), units, dates, purpose."""
    if not access_for(user).can_inspect(programme):
        raise PermissionDenied(_("You may not plan inspections in this programme."))
    units, members = list(units), list(members)
    if not units:
        raise SteeringError(_("Choose at least one unit to inspect."))
    if not any(m["role"] == InspectionMember.Role.HEAD for m in members):
        raise SteeringError(_("Name the head of the inspection team."))
    if fields["end"] < fields["start"]:
        raise SteeringError(_("The last day cannot be before the first."))
    if not (fields.get("purpose") or "").strip():
        raise SteeringError(_("State the purpose of the inspection."))
    gone = [u for u in units if not u.exists_throughout(fields["start"], fields["end"])]
    if gone:
        raise SteeringError(absent_text(gone, fields["start"], fields["end"]))
    inspection = Inspection.objects.create(programme=programme, **fields)
    for order, member in enumerate(members):
        InspectionMember.objects.create(inspection=inspection, order=order, **member)
    for unit in units:
        InspectionVisit.objects.create(inspection=inspection, unit=unit)
    record(inspection, user, Event.Action.PLANNED, "", inspection.state)
    notify(
        units,
        Notification.Kind.ASSIGNED,
        _("%(title)s will inspect your unit from %(start)s to %(end)s.")
        % {"title": inspection.title, "start": _dmy(inspection.start), "end": _dmy(inspection.end)},
        inspection.get_absolute_url(),
    )
    return inspection


VISIT = Fields(
    InspectionVisit, ["visited_on", "documents_received", "results", "limitations", "causes"]
)
CONCLUSION = Fields(Inspection, ["conclusion", "concluded_on", "conclusion_document"])


@transaction.atomic
def record_visit(
    inspection: Inspection, user, unit: OrgUnit, *, seen: dict | None = None, **findings
) -> None:
    """The findings at one unit. `seen`: the findings as the form showed them
    (steer.core.conflicts); changed meanwhile by someone else, nothing is saved."""
    if not access_for(user).can_inspect(inspection.programme):
        raise PermissionDenied(_("Only the inspection team records findings."))
    _lock(inspection)
    visit = inspection.visits.select_for_update().filter(unit=unit).first()
    if visit is None:
        raise SteeringError(_("%(unit)s is not on this inspection.") % {"unit": unit})
    conflicts.check(
        seen=seen,
        now=VISIT.values(visit),
        posted={name: plain(value) for name, value in findings.items()},
        fields=VISIT,
        last=lambda: _last_event(inspection, action=Event.Action.FINDINGS, note=str(unit)),
    )
    if inspection.state == Inspection.State.CONCLUDED:
        raise SteeringError(_("The inspection is concluded: its findings can no longer change."))
    day = findings.get("visited_on")
    if day and not (inspection.start <= day <= inspection.end):
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
    record(inspection, user, Event.Action.FINDINGS, before, inspection.state, str(unit))


@transaction.atomic
def conclude(
    inspection: Inspection,
    user,
    conclusion: str,
    day: dt.date,
    document="",
    *,
    seen: dict | None = None,
) -> None:
    if not access_for(user).can_inspect(inspection.programme):
        raise PermissionDenied(_("Only the inspection team concludes the inspection."))
    _lock(inspection)
    conflicts.check(
        seen=seen,
        now=CONCLUSION.values(inspection),
        posted={
            "conclusion": plain(conclusion),
            "concluded_on": plain(day),
            "conclusion_document": plain(document),
        },
        fields=CONCLUSION,
        last=lambda: _last_event(inspection, action=Event.Action.CONCLUDED),
    )
    if inspection.state == Inspection.State.CONCLUDED:
        raise SteeringError(_("The inspection is already concluded."))
    if not conclusion.strip():
        raise SteeringError(_("Write the conclusion."))
    if day < inspection.start:
        raise SteeringError(_("The conclusion cannot come before the inspection."))
    missing = [v.unit for v in inspection.visits.select_related("unit") if not v.results.strip()]
    if missing:
        raise SteeringError(
            _("Record the findings at %(units)s first.")
            % {"units": ", ".join(str(u) for u in missing)}
        )
    before = inspection.state
    inspection.state = Inspection.State.CONCLUDED
    inspection.conclusion, inspection.concluded_on = conclusion, day
    inspection.conclusion_document = document
    inspection.save()
    record(inspection, user, Event.Action.CONCLUDED, before, inspection.state, document)


# -- recommendations --------------------------------------------------------------------------


@transaction.atomic
def raise_recommendation(programme: Programme, user, unit: OrgUnit, **fields) -> Recommendation:
    if not access_for(user).can_raise_for(programme, unit.pk):
        raise PermissionDenied(
            _("You may not raise recommendations for %(unit)s.") % {"unit": unit}
        )
    if not (fields.get("content") or "").strip():
        raise SteeringError(_("Write the recommendation."))
    if fields.get("category") not in Recommendation.Category.values:
        raise SteeringError(_("Choose a category."))
    if not (fields.get("addressed_to") or "").strip():
        raise SteeringError(_("Say which agency the recommendation is addressed to."))
    if not unit.exists_on(fields["raised_on"]):
        raise SteeringError(absent_text([unit], fields["raised_on"], fields["raised_on"]))
    rec = Recommendation.objects.create(
        programme=programme,
        number=next_number(Recommendation, programme),
        unit=unit,
        created_by=user,
        **fields,
    )
    record(rec, user, Event.Action.RAISED, "", rec.state)
    return rec


ROUTE = Fields(Recommendation, ["routed_to", "synthesis_note"])
ANSWER = Fields(Recommendation, ["response", "responded_on"])


def _check_handler(rec: Recommendation, user) -> None:
    if not access_for(user).can_synthesise(rec.programme):
        raise PermissionDenied(_("Only the standing agency handles recommendations."))


def check_can_handle(rec: Recommendation, user) -> None:
    _check_handler(rec, user)
    if rec.state == Recommendation.State.CLOSED:
        raise SteeringError(_("The recommendation is closed: it can no longer be changed."))


def _handle(rec: Recommendation, user, form: Fields, seen: dict | None, posted: dict) -> None:
    """Lock the recommendation, then refuse if what this form edits was changed by someone
    else since the form showed `seen` (the editor keeps their text), or if it was closed."""
    _check_handler(rec, user)
    _lock(rec)
    conflicts.check(
        seen=seen,
        now=form.values(rec),
        posted={name: plain(value) for name, value in posted.items()},
        fields=form,
        last=lambda: _last_event(rec),
    )
    check_can_handle(rec, user)


@transaction.atomic
def route(rec: Recommendation, user, routed_to: str, note: str, *, seen=None) -> None:
    """The standing agency's assessment and the agency it forwards the recommendation to.
    `seen`: the values the form showed (steer.core.conflicts)."""
    _handle(rec, user, ROUTE, seen, {"routed_to": routed_to, "synthesis_note": note})
    if not routed_to.strip():
        raise SteeringError(_("Say which agency the recommendation is forwarded to."))
    before = rec.state
    rec.routed_to, rec.synthesis_note = routed_to, note
    if rec.state == Recommendation.State.NEW:
        rec.state = Recommendation.State.ROUTED
    rec.save()
    record(rec, user, Event.Action.ROUTED, before, rec.state, routed_to)


@transaction.atomic
def answer(
    rec: Recommendation, user, response: str, day: dt.date, *, close=False, seen=None
) -> None:
    _handle(rec, user, ANSWER, seen, {"response": response, "responded_on": day})
    if not response.strip():
        raise SteeringError(_("Write the response."))
    if day < rec.raised_on:
        raise SteeringError(_("The response cannot come before the recommendation."))
    before = rec.state
    rec.response, rec.responded_on = response, day
    rec.state = Recommendation.State.CLOSED if close else Recommendation.State.ANSWERED
    rec.save()
    record(rec, user, Event.Action.ANSWERED, before, rec.state, response)
    notify(
        [rec.unit],
        Notification.Kind.ANSWERED,
        _("Recommendation %(code)s was answered.") % {"code": rec.code},
        rec.get_absolute_url(),
    )


@transaction.atomic
def synthesise(programme: Programme, user, title: str, note: str, today=None) -> Synthesis:
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
    record(batch, user, Event.Action.SYNTHESISED, "", "", str(count))
    return batch


# -- overdue ----------------------------------------------------------------------------------


def notify_overdue(today=None) -> int:
    """Tell the assignees of every overdue directive, once per directive."""
    today = today or timezone.localdate()
    made = 0
    overdue = Directive.objects.filter(state__in=Directive.OPEN, deadline__lt=today)
    for directive in overdue.select_related("programme").prefetch_related("assignees"):
        made += notify(
            directive.assignees.all(),
            Notification.Kind.OVERDUE,
            _("Directive %(code)s is overdue (due %(day)s).")
            % {"code": directive.code, "day": _dmy(directive.deadline)},
            directive.get_absolute_url(),
            key=f"overdue:directive:{directive.pk}",
        )
    return made
