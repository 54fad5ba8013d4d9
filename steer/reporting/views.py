from dataclasses import fields

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from steer.accounts.access import access_for
from steer.core import once
from steer.core.files import attachment, file_download
from steer.core.params import choice_param, object_param, text_param
from steer.core.uploads import UnsafeUpload
from steer.programmes.selectors import viewable_programme
from steer.reporting import services, workflow
from steer.reporting.checks import value_problem
from steer.reporting.formats import WRITERS
from steer.reporting.imports import Entry, Problem, Rejected, parse_number
from steer.reporting.labels import period_label
from steer.reporting.models import (
    Channel,
    DataValue,
    Evidence,
    ImportBatch,
    Quality,
    ReportForm,
    ValueChange,
)
from steer.reporting.params import period_param
from steer.reporting.periods import Period, PeriodError
from steer.reporting.safety import UnsafeFile
from steer.reporting.selectors import (
    FormStatusPage,
    ReportEntryPage,
    ReportRow,
    form_status_page,
    report_entry_page,
    report_rows,
)
from steer.reporting.values import write_values
from steer.reporting.workbook import build_workbook
from steer.units.models import OrgUnit


def _context(page: FormStatusPage | ReportEntryPage) -> dict[str, object]:
    """A page dataclass's fields, as the template's names."""
    return {f.name: getattr(page, f.name) for f in fields(page)}


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
    period = period_param(request, form.periods()) or _default_period(form)
    if request.method == "POST":
        access.require(access.can_accept(programme))

        def remind() -> once.Outcome:
            sent = services.remind_overdue(user=request.user, form=form, period=period)
            return once.Outcome(
                f"{request.path}?period={period.code}",
                _("Reminders recorded for %(n)s units.") % {"n": len(sent)},
            )

        return once.run(request, remind)
    page = form_status_page(access=access, programme=programme, form=form, period=period)
    return render(request, "reporting/form_status.html", _context(page))


def _entries_from_post(
    request, rows: list[ReportRow], unit: OrgUnit, period: Period
) -> list[Entry]:
    entries = []
    for row in rows:
        if row.field not in request.POST:
            continue
        entries.append(
            Entry(
                where=row.where,
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
    problems: list[Problem] = []
    if request.method == "POST":
        action = request.POST.get("action", "save")

        def act() -> once.Outcome:
            if action in ("save", "submit"):
                access.require(access.can_enter_values(programme, unit.pk))
                write_values(
                    programme=programme,
                    entries=_entries_from_post(
                        request, report_rows(form, unit, period), unit, period
                    ),
                    user=request.user,
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
    # Read after a refused save: the tokens then match what is stored, so saving again
    # overwrites on purpose.
    page = report_entry_page(
        access=access,
        programme=programme,
        form=form,
        unit=unit,
        period=period,
        problems=problems,
        sent=request.POST,
    )
    return render(
        request, "reporting/report_entry.html", _context(page) | {"qualities": Quality.choices}
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
    can_attach = (
        value is not None
        and value.submission.is_editable
        and access.can_enter_values(programme, unit.pk)
    )
    if request.method == "POST":
        access.require(can_attach)
        assert value is not None  # only a stored figure takes files
        here = f"{request.path}?key={key}"
        upload = request.FILES.get("file")

        def attach() -> once.Outcome:
            services.attach_evidence(user=request.user, value=value, upload=upload)
            return once.Outcome(here, _("The file was attached."))

        try:
            return once.run(request, attach)
        except UnsafeUpload as error:
            messages.error(request, str(error))
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
    problems: list[str] = []
    if request.method == "POST":
        upload = request.FILES.get("file")

        def preview() -> once.Outcome:
            batch = services.preview_import(user=request.user, programme=programme, upload=upload)
            return once.Outcome(reverse("import_preview", args=[programme.slug, batch.pk]))

        try:
            return once.run(request, preview)
        except services.ImportRefused as refused:  # nothing kept: the token stays unused
            problems = refused.problems
    recent = ImportBatch.objects.filter(programme=programme, user=request.user)[:10]
    return render(
        request,
        "reporting/import_upload.html",
        {"programme": programme, "problems": problems, "recent": recent},
    )


def _apply(request, batch: ImportBatch) -> once.Outcome:
    applied = services.apply_import(user=request.user, batch=batch)
    if applied.plan is None:
        return once.Outcome(request.path, _("This import was already confirmed."), messages.INFO)
    slug = batch.programme.slug
    url = reverse("import_upload", args=[slug])
    if applied.only is not None:
        form, unit, period = applied.only
        url = reverse("report_entry", args=[slug, form.code, period, unit.code])
    return once.Outcome(
        url,
        _("Written: %(new)s new, %(changed)s changed, %(removed)s removed values.")
        % applied.plan.counts(),
    )


@login_required
def import_preview(request, slug, pk):
    programme = viewable_programme(request, slug)
    batch = get_object_or_404(ImportBatch, pk=pk, programme=programme, user=request.user)
    if request.method == "POST" and batch.state == ImportBatch.State.PREVIEWED:
        if request.POST.get("action") == "cancel":
            try:
                services.cancel_import(user=request.user, batch=batch)
            except services.ImportRefused as refused:  # confirmed meanwhile, in another tab
                messages.info(request, refused.problems[0])
                return redirect(request.path)
            messages.info(request, _("The import was cancelled; nothing was written."))
            return redirect("import_upload", slug=programme.slug)
        try:
            return once.run(request, lambda: _apply(request, batch))
        except (Rejected, UnsafeFile) as e:
            problems: list[Problem | UnsafeFile] = [*e.problems] if isinstance(e, Rejected) else [e]
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
