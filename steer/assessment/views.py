"""Dashboards: the programme overview, an indicator's page, a unit's scorecard, units compared."""

import functools
from collections import Counter
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import get_object_or_404, render
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from steer.accounts.access import access_for
from steer.assessment import charts
from steer.assessment.attainment import SEVERITY, Status, tally
from steer.assessment.labels import STATUS_LABELS, status_label
from steer.assessment.models import Figure
from steer.assessment.selectors import (
    as_of_day,
    assess,
    carried,
    default_year,
    plan_counts,
    plan_statuses,
    programme_root,
    top_objective,
)
from steer.assessment.trend_chart import trend_spec
from steer.core.params import not_found, object_param, text_param, year_param
from steer.core.tables import Column, Table, download
from steer.programmes.models import Indicator, Programme
from steer.programmes.permissions import (
    visible_indicator_assignments,
    visible_plan_items,
    visible_targets,
)
from steer.programmes.selectors import viewable_programme
from steer.reporting.labels import period_label
from steer.reporting.periods import Period
from steer.steering.labels import PLAN_LABELS
from steer.steering.models import Directive, Recommendation
from steer.steering.permissions import visible_directives, visible_recommendations
from steer.steering.plan_status import PlanStatus
from steer.steering.tables import directive_table
from steer.units.models import OrgUnit, UnitLineage

MAX_COMPARED_INDICATORS = 40


def _year(request, programme: Programme, root: OrgUnit) -> int:
    """The year asked for, or the latest with figures (a year outside the programme: 404)."""
    year = year_param(request, programme.years())
    return default_year(programme, root) if year is None else year


def _labels() -> dict[str, str]:
    return {str(k): str(v) for k, v in STATUS_LABELS.items()}


def _plan_labels() -> dict[str, str]:
    return {str(k): str(v) for k, v in PLAN_LABELS.items()}


def _status(a) -> dict:
    return {"code": str(a.status), "label": str(status_label(a))}


def _final_target(a):
    return a.targets[a.final_year] if a.targets else None


def _forecast_cells(a) -> dict:
    f = a.forecast
    if f is None:
        return {"forecast": None, "low": None, "high": None, "reached": None, "shortfall": None}
    return {
        "forecast": _round(f.value),
        "low": _round(f.low),
        "high": _round(f.high),
        "reached": None if f.year_reached is None else str(f.year_reached),
        "shortfall": _round(f.shortfall) or None,
    }


def _round(x):
    return None if x is None else round(x, 2)


@functools.cache
def _indicator_path(slug: str, prefix: str) -> str:
    return reverse("indicator_detail", args=[slug, "~code~"])


def _indicator_url(indicator: Indicator) -> str:
    """indicator.get_absolute_url(), with the URL reversed once per programme: reversing it
    for each of a dashboard's few hundred rows was a tenth of the page's time."""
    path = _indicator_path(indicator.programme.slug, get_script_prefix())
    return path.replace("~code~", quote(indicator.code, safe="!$&'()*+,;=/~:@"))


def _indicator_row(a, unit_code=None) -> dict:
    indicator = a.indicator
    url = _indicator_url(indicator) + f"?year={a.year}"
    if unit_code:
        url += f"&unit={unit_code}"
    return {
        "code": indicator.code,
        "name": indicator.name,
        "url": url,
        "uom": indicator.unit_of_measure,
        "actual": _round(a.actual),
        "expected": _round(a.judgement.expected),
        "target": _final_target(a),
        "final_year": a.final_year,
        "status": _status(a),
        **_forecast_cells(a),
    }


def _indicator_columns(year: int) -> list[Column]:
    return [
        Column("code", _("Code"), link="url"),
        Column("name", _("Indicator"), link="url"),
        Column("uom", _("Unit of measure"), on_page=False),
        Column("actual", _("Figure %(year)s") % {"year": year}, "number"),
        Column("expected", _("Expected on the path"), "number"),
        Column("target", _("Final target"), "number"),
        Column("status", _("Status"), "status"),
        Column("forecast", _("Forecast for the final year"), "number"),
        Column("low", _("Forecast, low"), "number", on_page=False),
        Column("high", _("Forecast, high"), "number", on_page=False),
        Column("reached", _("Target reached in"), "text"),
        Column("shortfall", _("Shortfall"), "number", on_page=False),
    ]


