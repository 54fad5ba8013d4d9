"""Directives: the register, giving one, and following it to closure on evidence."""

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_safe

from steer.accounts.access import Access, access_for
from steer.accounts.requests import signed_in
from steer.core import once
from steer.core.files import file_download
from steer.core.params import object_param
from steer.core.tables import download
from steer.core.widgets import DayInput
from steer.programmes.models import Programme
from steer.programmes.selectors import viewable_programme
from steer.steering import selectors, services
from steer.steering.models import Directive, Inspection, Meeting
from steer.steering.permissions import visible_directives, visible_inspections
from steer.steering.tables import (
    DIRECTIVE_LABELS,
    OVERDUE,
    WITHIN,
    directive_counts,
    directive_status,
    directive_table,
)
from steer.steering.views.fields import ChoiceWithLegacyField, choice_field, model_choice_field
from steer.units.forms import UnitsChoiceField
from steer.units.models import OrgUnit

# Values of the status filter before it offered the cards' three statuses: "open" (within the
# deadline or overdue) and the typed steps.
_LEGACY_STATES = ("open", *Directive.State.values)


class DirectiveFilter(forms.Form):
    state = ChoiceWithLegacyField(
        label=gettext_lazy("Status"), required=False, legacy=_LEGACY_STATES
    )
    unit = forms.ModelChoiceField(
        OrgUnit.objects.none(), label=gettext_lazy("Unit"), required=False
    )
    source = forms.ChoiceField(label=pgettext_lazy("directive", "Source"), required=False)

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Beside the cards' three, the step that waits for someone: reported done, to accept.
        awaiting = (Directive.State.REPORTED_DONE, Directive.State.REPORTED_DONE.label)
        choice_field(self, "state").choices = [("", _("All")), *DIRECTIVE_LABELS.items(), awaiting]
        choice_field(self, "source").choices = [("", _("All")), *Directive.Source.choices]
        model_choice_field(self, "unit").queryset = units

    def apply(self, rows: QuerySet[Directive], today: dt.date) -> QuerySet[Directive]:
        data = self.cleaned_data
        if data["state"] == "open":
            rows = rows.filter(state__in=Directive.OPEN)
        elif data["state"] == WITHIN:
            rows = rows.filter(state__in=Directive.OPEN, deadline__gte=today)
        elif data["state"] == OVERDUE:
            rows = rows.filter(state__in=Directive.OPEN, deadline__lt=today)
        elif data["state"]:
            rows = rows.filter(state=data["state"])
        if data["unit"]:
            rows = rows.filter(assignees=data["unit"])
        if data["source"]:
            rows = rows.filter(source=data["source"])
        return rows


@login_required
@require_safe
def directive_list(request: HttpRequest, slug: str) -> HttpResponse:
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    today = timezone.localdate()
    rows = visible_directives(access, programme)
    units = selectors.assignees_in(access=access, programme=programme)
    form = DirectiveFilter(request.GET or None, units=units)
    if form.is_bound and form.is_valid():
        rows = form.apply(rows, today)
    elif form.is_bound:
        rows = rows.none()
    shown = list(rows.prefetch_related("assignees").order_by("-given_on", "number"))
    table = directive_table("directives", _("Directives"), shown, today)
    response = download(request, {"directives": table})
    if response:
        return response
    counts = directive_counts(shown, today)
    context = {
        "programme": programme,
        "form": form,
        "table": table,
        "counts": counts,
        "can_direct": access.can_direct(programme),
    }
    return render(request, "steering/directive_list.html", context)


class DirectiveForm(forms.Form):
    content = forms.CharField(
        label=gettext_lazy("Content"), widget=forms.Textarea(attrs={"rows": 4})
    )
    given_by = forms.CharField(label=gettext_lazy("Given by"), max_length=300)
    given_on = forms.DateField(label=gettext_lazy("Given on"), widget=DayInput())
    source = forms.ChoiceField(
        label=pgettext_lazy("directive", "Source"), choices=Directive.Source.choices
    )
    meeting = forms.ModelChoiceField(
        Meeting.objects.none(), label=gettext_lazy("Meeting"), required=False
    )
    inspection = forms.ModelChoiceField(
        Inspection.objects.none(), label=gettext_lazy("Inspection"), required=False
    )
    document_number = forms.CharField(
        label=gettext_lazy("Document number"), max_length=200, required=False
    )
    assignees = UnitsChoiceField(
        OrgUnit.objects.none(), label=gettext_lazy("Assigned units"), required=False
    )
    deadline = forms.DateField(label=gettext_lazy("Deadline"), widget=DayInput())

    def __init__(self, *args: Any, programme: Programme, access: Access, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "meeting").queryset = Meeting.objects.filter(programme=programme)
        model_choice_field(self, "inspection").queryset = visible_inspections(access, programme)
        # A directive's units exist from the day it is given to its deadline, which is not in
        # the past: a unit that has ended can no longer be one (the service checks the days).
        model_choice_field(self, "assignees").queryset = OrgUnit.objects.not_ended_by(
            timezone.localdate()
        ).order_by("code")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        source = data.get("source")
        if source == Directive.Source.INSPECTION and not data.get("inspection"):
            self.add_error("inspection", _("Choose the inspection that gave it."))
        meetings = (Directive.Source.STEERING_MEETING, Directive.Source.WORKING_SESSION)
        if source in meetings and not data.get("meeting"):
            self.add_error("meeting", _("Choose the meeting that gave it."))
        return data


