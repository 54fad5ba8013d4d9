"""Recommendations (kiến nghị, đề xuất, điểm nghẽn): the register, raising one, the standing
agency's routing and response, and the batch synthesis for the city."""

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from steer.accounts.access import access_for
from steer.accounts.requests import signed_in
from steer.core import once
from steer.core.conflicts import EditConflict, EditForm
from steer.core.selectors import events_of
from steer.core.tables import Column, Table, download
from steer.core.widgets import DayInput
from steer.programmes.models import Programme
from steer.programmes.selectors import viewable_programme
from steer.steering import selectors, services
from steer.steering.models import Inspection, Recommendation, Synthesis
from steer.steering.permissions import visible_inspections, visible_recommendations
from steer.steering.views.fields import choice_field, model_choice_field
from steer.units.forms import UnitChoiceField
from steer.units.models import OrgUnit

# -- forms ------------------------------------------------------------------------------------


class RecommendationFilter(forms.Form):
    state = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    category = forms.ChoiceField(label=gettext_lazy("Category"), required=False)
    unit = forms.ModelChoiceField(
        OrgUnit.objects.none(), label=gettext_lazy("Unit"), required=False, to_field_name="code"
    )

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "state").choices = [
            ("", _("All")),
            ("open", _("Open")),
            *Recommendation.State.choices,
        ]
        choice_field(self, "category").choices = [("", _("All")), *Recommendation.Category.choices]
        unit = model_choice_field(self, "unit")
        unit.queryset, unit.empty_label = units, _("All")

    def apply(self, rows: QuerySet[Recommendation]) -> QuerySet[Recommendation]:
        data = self.cleaned_data
        if data["state"] == "open":
            rows = rows.filter(state__in=Recommendation.OPEN)
        elif data["state"]:
            rows = rows.filter(state=data["state"])
        if data["category"]:
            rows = rows.filter(category=data["category"])
        if data["unit"]:
            rows = rows.filter(unit=data["unit"])
        return rows


class SynthesisForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=300)
    note = forms.CharField(
        label=gettext_lazy("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class RecommendationForm(forms.Form):
    unit = UnitChoiceField(OrgUnit.objects.none(), label=gettext_lazy("Raised by"))
    raised_on = forms.DateField(label=gettext_lazy("Raised on"), widget=DayInput())
    channel = forms.ChoiceField(
        label=gettext_lazy("Raised"), choices=Recommendation.Channel.choices
    )
    inspection = forms.ModelChoiceField(
        Inspection.objects.none(), label=gettext_lazy("Inspection"), required=False
    )
    category = forms.ChoiceField(
        label=gettext_lazy("Category"), choices=Recommendation.Category.choices
    )
    content = forms.CharField(
        label=gettext_lazy("Content"), widget=forms.Textarea(attrs={"rows": 5})
    )
    addressed_to = forms.CharField(
        label=gettext_lazy("Addressed to"),
        max_length=300,
        help_text=gettext_lazy(
            "The agency that should settle it, e.g. the City People's Committee."
        ),
    )
    is_bottleneck = forms.BooleanField(
        label=gettext_lazy("It is a bottleneck holding the programme back"), required=False
    )

    def __init__(
        self,
        *args: Any,
        units: QuerySet[OrgUnit],
        inspections: QuerySet[Inspection],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "unit").queryset = units
        inspection = model_choice_field(self, "inspection")
        inspection.queryset, inspection.empty_label = inspections, _("None")

    def clean_raised_on(self) -> dt.date:
        day: dt.date = self.cleaned_data["raised_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The day cannot be in the future."))
        return day

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        inspection, channel = data.get("inspection"), data.get("channel")
        if inspection and channel and channel != Recommendation.Channel.INSPECTION:
            self.add_error(
                "inspection",
                _("An inspection is given only for a recommendation raised at an inspection."),
            )
        return data


class RouteForm(EditForm, forms.Form):
    routed_to = forms.CharField(label=gettext_lazy("Forwarded to"), max_length=300)
    synthesis_note = forms.CharField(
        label=gettext_lazy("Standing agency's assessment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AnswerForm(EditForm, forms.Form):
    response = forms.CharField(
        label=gettext_lazy("Response"), widget=forms.Textarea(attrs={"rows": 4})
    )
    responded_on = forms.DateField(label=gettext_lazy("Answered on"), widget=DayInput())
    close = forms.BooleanField(
        label=gettext_lazy("Settled: close the recommendation"), required=False
    )


# -- tables -----------------------------------------------------------------------------------


def _state(rec: Recommendation) -> dict:
    return {"code": rec.state, "label": rec.get_state_display()}


def _row(rec: Recommendation) -> dict:
    return {
        "code": rec.code,
        "url": rec.get_absolute_url(),
        "raised_on": rec.raised_on,
        "unit": str(rec.unit),
        "channel": rec.get_channel_display(),
        "category": rec.get_category_display(),
        "content": rec.content,
        "addressed_to": rec.addressed_to,
        "bottleneck": _("Yes") if rec.is_bottleneck else "",
        "routed_to": rec.routed_to,
        "state": _state(rec),
        "response": rec.response,
        "responded_on": rec.responded_on,
    }


def register_table(name: str, title: str, recs) -> Table:
    return Table(
        name,
        title,
        [
            Column("code", _("Code"), link="url"),
            Column("raised_on", _("Raised on"), "date"),
            Column("unit", _("Raised by")),
            Column("channel", _("Raised"), on_page=False),
            Column("category", _("Category")),
            Column("content", _("Content"), link="url"),
            Column("addressed_to", _("Addressed to")),
            Column("bottleneck", _("Bottleneck")),
            Column("routed_to", _("Forwarded to")),
            Column("state", _("Status"), "status"),
            Column("response", _("Response")),
            Column("responded_on", _("Answered on"), "date", on_page=False),
        ],
        [_row(rec) for rec in recs],
    )


def _tally(recs, choices, attr: str) -> list[tuple[str, str, int]]:
    """(code, label, count) for every choice, zeros included: the register at a glance."""
    counts: dict[str, int] = {}
    for rec in recs:
        counts[getattr(rec, attr)] = counts.get(getattr(rec, attr), 0) + 1
    return [(code, label, counts.get(code, 0)) for code, label in choices]


def _dmy(day: dt.date) -> str:
    return date_format(day, "d/m/Y")


# -- views ------------------------------------------------------------------------------------


def _synthesis_form(request: HttpRequest) -> SynthesisForm:
    return SynthesisForm(
        request.POST if request.method == "POST" else None,
        initial={
            "title": _("Synthesis of recommendations and proposals to the city, %(day)s")
            % {"day": _dmy(timezone.localdate())}
        },
    )


def _synthesise(request: HttpRequest, programme: Programme, form: SynthesisForm) -> HttpResponse:
    data = form.cleaned_data

    def synthesise() -> once.Outcome:
        batch = services.synthesise(
            programme=programme, user=signed_in(request), title=data["title"], note=data["note"]
        )
        return once.Outcome(
            batch.get_absolute_url(),
            _("The synthesis holds %(n)s recommendations.") % {"n": batch.recommendations.count()},
        )

    try:
        return once.run(request, synthesise)
    except services.SteeringError as e:
        messages.error(request, str(e))
        return redirect("recommendation_list", programme.slug)


@login_required
def recommendation_list(request: HttpRequest, slug: str) -> HttpResponse:
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    visible = visible_recommendations(access, programme)
    can_synthesise = access.can_synthesise(programme)
    synthesis_form = _synthesis_form(request) if can_synthesise else None
    if request.method == "POST":
        access.require(can_synthesise)
        assert synthesis_form is not None  # made for whoever may synthesise
        if synthesis_form.is_valid():
            return _synthesise(request, programme, synthesis_form)
    form = RecommendationFilter(request.GET or None, units=selectors.units_raising(visible))
    rows = visible
    if form.is_bound and form.is_valid():
        rows = form.apply(rows)
    elif form.is_bound:
        rows = rows.none()
    recs = list(rows.select_related("unit").order_by("-raised_on", "-number"))
    table = register_table("recommendations", _("Register of recommendations"), recs)
    response = download(request, {"recommendations": table})
    if response:
        return response
    sees_all = access.sees_whole_programme(programme)
    context = {
        "programme": programme,
        "form": form,
        "table": table,
        "shown": len(recs),
        "by_state": _tally(recs, Recommendation.State.choices, "state"),
        "by_category": _tally(recs, Recommendation.Category.choices, "category"),
        "may_raise": selectors.raisable_units(access=access, programme=programme).exists(),
        "can_synthesise": can_synthesise,
        "synthesis_form": synthesis_form,
        "pending": selectors.awaiting_synthesis(visible) if can_synthesise else 0,
        "syntheses": selectors.syntheses_of(programme) if sees_all else [],
    }
    return render(request, "steering/recommendation_list.html", context)


@login_required
def recommendation_new(request: HttpRequest, slug: str) -> HttpResponse:
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    units = selectors.raisable_units(access=access, programme=programme)
    access.require(units.exists())
    user = signed_in(request)
    own = user.unit_id if user.unit_id and units.filter(pk=user.unit_id).exists() else None
    form = RecommendationForm(
        request.POST or None,
        units=units,
        inspections=visible_inspections(access, programme).order_by("-start"),
        initial={
            "unit": own,
            "raised_on": timezone.localdate(),
            "channel": Recommendation.Channel.DIRECT,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def raise_it() -> once.Outcome:
            rec = services.raise_recommendation(
                programme=programme,
                user=user,
                unit=data["unit"],
                raised_on=data["raised_on"],
                channel=data["channel"],
                inspection=data["inspection"],
                category=data["category"],
                content=data["content"],
                addressed_to=data["addressed_to"],
                is_bottleneck=data["is_bottleneck"],
            )
            return once.Outcome(
                rec.get_absolute_url(),
                _("Recommendation %(code)s was recorded.") % {"code": rec.code},
            )

        try:
            return once.run(request, raise_it)
        except services.SteeringError as e:
            messages.error(request, str(e))
    return render(
        request, "steering/recommendation_new.html", {"programme": programme, "form": form}
    )


def _history(rec: Recommendation) -> list[dict[str, object]]:
    states = dict(Recommendation.State.choices)
    return [
        {
            "at": e.at,
            "user": e.user,
            "action": e.get_action_display(),
            "from": states.get(e.from_state, e.from_state),
            "to": states.get(e.to_state, e.to_state),
            "note": e.note,
        }
        for e in events_of(rec)
    ]


def _route_form(rec: Recommendation, data: QueryDict | None = None) -> RouteForm:
    return RouteForm(
        data,
        initial={"routed_to": rec.routed_to, "synthesis_note": rec.synthesis_note},
        shown=services.ROUTE.values(rec),
    )


def _answer_form(rec: Recommendation, data: QueryDict | None = None) -> AnswerForm:
    return AnswerForm(
        data,
        initial={
            "response": rec.response,
            "responded_on": rec.responded_on or timezone.localdate(),
        },
        shown=services.ANSWER.values(rec),
    )


FORMS: dict[str, Callable[..., RouteForm | AnswerForm]] = {
    "route": _route_form,
    "answer": _answer_form,
}


def _handle(
    request: HttpRequest, rec: Recommendation, form: RouteForm | AnswerForm
) -> once.Outcome:
    data = form.cleaned_data
    if isinstance(form, RouteForm):
        services.route(
            recommendation=rec,
            user=signed_in(request),
            routed_to=data["routed_to"],
            synthesis_note=data["synthesis_note"],
            seen=form.seen(),
        )
    else:
        services.answer(
            recommendation=rec,
            user=signed_in(request),
            response=data["response"],
            responded_on=data["responded_on"],
            close=data["close"],
            seen=form.seen(),
        )
    return once.Outcome(
        rec.get_absolute_url(),
        _("Done: the recommendation is now “%(state)s”.") % {"state": rec.get_state_display()},
    )


@login_required
def recommendation_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    rec = selectors.recommendation_for(access=access, programme=programme, number=number)
    editable = access.can_synthesise(programme) and rec.state != Recommendation.State.CLOSED
    forms_shown = {action: make(rec) for action, make in FORMS.items()}
    if request.method == "POST":
        access.require(access.can_synthesise(programme))
        action = request.POST.get("action")
        if action not in FORMS:
            messages.error(request, _("Unknown action."))
            return redirect(rec)
        form = forms_shown[action] = FORMS[action](rec, request.POST)
        if not editable and not form.is_valid():
            # Closed: refused with the service's own reason, whatever was sent.
            try:
                services.check_can_handle(recommendation=rec, user=signed_in(request))
            except services.SteeringError as e:
                messages.error(request, str(e))
            return redirect(rec)
        if form.is_valid():
            try:
                return once.run(request, lambda: _handle(request, rec, form))
            except EditConflict as conflict:
                rec.refresh_from_db()
                form.refuse(conflict, FORMS[action](rec))
            except services.SteeringError as e:
                messages.error(request, str(e))
                return redirect(rec)
    context = {
        "programme": programme,
        "rec": rec,
        "history": _history(rec),
        "editable": editable,
        "route_form": forms_shown["route"],
        "answer_form": forms_shown["answer"],
        "sees_syntheses": access.sees_whole_programme(programme),
    }
    return render(request, "steering/recommendation_detail.html", context)


@login_required
@require_safe
def synthesis_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    access.require(access.sees_whole_programme(programme))
    batch = get_object_or_404(
        Synthesis.objects.select_related("prepared_by"), programme=programme, pk=pk
    )
    recs = selectors.in_synthesis(batch)
    table = register_table(
        "synthesis",
        _("Synthesis of recommendations and proposals to the city"),
        recs,
    )
    response = download(request, {"synthesis": table})
    if response:
        return response
    groups = []
    for code, label in Recommendation.Category.choices:
        members = [r for r in recs if r.category == code]
        if members:
            groups.append({"code": code, "label": label, "recs": members})
    context = {
        "programme": programme,
        "batch": batch,
        "table": table,
        "groups": groups,
        "total": len(recs),
        "bottlenecks": sum(1 for r in recs if r.is_bottleneck),
    }
    return render(request, "steering/synthesis_detail.html", context)
