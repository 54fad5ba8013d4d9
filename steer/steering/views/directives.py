"""Directives: the register, giving one, and following it to closure on evidence."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_safe

from steer.accounts.access import access_for
from steer.core import once
from steer.core.files import file_download
from steer.core.params import object_param
from steer.core.tables import download
from steer.core.widgets import DayInput
from steer.programmes.models import PlanItem
from steer.programmes.permissions import can_view_plan_item
from steer.programmes.selectors import viewable_programme
from steer.steering import services
from steer.steering.models import (
    Attachment,
    Directive,
    Inspection,
    Meeting,
    ProgressReport,
    Recommendation,
)
from steer.steering.permissions import (
    visible_directives,
    visible_inspections,
    visible_recommendations,
)
from steer.steering.tables import OVERDUE, directive_status, directive_table
from steer.units.forms import UnitsChoiceField
from steer.units.models import OrgUnit


class DirectiveFilter(forms.Form):
    state = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    unit = forms.ModelChoiceField(
        OrgUnit.objects.none(), label=gettext_lazy("Unit"), required=False
    )
    source = forms.ChoiceField(label=pgettext_lazy("directive", "Source"), required=False)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [
            ("", _("All")),
            ("open", _("Open")),
            (OVERDUE, _("Overdue")),
            *Directive.State.choices,
        ]
        self.fields["source"].choices = [("", _("All")), *Directive.Source.choices]
        self.fields["unit"].queryset = units

    def apply(self, rows, today):
        data = self.cleaned_data
        if data["state"] == "open":
            rows = rows.filter(state__in=Directive.OPEN)
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
def directive_list(request, slug):
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    today = timezone.localdate()
    rows = visible_directives(access, programme)
    units = access.units().filter(directives__programme=programme).distinct().order_by("code")
    form = DirectiveFilter(request.GET or None, units=units)
    if form.is_bound and form.is_valid():
        rows = form.apply(rows, today)
    elif form.is_bound:
        rows = rows.none()
    rows = list(rows.prefetch_related("assignees").order_by("-given_on", "number"))
    table = directive_table("directives", _("Directives"), rows, today)
    response = download(request, {"directives": table})
    if response:
        return response
    counts = {
        "open": sum(1 for d in rows if d.state in Directive.OPEN),
        "overdue": sum(1 for d in rows if d.is_overdue(today)),
        "done": sum(1 for d in rows if d.state == Directive.State.DONE),
    }
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

    def __init__(self, *args, programme, access, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = Meeting.objects.filter(programme=programme)
        self.fields["inspection"].queryset = visible_inspections(access, programme)
        # A directive's units exist from the day it is given to its deadline, which is not in
        # the past: a unit that has ended can no longer be one (the service checks the days).
        self.fields["assignees"].queryset = OrgUnit.objects.not_ended_by(
            timezone.localdate()
        ).order_by("code")

    def clean(self):
        data = super().clean()
        source = data.get("source")
        if source == Directive.Source.INSPECTION and not data.get("inspection"):
            self.add_error("inspection", _("Choose the inspection that gave it."))
        meetings = (Directive.Source.STEERING_MEETING, Directive.Source.WORKING_SESSION)
        if source in meetings and not data.get("meeting"):
            self.add_error("meeting", _("Choose the meeting that gave it."))
        return data


@login_required
def directive_new(request, slug):
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    access.require(access.can_direct(programme))
    today = timezone.localdate()
    initial = {"given_on": today}
    inspection = object_param(
        request, "inspection", _("Inspection"), visible_inspections(access, programme), field="pk"
    )
    if inspection:
        visited = [v.unit for v in inspection.visits.select_related("unit")]
        ended = [u for u in visited if u.valid_to and u.valid_to < today]
        # Those that took the place of an inspected unit that has ended since; they did not
        # exist on the conclusion day, so the directive is then dated today.
        successors = OrgUnit.objects.not_ended_by(today).filter(
            predecessor_links__predecessor__in=ended
        )
        initial |= {
            "source": Directive.Source.INSPECTION,
            "inspection": inspection.pk,
            "given_on": today if ended else inspection.concluded_on or inspection.end,
            "document_number": inspection.conclusion_document,
            "assignees": [u.pk for u in visited if u not in ended]
            + sorted(set(successors.values_list("pk", flat=True))),
        }
        if ended and request.method == "GET":
            messages.info(
                request,
                _(
                    "%(units)s no longer exist: a directive given now cannot go to them. The "
                    "units that took their place are proposed instead, and the directive is "
                    "dated today."
                )
                % {"units": ", ".join(u.named_with_validity() for u in ended)},
            )
    form = DirectiveForm(request.POST or None, programme=programme, access=access, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        assignees = data.pop("assignees")

        def give() -> once.Outcome:
            directive = services.give_directive(
                programme,
                request.user,
                assignees=assignees,
                files=request.FILES.getlist("files"),
                **data,
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


@login_required
def directive_detail(request, slug, number):
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    directive = get_object_or_404(
        visible_directives(access, programme).select_related(
            "meeting", "inspection", "accepted_by"
        ),
        number=number,
    )
    assignees = list(directive.assignees.order_by("code"))
    mine = [u for u in assignees if access.can_report_on(programme, [u.pk])]
    is_open = directive.state != Directive.State.DONE
    can_direct = access.can_direct(programme)
    report_form = ReportForm(
        request.POST if request.POST.get("action") == "report" else None,
        initial={"unit": mine[0].pk if len(mine) == 1 else None},
    )
    report_form.fields["unit"].queryset = OrgUnit.objects.filter(pk__in=[u.pk for u in mine])
    if request.method == "POST":
        action = request.POST.get("action")
        files = request.FILES.getlist("files")

        def act() -> once.Outcome:
            if action == "report":
                if not mine:
                    raise PermissionDenied
                if not report_form.is_valid():
                    raise services.SteeringError(
                        _("Check the report: %(errors)s")
                        % {
                            "errors": "; ".join(
                                e for errs in report_form.errors.values() for e in errs
                            )
                        }
                    )
                data = report_form.cleaned_data
                services.report_on_directive(
                    directive,
                    request.user,
                    data["unit"],
                    data["text"],
                    files=files,
                    done=data["done"],
                )
                message = _("Your report was recorded.")
            elif action == "close":
                access.require(can_direct)
                services.close_directive(
                    directive, request.user, request.POST.get("note", ""), files=files
                )
                message = _("The directive was closed.")
            elif action == "return":
                access.require(can_direct)
                services.return_directive(directive, request.user, request.POST.get("reason", ""))
                message = _("The directive was returned to the assignees.")
            else:
                raise Http404
            return once.Outcome(directive.get_absolute_url(), message)

        try:
            return once.run(request, act)
        except services.SteeringError as error:
            messages.error(request, str(error))
        return redirect(directive)
    today = timezone.localdate()
    context = {
        "programme": programme,
        "directive": directive,
        "status": directive_status(directive, today),
        "assignees": assignees,
        "updates": directive.updates.select_related("unit", "reported_by"),
        "attachments": directive.attachments.select_related("uploaded_by"),
        "events": services.events_of(directive),
        "report_form": report_form if mine and is_open else None,
        "can_close": can_direct and is_open,
        "can_return": can_direct and directive.state == Directive.State.REPORTED_DONE,
        "file_types": ", ".join(t.lstrip(".") for t in services.FILE_TYPES),
    }
    return render(request, "steering/directive_detail.html", context)


def _can_see_subject(access, programme, subject) -> bool:
    if isinstance(subject, Directive):
        return visible_directives(access, programme).filter(pk=subject.pk).exists()
    if isinstance(subject, Inspection):
        return visible_inspections(access, programme).filter(pk=subject.pk).exists()
    if isinstance(subject, ProgressReport):
        item = subject.plan_item
        return item.programme_id == programme.pk and can_view_plan_item(access, item)
    if isinstance(subject, Recommendation):
        return visible_recommendations(access, programme).filter(pk=subject.pk).exists()
    if isinstance(subject, PlanItem):
        return subject.programme_id == programme.pk and can_view_plan_item(access, subject)
    return False


@login_required
@require_safe
def attachment_file(request, slug, pk):
    """An evidence file, to whoever may see the record it backs."""
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    attachment = get_object_or_404(Attachment, pk=pk)
    subject = attachment.subject
    if subject is None or getattr(subject, "programme_id", programme.pk) != programme.pk:
        raise Http404
    if not _can_see_subject(access, programme, subject):
        raise Http404
    return file_download(attachment.file, attachment.name)
