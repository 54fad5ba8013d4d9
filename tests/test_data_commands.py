"""manage.py import_data and export_data: all or nothing, with a clear message."""

import json

import pytest
from django.core.management import CommandError, call_command

from steer.reporting.models import DataValue, ValueChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def some_values(programme):
    return DataValue.objects.filter(indicator__programme=programme).count()


def test_export_then_import_changes_nothing(tmp_path, programme, some_values):
    path = tmp_path / "so-lieu.csv"
    call_command("export_data", "--format", "csv", "--output", str(path))
    assert path.read_text(encoding="utf-8-sig").startswith("unit,period,indicator")
    before = ValueChange.objects.count()
    out = _run("import_data", str(path), "--user", "thuongtruc")
    assert f"{some_values} unchanged" in out
    assert ValueChange.objects.count() == before


def test_dhis2_json_export_uses_codes_and_the_default_combination(tmp_path, some_values):
    path = tmp_path / "dhis2.json"
    call_command("export_data", "--format", "dhis2-json", "--output", str(path))
    values = json.loads(path.read_text(encoding="utf-8"))["dataValues"]
    assert len(values) == some_values
    assert {"dataElement", "period", "orgUnit", "categoryOptionCombo", "value"} <= values[0].keys()
    assert any(v["categoryOptionCombo"] == "default" for v in values)


def test_a_bad_row_stops_the_import_and_names_the_line(tmp_path):
    path = tmp_path / "loi.csv"
    path.write_text(
        "unit,period,indicator,option,value\n006,2024S2,CT15,,12\n006,2024S2,CT16,,130\n",
        encoding="utf-8",
    )
    before = (DataValue.objects.count(), ValueChange.objects.count())
    with pytest.raises(CommandError) as caught:
        call_command("import_data", str(path), "--user", "thuongtruc")
    assert "3" in str(caught.value) and "CT16" in str(caught.value)
    assert (DataValue.objects.count(), ValueChange.objects.count()) == before


def test_import_refuses_an_unknown_user(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("unit,period,indicator,option,value\n", encoding="utf-8")
    with pytest.raises(CommandError, match="no active user"):
        call_command("import_data", str(path), "--user", "khong-co")


def _run(*args) -> str:
    import io

    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()
