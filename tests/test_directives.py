"""Directives: given with assignees and a deadline, reported on by the assignee, closed on
evidence by the steering side; every change recorded; bad input refused, nothing changed."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from steer.accounts.models import User
from steer.core.models import Event
from steer.notifications.models import Notification
from steer.steering import services
from steer.steering.models import Directive
from steer.units.models import OrgUnit

pytestmark = pytest.mark.django_db

CONTENT = (
    "Quận Đống Đa xây dựng lại báo cáo, nêu rõ chỉ tiêu nào đạt, chỉ tiêu nào không đạt, "
    "có số liệu minh chứng"
)


def pdf(name="bao-cao-ket-qua.pdf", size=2000):
    return SimpleUploadedFile(name, b"%PDF-1.4 " + b"x" * size, content_type="application/pdf")


# Given at the 17/4/2025 working session, while the districts still existed.
SESSION = dt.date(2025, 4, 17)


def give(programme, **overrides):
    fields = {
        "content": CONTENT,
        "given_by": "Lê Hồng Sơn, Phó Chủ tịch Thường trực UBND Thành phố",
        "given_on": SESSION,
        "source": Directive.Source.WORKING_SESSION,
        "deadline": dt.date(2025, 5, 31),
        "today": SESSION,
    }
    fields |= overrides
    assignees = fields.pop("assignees", [OrgUnit.objects.get(code="006")])
    user = fields.pop("user", User.objects.get(username="thuongtruc"))
    return services.give_directive(programme=programme, user=user, assignees=assignees, **fields)


def test_the_demo_holds_the_seeds_directives_some_of_them_overdue(programme):
    directives = Directive.objects.filter(programme=programme)
    assert directives.filter(meeting__held_on=dt.date(2021, 7, 23)).exists()
    assert directives.filter(inspection__number="1").count() >= 5
    assert directives.filter(content__icontains="26/7/2021").exists()
    today = timezone.localdate()
    assert directives.filter(state__in=Directive.OPEN, deadline__lt=today).exists()


def test_giving_a_directive_tells_the_assignees_and_records_who(programme):
    directive = give(programme)
    assert directive.code == f"CĐ-{directive.number:03d}"
    event = Event.objects.get(object_id=directive.pk, action="given")
    assert event.user.username == "thuongtruc"
    told = Notification.objects.filter(kind="assigned", url=directive.get_absolute_url())
    assert {n.user.username for n in told} >= {"baocao.dongda", "lanhdao.dongda"}
    assert "xem.thuongtin" not in {n.user.username for n in told}


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"assignees": []}, "ít nhất một đơn vị"),
        ({"deadline": dt.date(2025, 4, 1)}, "đã qua"),
        (
            {
                "given_on": dt.date(2025, 7, 1),
                "today": dt.date(2025, 7, 1),
                "deadline": dt.date(2025, 8, 31),
            },
            "không tồn tại",
        ),
        ({"content": "   "}, "nội dung"),
    ],
)
def test_a_bad_directive_is_refused_and_nothing_is_saved(programme, overrides, message):
    before = Directive.objects.count()
    with pytest.raises(services.SteeringError, match=message):
        give(programme, **overrides)
    assert Directive.objects.count() == before


def test_a_reporter_may_not_give_directives(programme):
    with pytest.raises(PermissionDenied, match="chỉ đạo"):
        give(programme, user=User.objects.get(username="baocao.dongda"))


def test_the_assignee_reports_then_the_agency_closes_on_evidence(programme, login):
    directive = give(programme)
    client = login("baocao.dongda")
    url = directive.get_absolute_url()
    response = client.post(
        url,
        {
            "action": "report",
            "unit": OrgUnit.objects.get(code="006").pk,
            "text": "Đã xây dựng lại báo cáo theo mẫu chung",
            "done": "on",
            "files": [pdf()],
        },
    )
    assert response.status_code == 302
    directive.refresh_from_db()
    assert directive.state == Directive.State.REPORTED_DONE
    assert directive.attachments.count() == 1
    agency = login("thuongtruc")
    agency.post(url, {"action": "close", "note": "Báo cáo đã nêu rõ chỉ tiêu đạt và không đạt"})
    directive.refresh_from_db()
    assert directive.state == Directive.State.DONE
    assert directive.accepted_by.username == "thuongtruc"
    assert directive.closed_on == timezone.localdate()  # accepted today
    actions = list(
        Event.objects.filter(object_id=directive.pk, content_type__model="directive")
        .order_by("at", "pk")
        .values_list("action", "user__username")
    )
    assert actions == [
        ("given", "thuongtruc"),
        ("reported", "baocao.dongda"),
        ("closed", "thuongtruc"),
    ]


def test_reporting_done_without_evidence_is_refused(programme):
    directive = give(programme)
    reporter = User.objects.get(username="baocao.dongda")
    with pytest.raises(services.SteeringError, match="minh chứng"):
        services.report_on_directive(
            directive=directive,
            user=reporter,
            unit=OrgUnit.objects.get(code="006"),
            text="Đã xong",
            done=True,
        )
    directive.refresh_from_db()
    assert directive.state == Directive.State.NEW
    assert not directive.updates.exists()


@pytest.mark.parametrize(
    "upload, message",
    [
        (SimpleUploadedFile("virus.exe", b"MZ" * 10), "không được chấp nhận"),
        (pdf("qua-lon.pdf", 10 * 1024 * 1024 + 1), "10 MB"),
    ],
)
def test_an_evidence_file_of_a_forbidden_type_or_too_large_is_refused(programme, upload, message):
    directive = give(programme)
    reporter = User.objects.get(username="baocao.dongda")
    with pytest.raises(services.SteeringError, match=message):
        services.report_on_directive(
            directive=directive,
            user=reporter,
            unit=OrgUnit.objects.get(code="006"),
            text="Đã xong",
            files=[upload],
        )
    assert not directive.updates.exists()
    assert not directive.attachments.exists()


def test_a_unit_that_is_not_assigned_cannot_report(programme):
    directive = give(programme)
    viewer = User.objects.get(username="baocao.dongda")
    with pytest.raises(services.SteeringError):
        services.report_on_directive(
            directive=directive, user=viewer, unit=OrgUnit.objects.get(code="279"), text="Xong"
        )


def test_only_the_steering_side_may_close(programme, login):
    directive = give(programme, files=[pdf()])
    client = login("lanhdao.dongda")
    response = client.post(directive.get_absolute_url(), {"action": "close", "note": "Xong"})
    assert response.status_code == 403
    directive.refresh_from_db()
    assert directive.state == Directive.State.NEW


def test_a_closed_directive_cannot_be_changed(programme, login):
    directive = give(programme, files=[pdf()])
    agency = User.objects.get(username="thuongtruc")
    services.close_directive(directive=directive, user=agency, note="Đã thực hiện")
    reporter = User.objects.get(username="baocao.dongda")
    with pytest.raises(services.SteeringError, match="đã đóng"):
        services.report_on_directive(
            directive=directive, user=reporter, unit=OrgUnit.objects.get(code="006"), text="Bổ sung"
        )
    client = login("baocao.dongda")
    response = client.post(
        directive.get_absolute_url(),
        {"action": "report", "unit": OrgUnit.objects.get(code="006").pk, "text": "Bổ sung"},
        follow=True,
    )
    assert not directive.updates.exists()
    assert "đã đóng" in response.content.decode()


def test_returning_sends_it_back_to_the_assignees_with_the_reason(programme):
    directive = give(programme, files=[pdf()])
    reporter = User.objects.get(username="baocao.dongda")
    unit = OrgUnit.objects.get(code="006")
    services.report_on_directive(
        directive=directive, user=reporter, unit=unit, text="Đã xong", done=True
    )
    services.return_directive(
        directive=directive,
        user=User.objects.get(username="thuongtruc"),
        reason="Chưa có số liệu minh chứng",
    )
    directive.refresh_from_db()
    assert directive.state == Directive.State.IN_PROGRESS
    assert Notification.objects.filter(user=reporter, kind="returned").exists()


def test_overdue_directives_notify_their_assignees_once(programme):
    directive = give(programme)
    later = directive.deadline + dt.timedelta(days=3)
    first = services.notify_overdue(today=later)
    second = services.notify_overdue(today=later)
    assert first >= 2 and second == 0
    assert (
        Notification.objects.filter(kind="overdue", key=f"overdue:directive:{directive.pk}").count()
        == first
    )


def test_the_register_filters_overdue_and_downloads(programme, login):
    client = login("thuongtruc")
    page = client.get(f"/p/{programme.slug}/directives/?state=overdue")
    assert page.status_code == 200
    assert "Quá hạn" in page.content.decode()
    xlsx = client.get(f"/p/{programme.slug}/directives/?download=directives.xlsx")
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_a_viewer_sees_only_directives_for_his_units(programme, login):
    mine = give(programme, assignees=[OrgUnit.objects.get(code="279")])
    other = give(programme)
    client = login("xem.thuongtin")
    assert client.get(mine.get_absolute_url()).status_code == 200
    assert client.get(other.get_absolute_url()).status_code == 404


def test_the_form_refuses_a_directive_without_assignee_and_keeps_nothing(programme, login):
    client = login("thuongtruc")
    before = Directive.objects.count()
    response = client.post(
        f"/p/{programme.slug}/directives/new/",
        {
            "content": CONTENT,
            "given_by": "Ban Chỉ đạo",
            "given_on": "21/11/2026",
            "source": "document",
            "deadline": "31/12/2026",
        },
    )
    assert response.status_code == 200
    assert "ít nhất một đơn vị" in response.content.decode()
    assert Directive.objects.count() == before


def test_evidence_downloads_for_those_who_see_the_directive_only(programme, login):
    directive = give(programme, files=[pdf("bien-ban-hop.pdf")])
    attachment = directive.attachments.get()
    url = f"/p/{programme.slug}/files/{attachment.pk}/"
    response = login("baocao.dongda").get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert "bien-ban-hop.pdf" in response["Content-Disposition"]
    assert login("xem.thuongtin").get(url).status_code == 404