def _summary(name: str, title: str, heading: str, buckets) -> Table:
    """How many of each bucket's (objective's, group's) indicators have each status."""
    labels = _labels()
    rows = []
    for bucket, assessments in buckets:
        counts = tally(a.status for a in assessments)
        total = sum(counts.values())
        rows.append(
            {
                "name": bucket,
                "share": _("%(x)s of %(y)s") % {"x": counts[Status.ACHIEVED], "y": total},
                **{str(k): v for k, v in counts.items()},
                "total": total,
            }
        )
    return Table(
        name,
        title,
        [Column("name", heading), Column("share", _("Achieved out of all"))]
        + [Column(str(s), labels[str(s)], "integer") for s in Status]
        + [Column("total", _("Indicators"), "integer")],
        rows,
    )


def _visible_children(programme: Programme, access, unit: OrgUnit) -> list[int]:
    """The units directly below `unit` whose figures the user may see."""
    children = OrgUnit.objects.filter(parent=unit)
    if not access.sees_whole_programme(programme):
        children = children.filter(pk__in=access.report_units(programme))
    return list(children.values_list("pk", flat=True))


@login_required
@require_safe
def overview(request, slug):
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    root = programme_root(programme)
    year = _year(request, programme, root)
    indicators = list(
        programme.indicators.select_related("group").order_by("group__order", "order", "code")
    )
    assessments = assess(programme, indicators, [root.pk], year, root.pk)
    rows = [assessments[(i.pk, root.pk)] for i in indicators]
    objectives = list(programme.objectives.order_by("order", "code"))
    parents = {o.pk: o.parent_id for o in objectives}
    by_objective: dict[int, list] = {}
    for a in rows:
        by_objective.setdefault(top_objective(a.indicator, parents), []).append(a)
    objective_rows = []
    for o in objectives:
        if o.parent_id is None:
            counts = tally(a.status for a in by_objective.get(o.pk, []))
            objective_rows.append(
                {
                    "objective": o,
                    "counts": counts,
                    "badges": [(str(s), STATUS_LABELS[s], n) for s, n in counts.items() if n],
                    "total": sum(counts.values()),
                }
            )
    counts = tally(a.status for a in rows)
    warnings = [
        a
        for a in rows
        if a.status in (Status.AT_RISK, Status.OFF_TRACK)
        or (a.forecast is not None and a.forecast.reaches_target is False)
    ]
    warnings.sort(key=lambda a: (SEVERITY.index(a.status), a.indicator.order, a.indicator.code))

    day = as_of_day(year)
    items = visible_plan_items(access, programme)
    plan = plan_counts(items, day)
    labels = _labels()
    table = Table(
        "indicators",
        _("Indicators in %(year)s") % {"year": year},
        _indicator_columns(year),
        [_indicator_row(a) for a in rows],
    )
    warning_table = Table(
        "warnings",
        _("Targets that will be hard to reach"),
        _indicator_columns(year),
        [_indicator_row(a) for a in warnings],
    )
    by_group: dict[int, list] = {}
    for a in rows:
        by_group.setdefault(a.indicator.group_id, []).append(a)
    objective_table = _summary(
        "objectives",
        _("Objectives"),
        _("Objective"),
        [(str(r["objective"]), by_objective.get(r["objective"].pk, [])) for r in objective_rows],
    )
    group_table = _summary(
        "groups",
        _("Indicator groups in %(year)s") % {"year": year},
        _("Indicator group"),
        [
            (str(g), by_group.get(g.pk, []))
            for g in programme.indicator_groups.order_by("order", "code")
        ],
    )
    plan_labels = _plan_labels()
    plan_table = Table(
        "plan",
        _("Plan items by status on %(day)s") % {"day": day.strftime("%d/%m/%Y")},
        [Column("status", _("Status")), Column("count", _("Items"), "integer")],
        [{"status": plan_labels[str(k)], "count": v} for k, v in plan.items()],
    )
    chart_specs = {
        "objectives": charts.status_bars(
            [
                {
                    "name": r["objective"].code + ". " + r["objective"].title[:60],
                    "status": str(s),
                    "count": n,
                }
                for r in objective_rows
                for s, n in r["counts"].items()
            ],
            labels,
            _("Indicators of each objective by status, %(year)s") % {"year": year},
            _("Indicators"),
        ),
        "plan": charts.plan_bars(
            {str(k): v for k, v in plan.items()},
            plan_labels,
            _("Plan items by status"),
            _("Items"),
        ),
    }
    tables = {t.name: t for t in (table, warning_table, objective_table, group_table, plan_table)}
    response = download(request, tables, chart_specs)
    if response:
        return response
    context = {
        "programme": programme,
        "root": root,
        "year": year,
        "years": list(programme.years()),
        "counts": [(str(s), labels[str(s)], counts[s]) for s in Status],
        "n_indicators": len(rows),
        "objectives": objective_rows,
        "tables": tables,
        "charts": chart_specs,
        "n_warnings": len(warnings),
        "plan": [(str(k), plan_labels[str(k)], v) for k, v in plan.items()],
        "day": day,
        "steering": programme.steering_members.select_related("unit"),
        "sees_all": access.sees_whole_programme(programme),
        "can_edit": access.can_edit_programme(programme),
        "user_unit": request.user.unit,
        "follow_up": follow_up(programme, access),
    }
    return render(request, "assessment/overview.html", context)


