import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from steer.accounts.access import access_for
from steer.core import once
from steer.core.files import attachment, file_download
from steer.core.params import choice_param, object_param, text_param
from steer.core.uploads import DOCUMENT_TYPES, UnsafeUpload, accept
from steer.programmes.selectors import viewable_programme
from steer.reporting import workflow
from steer.reporting.checks import value_problem, violation_text
from steer.reporting.formats import WRITERS, channel_of, read_upload
from steer.reporting.imports import (
    Entry,
    Rejected,
    parse_number,
    plan_entries,
    value_version,
    write_entries,
)
from steer.reporting.labels import period_label
from steer.reporting.models import (
    Channel,
    DataValue,
    Evidence,
    ImportBatch,
    Quality,
    Reminder,
    ReportForm,
    Submission,
    ValueChange,
    Violation,
)
from steer.reporting.params import period_param
from steer.reporting.periods import Period, PeriodError
from steer.reporting.safety import IMPORT_TYPES, MAX_UPLOAD_BYTES, UnsafeFile, check_import
from steer.reporting.selectors import form_status, report_rows
from steer.reporting.workbook import build_workbook
from steer.units.models import OrgUnit

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
STATUS_LABELS = {
    "on_time": gettext_lazy("On time"),
    "late": gettext_lazy("Late"),
    "missing": gettext_lazy("Not yet due"),
    "overdue": gettext_lazy("Overdue"),
}


def _report(request, slug, form_code, period_code, unit_code):
    """The programme, form, period and unit of one report, after checking the user may see it."""
    programme = viewable_programme(request, slug)
    form = get_object_or_404(ReportForm, programme=programme, code=form_code)
    try:
        period = Period.parse(period_code)
    except PeriodError:
        raise Http404 from None
    unit = get_object_or_404(OrgUnit, code=unit_code)
    access = access_for(request.user)
    access.require(access.can_view_reports(programme, unit))
    if not form.asks(unit, period):
        raise Http404
    return programme, form, period, unit


def _default_period(form: ReportForm) -> Period:
    """The latest period whose data cut-off has begun."""
    today = timezone.localdate()
    periods = [p for p in form.periods() if p.cutoff_start <= today]
    return periods[-1] if periods else form.periods()[0]


@login_required
@require_safe
def report_list(request, slug):
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    visible = access.report_units(programme)
    forms = []
    for form in programme.report_forms.prefetch_related("lines"):
        period = _default_period(form)
        units = form.units_expected(period).filter(pk__in=visible).order_by("code")
        forms.append(
            {"form": form, "period": period, "label": period_label(period), "units": units}
        )
    return render(
        request,
        "reporting/report_list.html",
        {
            "programme": programme,
            "forms": forms,
            "whole": access.sees_whole_programme(programme),
            "can_import": access.can_import(programme),
        },
    )


@login_required
def form_status_view(request, slug, form_code):
    programme = viewable_programme(request, slug)
    form = get_object_or_404(ReportForm, programme=programme, code=form_code)
    access = access_for(request.user)
    periods = form.periods()
    period = period_param(request, periods) or _default_period(form)
    deadline, rows = form_status(form, period, access.report_units(programme))
    can_remind = access.can_accept(programme)
    if request.method == "POST":
        access.require(can_remind)

        def remind() -> once.Outcome:
            sent = [row for row in rows if row.status == "overdue"]
            with transaction.atomic():
                for row in sent:
                    Reminder.objects.create(
                        form=form,
                        unit=row.unit,
                        period=period.code,
                        text=_reminder_text(form, period, deadline, row.unit),
                        sent_by=request.user,
                    )
            return once.Outcome(
                f"{request.path}?period={period.code}",
                _("Reminders recorded for %(n)s units.") % {"n": len(sent)},
            )

        return once.run(request, remind)
    counts = {key: sum(1 for r in rows if r.status == key) for key in STATUS_LABELS}
    overdue = [r for r in rows if r.status == "overdue"]
    reminded = dict(
        Reminder.objects.filter(form=form, period=period.code).values_list("unit_id", "sent_at")
    )
    for row in rows:
        row.label = STATUS_LABELS[row.status]
        row.reminded = reminded.get(row.unit.pk)
    violations = []
    if rows:
        violations = [
            (v, violation_text(v))
            for v in Violation.objects.filter(
                submission__form=form,
                submission__period=period.code,
                submission__unit__in=[r.unit for r in rows],
            ).select_related("submission__unit", "indicator", "rule")
        ]
    return render(
        request,
        "reporting/form_status.html",
        {
            "programme": programme,
            "form": form,
            "period": period,
            "period_label": period_label(period),
            "periods": [(p, period_label(p)) for p in periods],
            "deadline": deadline,
            "rows": rows,
            "counts": counts,
            "expected": len(rows),
            "overdue": [(r, _reminder_text(form, period, deadline, r.unit)) for r in overdue],
            "can_remind": can_remind,
            "violations": violations,
        },
    )


