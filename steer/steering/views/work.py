"""Views across the steering records: my work, overdue everything, the timeline of plan items,
the calendar of deadlines, priorities for the next work programme, notifications."""

import calendar as cal
import datetime as dt
from collections.abc import Iterable

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from steer.accounts.access import access_for
from steer.core.params import month_param
from steer.core.tables import Column, Table, download
from steer.programmes.models import PlanItem
from steer.programmes.selectors import viewable_programme
from steer.steering import charts, selectors
from steer.steering.labels import PLAN_LABELS
from steer.steering.models import Recommendation
from steer.steering.plan_status import PlanStatus, days_overdue, plan_status
from steer.steering.tables import directive_table


def _plan_rows(items: Iterable[PlanItem], today: dt.date) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
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
                "status": {"code": str(status), "label": str(PLAN_LABELS[status])},
                "days_late": days_overdue(status, item.deadline, today),
            }
        )
    return rows


def _timeline_bar(item: PlanItem, today: dt.date) -> dict[str, object]:
    status = plan_status(item.state, item.deadline, item.completed_on, today)
    baseline = item.baseline_deadline or item.deadline
    return {
        "code": item.code,
        "title": item.title,
        "start": item.start_date.isoformat(),
        "end": (item.completed_on or item.deadline).isoformat(),
        "deadline": item.deadline.isoformat(),
        "baseline": baseline.isoformat(),
        "moved": baseline != item.deadline,
        "label": str(PLAN_LABELS[status]),
        "status": str(status),
    }


def _plan_table(name: str, title: str, rows: list[dict[str, object]]) -> Table:
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


def _recommendation_table(name: str, title: str, rows: Iterable[Recommendation]) -> Table:
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
def my_work(request: HttpRequest, slug: str) -> HttpResponse:
    """What is assigned to my unit and due; on the steering side, what waits for me."""
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    today = timezone.localdate()
    work = selectors.my_work(access=access, programme=programme)
    tables = {
        "directives": directive_table(
            "directives", _("Directives to carry out"), work.directives, today
        ),
        "plan": _plan_table("plan", _("Plan items under way"), _plan_rows(work.plan_items, today)),
        "recommendations": _recommendation_table(
            "recommendations", _("Our open recommendations"), work.recommendations
        ),
    }
    if work.to_accept is not None:
        tables["to_accept"] = directive_table(
            "to_accept", _("Reported done, waiting for acceptance"), work.to_accept, today
        )
    if work.to_route is not None:
        tables["to_route"] = _recommendation_table(
            "to_route", _("New recommendations to assess and forward"), work.to_route
        )
    response = download(request, tables)
    if response:
        return response
    context = {
        "programme": programme,
        "tables": tables,
        "inspections": work.inspections,
        "has_unit": work.has_unit,
    }
    return render(request, "steering/my_work.html", context)


@login_required
@require_safe
def overdue(request: HttpRequest, slug: str) -> HttpResponse:
    """Everything overdue that the user may see: directives, plan items, reports."""
    programme = viewable_programme(request, slug)
    today = timezone.localdate()
    late = selectors.overdue(access=access_for(request.user), programme=programme, today=today)
    tables = {
        "directives": directive_table(
            "directives", _("Overdue directives"), late.directives, today
        ),
        "plan": _plan_table("plan", _("Overdue plan items"), _plan_rows(late.plan_items, today)),
        "reports": Table(
            "reports",
            _("Overdue reports"),
            [
                Column("form", _("Report form")),
                Column("period", _("Reporting period")),
                Column("unit", _("Unit"), link="url"),
                Column("deadline", _("Deadline"), "date"),
                Column("days", _("Days late"), "integer"),
            ],
            late.reports,
        ),
    }
    response = download(request, tables)
    if response:
        return response
    return render(request, "steering/overdue.html", {"programme": programme, "tables": tables})


@login_required
@require_safe
def timeline(request: HttpRequest, slug: str) -> HttpResponse:
    """Plan items from start to deadline, the original deadline marked where it moved."""
    programme = viewable_programme(request, slug)
    today = timezone.localdate()
    items = selectors.timeline_items(access=access_for(request.user), programme=programme)
    rows = _plan_rows(items, today)
    table = _plan_table("timeline", _("Plan items: start, original and current deadline"), rows)
    spec = charts.timeline(
        [_timeline_bar(item, today) for item in items],
        today.isoformat(),
        {str(s): str(PLAN_LABELS[s]) for s in PlanStatus},
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
def calendar(request: HttpRequest, slug: str) -> HttpResponse:
    """The month's deadlines: directives, plan items, reports, inspections."""
    programme = viewable_programme(request, slug)
    today = timezone.localdate()
    first = month_param(request) or today.replace(day=1)
    last = first.replace(day=cal.monthrange(first.year, first.month)[1])
    days = selectors.deadlines_between(
        access=access_for(request.user), programme=programme, first=first, last=last, today=today
    )
    weeks = cal.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    following = last + dt.timedelta(days=1)
    context = {
        "programme": programme,
        "month": first,
        "title": date_format(first, "F Y"),
        "weeks": [[(day, days.get(day, []), day.month == first.month) for day in w] for w in weeks],
        "listing": sorted(days.items(), key=lambda pair: pair[0]),
        "previous": previous.strftime("%Y-%m"),
        "following": following.strftime("%Y-%m"),
        "today": today,
    }
    return render(request, "steering/calendar.html", context)
