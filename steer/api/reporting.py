"""Reported values (steer's own form and DHIS2 dataValueSets) and the reports' workflow.

Writes go through the same path as the web form and file imports (steer.reporting.values):
every value is checked, and one problem refuses the whole batch.
"""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from steer.accounts.access import access_for
from steer.api import schemas as s
from steer.api.api import Refused, require_write
from steer.api.catalogue import ERRORS, OPTIONAL_CODE, SLUG, code, text
from steer.api.lookups import found, programme_for
from steer.api.paging import LIMIT, OFFSET, page
from steer.reporting import workflow
from steer.reporting.formats import dhis2_document, entries_from_dhis2
from steer.reporting.imports import (
    Entry,
    Problem,
    Rejected,
    plan_entries,
    value_version,
)
from steer.reporting.models import Channel, DataValue, ReportForm, Submission
from steer.reporting.periods import Period, PeriodError
from steer.reporting.values import write_values as write_reported_values
from steer.units.models import OrgUnit

router = Router()
WRITE_ERRORS = {**ERRORS, 409: s.Error}
PERIOD = Query(None, pattern=r"^[0-9]{4}[A-Z0-9]{0,4}$", description="e.g. 2024, 2024S1, 2024Q2")
FORM_CODE = Query(None, pattern=r"^[-a-zA-Z0-9_]{1,40}$")
SINCE = Query(
    None,
    pattern=r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$",
    description="A day or a moment, ISO 8601: 2025-07-01 or 2025-07-01T08:00:00+07:00",
)


def moment(text: str | None, name: str) -> dt.datetime | None:
    """An ISO day or moment from a query parameter; a day means its start, in Hanoi's time."""
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        raise Refused(
            422, "invalid", _("The request is not valid."), [Problem(name, _("not a real date."))]
        ) from None
    return when if timezone.is_aware(when) else timezone.make_aware(when)


def _values(request, programme, unit, period, indicator, form, updated_since):
    access = access_for(request.user)
    rows = DataValue.objects.filter(
        indicator__programme=programme, unit__in=access.report_units(programme)
    )
    if unit:
        rows = rows.filter(unit__code=unit)
    if period:
        rows = rows.filter(period=period)
    if indicator:
        rows = rows.filter(indicator__code=indicator)
    if form:
        rows = rows.filter(submission__form__code=form)
    if updated_since:
        rows = rows.filter(updated_at__gte=updated_since)
    return rows


def value_out(v: DataValue) -> dict:
    return {
        "unit": v.unit.code,
        "period": v.period,
        "indicator": v.indicator.code,
        "option": v.option,
        "value": text(v.value),
        "quality": v.quality,
        "comment": v.comment,
        "updated_at": v.updated_at,
        "updated_by": v.updated_by.username,
        "version": value_version(v.value, v.quality, v.comment),
    }


@router.get(
    "/programmes/{slug}/values", response={200: s.Page[s.ValueOut], **ERRORS}, tags=["values"]
)
def values(
    request,
    slug: str = SLUG,
    unit: str | None = OPTIONAL_CODE,
    period: str | None = PERIOD,
    indicator: str | None = OPTIONAL_CODE,
    form: str | None = FORM_CODE,
    updated_since: str | None = SINCE,
    limit: int = LIMIT,
    offset: int = OFFSET,
):
    """Reported values of the units the caller may see, oldest first."""
    programme = programme_for(request, slug)
    rows = _values(
        request, programme, unit, period, indicator, form, moment(updated_since, "updated_since")
    )
    rows = rows.select_related("unit", "indicator", "updated_by").order_by("pk")
    return page(rows, limit, offset, value_out)


def _check_or_write(programme, entries, user, *, dry_run: bool):
    """The plan of a write, all or none; a dry run checks the same way and writes nothing."""
    if not dry_run:
        return write_reported_values(
            programme=programme, entries=entries, user=user, channel=Channel.API
        )
    plan = plan_entries(programme, entries, user)
    if plan.problems:
        raise Rejected(plan.problems)
    return plan


