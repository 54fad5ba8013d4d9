"""Reads of the steering records for the pages: only what the user's access lets them see,
shaped for each page. No writes."""

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Count, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _

from steer.accounts.access import Access
from steer.accounts.models import User
from steer.core.models import Event
from steer.core.selectors import events_of
from steer.programmes.models import PlanItem, Programme
from steer.programmes.permissions import can_view_plan_item, visible_plan_items
from steer.reporting.labels import period_label
from steer.reporting.models import ReportForm
from steer.reporting.selectors import form_status
from steer.steering.models import (
    Attachment,
    Directive,
    DirectiveUpdate,
    Inspection,
    InspectionMember,
    InspectionVisit,
    ProgressReport,
    Recommendation,
    Synthesis,
)
from steer.steering.permissions import (
    visible_directives,
    visible_inspections,
    visible_recommendations,
)
from steer.steering.plan_status import PlanStatus, plan_status
from steer.steering.tables import DONE_STATES
from steer.units.models import OrgUnit

# -- my work, overdue, timeline, calendar -----------------------------------------------------


@dataclass(frozen=True)
class MyWork:
    """What is assigned to the user's units; on the steering side, what waits for them (None
    where their role does not handle it)."""

    directives: list[Directive]
    plan_items: list[PlanItem]
    recommendations: list[Recommendation]
    to_accept: list[Directive] | None
    to_route: list[Recommendation] | None
    inspections: list[Inspection]
    has_unit: bool


def my_work(*, access: Access, programme: Programme) -> MyWork:
    units = access.own_unit_ids
    directives = (
        Directive.objects.filter(programme=programme, state__in=Directive.OPEN, assignees__in=units)
        .distinct()
        .prefetch_related("assignees")
        .order_by("deadline", "number")
    )
    items = (
        PlanItem.objects.filter(programme=programme)
        .involving(units)
        .exclude(state__in=DONE_STATES)
        .select_related("lead_unit", "programme")
        .order_by("deadline", "code")
    )
    mine = Recommendation.objects.filter(
        programme=programme, unit__in=units, state__in=Recommendation.OPEN
    ).select_related("unit", "programme")
    to_accept = None
    if access.can_direct(programme):
        to_accept = list(
            Directive.objects.filter(programme=programme, state=Directive.State.REPORTED_DONE)
            .prefetch_related("assignees")
            .order_by("deadline")
        )
    to_route = None
    if access.can_synthesise(programme):
        to_route = list(
            Recommendation.objects.filter(
                programme=programme, state=Recommendation.State.NEW
            ).select_related("unit", "programme")
        )
    inspections = visible_inspections(access, programme).exclude(state=Inspection.State.CONCLUDED)
    if not access.can_inspect(programme):
        inspections = inspections.filter(visits__unit__in=units).distinct()
    return MyWork(
        directives=list(directives),
        plan_items=list(items),
        recommendations=list(mine),
        to_accept=to_accept,
        to_route=to_route,
        inspections=list(inspections.order_by("start")),
        has_unit=bool(units),
    )


def overdue_reports(
    *, access: Access, programme: Programme, today: dt.date
) -> list[dict[str, object]]:
    """For each form, the latest period whose deadline has passed: units yet to report."""
    rows: list[dict[str, object]] = []
    units = access.report_units(programme)
    for form in ReportForm.objects.filter(programme=programme).order_by("code"):
        due = [p for p in form.periods() if form.deadline(p) < today]
        if not due:
            continue
        period = due[-1]
        deadline, statuses = form_status(form, period, units, today)
        for s in statuses:
            if s.status == "overdue":
                rows.append(
                    {
                        "form": form.name,
                        "period": period_label(period, capital=True),
                        "unit": str(s.unit),
                        "deadline": deadline,
                        "days": (today - deadline).days,
                        "url": reverse(
                            "report_entry",
                            args=[programme.slug, form.code, period.code, s.unit.code],
                        ),
                    }
                )
    return rows


@dataclass(frozen=True)
class Overdue:
    directives: list[Directive]
    plan_items: list[PlanItem]
    reports: list[dict[str, object]]


def overdue(*, access: Access, programme: Programme, today: dt.date) -> Overdue:
    """Everything overdue that the user may see: directives, plan items, reports."""
    directives = (
        visible_directives(access, programme)
        .filter(state__in=Directive.OPEN, deadline__lt=today)
        .prefetch_related("assignees")
        .order_by("deadline")
    )
    items = (
        visible_plan_items(access, programme)
        .filter(deadline__lt=today)
        .exclude(state__in=DONE_STATES)
        .select_related("lead_unit", "programme")
        .order_by("deadline")
    )
    return Overdue(
        directives=list(directives),
        plan_items=list(items),
        reports=overdue_reports(access=access, programme=programme, today=today),
    )


