from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from steer.accounts.access import access_for
from steer.core import once
from steer.programmes.forms import PlanItemFilterForm, ProgrammeCopyForm
from steer.programmes.models import (
    IndicatorGroup,
    Objective,
    PlanItem,
    Programme,
    Target,
)
from steer.programmes.permissions import can_view_plan_item, visible_plan_items, visible_programmes
from steer.programmes.selectors import viewable_programme
from steer.programmes.services import programme_copy


@login_required
@require_safe
def home(request):
    programmes = list(visible_programmes(access_for(request.user)))
    if len(programmes) == 1:
        return redirect(programmes[0])
    return render(request, "core/home.html", {"programmes": programmes})


def _final_targets(programme: Programme) -> dict[int, Target]:
    """Each indicator's programme-wide target for the last year that has one."""
    final: dict[int, Target] = {}
    for t in Target.objects.filter(indicator__programme=programme, unit__isnull=True).order_by(
        "year"
    ):
        final[t.indicator_id] = t
    return final


@login_required
@require_safe
def tree(request, slug):
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    final = _final_targets(programme)
    indicators = programme.indicators.order_by("order", "code")
    groups = IndicatorGroup.objects.filter(programme=programme).prefetch_related(
        Prefetch("indicators", queryset=indicators)
    )
    visible_items = visible_plan_items(access, programme).order_by("code")
    objectives = list(
        Objective.objects.filter(programme=programme).prefetch_related(
            Prefetch("indicator_groups", queryset=groups),
            Prefetch("plan_items", queryset=visible_items.select_related("lead_unit")),
        )
    )
    for objective in objectives:
        for group in objective.indicator_groups.all():
            for indicator in group.indicators.all():
                indicator.final_target = final.get(indicator.pk)
    children: dict[int | None, list[Objective]] = {}
    for objective in objectives:
        children.setdefault(objective.parent_id, []).append(objective)
    for objective in objectives:
        objective.sub_objectives = children.get(objective.pk, [])
    return render(
        request,
        "programmes/tree.html",
        {"programme": programme, "objectives": children.get(None, [])},
    )


@login_required
@require_safe
def plan_item_list(request, slug):
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    items = visible_plan_items(access, programme)
    involved = (
        access.units()
        .filter(
            Q(led_plan_items__in=items)
            | Q(coordinated_plan_items__in=items)
            | Q(assigned_plan_items__in=items)
        )
        .distinct()
    )
    form = PlanItemFilterForm(request.GET or None, units=involved)
    if form.is_bound and form.is_valid():
        items = form.apply(items)
    elif form.is_bound:
        items = items.none()
    items = items.select_related("lead_unit").order_by("code")
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"programme": programme, "form": form, "page": page, "query": query.urlencode()}
    template = "programmes/_plan_item_table.html" if request.htmx else "programmes/plan_items.html"
    return render(request, template, context)


@login_required
@require_safe
def plan_item_detail(request, slug, code):
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    item = get_object_or_404(
        PlanItem.objects.select_related("lead_unit", "parent").prefetch_related(
            "objectives", "indicators", "coordinating_units", "assigned_units", "budget_lines"
        ),
        programme=programme,
        code=code,
    )
    access.require(can_view_plan_item(access, item))
    context = {
        "programme": programme,
        "item": item,
        "children": visible_plan_items(access, programme).filter(parent=item),
        "budget_total": item.total_budget(),
    }
    return render(request, "programmes/plan_item_detail.html", context)


@login_required
def copy(request, slug):
    source = viewable_programme(request, slug)
    access = access_for(request.user)
    access.require(access.can_create_programme())
    form = ProgrammeCopyForm(
        request.POST or None,
        source=source,
        initial={
            "issuing_body": source.issuing_body,
            "standing_agency": source.standing_agency_id,
        },
    )
    if request.method == "POST":

        def copy_it() -> once.Outcome | None:
            # Checked after the token: sent again, the form would find its symbol taken.
            if not form.is_valid():
                return None
            new = programme_copy(
                source=source,
                new=form.save(commit=False),
                include_targets=form.cleaned_data["include_targets"],
                include_plan_items=form.cleaned_data["include_plan_items"],
                creator=request.user,
            )
            return once.Outcome(
                new.get_absolute_url(),
                _("Programme %(symbol)s was created from %(source)s.")
                % {"symbol": new.symbol, "source": source.symbol},
            )

        response = once.run(request, copy_it)
        if response is not None:
            return response
    return render(request, "programmes/copy.html", {"programme": source, "form": form})