def _problems(error: Rejected):
    if error.problems and all(p.forbidden for p in error.problems):
        return Refused(
            403,
            "forbidden",
            _("You may not enter these figures; nothing was written."),
            error.problems,
        )
    conflicts = [p for p in error.problems if p.conflict]
    if conflicts and len(conflicts) == len(error.problems):
        return Refused(
            409,
            "conflict",
            _("Someone else changed these values after you read them; nothing was written."),
            error.problems,
        )
    return Refused(
        422, "rejected", _("The values were refused; nothing was written."), error.problems
    )


@router.post(
    "/programmes/{slug}/values",
    response={200: s.WriteResult, **WRITE_ERRORS},
    tags=["values"],
)
def write_values(request, body: s.ValuesIn, slug: str = SLUG):
    """Write values, all or none. A value's `version` (from a read) makes the write refuse with
    409 if someone changed that value since; `null` as value removes it."""
    require_write(request)
    programme = programme_for(request, slug)
    entries = [
        Entry(
            where=_("value no. %(n)s") % {"n": number},
            unit=item.unit,
            period=item.period,
            indicator=item.indicator,
            option=item.option,
            value=item.value,
            quality=item.quality,
            comment=item.comment,
            version=item.version,
        )
        for number, item in enumerate(body.values, start=1)
    ]
    try:
        plan = _check_or_write(programme, entries, request.user, dry_run=body.dry_run)
    except Rejected as e:
        raise _problems(e) from None
    return {"written": not body.dry_run, "counts": plan.counts()}


@router.get(
    "/programmes/{slug}/dataValueSets",
    response={200: s.Dhis2ValueSetOut, **ERRORS},
    tags=["DHIS2"],
)
def data_value_sets(
    request,
    slug: str = SLUG,
    period: str | None = PERIOD,
    orgUnit: str | None = OPTIONAL_CODE,  # noqa: N803 (DHIS2's names)
    dataElement: str | None = OPTIONAL_CODE,  # noqa: N803
    lastUpdated: str | None = SINCE,  # noqa: N803
):
    """The values as a DHIS2 dataValueSet, codes as identifiers (idScheme=CODE), "default" for
    the whole value. Not paged, as DHIS2's is not: narrow it with the filters."""
    programme = programme_for(request, slug)
    since = moment(lastUpdated, "lastUpdated")
    rows = _values(request, programme, orgUnit, period, dataElement, None, since)
    return dhis2_document(rows)


@router.post(
    "/programmes/{slug}/dataValueSets",
    response={200: s.Dhis2Summary, 409: s.Dhis2Summary, **ERRORS},
    tags=["DHIS2"],
)
def import_data_value_set(
    request,
    body: s.Dhis2ValueSet,
    slug: str = SLUG,
    dryRun: bool = False,  # noqa: N803
):
    """Import a DHIS2 dataValueSet, all or none; the answer is DHIS2's import summary
    (HTTP 409 with the conflicts when anything is refused)."""
    require_write(request)
    programme = programme_for(request, slug)
    entries, problems = entries_from_dhis2(body.dict(exclude_none=True))
    try:
        if problems:
            raise Rejected(problems)
        plan = _check_or_write(programme, entries, request.user, dry_run=dryRun)
    except Rejected as e:
        return Status(
            409,
            {
                "status": "ERROR",
                "description": _("The values were refused; nothing was written."),
                "importCount": {"imported": 0, "updated": 0, "ignored": len(entries), "deleted": 0},
                "conflicts": [{"object": p.where, "value": p.message} for p in e.problems],
            },
        )
    counts = plan.counts()
    return {
        "status": "SUCCESS",
        "description": _("Checked only (dry run); nothing was written.")
        if dryRun
        else _("Import done."),
        "importCount": {
            "imported": counts["new"],
            "updated": counts["changed"],
            "ignored": counts["unchanged"],
            "deleted": counts["removed"],
        },
        "conflicts": [],
    }


# -- submissions ------------------------------------------------------------------------------


