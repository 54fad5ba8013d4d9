"""Submitting a report locks its own row only. Under the deadline-day load (bench/load.py) the
submission step also locked the form's and the programme's rows (FOR UPDATE over a join), and
deadlocked with imports written under the programme lock: 99 reports lost in one run."""

from decimal import Decimal

import pytest
from django.db import OperationalError, connection, connections
from django.utils import timezone

from steer.accounts.models import User
from steer.reporting import workflow
from steer.reporting.models import DataValue, ReportForm, Submission
from steer.reporting.periods import Period

FIGURES = {"CT15": 42, "CT16": "61.5", "CT18": "38.2", "CT19": "74.0", "CT20": "55.9", "CT30": 7}


@pytest.fixture
def import_holding_the_programme_lock(programme):
    """Another session writing an import: it holds the programme row as write_entries does."""
    other = connections.create_connection("default")
    other.set_autocommit(False)
    with other.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM programmes_programme WHERE id = %s FOR UPDATE", [programme.pk]
        )
    yield
    other.rollback()
    other.close()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks: SQLite locks the whole file"
)
def test_submitting_does_not_wait_for_an_import_of_another_unit(
    programme, import_holding_the_programme_lock
):
    form = ReportForm.objects.get(programme=programme, code="BC6T-DP")
    period = Period.parse("2025S2")
    reported = Submission.objects.filter(form=form, period=period.code).values("unit")
    unit = form.units_expected(period).exclude(pk__in=reported).order_by("code").first()
    agency = User.objects.get(username="thuongtruc")
    submission = Submission.objects.create(form=form, unit=unit, period=period.code)
    indicators = {i.code: i for i in programme.indicators.filter(code__in=FIGURES)}
    for code, value in FIGURES.items():
        DataValue.objects.create(
            submission=submission,
            indicator=indicators[code],
            unit=unit,
            period=period.code,
            value=Decimal(value),
            updated_at=timezone.now(),
            updated_by=agency,
        )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = '3s'")
    try:
        moved = workflow.act(submission, agency, workflow.Action.SUBMIT)
    except OperationalError as e:
        pytest.fail(f"the submission waited for the programme lock: {e}")
    assert moved.state == Submission.State.SUBMITTED
