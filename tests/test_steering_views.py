"""My work, overdue everything, the calendar of deadlines, priorities and notifications."""

import datetime as dt

import pytest

from steer.accounts.models import User
from steer.notifications.models import Notification
from steer.steering import services
from steer.steering.models import Directive
from steer.units.models import OrgUnit

pytestmark = pytest.mark.django_db


def give(programme, unit="006", deadline=dt.date(2025, 5, 31), content=None):
    return services.give_directive(
        programme=programme,
        user=User.objects.get(username="thuongtruc"),
        assignees=[OrgUnit.objects.get(code=unit)],
        content=content or f"Hoàn thiện hồ sơ số hóa thủ tục hành chính của đơn vị {unit}",
        given_by="Lê Hồng Sơn, Phó Chủ tịch Thường trực UBND Thành phố",
        given_on=dt.date(2025, 4, 17),
        source=Directive.Source.WORKING_SESSION,
        deadline=deadline,
        today=dt.date(2025, 4, 17),
    )


def test_my_work_lists_what_is_assigned_to_my_unit_and_not_others(programme, login):
    mine = give(programme, "006", content="Đống Đa rà soát phần mềm một cửa")
    other = give(programme, "279", content="Thường Tín rà soát phần mềm một cửa")
    page = login("baocao.dongda").get(f"/p/{programme.slug}/work/").content.decode()
    assert mine.content in page
    assert other.content not in page


def test_my_work_shows_the_agency_what_waits_for_acceptance(programme, login):
    directive = give(programme, content="Bổ sung minh chứng kết quả chuyển đổi số")
    Directive.objects.filter(pk=directive.pk).update(state=Directive.State.REPORTED_DONE)
    page = login("thuongtruc").get(f"/p/{programme.slug}/work/").content.decode()
    assert "chờ" in page.lower()
    assert directive.content in page


def test_overdue_lists_overdue_directives_plan_items_and_reports(programme, login):
    late = give(programme, content="Báo cáo kết quả thuê chuyên gia công nghệ thông tin")
    client = login("thuongtruc")
    page = client.get(f"/p/{programme.slug}/overdue/").content.decode()
    assert late.content in page
    xlsx = client.get(f"/p/{programme.slug}/overdue/?download=directives.xlsx")
    assert xlsx.status_code == 200


def test_a_viewer_does_not_see_other_units_overdue_directives(programme, login):
    late = give(programme, "006", content="Đống Đa hoàn thành cơ sở dữ liệu đô thị")
    page = login("xem.thuongtin").get(f"/p/{programme.slug}/overdue/").content.decode()
    assert late.content not in page


def test_the_calendar_shows_the_months_deadlines(programme, login):
    give(programme, deadline=dt.date(2025, 4, 30), content="Xử lý vướng mắc phần mềm thủ tục")
    page = login("thuongtruc").get(f"/p/{programme.slug}/calendar/?month=2025-04")
    text = page.content.decode()
    assert page.status_code == 200
    assert "30/04/2025" in text
    assert "Xử lý vướng mắc phần mềm thủ tục" in text


def test_a_bad_month_is_refused_with_how_to_write_it(programme, login):
    page = login("thuongtruc").get(f"/p/{programme.slug}/calendar/?month=abc")
    assert page.status_code == 400
    assert "Tháng phải viết theo dạng năm-tháng, ví dụ 2025-04, không phải “abc”." in (
        page.content.decode()
    )


def test_priorities_rank_a_short_list_with_reasons(programme, login):
    client = login("bancd")
    page = client.get(f"/p/{programme.slug}/priorities/?limit=5")
    assert page.status_code == 200
    table = page.context["table"]
    assert 1 <= len(table.rows) <= 5
    scores = [r["score"] for r in table.rows]
    assert scores == sorted(scores, reverse=True)
    assert all(r["reasons"] for r in table.rows)
    csv = client.get(f"/p/{programme.slug}/priorities/?download=priorities.csv")
    assert csv.status_code == 200


def test_the_top_priorities_each_give_their_own_reason_and_ties_follow_the_stated_rule(
    programme, login
):
    page = login("bancd").get(f"/p/{programme.slug}/priorities/")
    rows = page.context["table"].rows
    assert len(rows) == 10
    assert len({r["reasons"] for r in rows}) == len(rows)
    for above, below in zip(rows, rows[1:], strict=False):
        if above["score"] == below["score"]:
            assert (above["gap"] or 0, above["days_overdue"] or 0) >= (
                below["gap"] or 0,
                below["days_overdue"] or 0,
            )
    assert "khoảng cách tới chỉ tiêu lớn hơn" in page.content.decode()


def test_notifications_are_the_users_own_and_can_be_marked_read(programme, login):
    give(programme, content="Cập nhật dữ liệu chỉ tiêu CT16")
    client = login("baocao.dongda")
    user = User.objects.get(username="baocao.dongda")
    unread = Notification.objects.filter(user=user, read_at__isnull=True).count()
    assert unread >= 1
    page = client.get("/notifications/").content.decode()
    assert "Cập nhật dữ liệu chỉ tiêu CT16" in page
    client.post("/notifications/")
    assert not Notification.objects.filter(user=user, read_at__isnull=True).exists()
    other = User.objects.get(username="xem.thuongtin")
    assert "Cập nhật dữ liệu chỉ tiêu CT16" not in str(
        list(Notification.objects.filter(user=other).values_list("text", flat=True))
    )


def test_the_overview_counts_overdue_directives(programme, login):
    page = login("thuongtruc").get(f"/p/{programme.slug}/")
    follow = page.context["follow_up"]
    assert follow["overdue"] >= 1
    assert follow["open"] >= follow["overdue"]


def test_the_scorecard_lists_the_units_directives(programme, login):
    directive = give(programme, content="Đống Đa xây dựng lại báo cáo có số liệu")
    page = login("thuongtruc").get(f"/p/{programme.slug}/scorecard/006/")
    assert directive.content in page.content.decode()
