"""Reporting's writes besides the figures: reminders, evidence files and imports. Each checks the
permission rule itself, and is recorded in the history (Event) in its own transaction."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from steer.accounts.models import User
from steer.core.models import Event
from steer.reporting import services
from steer.reporting.imports import Entry
from steer.reporting.models import (
    DataValue,
    Evidence,
    ImportBatch,
    Reminder,
    Submission,
)
from steer.reporting.periods import Period
from steer.reporting.values import write_values

pytestmark = pytest.mark.django_db
PERIOD = Period.parse("2024Q3")  # long overdue, and nobody has reported it on the test form


def user(username: str) -> User:
    return User.objects.get(username=username)


def events_of(model, action: str) -> list[Event]:
    return list(
        Event.objects.filter(
            content_type=ContentType.objects.get_for_model(model), action=action
        ).order_by("pk")
    )


def csv_of_figures(unit: str = "006") -> SimpleUploadedFile:
    text = (
        "Mã đơn vị,Kỳ báo cáo,Mã chỉ tiêu,Chi tiết,Giá trị,Tình trạng số liệu,Ghi chú\n"
        f"{unit},2024Q3,CT15,,14,,\n"
        f"{unit},2024Q3,CT18,,96.5,,\n"
    )
    return SimpleUploadedFile(f"so-lieu-{unit}.csv", text.encode(), content_type="text/csv")


def test_each_reminder_sent_is_recorded_as_who_reminded_whom(quarterly):
    agency = user("thuongtruc")
    sent = services.remind_overdue(user=agency, form=quarterly, period=PERIOD)
    assert sorted(r.unit.code for r in sent) == ["006", "279"]
    events = events_of(Reminder, "reminded")
    assert [e.object_id for e in events] == [r.pk for r in sent]
    assert {e.user for e in events} == {agency}
    assert events[0].get_action_display() == "Đôn đốc nộp báo cáo"


def test_a_unit_reporter_may_not_send_reminders_and_nothing_is_kept(quarterly):
    with pytest.raises(PermissionDenied):
        services.remind_overdue(user=user("baocao.dongda"), form=quarterly, period=PERIOD)
    assert not Reminder.objects.filter(form=quarterly).exists()
    assert not events_of(Reminder, "reminded")


def test_a_write_whose_history_cannot_be_recorded_is_undone(quarterly, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("the history is unavailable")

    monkeypatch.setattr(services, "record", fail)
    with pytest.raises(RuntimeError):
        services.remind_overdue(user=user("thuongtruc"), form=quarterly, period=PERIOD)
    assert not Reminder.objects.filter(form=quarterly).exists()
    assert not events_of(Reminder, "reminded")


def stored_figure(programme, quarterly) -> DataValue:
    entry = Entry("CT15", "006", PERIOD.code, "CT15", "", 14)
    reporter = user("baocao.dongda")
    write_values(programme=programme, entries=[entry], user=reporter, channel="web")
    return DataValue.objects.get(unit__code="006", period=PERIOD.code, indicator__code="CT15")


def pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("bien-ban.pdf", "%PDF-1.4 Biên bản".encode())


def test_an_evidence_file_attached_is_recorded(programme, quarterly):
    value = stored_figure(programme, quarterly)
    reporter = user("baocao.dongda")
    evidence = services.attach_evidence(user=reporter, value=value, upload=pdf())
    assert evidence.name == "bien-ban.pdf" and evidence.uploaded_by == reporter
    (event,) = events_of(Evidence, "attached")
    assert (event.object_id, event.user) == (evidence.pk, reporter)


def test_no_file_is_attached_to_a_figure_of_an_approved_report(programme, quarterly):
    value = stored_figure(programme, quarterly)
    Submission.objects.filter(pk=value.submission_id).update(state=Submission.State.APPROVED)
    with pytest.raises(PermissionDenied):
        services.attach_evidence(user=user("baocao.dongda"), value=value, upload=pdf())
    assert not Evidence.objects.filter(value=value).exists()
    assert not events_of(Evidence, "attached")


def test_no_file_is_attached_to_another_units_figure(programme, quarterly):
    value = stored_figure(programme, quarterly)
    with pytest.raises(PermissionDenied):
        services.attach_evidence(user=user("xem.thuongtin"), value=value, upload=pdf())
    assert not Evidence.objects.filter(value=value).exists()


def test_an_import_is_recorded_from_its_preview_to_its_writing(programme, quarterly):
    reporter = user("baocao.dongda")
    batch = services.preview_import(user=reporter, programme=programme, upload=csv_of_figures())
    assert batch.state == ImportBatch.State.PREVIEWED
    assert batch.summary["counts"]["new"] == 2
    assert not DataValue.objects.filter(unit__code="006", period=PERIOD.code).exists()
    applied = services.apply_import(user=reporter, batch=batch)
    assert applied.plan is not None and applied.plan.counts()["new"] == 2
    assert DataValue.objects.filter(unit__code="006", period=PERIOD.code).count() == 2
    steps = [(e.from_state, e.to_state, e.user) for e in events_of(ImportBatch, "import")]
    assert steps == [("", "previewed", reporter), ("previewed", "applied", reporter)]
    # Confirmed again (another tab): nothing more is written or recorded.
    assert services.apply_import(user=reporter, batch=batch).plan is None
    assert len(events_of(ImportBatch, "import")) == 2


def test_a_cancelled_import_writes_nothing_and_is_recorded(programme, quarterly):
    reporter = user("baocao.dongda")
    batch = services.preview_import(user=reporter, programme=programme, upload=csv_of_figures())
    services.cancel_import(user=reporter, batch=batch)
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.CANCELLED
    assert not DataValue.objects.filter(unit__code="006", period=PERIOD.code).exists()
    steps = [(e.from_state, e.to_state) for e in events_of(ImportBatch, "import")]
    assert steps == [("", "previewed"), ("previewed", "cancelled")]


def test_only_the_uploader_confirms_or_cancels_an_import(programme, quarterly):
    batch = services.preview_import(
        user=user("baocao.dongda"), programme=programme, upload=csv_of_figures()
    )
    for act in (services.apply_import, services.cancel_import):
        with pytest.raises(PermissionDenied):
            act(user=user("thuongtruc"), batch=batch)
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.PREVIEWED
    assert not DataValue.objects.filter(unit__code="006", period=PERIOD.code).exists()


def test_a_file_with_a_figure_refused_keeps_no_preview(programme, quarterly):
    with pytest.raises(services.ImportRefused) as refused:
        services.preview_import(
            user=user("baocao.dongda"), programme=programme, upload=csv_of_figures("279")
        )
    assert "Thường Tín" in refused.value.problems[0]
    assert not ImportBatch.objects.exists()
    assert not events_of(ImportBatch, "import")


def test_a_user_who_may_not_import_keeps_no_preview(programme, quarterly):
    with pytest.raises(PermissionDenied):
        services.preview_import(user=user("bancd"), programme=programme, upload=csv_of_figures())
    assert not ImportBatch.objects.exists()
