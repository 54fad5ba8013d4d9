"""The one write path of figures: `write_values`.

Every channel (the web form, the Excel workbook, CSV and DHIS2 files, the command line, the API)
turns its input into `Entry` rows (`imports`) and calls `write_values`, which checks them all
(`imports.plan_entries`) and writes them, with a `ValueChange` each, in one transaction. Any
problem refuses the whole batch: nothing is written.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from steer.accounts.models import User
from steer.core.bulk import insert_rows, prepared
from steer.programmes.models import Programme
from steer.reporting.checks import refresh_violations
from steer.reporting.imports import Change, Entry, Only, Plan, Problem, Rejected, plan_entries
from steer.reporting.models import DataValue, Submission, ValueChange

ReportKey = tuple[int, int, str]  # (form, unit, period code) of one report

VALUE_COLUMNS = (
    "submission",
    "indicator",
    "unit",
    "period",
    "option",
    "value",
    "quality",
    "comment",
    "updated_at",
    "updated_by",
)
CHANGE_COLUMNS = (
    "indicator",
    "unit",
    "period",
    "option",
    "old_value",
    "new_value",
    "old_comment",
    "new_comment",
    "user",
    "at",
    "channel",
    "source",
)


@transaction.atomic
def write_values(
    *,
    programme: Programme,
    entries: list[Entry],
    user: User,
    channel: str,
    source: str = "",
    only: Only | None = None,
    expect_fingerprint: str | None = None,
) -> Plan:
    """Plan and write in one transaction; raises Rejected and writes nothing on any problem.
    `only` restricts the batch to one report (a workbook, the web form); `expect_fingerprint`
    refuses it if the stored figures changed since its preview was made."""
    # Lock the programme row first so two writers of the same programme queue up (PostgreSQL).
    # NO KEY UPDATE: writers still queue, but rows that merely refer to the programme (previews,
    # notifications, submissions) can be inserted meanwhile.
    Programme.objects.select_for_update(no_key=True).filter(pk=programme.pk).exists()
    plan = plan_entries(programme, entries, user, only=only)
    if plan.problems:
        raise Rejected(plan.problems)
    if expect_fingerprint is not None and plan.fingerprint() != expect_fingerprint:
        raise Rejected(
            [
                Problem(
                    "",
                    _(
                        "The stored figures changed after the preview was made. "
                        "Upload the file again to see the new preview."
                    ),
                )
            ]
        )
    _write(plan, user, channel, source)
    return plan


def _write(plan: Plan, user: User, channel: str, source: str) -> None:
    writes = plan.writes
    if not writes:
        return
    now = timezone.now()
    keys = {(c.form_id, c.unit.pk, c.period) for c in writes}
    submission_ids = _started_reports(keys)
    upserts, removed = _value_rows(writes, submission_ids, user, now)
    insert_rows(
        DataValue,
        VALUE_COLUMNS,
        upserts,
        update_conflicts=True,
        unique_fields=("indicator", "unit", "period", "option"),
        update_fields=("submission", "value", "quality", "comment", "updated_at", "updated_by"),
    )
    if removed:
        DataValue.objects.filter(pk__in=removed).delete()
    insert_rows(ValueChange, CHANGE_COLUMNS, _change_rows(writes, user, now, channel, source))
    touched = [submission_ids[k] for k in keys]
    Submission.objects.filter(pk__in=touched).update(updated_at=now)
    refresh_violations(touched)


def _submission_ids(keys: set[ReportKey]) -> dict[ReportKey, int]:
    """The reports of these (form, unit, period) keys that exist, by key."""
    found = Submission.objects.filter(
        form_id__in={k[0] for k in keys},
        unit_id__in={k[1] for k in keys},
        period__in={k[2] for k in keys},
    ).values_list("pk", "form_id", "unit_id", "period")
    return {(f, u, p): pk for pk, f, u, p in found if (f, u, p) in keys}


def _started_reports(keys: set[ReportKey]) -> dict[ReportKey, int]:
    """The reports of these keys, those nobody has started yet started now."""
    submission_ids = _submission_ids(keys)
    missing = [
        Submission(form_id=f, unit_id=u, period=p) for f, u, p in keys - submission_ids.keys()
    ]
    if missing:
        # The programme lock does not hold back the report page, which starts a report of its
        # own (submission_for): one it started meanwhile is taken, not met on submission_unique.
        Submission.objects.bulk_create(missing, ignore_conflicts=True)
        submission_ids = _submission_ids(keys)
    return submission_ids


def _value_rows(
    writes: list[Change], submission_ids: dict[ReportKey, int], user: User, now: dt.datetime
) -> tuple[list[tuple[object, ...]], list[int]]:
    """The rows to upsert into DataValue, and the pks of the values removed."""
    user_id = user.pk
    updated_at = prepared(DataValue, "updated_at", now)
    upserts: list[tuple[object, ...]] = []
    removed: list[int] = []
    for c in writes:
        if c.kind == "removed":
            assert c.old is not None  # a removal is of a stored figure
            removed.append(c.old[0])
            continue
        unit_id = c.unit.pk
        upserts.append(
            (
                submission_ids[(c.form_id, unit_id, c.period)],
                c.indicator.pk,
                unit_id,
                c.period,
                c.option,
                c.value,
                c.quality,
                c.comment,
                updated_at,
                user_id,
            )
        )
    return upserts, removed


def _change_rows(
    writes: list[Change], user: User, now: dt.datetime, channel: str, source: str
) -> list[tuple[object, ...]]:
    """One ValueChange row per change, in the order of CHANGE_COLUMNS."""
    user_id = user.pk
    at = prepared(ValueChange, "at", now)
    source = source[:255]
    return [
        (
            c.indicator.pk,
            c.unit.pk,
            c.period,
            c.option,
            c.old[1] if c.old else None,
            c.value,
            c.old[3] if c.old else "",
            c.comment,
            user_id,
            at,
            channel,
            source,
        )
        for c in writes
    ]
