"""A plan item's progress reports (with delivery confidence) and deadline changes."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from steer.accounts.access import Access, access_for
from steer.accounts.requests import signed_in
from steer.core import once
from steer.core.selectors import events_of
from steer.core.widgets import DayInput
from steer.programmes.models import PlanItem, Programme
from steer.programmes.selectors import plan_item_of, viewable_programme
from steer.reporting.periods import PeriodType, period_for
from steer.steering import services
from steer.steering.labels import PLAN_LABELS
from steer.steering.models import Confidence
from steer.steering.plan_status import plan_status


class ProgressForm(forms.Form):
    period = forms.CharField(
        label=gettext_lazy("Period"),
        max_length=10,
        help_text=gettext_lazy("e.g. 2025Q2 for the second quarter of 2025, 2025S1, 2025"),
    )
    percent = forms.DecimalField(
        label=gettext_lazy("Progress (%)"), min_value=0, max_value=100, decimal_places=1
    )
    done = forms.CharField(
        label=gettext_lazy("What was done"), widget=forms.Textarea(attrs={"rows": 3})
    )
    product = forms.CharField(
        label=gettext_lazy("Product delivered"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    budget_disbursed = forms.DecimalField(
        label=gettext_lazy("Budget disbursed (million VND)"),
        min_value=0,
        decimal_places=3,
        required=False,
    )
    confidence = forms.ChoiceField(
        label=gettext_lazy("Delivery confidence"), choices=Confidence.choices
    )
    rationale = forms.CharField(
        label=gettext_lazy("Reason for the rating"), widget=forms.Textarea(attrs={"rows": 2})
    )
    completed_on = forms.DateField(
        label=gettext_lazy("Completed on"),
        required=False,
        widget=DayInput(),
        help_text=gettext_lazy("Only when the item is finished (100 %)."),
    )


class DeadlineForm(forms.Form):
    new = forms.DateField(label=gettext_lazy("New deadline"), widget=DayInput())
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    decided_by = forms.CharField(
        label=gettext_lazy("Decided by (document)"), max_length=300, required=False
    )


def _item(request: HttpRequest, slug: str, code: str) -> tuple[Programme, Access, PlanItem]:
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    item = plan_item_of(
        access=access,
        programme=programme,
        code=code,
        rows=PlanItem.objects.select_related("lead_unit", "programme"),
    )
    return programme, access, item


@login_required
def progress(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    """The item's progress history, and the form its lead unit reports with."""
    programme, access, item = _item(request, slug, code)
    may_report = access.can_report_on(programme, [item.lead_unit_id])
    today = timezone.localdate()
    form = ProgressForm(
        request.POST or None,
        initial={"period": period_for(PeriodType.QUARTER, today).code},
    )
    if request.method == "POST":
        access.require(may_report)
        if form.is_valid():

            def report() -> once.Outcome:
                services.report_progress(
                    item=item,
                    user=signed_in(request),
                    files=request.FILES.getlist("files"),
                    **form.cleaned_data,
                )
                return once.Outcome(request.path, _("The progress report was recorded."))

            try:
                return once.run(request, report)
            except services.SteeringError as error:
                messages.error(request, str(error))
    reports = list(item.progress_reports.select_related("reported_by").order_by("-reported_at"))
    status = plan_status(item.state, item.deadline, item.completed_on, today)
    context = {
        "programme": programme,
        "item": item,
        "reports": reports,
        "latest": reports[0] if reports else None,
        "status": {"code": str(status), "label": PLAN_LABELS[status]},
        "changes": item.deadline_changes.select_related("changed_by"),
        "form": form if may_report and item.state != PlanItem.State.CANCELLED else None,
        "deadline_form": DeadlineForm() if access.can_edit_programme(programme) else None,
        "events": events_of(item),
        "file_types": ", ".join(t.lstrip(".") for t in services.FILE_TYPES),
    }
    return render(request, "steering/plan_item_progress.html", context)


@login_required
@require_POST
def deadline(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    programme, access, item = _item(request, slug, code)
    access.require(access.can_edit_programme(programme))
    page = reverse("plan_item_progress", args=[programme.slug, item.code])
    form = DeadlineForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            _("Check the deadline change: %(errors)s")
            % {"errors": "; ".join(str(e) for errs in form.errors.values() for e in errs)},
        )
    else:
        # The deadline the page showed: if it moved meanwhile, this change is refused.
        try:
            seen = parse_date(request.POST.get("seen", ""))
        except ValueError:  # a well-formed impossible day: no guard, as without one
            seen = None

        def move() -> once.Outcome:
            data = form.cleaned_data
            services.change_deadline(
                item=item,
                user=signed_in(request),
                new=data["new"],
                reason=data["reason"],
                decided_by=data["decided_by"],
                seen=seen,
            )
            return once.Outcome(page, _("The deadline was moved; the original is kept."))

        try:
            return once.run(request, move)
        except services.SteeringError as error:
            messages.error(request, str(error))
    return redirect(page)
