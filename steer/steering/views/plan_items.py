"""The list of plan items, filtered by the status every page shows for them."""

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from steer.accounts.access import access_for
from steer.accounts.requests import HtmxHttpRequest
from steer.programmes import selectors as programme_selectors
from steer.programmes.forms import PlanItemFilterForm
from steer.programmes.models import PlanItem, PlanItemQuerySet
from steer.programmes.permissions import visible_plan_items
from steer.programmes.selectors import viewable_programme
from steer.steering import selectors
from steer.steering.labels import PLAN_LABELS
from steer.steering.plan_status import PlanStatus
from steer.steering.views.fields import ChoiceWithLegacyField, choice_field
from steer.units.models import OrgUnit

# Typed states the filter took before it offered the statuses: the statuses each now reads as
# (the others, such as in_progress and suspended, are statuses of the same name).
_LEGACY_STATES = {
    PlanItem.State.PLANNED: (PlanStatus.NOT_STARTED,),
    PlanItem.State.COMPLETED: (PlanStatus.DONE_ON_TIME, PlanStatus.DONE_LATE),
}


class PlanItemListFilter(PlanItemFilterForm):
    state = ChoiceWithLegacyField(
        label=gettext_lazy("Status"), required=False, legacy=tuple(_LEGACY_STATES)
    )
    field_order = ["q", "unit", "kind", "state"]

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, units=units, **kwargs)
        choice_field(self, "state").choices = [("", _("All")), *PLAN_LABELS.items()]

    def apply_status(self, items: PlanItemQuerySet, today: dt.date) -> QuerySet[PlanItem]:
        items = self.apply(items)
        state = self.cleaned_data.get("state")
        if not state:
            return items
        statuses = _LEGACY_STATES[state] if state in _LEGACY_STATES else (PlanStatus(state),)
        return selectors.plan_items_in_status(items, statuses, today)


@login_required
@require_safe
def plan_item_list(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    items = visible_plan_items(access, programme)
    involved = programme_selectors.involved_units(access=access, items=items)
    form = PlanItemListFilter(request.GET or None, units=involved)
    shown: QuerySet[PlanItem] = items
    if form.is_bound and form.is_valid():
        shown = form.apply_status(items, timezone.localdate())
    elif form.is_bound:
        shown = items.none()
    shown = shown.select_related("lead_unit").order_by("code")
    page = Paginator(shown, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"programme": programme, "form": form, "page": page, "query": query.urlencode()}
    template = "programmes/_plan_item_table.html" if request.htmx else "programmes/plan_items.html"
    return render(request, template, context)
