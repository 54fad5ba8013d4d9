"""Dashboards: the programme overview, an indicator's page, a unit's scorecard, units compared."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from steer.accounts.access import access_for
from steer.accounts.models import User
from steer.assessment import selectors
from steer.core.params import object_param, text_param, year_param
from steer.core.tables import Table, download
from steer.programmes.models import Indicator, Programme
from steer.programmes.selectors import viewable_programme
from steer.units.models import OrgUnit


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # every page here is behind login_required
    return user


def _year(request: HttpRequest, programme: Programme, root: OrgUnit) -> int:
    """The year asked for, or the latest with figures (a year outside the programme: 404)."""
    year = year_param(request, programme.years())
    return selectors.default_year(programme, root) if year is None else year


def _unit_for(request: HttpRequest, programme: Programme, root: OrgUnit) -> OrgUnit:
    unit = object_param(request, "unit", _("Unit"), OrgUnit.objects.all())
    if unit is None or unit == root:
        return root
    access = access_for(request.user)
    access.require(access.can_view_reports(programme, unit))
    return unit


def _answer(
    request: HttpRequest,
    template: str,
    page: object,
    tables: dict[str, Table],
    chart_specs: dict[str, dict[str, Any]] | None = None,
) -> HttpResponse:
    """The file ?download= asks for, else the page: the page's fields are the template's names."""
    return download(request, tables, chart_specs) or render(request, template, vars(page))


@login_required
@require_safe
def overview(request: HttpRequest, slug: str) -> HttpResponse:
    programme = viewable_programme(request, slug)
    root = selectors.programme_root(programme)
    year = _year(request, programme, root)
    page = selectors.overview_page(user=_user(request), programme=programme, root=root, year=year)
    return _answer(request, "assessment/overview.html", page, page.tables, page.charts)


@login_required
@require_safe
def indicator_page(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    programme = viewable_programme(request, slug)
    indicator = get_object_or_404(
        Indicator.objects.select_related("group__objective", "weight_indicator"),
        programme=programme,
        code=code,
    )
    root = selectors.programme_root(programme)
    year = _year(request, programme, root)
    unit = _unit_for(request, programme, root)
    page = selectors.indicator_detail_page(
        user=_user(request),
        programme=programme,
        indicator=indicator,
        root=root,
        unit=unit,
        year=year,
    )
    return _answer(request, "assessment/indicator.html", page, page.tables, page.charts)


@login_required
@require_safe
def scorecard(request: HttpRequest, slug: str, unit_code: str) -> HttpResponse:
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    unit = get_object_or_404(OrgUnit.objects.select_related("unit_type", "parent"), code=unit_code)
    access.require(access.can_view_reports(programme, unit))
    root = selectors.programme_root(programme)
    year = _year(request, programme, root)
    page = selectors.scorecard_page(
        user=_user(request), programme=programme, root=root, unit=unit, year=year
    )
    return _answer(request, "assessment/scorecard.html", page, page.tables)


@login_required
@require_safe
def compare(request: HttpRequest, slug: str) -> HttpResponse:
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    root = selectors.programme_root(programme)
    year = _year(request, programme, root)
    parent = object_param(request, "parent", _("Unit"), OrgUnit.objects.all()) or root
    access.require(access.can_view_reports(programme, parent) or parent == root)
    page = selectors.compare_page(
        user=_user(request),
        programme=programme,
        root=root,
        parent=parent,
        year=year,
        group_code=text_param(request, "group", _("Indicator group")),
    )
    return _answer(request, "assessment/compare.html", page, page.tables, page.charts)
