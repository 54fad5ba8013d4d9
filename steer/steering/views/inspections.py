"""Inspections: the plan (team, units, dates, purpose and scope), the findings at each unit,
the conclusion, the evidence files and the directives the inspection gave.

Every change goes through steer.steering.services; a refusal is shown as a message and
changes nothing."""

import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import CharField
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from steer.accounts.access import access_for
from steer.accounts.requests import signed_in
from steer.core import once
from steer.core.conflicts import EditConflict, EditForm
from steer.core.tables import Column, Table, download
from steer.core.widgets import DayInput
from steer.programmes.selectors import viewable_programme
from steer.steering import selectors, services
from steer.steering.models import Inspection, InspectionMember, InspectionVisit
from steer.steering.services import SteeringError, TeamMember
from steer.units.forms import UnitsChoiceField
from steer.units.models import OrgUnit, absent_text

Role = InspectionMember.Role

# -- forms ------------------------------------------------------------------------------------


# The words a team line may start with, in Vietnamese (as the documents write them) or English.
ROLE_WORDS = {
    "trưởng đoàn": Role.HEAD,
    "truong doan": Role.HEAD,
    "head": Role.HEAD,
    "phó trưởng đoàn": Role.DEPUTY,
    "pho truong doan": Role.DEPUTY,
    "deputy": Role.DEPUTY,
    "thành viên": Role.MEMBER,
    "thanh vien": Role.MEMBER,
    "member": Role.MEMBER,
}


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip().casefold()


def role_of(word: str) -> str | None:
    """The team role a word names ("trưởng đoàn", "head", the role's label…), None if none."""
    word = _words(word)
    if word in ROLE_WORDS:
        return ROLE_WORDS[word]
    for value, label in Role.choices:
        if word in (value, _words(str(label))):
            return value
    return None


def _max_length(name: str) -> int:
    field = InspectionMember._meta.get_field(name)
    assert isinstance(field, CharField) and field.max_length is not None, name
    return field.max_length


def parse_team(text: str) -> list[TeamMember]:
    """Team members from lines "role | name | position"; every bad line is named in the error."""
    members: list[TeamMember] = []
    errors: list[str] = []
    head_line: int | None = None
    name_max, position_max = _max_length("name"), _max_length("position")
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        where = {"n": number, "text": line[:80]}
        parts = [part.strip() for part in line.split("|")]
        if len(parts) not in (2, 3) or not parts[1]:
            errors.append(
                _(
                    "Line %(n)s (“%(text)s”): write the role, the name and the position, "
                    "separated by |."
                )
                % where
            )
            continue
        role = role_of(parts[0])
        if role is None:
            errors.append(
                _(
                    "Line %(n)s (“%(text)s”): “%(role)s” is not a role in the team; write "
                    "trưởng đoàn, phó trưởng đoàn or thành viên."
                )
                % {**where, "role": parts[0]}
            )
            continue
        name, position = parts[1], parts[2] if len(parts) == 3 else ""
        if len(name) > name_max:
            errors.append(
                _("Line %(n)s (“%(text)s”): the name is longer than %(max)s characters.")
                % {**where, "max": name_max}
            )
            continue
        if len(position) > position_max:
            errors.append(
                _("Line %(n)s (“%(text)s”): the position is longer than %(max)s characters.")
                % {**where, "max": position_max}
            )
            continue
        if role == Role.HEAD:
            if head_line is not None:
                errors.append(
                    _("Line %(n)s (“%(text)s”): the team already has a head, on line %(first)s.")
                    % {**where, "first": head_line}
                )
                continue
            head_line = number
        members.append({"role": role, "name": name, "position": position})
    if errors:
        raise ValidationError(errors)
    if head_line is None:
        raise ValidationError(_("Name the head of the team: a line starting with “trưởng đoàn”."))
    return members