def follow_up(programme: Programme, access) -> dict:
    """Today's open and overdue directives and open recommendations the user may see."""
    today = timezone.localdate()
    open_ = visible_directives(access, programme).filter(state__in=Directive.OPEN)
    return {
        "open": open_.count(),
        "overdue": open_.filter(deadline__lt=today).count(),
        "recommendations": visible_recommendations(access, programme)
        .filter(state__in=Recommendation.OPEN)
        .count(),
    }


def _unit_for(request, programme, root) -> OrgUnit:
    unit = object_param(request, "unit", _("Unit"), OrgUnit.objects.all())
    if unit is None or unit == root:
        return root
    access = access_for(request.user)
    access.require(access.can_view_reports(programme, unit))
    return unit


@login_required
@require_safe
def indicator_page(request, slug, code):
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    indicator = get_object_or_404(
        Indicator.objects.select_related("group__objective", "weight_indicator"),
        programme=programme,
        code=code,
    )
    root = programme_root(programme)
    year = _year(request, programme, root)
    unit = _unit_for(request, programme, root)
    a = assess(programme, [indicator], [unit.pk], year, root.pk, full_history=True)
    a = a[(indicator.pk, unit.pk)]
    child_ids = list(
        Figure.objects.filter(
            indicator=indicator,
            period=str(year),
            option="",
            unit__in=_visible_children(programme, access, unit),
        ).values_list("unit", flat=True)
    )
    children = {u.pk: u for u in OrgUnit.objects.filter(pk__in=child_ids)}
    child_assessments = assess(programme, [indicator], child_ids, year, root.pk, forecasts=False)
    labels = _labels()
    breakdown_rows = []
    for unit_id, ca in sorted(child_assessments.items(), key=lambda kv: children[kv[0][1]].code):
        child = children[unit_id[1]]
        breakdown_rows.append(
            {
                "unit": child.name,
                "code": child.code,
                "url": f"?year={year}&unit={child.code}",
                "actual": _round(ca.actual),
                "target": ca.targets.get(year) if ca.targets else None,
                "expected": _round(ca.judgement.expected),
                "status": _status(ca),
            }
        )
    breakdown = Table(
        "units",
        _("%(unit)s: figures of the units below it, %(year)s") % {"unit": unit.name, "year": year},
        [
            Column("code", _("Code")),
            Column("unit", _("Unit"), link="url"),
            Column("actual", _("Figure"), "number"),
            Column("target", _("Target %(year)s") % {"year": year}, "number"),
            Column("expected", _("Expected on the path"), "number"),
            Column("status", _("Status"), "status"),
        ],
        breakdown_rows,
    )
    option_rows = [
        {"option": o.name, "value": _round(v)} for o, v in _options_of(indicator, unit, year)
    ]
    options = Table(
        "parts",
        _("By part, %(year)s") % {"year": year},
        [Column("option", _("Part")), Column("value", _("Figure"), "number")],
        option_rows,
    )
    history = Table(
        "history",
        _("Figures of %(unit)s by period") % {"unit": unit.name},
        [Column("period", _("Period")), Column("value", _("Figure"), "number")],
        [
            {"period": period_label(Period.parse(code)), "value": _round(v)}
            for code, _t, v in a.history
        ],
    )
    chart_specs = {
        "trend": trend_spec(a, indicator, unit),
        "units": charts.unit_bars(
            [
                {"unit": r["unit"], "value": r["actual"], "status": r["status"]["code"]}
                for r in breakdown_rows
            ],
            labels,
            title=breakdown.title,
            unit_of_measure=indicator.unit_of_measure,
        ),
    }
    tables = {t.name: t for t in (breakdown, options, history)}
    response = download(request, tables, chart_specs)
    if response:
        return response
    targets = visible_targets(access, programme).filter(indicator=indicator).select_related("unit")
    context = {
        "programme": programme,
        "indicator": indicator,
        "year": year,
        "years": list(programme.years()),
        "unit": unit,
        "root": root,
        "keep": [] if unit == root else [("unit", unit.code)],
        "trail": [
            u
            for u in reversed(unit.ancestors())
            if access.can_view_reports(programme, u) or u == root
        ],
        "a": a,
        "actual": _round(a.actual),
        "status": _status(a),
        "tables": tables,
        "charts": chart_specs,
        "city_targets": [t for t in targets if t.unit_id is None],
        "unit_targets": [t for t in targets if t.unit_id is not None],
        "assignments": visible_indicator_assignments(access, programme)
        .filter(indicator=indicator)
        .select_related("unit__unit_type"),
        "plan_items": visible_plan_items(access, programme)
        .filter(indicators=indicator)
        .select_related("lead_unit"),
    }
    return render(request, "assessment/indicator.html", context)


