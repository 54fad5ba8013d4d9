"""Writes that meet on a unique constraint at the same moment (PostgreSQL): each waits for the
other on a lock instead of checking, finding nothing, and failing on the constraint with a 500."""

import datetime as dt
import threading
import time

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from steer.accounts.models import User
from steer.assessment import aggregates, receivers
from steer.assessment.models import Figure
from steer.core.models import Counter, Event
from steer.documents import layout, services
from steer.documents.models import DocumentTemplate
from steer.notifications.models import Notification
from steer.reporting import workflow
from steer.reporting.imports import Entry
from steer.reporting.models import (
    DataValue,
    FormLine,
    ReportForm,
    Submission,
    SubmissionEvent,
    ValueChange,
)
from steer.reporting.periods import Period
from steer.reporting.values import write_values
from steer.steering.models import Directive
from steer.steering.services import give_directive, notify_overdue
from steer.units.models import OrgUnit
from tests.together import in_threads, postgresql_only

pytestmark = [postgresql_only, pytest.mark.django_db]


def as_upload(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("mau-bao-cao-dang-uy.docx", data)


def slowed_after(monkeypatch, owner, name: str, seconds: float = 0.3) -> None:
    """The first caller stays in its transaction a moment after `owner.name`."""
    real = getattr(owner, name)

    def slow(*args, **kwargs):
        result = real(*args, **kwargs)
        time.sleep(seconds)
        return result

    monkeypatch.setattr(owner, name, slow)


@pytest.fixture
def versions():
    """Versions 1 to 3 of the synthesis report's template (party format), committed; 3 in use,
    so that whichever of two choices of 1 and 2 goes first, the other meets it."""
    clerk = User.objects.get(username="thuongtruc")
    data = layout.build("synthesis", "party")
    notes = [
        "Mẫu của Văn phòng Thành ủy, tháng 10/2026",
        "Sửa phần kiến nghị, tháng 11/2026",
        "Thêm chữ ký Phó Trưởng ban, tháng 12/2026",
    ]

    def upload(note: str):
        return services.upload_template(
            user=clerk, layout_name="synthesis", style="party", upload=as_upload(data), note=note
        )

    made = [in_threads([lambda n=note: upload(n)])[0] for note in notes]
    yield made

    def clean():
        DocumentTemplate.objects.filter(layout="synthesis", style="party").delete()
        Counter.objects.filter(scope=services.template_scope("synthesis", "party")).delete()

    in_threads([clean])


def test_two_people_choosing_the_template_in_use_at_the_same_moment_leave_one_in_use(
    versions, monkeypatch
):
    first, second, _third = versions
    clerk = User.objects.get(username="thuongtruc")
    start = threading.Barrier(2)
    slowed_after(monkeypatch, DocumentTemplate, "save")

    def use(template):
        start.wait(10)
        services.use_template(user=clerk, layout_name="synthesis", style="party", template=template)
        return template.version

    chosen = in_threads([lambda: use(first), lambda: use(second)])

    assert sorted(chosen) == [1, 2]
    in_use = DocumentTemplate.objects.filter(layout="synthesis", style="party", is_current=True)
    assert in_use.count() == 1


def test_choosing_a_template_while_another_version_is_uploaded_leaves_one_in_use(
    versions, monkeypatch
):
    first, _second, _third = versions
    clerk = User.objects.get(username="thuongtruc")
    start = threading.Barrier(2)
    # Long enough for the upload to check its file and reach the "in use" mark meanwhile.
    slowed_after(monkeypatch, DocumentTemplate, "save", seconds=1.0)

    def use():
        start.wait(10)
        services.use_template(user=clerk, layout_name="synthesis", style="party", template=first)

    def upload():
        start.wait(10)
        time.sleep(0.05)  # the choice goes first and holds the lock
        data = layout.build("synthesis", "party")
        return services.upload_template(
            user=clerk,
            layout_name="synthesis",
            style="party",
            upload=as_upload(data),
            note="Bản sửa lần 4",
        )

    _, fourth = in_threads([use, upload])

    in_use = DocumentTemplate.objects.filter(layout="synthesis", style="party", is_current=True)
    assert list(in_use) == [fourth]


# -- figures rolled up from two reports approved at the same moment ---------------------------


def city_figures(form, year: int) -> dict:
    lines = FormLine.objects.filter(form=form).values("indicator")
    city = OrgUnit.objects.get(code="01")
    # Rounded: an average summed in another order differs in its last bits.
    return {
        (f.indicator_id, f.period, f.option): (round(f.value, 6), f.units)
        for f in Figure.objects.filter(indicator__in=lines, unit=city, year=year)
    }


@pytest.fixture
def two_submitted_communes(programme):
    """The half-year reports of Phường Phúc Lợi and Xã Thanh Trì, both submitted (demo data):
    both roll up into Hà Nội's figures. Put back as they were afterwards."""
    reports = list(
        Submission.objects.filter(
            form__code="BC6T-DP", period="2025S2", unit__code__in=["00136", "00640"]
        ).select_related("form", "unit")
    )
    assert {r.state for r in reports} == {Submission.State.SUBMITTED}
    yield reports

    def clean():
        with transaction.atomic():
            SubmissionEvent.objects.filter(
                submission__in=reports, action=SubmissionEvent.Action.APPROVE
            ).delete()
            for report in reports:
                Submission.objects.filter(pk=report.pk).update(state=Submission.State.SUBMITTED)
                aggregates.refresh_report(report)

    in_threads([clean])


def test_two_reports_approved_at_the_same_moment_both_count_in_the_city_figures(
    two_submitted_communes, monkeypatch
):
    admin = User.objects.get(username="quantri")
    start = threading.Barrier(2)
    slowed_after(monkeypatch, receivers, "refresh_report")

    def approve(report):
        start.wait(10)
        return workflow.act(report, admin, SubmissionEvent.Action.APPROVE).state

    states = in_threads([lambda r=r: approve(r) for r in two_submitted_communes])

    assert states == [Submission.State.APPROVED] * 2
    report = two_submitted_communes[0]

    def recomputed():
        """The figures recomputed with both reports committed, then taken back."""
        with transaction.atomic():
            aggregates.refresh_report(report)
            figures = city_figures(report.form, 2025)
            transaction.set_rollback(True)
        return figures

    (stored,) = in_threads([lambda: city_figures(report.form, 2025)])
    (again,) = in_threads([recomputed])
    assert stored and again == stored


# -- a report started by an import and by the report page at the same moment --------------------


@pytest.fixture
def unreported(programme):
    """BC6T-DP's half-year report of a unit that has none yet; whatever the test stores for it
    is removed afterwards."""
    form = ReportForm.objects.get(programme=programme, code="BC6T-DP")
    period = Period.parse("2025S2")
    reported = Submission.objects.filter(form=form, period=period.code).values("unit")
    unit = form.units_expected(period).exclude(pk__in=reported).order_by("code").first()
    yield form, unit, period

    def clean():
        ValueChange.objects.filter(unit=unit, period=period.code).delete()
        DataValue.objects.filter(unit=unit, period=period.code).delete()
        Submission.objects.filter(form=form, unit=unit, period=period.code).delete()

    in_threads([clean])


def test_an_import_and_the_report_page_starting_the_same_report_make_one(
    programme, unreported, monkeypatch
):
    form, unit, period = unreported
    agency = User.objects.get(username="thuongtruc")
    start = threading.Barrier(2)
    real = Submission.objects.bulk_create

    def create_late(*args, **kwargs):  # the import found no report, then the page made it
        start.wait(10)
        time.sleep(0.3)
        return real(*args, **kwargs)

    monkeypatch.setattr(Submission.objects, "bulk_create", create_late)

    def write():
        entry = Entry("C5", unit.code, period.code, "CT15", "", 42)
        write_values(programme=programme, entries=[entry], user=agency, channel="cli")

    def open_page():
        start.wait(10)
        # As the report page starts one (workflow.act_on_report).
        report, _ = Submission.objects.get_or_create(form=form, unit=unit, period=period.code)
        return report.pk

    _, opened = in_threads([write, open_page])

    (report,) = Submission.objects.filter(form=form, unit=unit, period=period.code)
    assert report.pk == opened
    assert report.values.get(indicator__code="CT15").value == 42


# -- overdue notices sent twice at the same moment (two cron runs overlapping) -----------------


@pytest.fixture
def overdue_directive(programme):
    """A directive to the Department of Science and Technology, committed, due in a month;
    removed with its notices afterwards."""
    agency = User.objects.get(username="thuongtruc")

    def give():
        return give_directive(
            programme=programme,
            user=agency,
            assignees=[OrgUnit.objects.get(code="SKHCN")],
            content="Sở Khoa học và Công nghệ tổng hợp kết quả số hóa hồ sơ thủ tục hành chính",
            given_by="Ban Chỉ đạo Chương trình 07-CTr/TU",
            given_on=timezone.localdate(),
            source="document",
            deadline=timezone.localdate() + dt.timedelta(days=30),
        )

    (directive,) = in_threads([give])
    yield directive

    def clean():
        Notification.objects.filter(url=directive.get_absolute_url()).delete()
        kind = ContentType.objects.get_for_model(Directive)
        Event.objects.filter(content_type=kind, object_id=directive.pk).delete()
        directive.delete()
        Counter.objects.filter(scope=f"steering.directive:{programme.pk}").delete()

    in_threads([clean])


def test_two_overdue_runs_at_the_same_moment_tell_each_person_once(overdue_directive, monkeypatch):
    together, real = threading.Barrier(2), Notification.objects.bulk_create

    def in_step(*args, **kwargs):  # both runs checked who was told, then both write
        together.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(Notification.objects, "bulk_create", in_step)
    later = overdue_directive.deadline + dt.timedelta(days=3)
    runs = in_threads([lambda: notify_overdue(today=later), lambda: notify_overdue(today=later)])

    told = Notification.objects.filter(key=f"overdue:directive:{overdue_directive.pk}")
    members = User.objects.filter(unit__code="SKHCN", is_active=True).values_list("pk", flat=True)
    assert sorted(told.values_list("user", flat=True)) == sorted(members)
    assert sum(runs) >= told.count()
