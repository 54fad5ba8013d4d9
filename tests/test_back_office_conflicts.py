"""The back office's edit conflicts name a choice field's values by their labels."""

import pytest
from django.utils import translation

from steer.programmes.models import PlanItem
from tests.test_conflicts import NEW_TITLE, admin_form, client_of, theirs_and_yours

pytestmark = pytest.mark.django_db


def test_a_kind_changed_meanwhile_is_named_with_both_kinds_labels(programme):
    item = programme.plan_items.get(code="NV02")
    other = next(k for k in PlanItem.Kind if k != item.kind)
    url = f"/admin/programmes/planitem/{item.pk}/change/"
    agency, admin = client_of("thuongtruc"), client_of("quantri")
    first, second = admin_form(agency.get(url)), admin_form(admin.get(url))
    assert agency.post(url, first | {"kind": other.value}).status_code == 302
    response = admin.post(url, second | {"title": NEW_TITLE})

    assert response.status_code == 200
    error = " ".join(response.context["adminform"].form.non_field_errors())
    with translation.override("vi"):
        kinds = {k.value: str(k.label) for k in PlanItem.Kind}
    assert theirs_and_yours("Loại", kinds[other], kinds[item.kind]) in error
    assert PlanItem.objects.get(pk=item.pk).title == item.title