def _reminder_text(form, period, deadline, unit) -> str:
    return _(
        "Dear %(unit)s: the report “%(form)s” for %(period)s was due on %(deadline)s and has not "
        "been received. Please enter and submit it in steer as soon as possible, or tell the "
        "standing agency what prevents it."
    ) % {
        "unit": unit.name,
        "form": form.name,
        "period": period_label(period),
        "deadline": deadline.strftime("%d/%m/%Y"),
    }


def _where(row) -> str:
    return f"{row.indicator.code}{' – ' + row.option_name if row.option else ''}"


def _untouched(request, row) -> bool:
    """Whether the editor left the row as the page showed it (the figure of the token sent)."""
    try:
        value = parse_number(request.POST.get(row.field, ""))
    except ValueError:
        return False
    quality = request.POST.get(row.field + "-q", "")
    shown = value_version(value, quality, request.POST.get(row.field + "-c", ""))
    return shown == request.POST.get(row.field + "-v")


def _entries_from_post(request, rows, unit, period) -> list[Entry]:
    entries = []
    for row in rows:
        if row.field not in request.POST:
            continue
        entries.append(
            Entry(
                where=_where(row),
                unit=unit.code,
                period=period.code,
                indicator=row.indicator.code,
                option=row.option,
                value=request.POST.get(row.field, ""),
                quality=request.POST.get(row.field + "-q", Quality.OFFICIAL),
                comment=request.POST.get(row.field + "-c", ""),
                # Without a token (an old page, a script) the save is unguarded, as files are.
                version=request.POST.get(row.field + "-v") or None,
            )
        )
    return entries


@login_required
def report_entry(request, slug, form_code, period_code, unit_code):
    programme, form, period, unit = _report(request, slug, form_code, period_code, unit_code)
    access = access_for(request.user)
    submission = Submission.objects.filter(form=form, unit=unit, period=period.code).first()
    problems = []
    rows = report_rows(form, unit, period)
    if request.method == "POST":
        action = request.POST.get("action", "save")

        def act() -> once.Outcome:
            if action in ("save", "submit"):
                access.require(access.can_enter_values(programme, unit.pk))
                write_entries(
                    programme,
                    _entries_from_post(request, rows, unit, period),
                    request.user,
                    channel=Channel.WEB,
                    only=(form, unit, period.code),
                )
                if action == "save":
                    return once.Outcome(request.path, _("Saved as a draft."))
            try:
                moved = workflow.act_on_report(
                    form, unit, period.code, request.user, action, request.POST.get("reason", "")
                )
            except workflow.WorkflowError as e:  # the figures saved with it stay saved
                return once.Outcome(request.path, str(e), messages.ERROR)
            return once.Outcome(
                request.path,
                _("Done: the report is now “%(state)s”.") % {"state": moved.get_state_display()},
            )

        try:
            return once.run(request, act)
        except Rejected as e:
            problems = e.problems
    if problems:
        # Read again: the tokens now match what is stored, so saving again overwrites on purpose.
        rows = report_rows(form, unit, period)
        submission = Submission.objects.filter(form=form, unit=unit, period=period.code).first()
    at_field = {}
    for p in problems:
        at_field.setdefault(p.where, []).append(p.message)
    for row in rows:
        row.problems = at_field.get(_where(row), [])
        if problems and not _untouched(request, row):  # what the editor typed stays
            row.posted = request.POST.get(row.field, "")
            row.posted_quality = request.POST.get(row.field + "-q")
            row.posted_comment = request.POST.get(row.field + "-c")
        else:  # as stored now, so a figure changed meanwhile is not sent back stale
            row.posted = row.posted_quality = row.posted_comment = None
    editable = (submission is None or submission.is_editable) and access.can_enter_values(
        programme, unit.pk
    )
    violations, events, allowed = [], [], [workflow.Action.SUBMIT]
    if submission:
        violations = [
            (v, violation_text(v))
            for v in submission.violations.select_related("indicator", "rule")
        ]
        events = submission.events.select_related("user")
        allowed = workflow.allowed_actions(submission, request.user)
    actions = [a for a in allowed if a != workflow.Action.SUBMIT]
    can_submit = editable and workflow.Action.SUBMIT in allowed
    return render(
        request,
        "reporting/report_entry.html",
        {
            "programme": programme,
            "form": form,
            "period": period,
            "period_label": period_label(period),
            "deadline": form.deadline(period),
            "unit": unit,
            "submission": submission,
            "rows": rows,
            "editable": editable,
            "can_submit": can_submit,
            "problems": problems,
            "violations": violations,
            "events": events,
            "actions": actions,
            "qualities": Quality.choices,
        },
    )