def submission_out(sub: Submission) -> dict:
    return {
        "form": sub.form.code,
        "unit": sub.unit.code,
        "period": sub.period,
        "state": sub.state,
        "first_submitted_at": sub.first_submitted_at,
        "submitted_at": sub.submitted_at,
        "updated_at": sub.updated_at,
    }


@router.get(
    "/programmes/{slug}/submissions",
    response={200: s.Page[s.SubmissionOut], **ERRORS},
    tags=["submissions"],
)
def submissions(
    request,
    slug: str = SLUG,
    form: str | None = FORM_CODE,
    period: str | None = PERIOD,
    unit: str | None = OPTIONAL_CODE,
    state: str | None = Query(None, pattern=r"^[a-z]{1,10}$"),
    limit: int = LIMIT,
    offset: int = OFFSET,
):
    """The reports of the units the caller may see."""
    programme = programme_for(request, slug)
    rows = Submission.objects.filter(
        form__programme=programme, unit__in=access_for(request.user).report_units(programme)
    ).select_related("form", "unit")
    for field, value in (("form__code", form), ("period", period), ("unit__code", unit)):
        if value:
            rows = rows.filter(**{field: value})
    if state:
        rows = rows.filter(state=state)
    return page(rows.order_by("pk"), limit, offset, submission_out)


def _report(request, programme, form_code: str, period_code: str, unit_code: str):
    form = found(
        ReportForm.objects.filter(programme=programme, code=form_code).first(),
        _("report form"),
        form_code,
    )
    unit = found(OrgUnit.objects.filter(code=unit_code).first(), _("unit"), unit_code)
    access = access_for(request.user)
    access.require(access.can_view_reports(programme, unit))
    try:
        period = Period.parse(period_code)
    except PeriodError:
        period = None
    refusal = form.refusal(unit, period) if period else None
    if period is None or refusal:
        raise Refused(
            404,
            "not_found",
            _("Form %(form)s has no report of %(unit)s for period %(period)s.")
            % {"form": form.code, "unit": unit.code, "period": period_code},
            [Problem("period", refusal)] if refusal else (),
        )
    return form, unit, period


def submission_detail(sub: Submission, user) -> dict:
    return submission_out(sub) | {
        "events": [
            {
                "action": e.action,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "by": e.user.username,
                "at": e.at,
                "reason": e.reason,
            }
            for e in sub.events.select_related("user")
        ],
        "allowed_actions": [str(a) for a in workflow.allowed_actions(sub, user)],
    }


REPORT = "/programmes/{slug}/submissions/{form}/{period}/{unit}"


@router.get(REPORT, response={200: s.SubmissionDetail, **ERRORS}, tags=["submissions"])
def submission(
    request,
    slug: str = SLUG,
    form: str = code("BC6T-DP"),
    period: str = code("2024S2"),
    unit: str = code("006"),
):
    """One unit's report for a period: its state, its workflow steps, and what the caller may
    do with it now."""
    programme = programme_for(request, slug)
    form_row, unit_row, period_row = _report(request, programme, form, period, unit)
    sub = found(
        Submission.objects.select_related("form__programme", "unit")
        .filter(form=form_row, unit=unit_row, period=period_row.code)
        .first(),
        _("report"),
        f"{form} {period} {unit}",
    )
    return submission_detail(sub, request.user)


@router.post(
    REPORT + "/actions", response={200: s.SubmissionDetail, **WRITE_ERRORS}, tags=["submissions"]
)
def submission_action(
    request,
    body: s.ActionIn,
    slug: str = SLUG,
    form: str = code("BC6T-DP"),
    period: str = code("2025S1"),
    unit: str = code("006"),
):
    """Move a report on: submit, return (with a reason), approve, accept or reopen (with a
    reason). 409 when the step is not possible now."""
    require_write(request)
    programme = programme_for(request, slug)
    form_row, unit_row, period_row = _report(request, programme, form, period, unit)
    try:
        sub = workflow.act_on_report(
            form_row, unit_row, period_row.code, request.user, body.action, body.reason
        )
    except workflow.WorkflowError as e:
        raise Refused(409, "conflict", str(e)) from None
    return submission_detail(sub, request.user)
