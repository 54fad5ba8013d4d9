"""What users type is data: it never becomes a template, a file path outside its folder or a
piece of code. The places and their defences are listed in docs/security.md; the Word templates,
which are code by nature, have their own tests (test_template_content.py)."""

import io

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from steer.accounts.models import User
from steer.assessment import charts
from steer.documents import services
from steer.documents.models import Draft, Output
from steer.ranking.charts import rank_intervals
from steer.steering import services as steering
from steer.steering.charts import timeline
from steer.steering.models import Directive

pytestmark = pytest.mark.django_db

# Template, Vega expression, format string and shell syntax at once.
HOSTILE = "{{ doc.__class__ }}{% include 'x' %} datum['x'] + alert(1) {0.__class__} %s $(id) `id`"


def test_text_typed_in_a_draft_that_looks_like_a_field_is_printed_as_typed(programme):
    draft = Draft.objects.get(programme=programme, kind="inspection_notice")
    Draft.objects.filter(pk=draft.pk).update(
        signer_name=HOSTILE, texts={**draft.texts, "conclusion": HOSTILE}
    )
    draft.refresh_from_db()
    output = services.request_output(
        user=User.objects.get(username="kiemtra"), draft=draft, want_pdf=False
    )
    output = services.make_output(output_id=output.pk)
    assert output.state == Output.State.DONE, output.error
    document = docx.Document(io.BytesIO(bytes(output.docx)))
    text = [p.text for p in document.paragraphs]
    for table in document.tables:
        text += [cell.text for row in table.rows for cell in row.cells]
    assert "\n".join(text).count(HOSTILE) == 2  # the conclusion and the signer's name


# Vega-Lite keys whose strings Vega evaluates as expressions (a filter given as a string too).
EXPRESSION_KEYS = {"expr", "calculate", "labelExpr", "signal", "test", "update", "filter"}


def expressions(spec, found=None) -> list[str]:
    found = [] if found is None else found
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key in EXPRESSION_KEYS and isinstance(value, str):
                found.append(value)
            expressions(value, found)
    elif isinstance(spec, list):
        for item in spec:
            expressions(item, found)
    return found


def test_user_text_in_a_chart_is_data_never_a_vega_expression():
    statuses = {key: HOSTILE + key for key in charts.STATUS_COLOURS}
    plans = {key: HOSTILE + key for key in charts.PLAN_COLOURS}
    row = {"name": HOSTILE, "unit": HOSTILE, "indicator": HOSTILE, "status": "achieved"}
    day = {"date": "2024-06-14", "value": 1.0, "period": "2024S1", "low": 0.5, "high": 2.0}
    texts = dict.fromkeys(("rank", "low", "high", "deadline", "baseline", "today"), HOSTILE)
    item = {
        "code": HOSTILE,
        "title": HOSTILE,
        "start": "2024-01-01",
        "end": "2024-06-30",
        "deadline": "2024-06-30",
        "baseline": "2024-03-31",
        "moved": True,
        "label": plans["in_progress"],
        "status": "in_progress",
    }
    specs = [
        charts.status_bars([{**row, "count": 2}], statuses, HOSTILE, HOSTILE),
        charts.plan_bars({"in_progress": 3}, plans, HOSTILE, HOSTILE),
        charts.trend(
            [day],
            [day],
            [day],
            title=HOSTILE,
            unit_of_measure=HOSTILE,
            names=dict.fromkeys(("actual", "path", "forecast"), HOSTILE),
        ),
        charts.unit_bars([{**row, "value": 3.5}], statuses, title=HOSTILE, unit_of_measure=HOSTILE),
        charts.status_grid([row], statuses, title=HOSTILE),
        rank_intervals([{"unit": HOSTILE, "rank": 1, "low": 1, "high": 3}], HOSTILE, texts),
        timeline([item], "2024-06-14", plans, HOSTILE, texts),
    ]
    for spec in specs:
        assert HOSTILE in str(spec)  # it is in the chart, as data or a title ...
        assert not any(HOSTILE in e for e in expressions(spec))  # ... never in an expression


def test_an_attachments_name_cannot_lead_its_file_out_of_its_folder(programme, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    directive = Directive.objects.filter(programme=programme).first()
    upload = SimpleUploadedFile("../../../../etc/cron.d/bien-ban.pdf", b"%PDF-1.4 Bien ban")
    [attachment] = steering.attach(
        subject=directive, user=User.objects.get(username="thuongtruc"), files=[upload]
    )
    stored = (tmp_path / attachment.file.name).resolve()
    assert stored.is_relative_to(tmp_path / "steering" / "directive" / str(directive.pk))
    assert stored.read_bytes() == b"%PDF-1.4 Bien ban"
    assert attachment.name == "bien-ban.pdf"
