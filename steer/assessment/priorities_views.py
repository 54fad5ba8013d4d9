"""Priorities for the next work programme: the steering records and the targets off track or
at risk, scored (the scoring is `steer.steering.priorities`)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from steer.accounts.access import access_for
from steer.assessment.attainment import SHORT, Status
from steer.assessment.selectors import assess, programme_root
from steer.core.numbers import number_text
from steer.core.params import int_param
from steer.core.tables import Column, Table, download
from steer.core.templatetags.steer import separators_of
from steer.programmes.models import Indicator, PlanItem
from steer.programmes.permissions import visible_plan_items
from steer.programmes.selectors import viewable_programme
from steer.steering import priorities
from steer.steering.models import Directive, Recommendation
from steer.steering.permissions import visible_directives, visible_recommendations
from steer.steering.tables import DONE_STATES

REASONS = {
    "overdue": lambda v: ngettext("%(days)d day overdue", "%(days)d days overdue", v["days"]) % v,
    "many_units": lambda v: _("assigned to %(units)d units") % v,
    "under_way": lambda v: _("work is under way"),
    "off_track": lambda v: _("target off track"),
    "at_risk": lambda v: _("target at risk"),
    "missed": lambda v: _("the %(year)d target was not achieved") % v,
    "missed_by": lambda v: (
        _("the %(year)d target of %(target)s was not achieved: %(reached)s, %(percent)s %% short")
        % {
            "year": v["year"],
            "target": _figure(v["target"]),
            "reached": _figure(v["reached"]),
            "percent": _figure(v["percent"]),
        }
    ),
    "years_left": lambda v: (
        ngettext(
            "%(years)d year left to the target", "%(years)d years left to the target", v["years"]
        )
        % v
    ),
    "gap": lambda v: _("forecast falls %(percent)d %% short") % v,
    "open_for": lambda v: (
        ngettext("open for %(days)d day", "open for %(days)d days", v["days"]) % v
    ),
    "bottleneck": lambda v: _("a bottleneck"),
    "progress": lambda v: _("%(percent)s %% done") % v,
}


def _figure(value: float) -> str:
    return number_text(value, 2, separators_of(get_language()), trim=True)


KIND_LABELS = {
    "directive": _("Directive"),
    "indicator": _("Target"),
    "recommendation": _("Recommendation"),
    "plan_item": _("Plan item"),
}


def candidates(programme, access, today) -> list[priorities.Candidate]:
    """Everything that could go into the next work programme, scored."""
    found = []
    for d in (
        visible_directives(access, programme)
        .filter(state__in=Directive.OPEN, deadline__lt=today)
        .prefetch_related("assignees")
    ):
        found.append(
            priorities.directive(
                d.code,
                d.content,
                days_late=(today - d.deadline).days,
                steering_level=d.source != Directive.Source.DOCUMENT,
                assignees=len(d.assignees.all()),
                under_way=d.state != Directive.State.NEW,
                url=d.get_absolute_url(),
            )
        )
    found += _targets(programme, today)
    for r in visible_recommendations(access, programme).filter(state__in=Recommendation.OPEN):
        found.append(
            priorities.recommendation(
                r.code,
                r.content,
                days_open=(today - r.raised_on).days,
                bottleneck=r.is_bottleneck,
                category=r.category,
                url=r.get_absolute_url(),
            )
        )
    items = (
        visible_plan_items(access, programme)
        .filter(deadline__lt=today)
        .exclude(state__in=DONE_STATES)
        .prefetch_related("progress_reports")
    )
    for item in items:
        reports = sorted(item.progress_reports.all(), key=lambda r: r.reported_at)
        found.append(
            priorities.plan_item(
                item.code,
                item.title,
                days_late=(today - item.deadline).days,
                major=item.kind != PlanItem.Kind.TASK,
                percent=float(reports[-1].percent) if reports else None,
                url=item.get_absolute_url(),
            )
        )
    return found


def _targets(programme, today) -> list[priorities.Candidate]:
    """The programme's targets off track or at risk, and those missed (their year past)."""
    found = []
    root = programme_root(programme)
    year = min(max(today.year, programme.start_year), programme.end_year)
    indicators = list(programme.indicators.all())
    for a in assess(programme, indicators, [root.pk], year, root.pk).values():
        if a.status not in SHORT or not a.targets:
            continue
        final = max(a.targets)
        if final < today.year and a.forecast is None and a.status == Status.AT_RISK:
            continue
        gap = None
        if a.forecast is not None and a.targets[final]:
            gap = abs(a.forecast.shortfall or 0) / abs(a.targets[final])
        reached = a.actual if a.year == final else None
        if reached is not None and a.indicator.value_type == Indicator.ValueType.INTEGER:
            reached = round(reached)
        found.append(
            priorities.indicator(
                a.indicator.code,
                a.indicator.name,
                off_track=a.status in (Status.OFF_TRACK, Status.MISSED),
                final_year=final,
                this_year=today.year,
                gap_share=gap,
                reached=reached,
                target=a.targets[final],
                higher_is_better=a.indicator.direction == Indicator.Direction.HIGHER,
                url=a.indicator.get_absolute_url(),
            )
        )
    return found


@login_required
@require_safe
def priorities_view(request, slug):
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    today = timezone.localdate()
    limit = int_param(request, "limit", _("How many"), 3, 50) or 10
    found = candidates(programme, access, today)
    ranked = priorities.rank(found, limit)
    rows = [
        {
            "rank": n,
            "kind": str(KIND_LABELS[c.kind]),
            "code": c.key,
            "title": c.title,
            "url": c.url,
            "score": c.score,
            "urgency": c.urgency,
            "impact": c.impact,
            "feasibility": c.feasibility,
            "gap": None if c.gap_share is None else round(c.gap_share * 100, 1),
            "days_overdue": c.days_overdue,
            "reasons": "; ".join(REASONS[key](values) for key, values in c.reasons),
        }
        for n, c in enumerate(ranked, start=1)
    ]
    table = Table(
        "priorities",
        _("Priorities for the next work programme"),
        [
            Column("rank", _("Rank"), "integer"),
            Column("kind", _("Kind")),
            Column("code", _("Code"), link="url"),
            Column("title", _("Issue"), link="url"),
            Column("score", _("Score"), "number"),
            Column("urgency", _("Urgency"), "integer"),
            Column("impact", _("Impact"), "integer"),
            Column("feasibility", _("Feasibility"), "integer"),
            Column("gap", _("Short of the target (%)"), "percent"),
            Column("days_overdue", _("Days overdue"), "integer"),
            Column("reasons", _("Why")),
        ],
        rows,
    )
    response = download(request, {"priorities": table})
    if response:
        return response
    context = {
        "programme": programme,
        "table": table,
        "considered": len(found),
        "limit": limit,
        "weights": priorities.WEIGHTS,
    }
    return render(request, "steering/priorities.html", context)