@login_required
@require_POST
def check_value(request, slug, form_code, period_code, unit_code):
    """Inline validation of one field as it is typed: the same checks as a save."""
    programme, form, period, unit = _report(request, slug, form_code, period_code, unit_code)
    field = request.POST.get("field", "")
    row = next((r for r in report_rows(form, unit, period) if r.field == field), None)
    if row is None:
        raise Http404
    message = ""
    try:
        value = parse_number(request.POST.get(field, ""))
    except ValueError as e:
        message = str(e)
    else:
        if value is not None:
            message = value_problem(row.line, value) or ""
    return render(request, "reporting/_field_error.html", {"message": message})


@login_required
@require_safe
def report_workbook(request, slug, form_code, period_code, unit_code):
    programme, form, period, unit = _report(request, slug, form_code, period_code, unit_code)
    data = build_workbook(form, unit, period, report_rows(form, unit, period))
    name = f"{form.code}_{period.code}_{unit.code}_{unit.name}.xlsx"
    return attachment(data, WRITERS["xlsx"][2], name)


@login_required
def value_history(request, slug, form_code, period_code, unit_code):
    programme, form, period, unit = _report(request, slug, form_code, period_code, unit_code)
    access = access_for(request.user)
    key = text_param(request, "key", _("Figure"))
    row = next((r for r in report_rows(form, unit, period) if r.key == key), None)
    if row is None:
        raise Http404
    changes = ValueChange.objects.filter(
        indicator=row.indicator, unit=unit, period=period.code, option=row.option
    ).select_related("user")
    value = DataValue.objects.filter(
        indicator=row.indicator, unit=unit, period=period.code, option=row.option
    ).first()
    submission = value.submission if value else None
    can_attach = (
        value is not None and submission.is_editable and access.can_enter_values(programme, unit.pk)
    )
    if request.method == "POST":
        access.require(can_attach)
        upload = request.FILES.get("file")
        here = f"{request.path}?key={key}"
        try:
            accept(upload, kinds=DOCUMENT_TYPES, max_bytes=MAX_EVIDENCE_BYTES)
        except UnsafeUpload as error:
            messages.error(request, str(error))
        else:

            def attach() -> once.Outcome:
                Evidence.objects.create(
                    value=value,
                    file=upload,
                    name=upload.name[:200],
                    size=upload.size,
                    uploaded_by=request.user,
                )
                return once.Outcome(here, _("The file was attached."))

            return once.run(request, attach)
        return redirect(here)
    return render(
        request,
        "reporting/value_history.html",
        {
            "programme": programme,
            "form": form,
            "period": period,
            "period_label": period_label(period),
            "unit": unit,
            "row": row,
            "value": value,
            "changes": changes,
            "evidence": value.evidence.select_related("uploaded_by") if value else [],
            "can_attach": can_attach,
        },
    )


@login_required
@require_safe
def evidence_file(request, slug, pk):
    programme = viewable_programme(request, slug)
    evidence = get_object_or_404(
        Evidence.objects.select_related("value__unit"),
        pk=pk,
        value__indicator__programme=programme,
    )
    access = access_for(request.user)
    access.require(access.can_view_reports(programme, evidence.value.unit))
    return file_download(evidence.file, evidence.name)


