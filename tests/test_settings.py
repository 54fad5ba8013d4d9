import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.django_db


def test_vietnamese_and_hanoi_time_are_the_defaults():
    assert settings.LANGUAGE_CODE == "vi"
    assert settings.TIME_ZONE == "Asia/Ho_Chi_Minh"
    assert [code for code, _ in settings.LANGUAGES] == ["vi", "en"]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")
def test_sqlite_waits_for_a_busy_database_instead_of_failing():
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5000


def test_sqlite_is_configured_for_write_ahead_logging():
    options = settings.DATABASES["default"].get("OPTIONS", {})
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        assert "journal_mode=WAL" in options["init_command"]
        assert options["transaction_mode"] == "IMMEDIATE"
