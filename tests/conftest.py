"""The test world is the Programme 07 demo: Hanoi's real units, the programme, one user per role.

It is loaded once per test session; each test runs in a transaction that is rolled back.
"""

import json

import pytest
from django.test import override_settings
from django.utils import translation

from steer.accounts.models import User
from steer.demo.loader import load_programme
from steer.demo.management.commands.load_demo import DATA
from steer.demo.users import load_demo_users
from steer.programmes.models import Programme
from steer.units.hanoi import load_hanoi_units

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHER):
        load_hanoi_units()
        programme = load_programme(json.loads(DATA.read_text(encoding="utf-8")))
        load_demo_users(programme)


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