def _initial_from(request: HttpRequest, inspection: Inspection, today: dt.date) -> dict[str, Any]:
    """A directive given from an inspection: its units, day and document, the units that took
    the place of one that has ended since proposed instead (the directive then dated today)."""
    found = selectors.from_inspection(inspection, today)
    if found.ended and request.method == "GET":
        messages.info(
            request,
            _(
                "%(units)s no longer exist: a directive given now cannot go to them. The "
                "units that took their place are proposed instead, and the directive is "
                "dated today."
            )
            % {"units": ", ".join(u.named_with_validity() for u in found.ended)},
        )
    return {
        "source": Directive.Source.INSPECTION,
        "inspection": inspection.pk,
        "given_on": today if found.ended else inspection.concluded_on or inspection.end,
        "document_number": inspection.conclusion_document,
        "assignees": [u.pk for u in found.visited if u not in found.ended] + found.successors,
    }


@login_required
def directive_new(request: HttpRequest, slug: str) -> HttpResponse:
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    access.require(access.can_direct(programme))
    today = timezone.localdate()
    initial: dict[str, Any] = {"given_on": today}
    inspection = object_param(
        request, "inspection", _("Inspection"), visible_inspections(access, programme), field="pk"
    )
    if inspection:
        initial |= _initial_from(request, inspection, today)
    form = DirectiveForm(request.POST or None, programme=programme, access=access, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def give() -> once.Outcome:
            directive = services.give_directive(
                programme=programme,
                user=signed_in(request),
                assignees=data["assignees"],
                content=data["content"],
                given_by=data["given_by"],
                given_on=data["given_on"],
                source=data["source"],
                meeting=data["meeting"],
                inspection=data["inspection"],
                document_number=data["document_number"],
                deadline=data["deadline"],
                files=request.FILES.getlist("files"),
            )
            return once.Outcome(
                directive.get_absolute_url(),
                _("Directive %(code)s was recorded.") % {"code": directive.code},
            )

        try:
            return once.run(request, give)
        except services.SteeringError as error:
            messages.error(request, str(error))
    return render(request, "steering/directive_new.html", {"programme": programme, "form": form})


class ReportForm(forms.Form):
    unit = forms.ModelChoiceField(OrgUnit.objects.none(), label=gettext_lazy("For"))
    text = forms.CharField(
        label=gettext_lazy("What was done"), widget=forms.Textarea(attrs={"rows": 3})
    )
    done = forms.BooleanField(label=gettext_lazy("Carried out: ask for closure"), required=False)


def _errors(form: forms.BaseForm) -> str:
    return "; ".join(str(e) for errs in form.errors.values() for e in errs)


def _act(
    request: HttpRequest, page: selectors.DirectivePage, report_form: ReportForm
) -> once.Outcome:
    """Report on the directive, close it or return it, as the POST asks."""
    access = access_for(request.user)
    directive, user = page.directive, signed_in(request)
    action = request.POST.get("action")
    files = request.FILES.getlist("files")
    if action == "report":
        if not page.mine:
            raise PermissionDenied
        if not report_form.is_valid():
            raise services.SteeringError(
                _("Check the report: %(errors)s") % {"errors": _errors(report_form)}
            )
        data = report_form.cleaned_data
        services.report_on_directive(
            directive=directive,
            user=user,
            unit=data["unit"],
            text=data["text"],
            files=files,
            done=data["done"],
        )
        message = _("Your report was recorded.")
    elif action == "close":
        access.require(access.can_direct(page.programme))
        note = request.POST.get("note", "")
        services.close_directive(directive=directive, user=user, note=note, files=files)
        message = _("The directive was closed.")
    elif action == "return":
        access.require(access.can_direct(page.programme))
        reason = request.POST.get("reason", "")
        services.return_directive(directive=directive, user=user, reason=reason)
        message = _("The directive was returned to the assignees.")
    else:
        raise Http404
    return once.Outcome(directive.get_absolute_url(), message)


@login_required
def directive_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    page = selectors.directive_page(access=access, programme=programme, number=number)
    directive, mine = page.directive, page.mine
    is_open = directive.state != Directive.State.DONE
    can_direct = access.can_direct(programme)
    report_form = ReportForm(
        request.POST if request.POST.get("action") == "report" else None,
        initial={"unit": mine[0].pk if len(mine) == 1 else None},
    )
    model_choice_field(report_form, "unit").queryset = OrgUnit.objects.filter(
        pk__in=[u.pk for u in mine]
    )
    if request.method == "POST":
        try:
            return once.run(request, lambda: _act(request, page, report_form))
        except services.SteeringError as error:
            messages.error(request, str(error))
        return redirect(directive)
    context = {
        "programme": programme,
        "directive": directive,
        "status": directive_status(directive, timezone.localdate()),
        "assignees": page.assignees,
        "updates": page.updates,
        "attachments": page.attachments,
        "events": page.events,
        "report_form": report_form if mine and is_open else None,
        "can_close": can_direct and is_open,
        "can_return": can_direct and directive.state == Directive.State.REPORTED_DONE,
        "file_types": ", ".join(t.lstrip(".") for t in services.FILE_TYPES),
    }
    return render(request, "steering/directive_detail.html", context)


@login_required
@require_safe
def attachment_file(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    """An evidence file, to whoever may see the record it backs."""
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    attachment = selectors.visible_attachment(access=access, programme=programme, pk=pk)
    return file_download(attachment.file, attachment.name)
