import io

import pytest
from django.core.management import CommandError, call_command

from steer.accounts.models import Role, User
from steer.programmes.models import Indicator, PlanItem, Programme, Target
from steer.units.models import OrgUnit

pytestmark = pytest.mark.django_db


def test_demo_holds_5_objectives_7_groups_and_32_plan_items(programme):
    assert programme.objectives.count() == 5
    assert programme.indicator_groups.count() == 7
    assert programme.plan_items.count() == 32
    assert programme.standing_agency.code == "SKHCN"


def test_each_district_is_assigned_7_indicators_and_16_tasks(programme):
    for district in OrgUnit.objects.filter(groups__code__in=["quan", "huyen", "thi-xa"]):
        assert district.indicator_assignments.count() == 7, district
        assert district.assigned_plan_items.filter(programme=programme).count() == 16, district


def test_the_public_2025_targets_are_real_and_labelled_so(programme):
    innovation = Indicator.objects.get(programme=programme, code="CT04")
    target = Target.objects.get(indicator=innovation, unit=None, year=2025)
    assert target.value == 50 and not innovation.is_illustrative
    assert Target.objects.get(indicator__code="CT06", unit=None, year=2025).value == 200


def test_there_is_one_demo_user_per_role():
    roles = set(User.objects.filter(is_demo=True).values_list("role_grants__role", flat=True))
    assert roles == set(Role.values)


@pytest.mark.slow
def test_loading_the_demo_twice_duplicates_nothing(settings):
    settings.DEMO_MODE = True
    counts = lambda: (  # noqa: E731
        OrgUnit.objects.count(),
        Programme.objects.count(),
        PlanItem.objects.count(),
        Target.objects.count(),
        User.objects.count(),
    )
    before = counts()
    call_command("load_demo", stdout=io.StringIO())
    assert counts() == before


def test_the_demo_refuses_to_load_outside_demo_mode(settings):
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="STEER_DEMO"):
        call_command("load_demo")


def test_demo_accounts_cannot_sign_in_outside_demo_mode(client, settings):
    from steer.demo.users import DEMO_PASSWORD

    settings.DEMO_MODE = False
    response = client.post("/accounts/login/", {"username": "quantri", "password": DEMO_PASSWORD})
    assert response.status_code == 200  # the form again, with an error
    assert "_auth_user_id" not in client.session
    settings.DEMO_MODE = True
    response = client.post("/accounts/login/", {"username": "quantri", "password": DEMO_PASSWORD})
    assert response.status_code == 302