def link_accounts(members: list[TeamMember]) -> list[TeamMember]:
    """Link a member to the one active account with the same full name, if there is exactly one."""
    for member in members:
        member["user"] = selectors.account_named(member["name"])
    return members


class InspectionPlanForm(forms.Form):
    number = forms.CharField(
        label=gettext_lazy("Team number"),
        max_length=20,
        help_text=gettext_lazy("For example 1 for “Đoàn kiểm tra số 1”."),
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=500)
    purpose = forms.CharField(
        label=gettext_lazy("Purpose"), widget=forms.Textarea(attrs={"rows": 3})
    )
    scope = forms.CharField(
        label=gettext_lazy("Scope"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    start = forms.DateField(label=gettext_lazy("From"), widget=DayInput())
    end = forms.DateField(label=gettext_lazy("To"), widget=DayInput())
    units = UnitsChoiceField(
        label=gettext_lazy("Units to inspect"),
        queryset=OrgUnit.objects.select_related("unit_type").order_by("unit_type__level", "code"),
        widget=forms.SelectMultiple(attrs={"size": 12}),
        help_text=gettext_lazy(
            "Units that exist from the first day to the last; hold Ctrl to choose several."
        ),
    )
    team = forms.CharField(
        label=gettext_lazy("Inspection team"),
        widget=forms.Textarea(
            attrs={
                "rows": 6,
                "placeholder": "trưởng đoàn | Nguyễn Văn A | Phó Bí thư Thành ủy\n"
                "thành viên | Trần Thị B | Phó Giám đốc Sở",
            }
        ),
        help_text=gettext_lazy(
            "One member per line: role | name | position. The role is trưởng đoàn, "
            "phó trưởng đoàn or thành viên (head, deputy or member)."
        ),
    )

    def clean_team(self) -> list[TeamMember]:
        return link_accounts(parse_team(self.cleaned_data["team"]))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end, units = data.get("start"), data.get("end"), data.get("units")
        if start and end and end < start:
            self.add_error("end", _("The last day cannot be before the first."))
        if start and end and units:
            gone = [unit for unit in units if not unit.exists_throughout(start, end)]
            if gone:
                self.add_error("units", absent_text(gone, start, end))
        return data


class VisitForm(EditForm, forms.Form):
    visited_on = forms.DateField(label=gettext_lazy("Visited on"), widget=DayInput())
    documents_received = forms.CharField(
        label=gettext_lazy("Documents received"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    results = forms.CharField(
        label=gettext_lazy("Results"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    limitations = forms.CharField(
        label=gettext_lazy("Limitations"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    causes = forms.CharField(
        label=gettext_lazy("Causes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    TEXTS = ("documents_received", "results", "limitations", "causes")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not any((data.get(name) or "").strip() for name in self.TEXTS):
            raise ValidationError(_("Write what the team received or found at the unit."))
        return data


class ConcludeForm(EditForm, forms.Form):
    conclusion = forms.CharField(
        label=gettext_lazy("Conclusion"), widget=forms.Textarea(attrs={"rows": 6})
    )
    concluded_on = forms.DateField(label=gettext_lazy("Concluded on"), widget=DayInput())
    conclusion_document = forms.CharField(
        label=gettext_lazy("Conclusion document"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Number and date of the conclusion notice, if any."),
    )


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if not files and self.required:
            raise ValidationError(self.error_messages["required"], code="required")
        return files  # the types and sizes are checked by services.check_files


class EvidenceForm(forms.Form):
    # The form's metaclass takes declared fields off the class, so this field does not replace
    # BaseForm.files (the uploaded files) as django-stubs reads it.
    files = MultipleFileField(  # type: ignore[assignment]
        label=gettext_lazy("Files"),
        help_text=gettext_lazy(
            "Minutes, the conclusion notice…: PDF, Word, Excel, OpenDocument, JPEG or PNG, "
            "at most 10 MB each."
        ),
    )


# -- views ------------------------------------------------------------------------------------

STATE_COLOURS: dict[str, str] = {
    Inspection.State.PLANNED: "no_data",
    Inspection.State.VISITED: "in_progress",
    Inspection.State.CONCLUDED: "achieved",
}


@login_required
@require_safe
def inspection_list(request: HttpRequest, slug: str) -> HttpResponse:
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    summaries = selectors.inspection_summaries(
        access=access, programme=programme, today=timezone.localdate()
    )
    rows = [
        {
            "number": s.inspection.number,
            "title": s.inspection.title,
            "url": s.inspection.get_absolute_url(),
            "state": {
                "code": STATE_COLOURS.get(s.inspection.state, "no_data"),
                "label": s.inspection.get_state_display(),
            },
            "start": s.inspection.start,
            "end": s.inspection.end,
            "units": "; ".join(v.unit.name for v in s.inspection.visits.all()),
            "head": s.head.name if s.head else "",
            "concluded_on": s.inspection.concluded_on,
            **asdict(s.counts),
        }
        for s in summaries
    ]
    table = Table(
        "inspections",
        _("Inspections of %(programme)s") % {"programme": programme.symbol},
        [
            Column("number", _("Team number"), link="url"),
            Column("title", _("Inspection"), link="url"),
            Column("state", _("State"), "status"),
            Column("start", _("From"), "date"),
            Column("end", _("To"), "date"),
            Column("units", _("Units inspected")),
            Column("head", _("Head of the team"), on_page=False),
            Column("concluded_on", _("Concluded on"), "date", on_page=False),
            Column("directives", _("Directives"), "integer"),
            Column("open", _("Open"), "integer"),
            Column("overdue", _("Overdue"), "integer"),
        ],
        rows,
    )
    response = download(request, {"inspections": table})
    if response:
        return response
    return render(
        request,
        "steering/inspection_list.html",
        {"programme": programme, "table": table, "can_inspect": access.can_inspect(programme)},
    )


@login_required
def inspection_new(request: HttpRequest, slug: str) -> HttpResponse:
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    access.require(access.can_inspect(programme))
    form = InspectionPlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def plan() -> once.Outcome:
            inspection = services.plan_inspection(
                programme=programme,
                user=signed_in(request),
                units=data["units"],
                members=data["team"],
                number=data["number"],
                title=data["title"],
                purpose=data["purpose"],
                scope=data["scope"],
                start=data["start"],
                end=data["end"],
            )
            return once.Outcome(inspection.get_absolute_url(), _("The inspection was planned."))

        try:
            return once.run(request, plan)
        except SteeringError as e:
            messages.error(request, str(e))
    return render(request, "steering/inspection_new.html", {"programme": programme, "form": form})


def _visit_form(
    visit: InspectionVisit, inspection: Inspection, data: QueryDict | None = None
) -> VisitForm:
    return VisitForm(
        data,
        prefix=f"visit-{visit.pk}",
        initial={
            "visited_on": visit.visited_on or inspection.start,
            "documents_received": visit.documents_received,
            "results": visit.results,
            "limitations": visit.limitations,
            "causes": visit.causes,
        },
        shown=services.VISIT.values(visit),
    )


def _conclude_form(inspection: Inspection, data: QueryDict | None = None) -> ConcludeForm:
    return ConcludeForm(
        data,
        prefix="conclude",
        initial={
            "conclusion": inspection.conclusion,
            "concluded_on": inspection.concluded_on or timezone.localdate(),
            "conclusion_document": inspection.conclusion_document,
        },
        shown=services.CONCLUSION.values(inspection),
    )


@dataclass(frozen=True)
class VisitShown:
    """A visit on the page with its findings form."""

    visit: InspectionVisit
    form: VisitForm

    @property
    def pk(self) -> int:
        return self.visit.pk


@dataclass
class DetailForms:
    """The forms of an inspection's page: one per visit, the conclusion, the evidence files."""

    visits: dict[int, VisitForm]
    conclude: ConcludeForm
    evidence: EvidenceForm

    @classmethod
    def unbound(cls, page: selectors.InspectionPage) -> "DetailForms":
        return cls(
            visits={visit.pk: _visit_form(visit, page.inspection) for visit in page.visits},
            conclude=_conclude_form(page.inspection),
            evidence=EvidenceForm(prefix="evidence"),
        )


def _record_findings(
    request: HttpRequest, page: selectors.InspectionPage, shown: DetailForms
) -> HttpResponse | None:
    inspection = page.inspection
    visit = next((v for v in page.visits if str(v.pk) == request.POST.get("visit")), None)
    if visit is None:
        return HttpResponseBadRequest()
    form = shown.visits[visit.pk] = _visit_form(visit, inspection, request.POST)
    if not form.is_valid():
        return None

    def record() -> once.Outcome:
        services.record_visit(
            inspection=inspection,
            user=signed_in(request),
            unit=visit.unit,
            seen=form.seen(),
            **form.edited(),
        )
        return once.Outcome(
            inspection.get_absolute_url(),
            _("The findings at %(unit)s were recorded.") % {"unit": visit.unit},
        )

    try:
        return once.run(request, record)
    except EditConflict as conflict:
        visit.refresh_from_db()
        form.refuse(conflict, _visit_form(visit, inspection))
    except SteeringError as e:
        messages.error(request, str(e))
    return None


def _conclude(
    request: HttpRequest, page: selectors.InspectionPage, shown: DetailForms
) -> HttpResponse | None:
    inspection = page.inspection
    form = shown.conclude = _conclude_form(inspection, request.POST)
    if not form.is_valid():
        return None
    data = form.cleaned_data

    def conclude() -> once.Outcome:
        services.conclude(
            inspection=inspection,
            user=signed_in(request),
            conclusion=data["conclusion"],
            concluded_on=data["concluded_on"],
            conclusion_document=data["conclusion_document"],
            seen=form.seen(),
        )
        return once.Outcome(inspection.get_absolute_url(), _("The inspection was concluded."))

    try:
        return once.run(request, conclude)
    except EditConflict as conflict:
        inspection.refresh_from_db()
        form.refuse(conflict, _conclude_form(inspection))
    except SteeringError as e:
        messages.error(request, str(e))
    return None


def _attach(
    request: HttpRequest, page: selectors.InspectionPage, shown: DetailForms
) -> HttpResponse | None:
    inspection = page.inspection
    form = shown.evidence = EvidenceForm(request.POST, request.FILES, prefix="evidence")
    if not form.is_valid():
        return None
    files = form.cleaned_data["files"]

    def attach() -> once.Outcome:
        services.attach(subject=inspection, user=signed_in(request), files=files)
        return once.Outcome(inspection.get_absolute_url(), _("The files were attached."))

    try:
        return once.run(request, attach)
    except SteeringError as e:
        messages.error(request, str(e))
    return None


ACTIONS = {"visit": _record_findings, "conclude": _conclude, "attach": _attach}


@login_required
def inspection_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    programme = viewable_programme(request, slug)
    page = selectors.inspection_page(access=access_for(request.user), programme=programme, pk=pk)
    shown = DetailForms.unbound(page)
    if request.method == "POST":
        act = ACTIONS.get(request.POST.get("action", ""))
        if act is None:
            return HttpResponseBadRequest()
        response = act(request, page, shown)
        if response is not None:
            return response
    return render(
        request,
        "steering/inspection_detail.html",
        {
            "programme": programme,
            "inspection": page.inspection,
            "team": page.team,
            "visits": [VisitShown(visit, shown.visits[visit.pk]) for visit in page.visits],
            "can_record": page.can_record,
            "can_attach": page.can_inspect,
            "can_direct": page.can_direct,
            "conclude_form": shown.conclude,
            "evidence_form": shown.evidence,
            "attachments": page.attachments,
            "directives": page.directives,
            "events": page.events,
        },
    )