def _options_of(indicator: Indicator, unit: OrgUnit, year: int):
    """The year's figure of each part of the indicator (a breakdown), in the options' order."""
    values = dict(
        Figure.objects.filter(indicator=indicator, unit=unit, period=str(year))
        .exclude(option="")
        .values_list("option", "value")
    )
    if not values:
        return []
    line = indicator.form_lines.select_related("breakdown").filter(breakdown__isnull=False).first()
    options = list(line.breakdown.options.all()) if line else []
    return [(o, values[o.code]) for o in options if o.code in values]


def _indicators_of(programme: Programme, unit: OrgUnit, lineage) -> list[Indicator]:
    """The indicators a unit has figures, an assignment or a target for, or whose figures of
    the units it was formed from or went into (its lineage links) can be carried to it."""
    linked = {unit.pk} | {link.predecessor_id for link in lineage}
    linked |= {link.successor_id for link in lineage}
    # Every figure has its year's figure beside it, so the years' codes find every indicator.
    years = [str(y) for y in range(programme.start_year - 1, programme.end_year + 1)]
    ids = set(
        Figure.objects.filter(unit__in=linked, period__in=years)
        .values_list("indicator", flat=True)
        .distinct()
    )
    ids |= set(unit.indicator_assignments.values_list("indicator", flat=True))
    ids |= set(unit.targets.values_list("indicator", flat=True))
    return list(
        programme.indicators.filter(pk__in=ids)
        .select_related("group")
        .order_by("group__order", "order", "code")
    )