def timeline_items(*, access: Access, programme: Programme) -> list[PlanItem]:
    """The top-level plan items, in the order they start."""
    return list(
        visible_plan_items(access, programme)
        .filter(parent__isnull=True)
        .select_related("lead_unit", "programme")
        .order_by("start_date", "code")
    )


@dataclass(frozen=True)
class CalendarEntry:
    kind: str
    text: str
    url: str
    status: str


def deadlines_between(
    *, access: Access, programme: Programme, first: dt.date, last: dt.date, today: dt.date
) -> dict[dt.date, list[CalendarEntry]]:
    """The deadlines from `first` to `last`, by day: directives, plan items, inspections (on
    their first day in the span) and report forms."""
    days: dict[dt.date, list[CalendarEntry]] = defaultdict(list)
    for d in visible_directives(access, programme).filter(deadline__range=(first, last)):
        status = "done" if d.state == Directive.State.DONE else d.state
        days[d.deadline].append(
            CalendarEntry(_("Directive"), f"{d.code}. {d.content}", d.get_absolute_url(), status)
        )
    for item in visible_plan_items(access, programme).filter(deadline__range=(first, last)):
        status = str(plan_status(item.state, item.deadline, item.completed_on, today))
        days[item.deadline].append(
            CalendarEntry(_("Plan item"), str(item), item.get_absolute_url(), status)
        )
    for inspection in visible_inspections(access, programme).filter(
        start__lte=last, end__gte=first
    ):
        days[max(inspection.start, first)].append(
            CalendarEntry(
                _("Inspection"), inspection.title, inspection.get_absolute_url(), inspection.state
            )
        )
    for form in ReportForm.objects.filter(programme=programme):
        url = reverse("form_status", args=[programme.slug, form.code])
        for period in form.periods():
            deadline: dt.date = form.deadline(period)
            if first <= deadline <= last:
                text = f"{form.name}, {period_label(period)}"
                days[deadline].append(CalendarEntry(_("Report deadline"), text, url, ""))
    return dict(days)


# -- inspections ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DirectiveCounts:
    directives: int = 0
    open: int = 0
    overdue: int = 0


@dataclass(frozen=True)
class InspectionSummary:
    inspection: Inspection
    head: InspectionMember | None
    counts: DirectiveCounts


def _directive_counts(
    directives: QuerySet[Directive], today: dt.date
) -> dict[int, DirectiveCounts]:
    counts: dict[int, DirectiveCounts] = {}
    rows = directives.filter(inspection__isnull=False).values_list(
        "inspection_id", "state", "deadline"
    )
    for inspection_id, state, deadline in rows:
        assert inspection_id is not None  # filtered above
        was = counts.get(inspection_id, DirectiveCounts())
        is_open = state in Directive.OPEN
        counts[inspection_id] = DirectiveCounts(
            directives=was.directives + 1,
            open=was.open + is_open,
            overdue=was.overdue + (is_open and deadline < today),
        )
    return counts


def inspection_summaries(
    *, access: Access, programme: Programme, today: dt.date
) -> list[InspectionSummary]:
    """The inspections the user may see, latest first, with the directives each gave."""
    inspections = list(
        visible_inspections(access, programme)
        .prefetch_related("visits__unit", "members")
        .order_by("-start", "-pk")
    )
    counts = _directive_counts(
        visible_directives(access, programme).filter(inspection__in=[i.pk for i in inspections]),
        today,
    )
    return [
        InspectionSummary(
            inspection=inspection,
            head=next(
                (m for m in inspection.members.all() if m.role == InspectionMember.Role.HEAD),
                None,
            ),
            counts=counts.get(inspection.pk, DirectiveCounts()),
        )
        for inspection in inspections
    ]


def team_of(inspection: Inspection) -> list[tuple[str, list[InspectionMember]]]:
    """The team by role (head, deputies, members), the roles nobody holds left out."""
    members = list(inspection.members.all())
    return [
        (str(label), [m for m in members if m.role == value])
        for value, label in InspectionMember.Role.choices
        if any(m.role == value for m in members)
    ]


@dataclass(frozen=True)
class InspectionPage:
    programme: Programme
    inspection: Inspection
    visits: list[InspectionVisit]
    team: list[tuple[str, list[InspectionMember]]]
    directives: list[Directive]
    attachments: QuerySet[Attachment]
    events: QuerySet[Event]
    can_inspect: bool
    can_direct: bool

    @property
    def can_record(self) -> bool:
        """Findings and the conclusion are recorded until the inspection is concluded."""
        return self.can_inspect and self.inspection.state != Inspection.State.CONCLUDED


