"""Ranking pages: the frameworks, a year's results with rank intervals, each unit's profile
(why its rank changed, strengths and weaknesses, what it would take to rise), the annex."""

import io
import math

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from openpyxl import Workbook

from steer.composite import CompositeError
from steer.composite.audit import cronbach_by_group, indicator_stats
from steer.composite.explain import change_decomposition, strengths_weaknesses, what_if
from steer.composite.uncertainty import run_sensitivity
from steer.core.files import attachment
from steer.core.params import BadParameter, int_param
from steer.core.tables import Column, Table, download
from steer.programmes.selectors import viewable_programme
from steer.ranking import charts
from steer.ranking.compute import ASSUMPTIONS, compute, previous_scores
from steer.ranking.models import Framework

SENSITIVITY_N = 200  # N(d + 2) runs: 1,200 for the four assumptions varied


def _framework(request, slug, code, year) -> Framework:
    programme = viewable_programme(request, slug)
    return get_object_or_404(
        Framework.objects.select_related("programme", "frozen_by"),
        programme=programme,
        code=code,
        year=year,
    )


def _ranking_or_error(framework: Framework):
    try:
        return compute(framework), None
    except CompositeError as error:
        return None, str(error)


@login_required
@require_safe
def ranking_list(request, slug):
    programme = viewable_programme(request, slug)
    frameworks = Framework.objects.filter(programme=programme).order_by("code", "-year")
    groups: dict[str, list[Framework]] = {}
    for f in frameworks:
        groups.setdefault(f.code, []).append(f)
    return render(
        request,
        "ranking/list.html",
        {"programme": programme, "groups": list(groups.values())},
    )


def _round(x):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 2)


@login_required
@require_safe
def ranking_detail(request, slug, code, year):
    framework = _framework(request, slug, code, year)
    programme = framework.programme
    ranking, error = _ranking_or_error(framework)
    if ranking is None:
        return render(
            request,
            "ranking/detail.html",
            {"programme": programme, "framework": framework, "error": error},
        )
    result = ranking.result
    agg = result.aggregated
    meta = result.framework
    pillars = meta.level(meta.top_level - 1) if meta.top_level > 2 else []
    scores, ranks = result.scores(), result.ranks()
    intervals = ranking.intervals
    last = previous_scores(framework, ranking)
    rows = []
    for i, unit in enumerate(agg.units):
        row = {
            "rank": int(ranks[i]),
            "unit": ranking.units[unit].name,
            "url": f"{framework.get_absolute_url()}{unit}/",
            "score": _round(scores[i]),
            "low": int(intervals.q05_rank[i]),
            "high": int(intervals.q95_rank[i]),
            "interval": f"{int(intervals.q05_rank[i])}–{int(intervals.q95_rank[i])}",
            "last_rank": last.ranks.get(unit),
            "change": (last.ranks[unit] - int(ranks[i])) if unit in last.ranks else None,
            "significant": _("yes") if last.significant.get(unit) else "",
        }
        row |= {p: _round(agg.column(p)[i]) for p in pillars}
        rows.append(row)
    rows.sort(key=lambda r: (r["rank"], r["unit"]))
    columns = [
        Column("rank", _("Rank"), "integer"),
        Column("unit", _("Unit"), link="url"),
        Column("score", _("Score"), "number"),
        Column("interval", _("Rank interval")),
        Column("low", _("Rank interval from"), "integer", on_page=False),
        Column("high", _("Rank interval to"), "integer", on_page=False),
        *[Column(p, meta.nodes[p].name, "number") for p in pillars],
        Column("last_rank", _("Rank %(year)s") % {"year": framework.year - 1}, "integer"),
        Column("change", _("Places gained"), "integer"),
        Column("significant", _("Beyond the method's noise")),
    ]
    table = Table("results", str(framework), columns, rows)
    treated = [t for t in result.treatments if t.action != "none"]
    treatment_table = Table(
        "treatment",
        _("Outliers treated"),
        [
            Column("code", _("Indicator")),
            Column("action", _("Treatment")),
            Column("points", _("Values changed"), "integer"),
            Column("units", _("Units")),
        ],
        [
            {
                "code": f"{t.code}. {meta.nodes[t.code].name}",
                "action": _("winsorised") if t.action == "winsorised" else _("log-transformed"),
                "points": t.points,
                "units": ", ".join(ranking.units[u].name for u in t.replaced),
            }
            for t in treated
        ],
    )
    stats = indicator_stats(result.stages.get("Treated", result.stages["Normalised"]), meta)
    stats_table = Table(
        "audit",
        _("Indicators: statistics and flags"),
        [
            Column("code", _("Code")),
            Column("name", _("Indicator")),
            Column("available", _("Units with a value"), "integer"),
            Column("skew", _("Skewness"), "number"),
            Column("kurt", _("Kurtosis"), "number"),
            Column("flags", _("Flags")),
        ],
        [
            {
                "code": s.code,
                "name": s.name,
                "available": s.n_avail,
                "skew": _round(s.skew),
                "kurt": _round(s.kurt),
                "flags": ", ".join(
                    f"{k}: {v}" for k, v in _flags(s).items() if v not in ("ok", "")
                ),
            }
            for s in stats
        ],
    )
    alphas = {
        meta.nodes[c].name: round(a, 2)
        for c, a in cronbach_by_group(result).items()
        if a is not None and not math.isnan(a)
    }
    spec = charts.rank_intervals(
        [{"unit": r["unit"], "rank": r["rank"], "low": r["low"], "high": r["high"]} for r in rows],
        title=_("Rank and its 5-95 %% interval under other reasonable choices of method").replace(
            "%%", "%"
        ),
        texts={"rank": _("Rank"), "low": _("from"), "high": _("to")},
    )
    sensitivity = run_sensitivity(
        ranking.data, meta, result.options, ASSUMPTIONS, n=SENSITIVITY_N, seed=framework.year
    )
    labels = {
        "weights": _("Weights (±25 %)"),
        "treatment": _("Outlier treatment"),
        "normalisation": _("Normalisation"),
        "aggregation": _("Aggregation"),
    }
    sensitivity_table = Table(
        "sensitivity",
        _("What moves the ranks: sensitivity indices"),
        [
            Column("name", _("Assumption")),
            Column("si", _("First-order index"), "number"),
            Column("sti", _("Total index"), "number"),
        ],
        [
            {"name": str(labels.get(n, n)), "si": _round(max(si, 0.0)), "sti": _round(max(st, 0.0))}
            for n, si, st in zip(sensitivity.names, sensitivity.si, sensitivity.sti, strict=True)
        ],
    )
    tables = {
        "results": table,
        "treatment": treatment_table,
        "audit": stats_table,
        "sensitivity": sensitivity_table,
    }
    response = download(request, tables, {"intervals": spec})
    if response:
        return response
    context = {
        "programme": programme,
        "framework": framework,
        "tables": tables,
        "spec": spec,
        "alphas": alphas,
        "previous": framework.previous(),
        "units": len(agg.units),
        "replications": intervals.runs,
    }
    return render(request, "ranking/detail.html", context)


