"""The test world is the Programme 07 demo: Hanoi's real units, the programme, one user per role,
its report forms and the demo figures of 2021-2025.

It is loaded once per test session; each test runs in a transaction that is rolled back.
"""

import json

import pytest
from django.test import override_settings
from django.utils import translation

from steer.accounts.models import User
from steer.demo.documents import load_documents
from steer.demo.loader import load_programme
from steer.demo.management.commands.load_demo import DATA
from steer.demo.rankings import load_rankings
from steer.demo.reports import load_reports
from steer.demo.steering import load_steering
from steer.demo.users import load_demo_users
from steer.programmes.models import Programme
from steer.reporting.models import Breakdown, BreakdownOption, FormLine, ReportForm
from steer.units.hanoi import load_hanoi_units
from steer.units.models import OrgUnit

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A test with one of these marks is slow too: one `-m "not slow"` (make test-fast) leaves all out.
SLOW_MARKS = ("backup", "crash", "pdf", "fuzz")


@pytest.hookimpl(tryfirst=True)  # before -m selects by the marks
def pytest_collection_modifyitems(items):
    for item in items:
        if any(item.get_closest_marker(name) for name in SLOW_MARKS):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session", autouse=True)
def _files_in_a_folder_of_the_session(tmp_path_factory):
    """Uploaded and made files go to a folder of this session, not var/media: nothing is left
    behind there, and parallel workers (make test-fast) each have their own."""
    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHER):
        load_hanoi_units()
        programme = load_programme(json.loads(DATA.read_text(encoding="utf-8")))
        load_demo_users(programme)
        load_reports(programme)
        load_steering(programme)
        load_rankings(programme)
        load_documents(programme)


@pytest.fixture(autouse=True)
def _fast_passwords_and_vietnamese(settings):
    settings.PASSWORD_HASHERS = FAST_HASHER
    settings.DEMO_MODE = True
    with translation.override("vi"):
        yield


@pytest.fixture
def programme(db) -> Programme:
    return Programme.objects.get(symbol="07-CTr/TU")


@pytest.fixture
def login(client):
    """Sign a demo user in by username and return the client."""

    def _login(username: str):
        client.force_login(User.objects.get(username=username))
        return client

    return _login


@pytest.fixture
def monthly(programme):
    """A monthly form for 279 Thường Tín, 017 and 006 Đống Đa: CT10 by sector, CT16 a share."""
    sectors = Breakdown.objects.create(programme=programme, code="nganh-test", name="Lĩnh vực")
    for order, (code, name) in enumerate(
        [("trong-trot", "Trồng trọt"), ("chan-nuoi", "Chăn nuôi"), ("thuy-san", "Thủy sản")]
    ):
        BreakdownOption.objects.create(breakdown=sectors, code=code, name=name, order=order)
    form = ReportForm.objects.create(
        programme=programme,
        code="BC-THANG",
        name="Báo cáo tháng mô hình nông nghiệp công nghệ cao",
        period_type="month",
        first_year=2021,
        last_year=2025,
    )
    form.units.set(OrgUnit.objects.filter(code__in=["279", "017", "006"]))
    indicators = {i.code: i for i in programme.indicators.all()}
    FormLine.objects.create(form=form, indicator=indicators["CT10"], breakdown=sectors, order=1)
    FormLine.objects.create(form=form, indicator=indicators["CT16"], order=2, required=False)
    return form


@pytest.fixture
def quarterly(programme):
    """A quarterly form for Đống Đa and Thường Tín: OCOP products and online public services."""
    form = ReportForm.objects.create(
        programme=programme,
        code="BC-QUY",
        name="Báo cáo quý sản phẩm OCOP và dịch vụ công trực tuyến",
        period_type="quarter",
        first_year=2021,
        last_year=2025,
    )
    form.units.set(OrgUnit.objects.filter(code__in=["006", "279"]))
    indicators = {i.code: i for i in programme.indicators.all()}
    FormLine.objects.create(form=form, indicator=indicators["CT15"], order=1)
    FormLine.objects.create(form=form, indicator=indicators["CT18"], order=2)
    return form
