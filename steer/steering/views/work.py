"""Views across the steering records: my work, overdue everything, the timeline of plan items,
the calendar of deadlines, priorities for the next work programme, notifications."""

import calendar as cal
import datetime as dt
from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from steer.accounts.access import access_for
from steer.core.params import month_param
from steer.core.tables import Column, Table, download
from steer.programmes.models import PlanItem
from steer.programmes.permissions import visible_plan_items
from steer.programmes.selectors import viewable_programme
from steer.reporting.models import ReportForm
from steer.reporting.selectors import form_status
from steer.steering import charts
from steer.steering.labels import PLAN_LABELS
from steer.steering.models import Directive, Inspection, Notification, Recommendation
from steer.steering.permissions import visible_directives, visible_inspections
from steer.steering.plan_status import PlanStatus, plan_status
from steer.steering.tables import DONE_STATES, directive_table


def _plan_rows(items, today) -> list[dict]:
    rows = []
    for item in items:
        status = plan_status(item.state, item.deadline, item.completed_on, today)
        rows.append(
            {
                "item": item,
                "code": item.code,
                "title": item.title,
                "url": item.get_absolute_url(),
                "lead": str(item.lead_unit),
                "start": item.start_date,
                "baseline": item.baseline_deadline or item.deadline,
                "deadline": item.deadline,
                "completed": item.completed_on,
                "status": {"code": str(status), "label": str(PLAN_LABELS[str(status)])},
                "days_late": (today - item.deadline).days if status == PlanStatus.OVERDUE else 0,
            }
        )
    return rows


def _plan_table(name: str, title: str, rows) -> Table:
    return Table(
        name,
        title,
        [
            Column("code", _("Code"), link="url"),
            Column("title", _("Plan item"), link="url"),
            Column("lead", _("Lead unit")),
            Column("start", _("Start"), "date", on_page=False),
            Column("baseline", _("Original deadline"), "date"),
            Column("deadline", _("Deadline"), "date"),
            Column("completed", _("Completed on"), "date", on_page=False),
            Column("status", _("Status"), "status"),
        ],
        rows,
    )


def _recommendation_table(name: str, title: str, rows) -> Table:
    return Table(
        name,
        title,
        [
            Column("code", _("Code"), link="url"),
            Column("content", _("Recommendation"), link="url"),
            Column("unit", _("Raised by")),
            Column("raised_on", _("Raised on"), "date"),
            Column("status", _("Status"), "status"),
        ],
        [
            {
                "code": r.code,
                "url": r.get_absolute_url(),
                "content": r.content,
                "unit": str(r.unit),
                "raised_on": r.raised_on,
                "status": {"code": r.state, "label": r.get_state_display()},
            }
            for r in rows
        ],
    )


@login_required
@require_safe
def my_work(request, slug):
    """What is assigned to my unit and due; on the steering side, what waits for me."""
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    today = timezone.localdate()
    units = access.own_unit_ids
    tables = {}
    directives = (
        Directive.objects.filter(programme=programme, state__in=Directive.OPEN, assignees__in=units)
        .distinct()
        .prefetch_related("assignees")
        .order_by("deadline", "number")
    )
    tables["directives"] = directive_table(
        "directives", _("Directives to carry out"), directives, today
    )
    items = (
        PlanItem.objects.filter(programme=programme)
        .involving(units)
        .exclude(state__in=DONE_STATES)
        .select_related("lead_unit", "programme")
        .order_by("deadline", "code")
    )
    tables["plan"] = _plan_table("plan", _("Plan items under way"), _plan_rows(items, today))
    mine = Recommendation.objects.filter(
        programme=programme, unit__in=units, state__in=Recommendation.OPEN
    ).select_related("unit", "programme")
    tables["recommendations"] = _recommendation_table(
        "recommendations", _("Our open recommendations"), mine
    )
    if access.can_direct(programme):
        waiting = (
            Directive.objects.filter(programme=programme, state=Directive.State.REPORTED_DONE)
            .prefetch_related("assignees")
            .order_by("deadline")
        )
        tables["to_accept"] = directive_table(
            "to_accept", _("Reported done, waiting for acceptance"), waiting, today
        )
    if access.can_synthesise(programme):
        new = Recommendation.objects.filter(
            programme=programme, state=Recommendation.State.NEW
        ).select_related("unit", "programme")
        tables["to_route"] = _recommendation_table(
            "to_route", _("New recommendations to assess and forward"), new
        )
    inspections = visible_inspections(access, programme).exclude(state=Inspection.State.CONCLUDED)
    if not access.can_inspect(programme):
        inspections = inspections.filter(visits__unit__in=units).distinct()
    response = download(request, tables)
    if response:
        return response
    context = {
        "programme": programme,
        "tables": tables,
        "inspections": inspections.order_by("start"),
        "has_unit": bool(units),
    }
    return render(request, "steering/my_work.html", context)