@login_required
def import_upload(request, slug):
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    access.require(access.can_import(programme))
    problems = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            accept(upload, kinds=IMPORT_TYPES, max_bytes=MAX_UPLOAD_BYTES, content=check_import)
        except UnsafeUpload as error:
            problems = [str(error)]
        else:
            data = upload.read()

            def preview():
                batch, found = _preview(programme, request.user, upload.name, data)
                if batch is None:
                    problems.extend(found)
                    return None  # nothing kept: the token stays unused
                return once.Outcome(reverse("import_preview", args=[programme.slug, batch.pk]))

            response = once.run(request, preview)
            if response is not None:
                return response
    recent = ImportBatch.objects.filter(programme=programme, user=request.user)[:10]
    return render(
        request,
        "reporting/import_upload.html",
        {"programme": programme, "problems": problems, "recent": recent},
    )


def _preview(programme, user, name: str, data: bytes):
    try:
        entries, only, problems = read_upload(programme, data)
    except UnsafeFile as e:
        return None, [str(e)]
    if problems:
        return None, [str(p) for p in problems]
    plan = plan_entries(programme, entries, user, only=only)
    if plan.problems:
        return None, [str(p) for p in plan.problems]
    counts = plan.counts()
    sample = [
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
        for c in plan.writes[:500]
    ]
    batch = ImportBatch.objects.create(
        programme=programme,
        user=user,
        file_name=name[:255],
        content=data,
        fingerprint=plan.fingerprint(),
        summary={"counts": counts, "changes": sample, "sha256": hashlib.sha256(data).hexdigest()},
    )
    return batch, []


def _apply(request, programme, pk: int) -> once.Outcome:
    """Write a previewed import, once: the batch stays locked until it is marked applied, so a
    second confirmation (another tab, a double click without the form's token) waits and then
    finds it written."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=pk)
        if batch.state != ImportBatch.State.PREVIEWED:
            return once.Outcome(
                request.path, _("This import was already confirmed."), messages.INFO
            )
        entries, only, _problems = read_upload(programme, bytes(batch.content))
        plan = write_entries(
            programme,
            entries,
            request.user,
            channel=channel_of(bytes(batch.content)),
            source=batch.file_name,
            only=only,
            expect_fingerprint=batch.fingerprint,
        )
        batch.state = ImportBatch.State.APPLIED
        batch.applied_at = timezone.now()
        batch.save(update_fields=["state", "applied_at"])
    url = reverse("import_upload", args=[programme.slug])
    if only is not None:
        form, unit, period = only
        url = reverse("report_entry", args=[programme.slug, form.code, period, unit.code])
    return once.Outcome(
        url,
        _("Written: %(new)s new, %(changed)s changed, %(removed)s removed values.") % plan.counts(),
    )


@login_required
def import_preview(request, slug, pk):
    programme = viewable_programme(request, slug)
    batch = get_object_or_404(ImportBatch, pk=pk, programme=programme, user=request.user)
    if request.method == "POST" and batch.state == ImportBatch.State.PREVIEWED:
        if request.POST.get("action") == "cancel":
            batch.state = ImportBatch.State.CANCELLED
            batch.save(update_fields=["state"])
            messages.info(request, _("The import was cancelled; nothing was written."))
            return redirect("import_upload", slug=programme.slug)
        try:
            return once.run(request, lambda: _apply(request, programme, batch.pk))
        except (Rejected, UnsafeFile) as e:
            problems = e.problems if isinstance(e, Rejected) else [e]
            for p in problems[:10]:
                messages.error(request, str(p))
            return redirect(request.path)
    return render(
        request,
        "reporting/import_preview.html",
        {"programme": programme, "batch": batch, "counts": batch.summary.get("counts", {})},
    )


@login_required
@require_safe
def export_values(request, slug):
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    fmt = choice_param(request, "format", _("File format"), WRITERS) or "csv"
    form = object_param(request, "form", _("Report form"), programme.report_forms.all())
    period = period_param(request)
    values = DataValue.objects.filter(
        indicator__programme=programme, unit__in=access.report_units(programme)
    )
    if form:
        values = values.filter(submission__form=form)
    if period:
        values = values.filter(period=period.code)
    writer, extension, content_type = WRITERS[fmt]
    form_code = form.code if form else "all"
    name = f"{programme.slug}_{form_code}_{period.code if period else 'all'}.{extension}"
    return attachment(writer(values), content_type, name)