def _flags(stat) -> dict[str, str]:
    return {
        _("availability"): stat.flag_avail,
        _("zeros"): stat.flag_nonzero,
        _("repeated values"): stat.flag_unique,
        _("outliers"): stat.flag_skew_kurt,
    }


@login_required
@require_safe
def ranking_unit(request, slug, code, year, unit_code):
    framework = _framework(request, slug, code, year)
    programme = framework.programme
    ranking, error = _ranking_or_error(framework)
    if ranking is None or unit_code not in ranking.units:
        raise Http404
    result = ranking.result
    unit = ranking.units[unit_code]
    profile = strengths_weaknesses(result, unit_code)
    i = result.aggregated.units.index(unit_code)
    change, change_note = None, ""
    last = previous_scores(framework, ranking)
    previous = framework.previous()
    if previous is not None:
        if last.ranking is not None and unit_code in last.ranking.result.aggregated.units:
            try:
                change = change_decomposition(last.ranking.result, result, unit_code)
            except CompositeError as e:
                change_note = str(e)
        elif unit_code in last.ranks:
            change_note = _(
                "%(unit)s did not exist in %(year)s: it is compared with the unweighted mean "
                "of its predecessors' scores, %(score)s."
            ) % {"unit": unit.name, "year": previous.year, "score": _round(last.scores[unit_code])}
    target, plan, plan_error = None, None, ""
    units = len(result.aggregated.units)
    try:
        # A field of the page's form: its error is shown beside it, not as an error page.
        target = int_param(request, "target", _("The rank to reach"), 1, units)
        if target is not None:
            plan = what_if(result, unit_code, target, data=ranking.data)
    except BadParameter as e:
        plan_error = str(e)
    except CompositeError as e:
        plan_error = str(e)
    context = {
        "programme": programme,
        "framework": framework,
        "unit": unit,
        "profile": profile,
        "rank": int(result.ranks()[i]),
        "score": result.scores()[i],
        "interval": (int(ranking.intervals.q05_rank[i]), int(ranking.intervals.q95_rank[i])),
        "change": change,
        "change_note": change_note,
        "previous": previous,
        "names": {c: n.name for c, n in result.framework.nodes.items()},
        "target": target,
        "plan": plan,
        "plan_error": plan_error,
        "units": units,
    }
    return render(request, "ranking/unit.html", context)


@login_required
@require_safe
def annex(request, slug, code, year):
    """The methodology annex as a workbook: the method, iMeta, iData and every stage."""
    framework = _framework(request, slug, code, year)
    ranking, error = _ranking_or_error(framework)
    if ranking is None:
        raise Http404(error)
    book = Workbook()
    sheet = book.active
    sheet.title = _("Method")
    sheet.append([str(framework)])
    sheet.append([framework.methodology])
    sheet.append([])
    sheet.append(
        [
            _("Method frozen"),
            framework.frozen_at.strftime("%d/%m/%Y") if framework.frozen_at else _("not yet"),
        ]
    )
    for name, value in sorted(framework.options.items()):
        sheet.append([name, str(value)])
    meta = book.create_sheet("iMeta")
    meta.append(["iCode", "iName", "Level", "Parent", "Direction", "Weight", "Type"])
    for n in ranking.meta.nodes.values():
        meta.append([n.code, n.name, n.level, n.parent, n.direction, n.weight, n.type])
    result = ranking.result
    for name, stage in [("iData", result.stages["Raw"]), *result.stages.items()]:
        if name == "Raw":
            continue
        ws = book.create_sheet(name[:31])
        ws.append(["uCode", "uName", *stage.codes])
        for unit, values in zip(stage.units, stage.values.tolist(), strict=True):
            ws.append(
                [unit, ranking.units[unit].name, *[None if math.isnan(v) else v for v in values]]
            )
    buffer = io.BytesIO()
    book.save(buffer)
    return attachment(
        buffer.getvalue(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"{framework}-phu-luc.xlsx",
    )
