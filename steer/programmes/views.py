from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from steer.accounts.access import access_for
from steer.accounts.requests import signed_in
from steer.core import once
from steer.programmes import selectors
from steer.programmes.forms import ProgrammeCopyForm
from steer.programmes.permissions import visible_plan_items, visible_programmes
from steer.programmes.selectors import viewable_programme
from steer.programmes.services import programme_copy


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    programmes = list(visible_programmes(access_for(request.user)))
    if len(programmes) == 1:
        return redirect(programmes[0])
    return render(request, "core/home.html", {"programmes": programmes})


@login_required
@require_safe
def tree(request: HttpRequest, slug: str) -> HttpResponse:
    programme = viewable_programme(request, slug)
    nodes = selectors.objective_tree(access=access_for(request.user), programme=programme)
    return render(request, "programmes/tree.html", {"programme": programme, "objectives": nodes})


@login_required
@require_safe
def plan_item_detail(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    item = selectors.plan_item_of(access=access, programme=programme, code=code)
    context = {
        "programme": programme,
        "item": item,
        "children": visible_plan_items(access, programme).filter(parent=item),
        "budget_total": item.total_budget(),
    }
    return render(request, "programmes/plan_item_detail.html", context)


@login_required
def copy(request: HttpRequest, slug: str) -> HttpResponse:
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

        def copy_it() -> once.Outcome | HttpResponse:
            # Checked after the token: sent again, the form would find its symbol taken.
            if not form.is_valid():
                return render(request, "programmes/copy.html", {"programme": source, "form": form})
            new = programme_copy(
                source=source,
                new=form.save(commit=False),
                include_targets=form.cleaned_data["include_targets"],
                include_plan_items=form.cleaned_data["include_plan_items"],
                creator=signed_in(request),
            )
            return once.Outcome(
                new.get_absolute_url(),
                _("Programme %(symbol)s was created from %(source)s.")
                % {"symbol": new.symbol, "source": source.symbol},
            )

        return once.run(request, copy_it)
    return render(request, "programmes/copy.html", {"programme": source, "form": form})