def overdue_reports(programme, access, today) -> list[dict]:
    """For each form, the latest period whose deadline has passed: units yet to report."""
    rows = []
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
                        "period": period.code,
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


@login_required
@require_safe
def overdue(request, slug):
    """Everything overdue that the user may see: directives, plan items, reports."""
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    today = timezone.localdate()
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
    reports = overdue_reports(programme, access, today)
    tables = {
        "directives": directive_table("directives", _("Overdue directives"), directives, today),
        "plan": _plan_table("plan", _("Overdue plan items"), _plan_rows(items, today)),
        "reports": Table(
            "reports",
            _("Overdue reports"),
            [
                Column("form", _("Report form")),
                Column("period", _("Period")),
                Column("unit", _("Unit"), link="url"),
                Column("deadline", _("Deadline"), "date"),
                Column("days", _("Days late"), "integer"),
            ],
            reports,
        ),
    }
    response = download(request, tables)
    if response:
        return response
    return render(request, "steering/overdue.html", {"programme": programme, "tables": tables})


@login_required
@require_safe
def timeline(request, slug):
    """Plan items from start to deadline, the original deadline marked where it moved."""
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    today = timezone.localdate()
    items = (
        visible_plan_items(access, programme)
        .filter(parent__isnull=True)
        .select_related("lead_unit", "programme")
        .order_by("start_date", "code")
    )
    rows = _plan_rows(items, today)
    table = _plan_table("timeline", _("Plan items: start, original and current deadline"), rows)
    spec = charts.timeline(
        [
            {
                "code": r["code"],
                "title": r["title"],
                "start": r["start"].isoformat(),
                "end": (r["completed"] or r["deadline"]).isoformat(),
                "deadline": r["deadline"].isoformat(),
                "baseline": r["baseline"].isoformat(),
                "moved": r["baseline"] != r["deadline"],
                "label": r["status"]["label"],
                "status": r["status"]["code"],
            }
            for r in rows
        ],
        today.isoformat(),
        {str(s): str(PLAN_LABELS[str(s)]) for s in PlanStatus},
        title=_("Timeline of the plan items"),
        texts={"today": _("Today"), "baseline": _("Original deadline")},
    )
    response = download(request, {"timeline": table}, {"timeline": spec})
    if response:
        return response
    context = {"programme": programme, "table": table, "spec": spec}
    return render(request, "steering/timeline.html", context)


@login_required
@require_safe
def calendar(request, slug):
    """The month's deadlines: directives, plan items, reports, inspections."""
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    today = timezone.localdate()
    first = month_param(request) or today.replace(day=1)
    last = first.replace(day=cal.monthrange(first.year, first.month)[1])
    days: dict[dt.date, list[dict]] = defaultdict(list)
    for d in visible_directives(access, programme).filter(deadline__range=(first, last)):
        days[d.deadline].append(
            {
                "kind": _("Directive"),
                "text": f"{d.code}. {d.content}",
                "url": d.get_absolute_url(),
                "status": "done" if d.state == Directive.State.DONE else d.state,
            }
        )
    for item in visible_plan_items(access, programme).filter(deadline__range=(first, last)):
        days[item.deadline].append(
            {
                "kind": _("Plan item"),
                "text": str(item),
                "url": item.get_absolute_url(),
                "status": str(plan_status(item.state, item.deadline, item.completed_on, today)),
            }
        )
    for inspection in visible_inspections(access, programme).filter(
        start__lte=last, end__gte=first
    ):
        days[max(inspection.start, first)].append(
            {
                "kind": _("Inspection"),
                "text": inspection.title,
                "url": inspection.get_absolute_url(),
                "status": inspection.state,
            }
        )
    for form in ReportForm.objects.filter(programme=programme):
        for period in form.periods():
            deadline = form.deadline(period)
            if first <= deadline <= last:
                days[deadline].append(
                    {
                        "kind": _("Report deadline"),
                        "text": f"{form.name} ({period.code})",
                        "url": reverse("form_status", args=[programme.slug, form.code]),
                        "status": "",
                    }
                )
    weeks = cal.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    following = last + dt.timedelta(days=1)
    context = {
        "programme": programme,
        "month": first,
        "title": date_format(first, "F Y"),
        "weeks": [[(day, days.get(day, []), day.month == first.month) for day in w] for w in weeks],
        "listing": sorted((d, entries) for d, entries in days.items()),
        "previous": previous.strftime("%Y-%m"),
        "following": following.strftime("%Y-%m"),
        "today": today,
    }
    return render(request, "steering/calendar.html", context)


@login_required
def notifications(request):
    rows = Notification.objects.filter(user=request.user)
    if request.method == "POST":
        rows.filter(read_at__isnull=True).update(read_at=timezone.now())
        messages.success(request, _("All notifications are marked as read."))
        return redirect("notifications")
    return render(
        request,
        "steering/notifications.html",
        {"notifications": rows[:200], "unread": rows.filter(read_at__isnull=True).count()},
    )