def inspection_page(*, access: Access, programme: Programme, pk: int) -> InspectionPage:
    """An inspection the user may see (404 otherwise): plan, findings, files, directives."""
    inspection: Inspection = get_object_or_404(
        visible_inspections(access, programme).select_related("programme"), pk=pk
    )
    directives = (
        visible_directives(access, programme)
        .filter(inspection=inspection)
        .prefetch_related("assignees")
        .order_by("number")
    )
    return InspectionPage(
        programme=programme,
        inspection=inspection,
        visits=list(inspection.visits.select_related("unit")),
        team=team_of(inspection),
        directives=list(directives),
        attachments=inspection.attachments.select_related("uploaded_by"),
        events=events_of(inspection),
        can_inspect=access.can_inspect(programme),
        can_direct=access.can_direct(programme),
    )


def account_named(full_name: str) -> User | None:
    """The one active account with this full name; None if there is none or more than one."""
    accounts = list(User.objects.filter(full_name__iexact=full_name, is_active=True)[:2])
    return accounts[0] if len(accounts) == 1 else None


# -- directives -------------------------------------------------------------------------------


def assignees_in(*, access: Access, programme: Programme) -> QuerySet[OrgUnit]:
    """The units the user may see that were given a directive of the programme."""
    return access.units().filter(directives__programme=programme).distinct().order_by("code")


@dataclass(frozen=True)
class FromInspection:
    """What a directive given from an inspection starts with: the units it visited, and those
    that took the place of a visited unit that has ended since."""

    visited: list[OrgUnit]
    ended: list[OrgUnit]
    successors: list[int]


def from_inspection(inspection: Inspection, today: dt.date) -> FromInspection:
    visited = [v.unit for v in inspection.visits.select_related("unit")]
    ended = [u for u in visited if u.valid_to and u.valid_to < today]
    successors = OrgUnit.objects.not_ended_by(today).filter(
        predecessor_links__predecessor__in=ended
    )
    return FromInspection(
        visited=visited,
        ended=ended,
        successors=sorted(set(successors.values_list("pk", flat=True))),
    )


@dataclass(frozen=True)
class DirectivePage:
    programme: Programme
    directive: Directive
    assignees: list[OrgUnit]
    mine: list[OrgUnit]  # the assignees the user reports for
    updates: QuerySet[DirectiveUpdate]
    attachments: QuerySet[Attachment]
    events: QuerySet[Event]


def directive_page(*, access: Access, programme: Programme, number: int) -> DirectivePage:
    """A directive the user may see (404 otherwise), its reports, files and history."""
    directive: Directive = get_object_or_404(
        visible_directives(access, programme).select_related(
            "meeting", "inspection", "accepted_by"
        ),
        number=number,
    )
    assignees = list(directive.assignees.order_by("code"))
    return DirectivePage(
        programme=programme,
        directive=directive,
        assignees=assignees,
        mine=[u for u in assignees if access.can_report_on(programme, [u.pk])],
        updates=directive.updates.select_related("unit", "reported_by"),
        attachments=directive.attachments.select_related("uploaded_by"),
        events=events_of(directive),
    )


def may_see_subject(access: Access, programme: Programme, subject: models.Model) -> bool:
    """Whether the user may see the record a file backs (and so the file)."""
    if isinstance(subject, Directive):
        return bool(visible_directives(access, programme).filter(pk=subject.pk).exists())
    if isinstance(subject, Inspection):
        return bool(visible_inspections(access, programme).filter(pk=subject.pk).exists())
    if isinstance(subject, ProgressReport):
        item = subject.plan_item
        return item.programme_id == programme.pk and can_view_plan_item(access, item)
    if isinstance(subject, Recommendation):
        return bool(visible_recommendations(access, programme).filter(pk=subject.pk).exists())
    if isinstance(subject, PlanItem):
        return subject.programme_id == programme.pk and can_view_plan_item(access, subject)
    return False


def visible_attachment(*, access: Access, programme: Programme, pk: int) -> Attachment:
    """An evidence file of the programme whose record the user may see; 404 otherwise."""
    attachment = get_object_or_404(Attachment, pk=pk)
    subject = attachment.subject
    if subject is None or getattr(subject, "programme_id", programme.pk) != programme.pk:
        raise Http404
    if not may_see_subject(access, programme, subject):
        raise Http404
    return attachment


# -- recommendations --------------------------------------------------------------------------


def raisable_units(*, access: Access, programme: Programme) -> QuerySet[OrgUnit]:
    """The units the user may raise recommendations for."""
    ids = [
        pk
        for pk in access.units().values_list("pk", flat=True)
        if access.can_raise_for(programme, pk)
    ]
    return OrgUnit.objects.filter(pk__in=ids)


