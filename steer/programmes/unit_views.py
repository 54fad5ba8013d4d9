"""The pages of the organisational units: the list, and a unit with its programmes' work."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from steer.accounts.access import access_for
from steer.accounts.requests import HtmxHttpRequest
from steer.programmes import selectors
from steer.units.forms import UnitFilterForm
from steer.units.models import OrgUnit


@login_required
@require_safe
def unit_list(request: HtmxHttpRequest) -> HttpResponse:
    access = access_for(request.user)
    units = access.units().select_related("unit_type", "parent")
    form = UnitFilterForm(request.GET or None)
    if form.is_bound:
        units = form.apply(units) if form.is_valid() else units.none()
    page = Paginator(units.order_by("unit_type__level", "code"), 100).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    template = "units/_unit_table.html" if request.htmx else "units/unit_list.html"
    return render(request, template, context)


@login_required
@require_safe
def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    access = access_for(request.user)
    unit = get_object_or_404(OrgUnit.objects.select_related("unit_type", "parent"), code=code)
    access.require(access.can_view_unit(unit))
    context = {
        "unit": unit,
        "ancestors": [u for u in reversed(unit.ancestors()) if access.can_view_unit(u)],
        "children": unit.children.select_related("unit_type").filter(
            pk__in=access.units().values("pk")
        ),
        "predecessors": unit.predecessor_links.select_related("predecessor"),
        "successors": unit.successor_links.select_related("successor"),
        "groups": unit.groups.all(),
        "programmes": selectors.unit_work(access=access, unit=unit),
    }
    return render(request, "units/unit_detail.html", context)