@login_required
@require_safe
def scorecard(request, slug, unit_code):
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    unit = get_object_or_404(OrgUnit.objects.select_related("unit_type", "parent"), code=unit_code)
    access.require(access.can_view_reports(programme, unit))
    root = programme_root(programme)
    year = _year(request, programme, root)
    lineage = list(
        UnitLineage.objects.filter(Q(predecessor=unit) | Q(successor=unit)).select_related(
            "predecessor", "successor"
        )
    )
    indicators = _indicators_of(programme, unit, lineage)
    assessments = assess(programme, indicators, [unit.pk], year, root.pk)
    rows = [assessments[(i.pk, unit.pk)] for i in indicators]
    labels = _labels()
    counts = tally(a.status for a in rows)
    day = as_of_day(year)
    items = list(
        visible_plan_items(access, programme)
        .involving(unit)
        .select_related("lead_unit")
        .order_by("code")
    )
    statuses = plan_statuses(items, day)
    plan_labels = _plan_labels()
    plan_rows = [
        {
            "code": item.code,
            "title": item.title,
            "url": item.get_absolute_url(),
            "role": _("lead") if item.lead_unit_id == unit.pk else _("takes part"),
            "deadline": item.deadline,
            "completed": item.completed_on,
            "status": {
                "code": str(statuses[item.pk]),
                "label": plan_labels[str(statuses[item.pk])],
            },
        }
        for item in items
    ]
    table = Table(
        "indicators",
        _("%(unit)s: indicators in %(year)s") % {"unit": unit.name, "year": year},
        _indicator_columns(year),
        [_indicator_row(a, unit.code) for a in rows],
    )
    plan_table = Table(
        "plan",
        _("%(unit)s: plan items on %(day)s") % {"unit": unit.name, "day": day.strftime("%d/%m/%Y")},
        [
            Column("code", _("Code"), link="url"),
            Column("title", _("Plan item"), link="url"),
            Column("role", _("Role")),
            Column("deadline", _("Deadline"), "date"),
            Column("completed", _("Completed on"), "date"),
            Column("status", _("Status"), "status"),
        ],
        plan_rows,
    )
    carried_rows = []
    for indicator_id, pairs in carried(unit, indicators, year).items():
        indicator = next(i for i in indicators if i.pk == indicator_id)
        for code, value in pairs:
            carried_rows.append(
                {
                    "code": indicator.code,
                    "name": indicator.name,
                    "period": period_label(Period.parse(code)),
                    "value": _round(value),
                    "uom": indicator.unit_of_measure,
                }
            )
    lineage_table = Table(
        "lineage",
        _("%(unit)s: figures carried through the restructuring (estimates)") % {"unit": unit.name},
        [
            Column("code", _("Code")),
            Column("name", _("Indicator")),
            Column("period", _("Period")),
            Column("value", _("Estimated figure"), "number"),
            Column("uom", _("Unit of measure")),
        ],
        carried_rows,
    )
    directives = (
        Directive.objects.filter(programme=programme, assignees=unit)
        .prefetch_related("assignees")
        .order_by("-deadline")
    )
    directives_table = directive_table(
        "directives",
        _("%(unit)s: directives") % {"unit": unit.name},
        directives,
        timezone.localdate(),
    )
    tables = {t.name: t for t in (table, plan_table, lineage_table, directives_table)}
    response = download(request, tables)
    if response:
        return response
    context = {
        "programme": programme,
        "unit": unit,
        "year": year,
        "years": list(programme.years()),
        "counts": [(str(s), labels[str(s)], counts[s]) for s in Status],
        "plan": [
            (str(s), plan_labels[str(s)], sum(1 for v in statuses.values() if v == s))
            for s in PlanStatus
        ],
        "tables": tables,
        "predecessors": [link for link in lineage if link.successor_id == unit.pk],
        "successors": [link for link in lineage if link.predecessor_id == unit.pk],
        "day": day,
    }
    return render(request, "assessment/scorecard.html", context)


