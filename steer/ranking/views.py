"""Ranking pages: the frameworks, a year's results with rank intervals, each unit's profile
(why its rank changed, strengths and weaknesses, what it would take to rise), the annex."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from steer.core.files import attachment
from steer.core.params import BadParameter, int_param
from steer.core.tables import download
from steer.programmes.selectors import viewable_programme
from steer.ranking.annex import annex_workbook
from steer.ranking.selectors import (
    frameworks_by_code,
    ranking_or_error,
    ranking_page,
    unit_page,
    viewable_framework,
)


@login_required
@require_safe
def ranking_list(request: HttpRequest, slug: str) -> HttpResponse:
    programme = viewable_programme(request, slug)
    return render(
        request,
        "ranking/list.html",
        {"programme": programme, "groups": frameworks_by_code(programme)},
    )


@login_required
@require_safe
def ranking_detail(request: HttpRequest, slug: str, code: str, year: int) -> HttpResponse:
    framework = viewable_framework(request, slug, code, year)
    ranking, error = ranking_or_error(framework)
    if ranking is None:
        return render(
            request,
            "ranking/detail.html",
            {"programme": framework.programme, "framework": framework, "error": error},
        )
    page = ranking_page(framework=framework, ranking=ranking)
    return download(request, page.tables, {"intervals": page.spec}) or render(
        request, "ranking/detail.html", vars(page)
    )


@login_required
@require_safe
def ranking_unit(
    request: HttpRequest, slug: str, code: str, year: int, unit_code: str
) -> HttpResponse:
    framework = viewable_framework(request, slug, code, year)
    ranking, _error = ranking_or_error(framework)
    if ranking is None or unit_code not in ranking.units:
        raise Http404
    target, target_error = None, ""
    try:
        # A field of the page's form: its error is shown beside it, not as an error page.
        units = len(ranking.result.aggregated.units)
        target = int_param(request, "target", _("The rank to reach"), 1, units)
    except BadParameter as e:
        target_error = str(e)
    page = unit_page(
        framework=framework,
        ranking=ranking,
        unit_code=unit_code,
        target=target,
        target_error=target_error,
    )
    return render(request, "ranking/unit.html", vars(page))


@login_required
@require_safe
def annex(request: HttpRequest, slug: str, code: str, year: int) -> HttpResponse:
    """The methodology annex as a workbook: the method, iMeta, iData and every stage."""
    framework = viewable_framework(request, slug, code, year)
    ranking, error = ranking_or_error(framework)
    if ranking is None:
        raise Http404(error)
    return attachment(
        annex_workbook(framework, ranking),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"{framework}-phu-luc.xlsx",
    )
