"""Who waits for whom on PostgreSQL. Submitting a report locks its own row only: under the
deadline-day load (bench/load.py) the submission step also locked the form's and the programme's
rows (FOR UPDATE over a join), and deadlocked with imports written under the programme lock: 99
reports lost in one run."""

import threading
from decimal import Decimal

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.utils import timezone

from steer.accounts.models import User
from steer.reporting import imports, values, workflow
from steer.reporting.models import DataValue, ImportBatch, ReportForm, Submission
from steer.reporting.periods import Period

FIGURES = {"CT15": 42, "CT16": "61.5", "CT18": "38.2", "CT19": "74.0", "CT20": "55.9", "CT30": 7}


@pytest.fixture
def import_holding_the_programme_lock(programme):
    """Another session writing an import: it holds the programme row as write_values does."""
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


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks: SQLite locks the whole file"
)
def test_an_upload_preview_is_stored_while_another_import_is_being_written(programme, monkeypatch):
    """The import lock (FOR NO KEY UPDATE) queues writers, but an insert that only refers to the
    programme (here the preview of another unit's upload) does not wait for it."""
    holding, release = threading.Event(), threading.Event()

    def plan_slowly(*args, **kwargs):
        holding.set()
        release.wait(10)
        return imports.Plan(programme)

    monkeypatch.setattr(values, "plan_entries", plan_slowly)
    agency = User.objects.get(username="thuongtruc")

    def write():
        try:
            values.write_values(programme=programme, entries=[], user=agency, channel="web")
        finally:
            connection.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert holding.wait(10)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '3s'")
                # Django's foreign keys are checked at commit, which a test never reaches.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            try:
                ImportBatch.objects.create(
                    programme=programme, user=agency, file_name="bc6t-dong-da.xlsx", content=b""
                )
            except OperationalError as e:
                pytest.fail(f"the preview waited for the import lock: {e}")
    finally:
        release.set()
        writer.join(10)
