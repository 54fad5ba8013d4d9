"""Reporting's writes besides the figures (`values.write_values`) and the report steps
(`workflow`): reminders, evidence files, and imports of files from preview to written.

Each checks the permission rule first, writes in one transaction and records what it did in the
history (`core.services.record`). A refusal changes nothing:
PermissionDenied (403) when the user may not, an error saying why otherwise.
"""

import hashlib
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from steer.accounts.access import access_for
from steer.accounts.models import User
from steer.core.models import Event
from steer.core.services import record
from steer.core.uploads import DOCUMENT_TYPES, UnsafeUpload, accept
from steer.programmes.models import Programme
from steer.reporting.formats import channel_of, read_upload
from steer.reporting.imports import Only, Plan, plan_entries
from steer.reporting.labels import reminder_text
from steer.reporting.models import (
    DataValue,
    Evidence,
    ImportBatch,
    Reminder,
    ReportForm,
    Submission,
)
from steer.reporting.periods import Period
from steer.reporting.safety import IMPORT_TYPES, MAX_UPLOAD_BYTES, UnsafeFile, check_import
from steer.reporting.selectors import form_status
from steer.reporting.values import write_values

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
PREVIEW_ROWS = 500  # the changes an import's preview lists


class ImportRefused(Exception):
    """A file that cannot be imported, or an import that can no longer be cancelled; `problems`
    says why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems[:5]))
        self.problems = problems


# -- reminders ------------------------------------------------------------------------------


@transaction.atomic
def remind_overdue(*, user: User, form: ReportForm, period: Period) -> list[Reminder]:
    """Record a reminder to each unit whose report of the period is overdue (among the units
    the user sees): the standing agency's."""
    access = access_for(user)
    programme = form.programme
    access.require(access.can_accept(programme))
    deadline, rows = form_status(form, period, access.report_units(programme))
    reminders = [
        Reminder.objects.create(
            form=form,
            unit=row.unit,
            period=period.code,
            text=reminder_text(form, period, deadline, row.unit),
            sent_by=user,
        )
        for row in rows
        if row.status == "overdue"
    ]
    for reminder in reminders:
        record(reminder, user, Event.Action.REMINDED)
    return reminders


# -- evidence -------------------------------------------------------------------------------


@transaction.atomic
def attach_evidence(*, user: User, value: DataValue, upload: UploadedFile | None) -> Evidence:
    """A file backing a stored figure, attached by those who may enter the unit's figures while
    its report can still change. Raises UnsafeUpload for a file refused."""
    access = access_for(user)
    # Locked as a report step locks it, so the report cannot be approved meanwhile.
    submission = (
        Submission.objects.select_for_update(of=("self",))
        .select_related("form__programme")
        .get(pk=value.submission_id)
    )
    access.require(
        submission.is_editable and access.can_enter_values(submission.form.programme, value.unit_id)
    )
    accept(upload, kinds=DOCUMENT_TYPES, max_bytes=MAX_EVIDENCE_BYTES)
    assert upload is not None and upload.size is not None  # accept refuses a missing or empty one
    evidence = Evidence.objects.create(
        value=value,
        file=upload,
        name=(upload.name or "")[:200],
        size=upload.size,
        uploaded_by=user,
    )
    record(evidence, user, Event.Action.ATTACHED)
    return evidence


# -- imports --------------------------------------------------------------------------------


