"""Writing reported values: the one pipeline every channel uses."""

from decimal import Decimal

import pytest

from steer.accounts.models import User
from steer.reporting.formats import read_file
from steer.reporting.imports import Entry, Rejected, plan_entries
from steer.reporting.models import (
    DataValue,
    Submission,
    ValueChange,
    Violation,
)
from steer.reporting.periods import Period
from steer.reporting.selectors import report_rows
from steer.reporting.values import write_values
from steer.reporting.workbook import build_workbook
from steer.units.models import OrgUnit


def entry(unit, indicator, value, option="", period="202403", where="dòng 2", comment=None):
    return Entry(where, unit, period, indicator, option, value, comment=comment)


def standing():
    return User.objects.get(username="thuongtruc")


def test_high_tech_models_by_sector_are_stored_with_their_audit(programme, monthly):
    rows = [
        entry("279", "CT10", 39),
        entry("279", "CT10", 22, "trong-trot"),
        entry("279", "CT10", 14, "chan-nuoi"),
        entry("279", "CT10", 3, "thuy-san", comment="Theo số liệu Phòng Kinh tế"),
    ]
    plan = write_values(programme=programme, entries=rows, user=standing(), channel="import")
    assert plan.counts()["new"] == 4
    total = DataValue.objects.get(unit__code="279", period="202403", option="")
    assert total.value == Decimal(39)
    assert ValueChange.objects.filter(unit__code="279", period="202403").count() == 4
    submission = Submission.objects.get(form=monthly, unit__code="279", period="202403")
    assert submission.state == "draft"
    assert not submission.violations.filter(kind="parts").exists()


def test_parts_that_do_not_add_up_are_flagged_as_blocking(programme, monthly):
    rows = [
        entry("279", "CT10", 393),
        entry("279", "CT10", 224, "trong-trot"),
        entry("279", "CT10", 144, "chan-nuoi"),
        entry("279", "CT10", 24, "thuy-san"),
    ]
    write_values(programme=programme, entries=rows, user=standing(), channel="import")
    violation = Violation.objects.get(submission__unit__code="279", kind="parts")
    assert violation.severity == "block"
    assert violation.params == {"total": "393.0000", "parts": "392.0000"} or violation.params


def test_any_bad_row_writes_nothing(programme, monthly):
    rows = [entry("279", "CT10", 39), entry("279", "CT16", 120, where="dòng 3")]
    with pytest.raises(Rejected) as caught:
        write_values(programme=programme, entries=rows, user=standing(), channel="import")
    assert "dòng 3" in str(caught.value.problems[0])
    assert "100" in caught.value.problems[0].message
    assert not DataValue.objects.filter(unit__code="279", period="202403").exists()


def test_unchanged_values_are_not_rewritten(programme, monthly):
    write_values(
        programme=programme, entries=[entry("279", "CT10", 39)], user=standing(), channel="import"
    )
    plan = plan_entries(programme, [entry("279", "CT10", "39")], standing())
    assert plan.counts() == {"new": 0, "changed": 0, "unchanged": 1, "removed": 0}


def test_workbook_round_trip_reads_back_what_it_was_given(programme, monthly):
    write_values(
        programme=programme, entries=[entry("279", "CT10", 39)], user=standing(), channel="import"
    )
    unit = OrgUnit.objects.get(code="279")
    period = Period.parse("202403")
    data = build_workbook(monthly, unit, period, report_rows(monthly, unit, period))
    entries, meta, problems = read_file(data)
    assert problems == []
    assert meta["unit"] == "279"
    assert [(e.indicator, e.option, e.value) for e in entries][:2] == [
        ("CT10", "", 39),
        ("CT10", "trong-trot", ""),
    ]