def recommendation_for(*, access: Access, programme: Programme, number: int) -> Recommendation:
    """A recommendation the user may see; 404 otherwise."""
    recommendation: Recommendation = get_object_or_404(
        visible_recommendations(access, programme).select_related(
            "unit", "inspection", "synthesis", "created_by"
        ),
        number=number,
    )
    return recommendation


def units_raising(recommendations: QuerySet[Recommendation]) -> QuerySet[OrgUnit]:
    """The units that raised these recommendations."""
    return OrgUnit.objects.filter(recommendations__in=recommendations.values("pk")).distinct()


def awaiting_synthesis(recommendations: QuerySet[Recommendation]) -> int:
    """How many of these are open and in no synthesis yet."""
    return recommendations.filter(state__in=Recommendation.OPEN, synthesis__isnull=True).count()


def recommendations_for_period(
    programme: Programme,
    *,
    first: dt.date,
    last: dt.date,
    units: QuerySet[OrgUnit] | list[OrgUnit] | None = None,
) -> QuerySet[Recommendation]:
    """The register's recommendations a report for the days first..last speaks of: those raised
    in those days, and those raised before that were still unanswered at the end of them."""
    rows = Recommendation.objects.filter(programme=programme, raised_on__lte=last)
    if units is not None:
        rows = rows.filter(unit__in=units)
    unanswered = models.Q(responded_on__isnull=True, state__in=Recommendation.OPEN) | models.Q(
        responded_on__gt=last
    )
    return rows.filter(models.Q(raised_on__gte=first) | unanswered)


def open_at(recommendation: Recommendation, day: dt.date) -> bool:
    """Whether a recommendation was still awaiting its answer on that day."""
    if recommendation.raised_on > day:
        return False
    if recommendation.responded_on is not None:
        return recommendation.responded_on > day
    return recommendation.state in Recommendation.OPEN


def syntheses_of(programme: Programme) -> QuerySet[Synthesis]:
    return (
        Synthesis.objects.filter(programme=programme)
        .select_related("prepared_by")
        .annotate(n=Count("recommendations"))
    )


def in_synthesis(batch: Synthesis) -> list[Recommendation]:
    """A synthesis's recommendations by category (in the order of the categories), then
    number."""
    recs = batch.recommendations.select_related("unit").order_by("category", "number")
    order = {code: i for i, code in enumerate(Recommendation.Category.values)}
    return sorted(recs, key=lambda r: (order.get(r.category, len(order)), r.number))


# -- plan items -------------------------------------------------------------------------------


def _recorded_states_at(
    subjects: list[Directive] | list[Recommendation], day: dt.date
) -> dict[int, str]:
    """The state each subject's last recorded change on or before the day left it in."""
    if not subjects:
        return {}
    states: dict[int, str] = {}
    for object_id, state in (
        Event.objects.filter(
            content_type=ContentType.objects.get_for_model(subjects[0]),
            object_id__in=[s.pk for s in subjects],
            at__date__lte=day,
        )
        .exclude(to_state="")
        .order_by("at", "pk")
        .values_list("object_id", "to_state")
    ):
        states[object_id] = state
    return states


def directive_states_at(directives: list[Directive], day: dt.date) -> dict[int, str]:
    """Each directive's state at the end of the day: done only if closed by then, so that a
    review of a past period counts what was done by its end, not by today."""
    recorded = _recorded_states_at(directives, day)
    states: dict[int, str] = {}
    for d in directives:
        if d.closed_on is not None and d.closed_on <= day:
            states[d.pk] = Directive.State.DONE
            continue
        state = recorded.get(d.pk, d.state)
        # Closed after the day (or its record says done without the date): still open then.
        states[d.pk] = Directive.State.IN_PROGRESS if state == Directive.State.DONE else state
    return states


def recommendation_states_at(recommendations: list[Recommendation], day: dt.date) -> dict[int, str]:
    """Each recommendation's state at the end of the day: answered only if answered by then."""
    recorded = _recorded_states_at(recommendations, day)
    states: dict[int, str] = {}
    for r in recommendations:
        if not open_at(r, day):
            states[r.pk] = r.state
            continue
        state = recorded.get(r.pk, r.state)
        states[r.pk] = state if state in Recommendation.OPEN else Recommendation.State.ROUTED
    return states


def plan_items_in_status(
    items: QuerySet[PlanItem], statuses: Collection[PlanStatus], today: dt.date
) -> QuerySet[PlanItem]:
    """The items whose status today is one of `statuses`, computed item by item as every page
    shows it, so a filter never lists an item under a word its badge does not say."""
    rows = items.values_list("pk", "state", "deadline", "completed_on")
    keep = [
        pk
        for pk, state, deadline, completed_on in rows
        if plan_status(state, deadline, completed_on, today) in statuses
    ]
    return items.filter(pk__in=keep)