@transaction.atomic
def preview_import(*, user: User, programme: Programme, upload: UploadedFile | None) -> ImportBatch:
    """Keep an uploaded file of figures with the changes it would make, to be confirmed (or
    cancelled) by its uploader. Raises ImportRefused, keeping nothing, for a file refused or
    any figure in it that could not be written."""
    access = access_for(user)
    access.require(access.can_import(programme))
    try:
        accept(upload, kinds=IMPORT_TYPES, max_bytes=MAX_UPLOAD_BYTES, content=check_import)
    except UnsafeUpload as error:
        raise ImportRefused([str(error)]) from None
    assert upload is not None  # accept refuses a missing one
    content = upload.read()
    try:
        entries, only, problems = read_upload(programme, content)
    except UnsafeFile as error:
        raise ImportRefused([str(error)]) from None
    if problems:
        raise ImportRefused([str(p) for p in problems])
    plan = plan_entries(programme, entries, user, only=only)
    if plan.problems:
        raise ImportRefused([str(p) for p in plan.problems])
    batch = ImportBatch.objects.create(
        programme=programme,
        user=user,
        file_name=(upload.name or "")[:255],
        content=content,
        fingerprint=plan.fingerprint(),
        summary=_summary(plan, content),
    )
    record(batch, user, Event.Action.IMPORT, to_state=batch.state)
    return batch


def _summary(plan: Plan, content: bytes) -> dict[str, object]:
    """What the preview shows: the counts and the first changes."""
    changes = [
        {
            "kind": c.kind,
            "where": c.where,
            "unit": c.unit.code,
            "period": c.period,
            "indicator": c.indicator.code,
            "option": c.option,
            "old": str(c.old[1]) if c.old else None,
            "new": str(c.value) if c.value is not None else None,
        }
        for c in plan.writes[:PREVIEW_ROWS]
    ]
    return {
        "counts": plan.counts(),
        "changes": changes,
        "sha256": hashlib.sha256(content).hexdigest(),
    }


@dataclass(frozen=True)
class Applied:
    """A confirmed import: what it wrote (None: it had been confirmed already) and, for a
    report's workbook, the report."""

    plan: Plan | None
    only: Only | None


@transaction.atomic
def apply_import(*, user: User, batch: ImportBatch) -> Applied:
    """Write a previewed import, once: the batch stays locked until it is marked applied, so a
    second confirmation (another tab, a double click without the form's token) waits and then
    finds it written. Raises Rejected (or UnsafeFile) and writes nothing if a figure is refused
    now or the stored figures changed since the preview."""
    batch = _own_batch(user, batch.pk)
    if batch.state != ImportBatch.State.PREVIEWED:
        return Applied(None, None)
    content = bytes(batch.content)
    entries, only, _problems = read_upload(batch.programme, content)
    plan = write_values(
        programme=batch.programme,
        entries=entries,
        user=user,
        channel=channel_of(content),
        source=batch.file_name,
        only=only,
        expect_fingerprint=batch.fingerprint,
    )
    batch.state = ImportBatch.State.APPLIED
    batch.applied_at = timezone.now()
    batch.save(update_fields=["state", "applied_at"])
    record(
        batch,
        user,
        Event.Action.IMPORT,
        from_state=ImportBatch.State.PREVIEWED,
        to_state=batch.state,
    )
    return Applied(plan, only)


@transaction.atomic
def cancel_import(*, user: User, batch: ImportBatch) -> ImportBatch:
    """Drop a previewed import: nothing of it is written. Raises ImportRefused if it was
    confirmed meanwhile."""
    batch = _own_batch(user, batch.pk)
    if batch.state == ImportBatch.State.APPLIED:
        raise ImportRefused([_("This import was already confirmed.")])
    if batch.state == ImportBatch.State.PREVIEWED:
        batch.state = ImportBatch.State.CANCELLED
        batch.save(update_fields=["state"])
        record(
            batch,
            user,
            Event.Action.IMPORT,
            from_state=ImportBatch.State.PREVIEWED,
            to_state=batch.state,
        )
    return batch


def _own_batch(user: User, pk: int) -> ImportBatch:
    """The batch, locked; only its uploader, while they may see its programme, acts on it."""
    batch = ImportBatch.objects.select_for_update().get(pk=pk)
    access = access_for(user)
    access.require(batch.user_id == user.pk and access.can_view_programme(batch.programme))
    return batch