@login_required
@require_safe
def compare(request, slug):
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    root = programme_root(programme)
    year = _year(request, programme, root)
    parent = object_param(request, "parent", _("Unit"), OrgUnit.objects.all()) or root
    access.require(access.can_view_reports(programme, parent) or parent == root)
    child_ids = _visible_children(programme, access, parent)
    all_indicators = {
        i.pk: i for i in programme.indicators.select_related("group").order_by("order", "code")
    }
    present = set(
        Figure.objects.filter(
            unit__in=child_ids, period=str(year), option="", indicator__in=list(all_indicators)
        ).values_list("indicator", "unit")
    )
    present_ids = {indicator_id for indicator_id, _unit in present}
    indicators = [i for pk, i in all_indicators.items() if pk in present_ids]
    indicators.sort(key=lambda i: (i.group.order, i.order, i.code))
    groups = sorted({i.group for i in indicators}, key=lambda g: (g.order, g.code))
    group = None
    code = text_param(request, "group", _("Indicator group"))
    if code:
        group = next((g for g in groups if g.code == code), None)
        if group is None:
            raise not_found(_("Indicator group"), code)
    if group is None and len(indicators) > MAX_COMPARED_INDICATORS and groups:
        group = groups[0]
    if group is not None:
        indicators = [i for i in indicators if i.group_id == group.pk]
    else:
        # Departments report city-wide figures, districts their own: without a chosen group,
        # show what most of the units report, not one sparse column per department.
        reporters = Counter(indicator_id for indicator_id, _unit in present)
        enough = len({u for _p, u in present}) / 3
        indicators = [i for i in indicators if reporters[i.pk] >= enough]
    shown = {i.pk for i in indicators}
    unit_ids = {u for p, u in present if p in shown}
    units = list(OrgUnit.objects.filter(pk__in=unit_ids).order_by("code"))
    assessments = assess(
        programme, indicators, [u.pk for u in units], year, root.pk, forecasts=False
    )
    labels = _labels()
    rows = []
    grid = []
    for u in units:
        row = {
            "code": u.code,
            "unit": u.name,
            "url": reverse("scorecard", args=[programme.slug, u.code]) + f"?year={year}",
        }
        statuses = []
        for i in indicators:
            a = assessments[(i.pk, u.pk)]
            row[i.code] = _round(a.actual)
            statuses.append(a.status)
            grid.append(
                {
                    "unit": u.name,
                    "indicator": i.code,
                    "status": str(a.status),
                    "value": _round(a.actual),
                }
            )
        c = tally(statuses)
        row["achieved"] = c[Status.ACHIEVED] + c[Status.ON_TRACK]
        row["judged"] = sum(c.values()) - c[Status.NO_DATA]
        rows.append(row)
    columns = [Column("code", _("Code")), Column("unit", _("Unit"), link="url")]
    for i in indicators:
        columns.append(Column(i.code, f"{i.code} ({i.unit_of_measure})", "number"))
    columns += [
        Column("achieved", _("Achieved or on track"), "integer"),
        Column("judged", _("With a target and a figure"), "integer"),
    ]
    table = Table(
        "units",
        _("Units under %(unit)s compared, %(year)s") % {"unit": parent.name, "year": year},
        columns,
        rows,
    )
    chart_specs = {
        "grid": charts.status_grid(grid, labels, title=table.title),
    }
    tables = {"units": table}
    response = download(request, tables, chart_specs)
    if response:
        return response
    context = {
        "programme": programme,
        "year": year,
        "years": list(programme.years()),
        "parent": parent,
        "parents": _parents(programme, access, root),
        "groups": groups,
        "group": group,
        "indicators": indicators,
        "tables": tables,
        "charts": chart_specs,
    }
    return render(request, "assessment/compare.html", context)


def _parents(programme, access, root) -> list[OrgUnit]:
    """The units whose sub-units can be compared: the root and, below it, units with sub-units."""
    below = OrgUnit.objects.filter(parent=root, children__isnull=False).distinct()
    if not access.sees_whole_programme(programme):
        below = below.filter(pk__in=access.report_units(programme))
    return [root, *below.order_by("code")]
