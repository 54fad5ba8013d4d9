"""The recommendations register: units raise them, the standing agency forwards, answers and
synthesises the open ones for the city; everyone sees only the units they may see."""

import datetime as dt
import io

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from steer.accounts.models import User
from steer.steering import selectors, services
from steer.steering.models import Recommendation, Synthesis
from steer.units.models import OrgUnit

EXPERTS = "Đề nghị Thành phố ban hành cơ chế thuê chuyên gia công nghệ thông tin"
SIGNATURES = (
    "Đề nghị hướng dẫn thống nhất việc ký số hồ sơ thủ tục hành chính trên Cổng dịch vụ công"
)
FUNDS = "Đề nghị bổ sung kinh phí số hóa hồ sơ đất đai năm 2025 cho cấp xã"
DRONES = "Đề nghị Sở Nông nghiệp phối hợp hướng dẫn mô hình sử dụng thiết bị bay không người lái"


def user(username: str) -> User:
    return User.objects.get(username=username)


def unit(code: str) -> OrgUnit:
    return OrgUnit.objects.get(code=code)


def raise_one(programme, content, *, code="006", category="personnel", username="baocao.dongda"):
    return services.raise_recommendation(
        programme=programme,
        user=user(username),
        unit=unit(code),
        raised_on=dt.date(2025, 3, 10),
        channel=Recommendation.Channel.REPORT,
        category=category,
        content=content,
        addressed_to="UBND Thành phố Hà Nội",
        is_bottleneck=False,
    )


def list_url(programme) -> str:
    return reverse("recommendation_list", args=[programme.slug])


def new_url(programme) -> str:
    return reverse("recommendation_new", args=[programme.slug])


def detail_url(rec) -> str:
    return reverse("recommendation_detail", args=[rec.programme.slug, rec.number])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def new_form(unit_pk, **changes) -> dict:
    data = {
        "unit": unit_pk,
        "raised_on": "2025-03-10",
        "channel": "report",
        "inspection": "",
        "category": "personnel",
        "content": EXPERTS,
        "addressed_to": "UBND Thành phố Hà Nội",
        "is_bottleneck": "on",
    }
    data.update(changes)
    return data


def test_reporter_raises_a_recommendation_for_his_unit_and_it_is_in_the_register(login, programme):
    client = login("baocao.dongda")
    form_page = client.get(new_url(programme))
    assert form_page.status_code == 200
    choices = [u.code for u in form_page.context["form"].fields["unit"].queryset]
    assert "006" in choices and "279" not in choices
    assert form_page.context["form"]["unit"].value() == unit("006").pk

    response = client.post(new_url(programme), new_form(unit("006").pk))

    rec = Recommendation.objects.get(programme=programme, content=EXPERTS)
    assert response.status_code == 302 and response.url == detail_url(rec)
    assert (rec.unit.code, rec.state, rec.is_bottleneck) == ("006", "new", True)
    assert rec.raised_on == dt.date(2025, 3, 10) and rec.created_by.username == "baocao.dongda"
    [event] = selectors.events_of(rec)
    assert (event.action, event.to_state, event.user.username) == ("raised", "new", "baocao.dongda")
    register = client.get(list_url(programme)).content.decode()
    assert EXPERTS in register and rec.code in register


def test_reporter_cannot_raise_a_recommendation_for_another_unit(login, programme):
    before = Recommendation.objects.count()
    client = login("baocao.dongda")
    response = client.post(new_url(programme), new_form(unit("279").pk))
    assert response.status_code == 200
    assert "Hãy chọn một lựa chọn hợp lệ" in response.content.decode()
    assert Recommendation.objects.count() == before
    assert not Recommendation.objects.filter(content=EXPERTS).exists()


def test_a_viewer_may_not_raise_recommendations(login, programme):
    client = login("xem.thuongtin")
    assert client.get(new_url(programme)).status_code == 403
    assert "recommendations/new/" not in client.get(list_url(programme)).content.decode()


def test_empty_content_shows_a_vietnamese_error_and_creates_nothing(login, programme):
    before = Recommendation.objects.count()
    client = login("baocao.dongda")
    response = client.post(new_url(programme), new_form(unit("006").pk, content="   "))
    assert response.status_code == 200
    assert "Trường này là bắt buộc." in response.content.decode()
    assert Recommendation.objects.count() == before


def test_viewer_of_thuong_tin_does_not_see_dong_da_recommendations(login, programme):
    dong_da = raise_one(programme, EXPERTS)
    thuong_tin = raise_one(programme, DRONES, code="279", username="thuongtruc")
    client = login("xem.thuongtin")
    register = client.get(list_url(programme))
    page = register.content.decode()
    assert DRONES in page and EXPERTS not in page
    shown = {row["unit"] for row in register.context["table"].rows}
    assert str(unit("279")) in shown and str(unit("006")) not in shown
    assert thuong_tin.code in page
    assert client.get(detail_url(dong_da)).status_code == 404
    assert client.get(detail_url(thuong_tin)).status_code == 200
    assert client.get(list_url(programme) + "?unit=006").status_code == 200


def test_standing_agency_forwards_and_answers_and_each_change_is_recorded(login, programme):
    rec = raise_one(programme, EXPERTS)
    client = login("thuongtruc")
    routed = client.post(
        detail_url(rec),
        {
            "action": "route",
            "routed_to": "Sở Nội vụ",
            "synthesis_note": "Kiến nghị có cơ sở, giao Sở Nội vụ tham mưu cơ chế.",
        },
    )
    assert routed.status_code == 302
    rec.refresh_from_db()
    assert (rec.state, rec.routed_to) == ("routed", "Sở Nội vụ")

    answered = client.post(
        detail_url(rec),
        {
            "action": "answer",
            "response": "Sở Nội vụ đang dự thảo quy định thuê chuyên gia, trình Thành phố quý III.",
            "responded_on": "2025-04-15",
        },
    )
    assert answered.status_code == 302
    rec.refresh_from_db()
    assert (rec.state, rec.responded_on) == ("answered", dt.date(2025, 4, 15))
    changes = [
        (e.action, e.from_state, e.to_state, e.user.username) for e in selectors.events_of(rec)
    ]
    assert changes == [
        ("raised", "", "new", "baocao.dongda"),
        ("routed", "new", "routed", "thuongtruc"),
        ("answered", "routed", "answered", "thuongtruc"),
    ]
    page = client.get(detail_url(rec)).content.decode()
    assert "Nguyễn Thu Hà" in page and "Sở Nội vụ" in page
    assert rec.get_state_display() in page


def test_the_unit_is_told_when_its_recommendation_is_answered(login, programme):
    rec = raise_one(programme, FUNDS, category="finance")
    login("thuongtruc").post(
        detail_url(rec),
        {
            "action": "answer",
            "response": "Đã bố trí trong dự toán bổ sung.",
            "responded_on": "2025-04-01",
        },
    )
    reporter = user("baocao.dongda")
    assert reporter.notifications.filter(kind="answered", url=detail_url(rec)).exists()


def test_answering_a_closed_recommendation_is_refused_and_nothing_changes(login, programme):
    rec = raise_one(programme, SIGNATURES, category="procedures_it")
    client = login("thuongtruc")
    client.post(
        detail_url(rec),
        {
            "action": "answer",
            "response": "Văn phòng UBND Thành phố đã ban hành hướng dẫn ký số.",
            "responded_on": "2025-04-02",
            "close": "on",
        },
    )
    rec.refresh_from_db()
    assert rec.state == "closed"
    page = client.get(detail_url(rec))
    assert b'name="action"' not in page.content
    events = selectors.events_of(rec).count()

    response = client.post(
        detail_url(rec),
        {"action": "answer", "response": "Trả lời lại", "responded_on": "2025-05-02"},
        follow=True,
    )
    assert _("The recommendation is closed: it can no longer be changed.") in messages_of(response)
    refused_route = client.post(detail_url(rec), {"action": "route", "routed_to": ""}, follow=True)
    assert _("The recommendation is closed: it can no longer be changed.") in messages_of(
        refused_route
    )
    after = Recommendation.objects.get(pk=rec.pk)
    assert after.response == "Văn phòng UBND Thành phố đã ban hành hướng dẫn ký số."
    assert after.responded_on == dt.date(2025, 4, 2) and after.routed_to == ""
    assert selectors.events_of(rec).count() == events


def test_a_unit_reporter_cannot_forward_or_answer(login, programme):
    rec = raise_one(programme, EXPERTS)
    client = login("baocao.dongda")
    assert b'value="route"' not in client.get(detail_url(rec)).content
    response = client.post(detail_url(rec), {"action": "route", "routed_to": "Sở Nội vụ"})
    assert response.status_code == 403
    rec.refresh_from_db()
    assert (rec.state, rec.routed_to) == ("new", "")


def test_the_synthesis_takes_exactly_the_open_recommendations_not_yet_in_one(login, programme):
    standing = user("thuongtruc")
    earlier = raise_one(programme, "Đề nghị đã tổng hợp kỳ trước về hạ tầng mạng", category="other")
    services.synthesise(programme=programme, user=standing, title="Tổng hợp quý I/2025", note="")
    new = raise_one(programme, EXPERTS, category="personnel")
    routed = raise_one(programme, FUNDS, category="finance", code="279", username="thuongtruc")
    services.route(
        recommendation=routed, user=standing, routed_to="Sở Tài chính", synthesis_note=""
    )
    answered = raise_one(programme, SIGNATURES, category="procedures_it")
    services.answer(
        recommendation=answered,
        user=standing,
        response="Đã có hướng dẫn.",
        responded_on=dt.date(2025, 4, 1),
    )
    closed = raise_one(programme, DRONES, category="coordination")
    services.answer(
        recommendation=closed,
        user=standing,
        response="Đã phối hợp xong.",
        responded_on=dt.date(2025, 4, 1),
        close=True,
    )

    client = login("thuongtruc")
    register = client.get(list_url(programme))
    assert register.context["pending"] == 2
    response = client.post(
        list_url(programme),
        {
            "title": "Tổng hợp kiến nghị, đề xuất gửi Thành phố quý II/2025",
            "note": "Hai kiến nghị.",
        },
    )
    batch = Synthesis.objects.get(title="Tổng hợp kiến nghị, đề xuất gửi Thành phố quý II/2025")
    assert response.status_code == 302 and response.url == batch.get_absolute_url()
    assert {r.pk for r in batch.recommendations.all()} == {new.pk, routed.pk}
    earlier.refresh_from_db()
    assert earlier.synthesis.title == "Tổng hợp quý I/2025"

    page = client.get(batch.get_absolute_url())
    assert page.status_code == 200
    groups = [(g["label"], [r.code for r in g["recs"]]) for g in page.context["groups"]]
    assert groups == [
        (Recommendation.Category.FINANCE.label, [routed.code]),
        (Recommendation.Category.PERSONNEL.label, [new.code]),
    ]
    html = page.content.decode()
    assert EXPERTS in html and FUNDS in html and SIGNATURES not in html and DRONES not in html
    again = client.post(list_url(programme), {"title": "Tổng hợp lần nữa", "note": ""}, follow=True)
    assert _("There is no open recommendation to synthesise.") in messages_of(again)
    assert not Synthesis.objects.filter(title="Tổng hợp lần nữa").exists()


def test_only_programme_wide_viewers_see_a_synthesis(login, programme):
    raise_one(programme, EXPERTS)
    batch = services.synthesise(
        programme=programme, user=user("thuongtruc"), title="Tổng hợp quý I/2025", note=""
    )
    assert login("bancd").get(batch.get_absolute_url()).status_code == 200
    assert login("baocao.dongda").get(batch.get_absolute_url()).status_code == 403
    assert login("xem.thuongtin").get(batch.get_absolute_url()).status_code == 403


def test_only_the_standing_agency_may_synthesise(login, programme):
    raise_one(programme, EXPERTS)
    before = Synthesis.objects.count()
    client = login("bancd")
    assert b'name="title"' not in client.get(list_url(programme)).content
    assert client.post(list_url(programme), {"title": "Tổng hợp"}).status_code == 403
    assert Synthesis.objects.count() == before


def test_the_register_filters_by_state_category_and_unit_and_counts_them(login, programme):
    client = login("thuongtruc")

    def counts():
        context = client.get(list_url(programme)).context
        return {c: n for c, _label, n in context["by_state"] + context["by_category"]}

    before = counts()
    raise_one(programme, EXPERTS, category="personnel")
    raise_one(programme, FUNDS, category="finance")
    routed = raise_one(programme, DRONES, category="coordination", code="279", username="quantri")
    services.route(
        recommendation=routed,
        user=user("thuongtruc"),
        routed_to="Sở Nông nghiệp và Môi trường",
        synthesis_note="",
    )
    after = counts()
    assert {c: after[c] - before[c] for c in after if after[c] != before[c]} == {
        "new": 2,
        "routed": 1,
        "personnel": 1,
        "finance": 1,
        "coordination": 1,
    }

    def contents(query):
        rows = client.get(list_url(programme) + query).context["table"].rows
        return {r["content"] for r in rows} & {EXPERTS, FUNDS, DRONES}

    assert contents("?state=routed") == {DRONES}
    assert contents("?state=open") == {EXPERTS, FUNDS, DRONES}
    assert contents("?state=answered") == set()
    assert contents("?category=finance") == {FUNDS}
    assert contents("?unit=006") == {EXPERTS, FUNDS}
    assert contents("?state=open&unit=279") == {DRONES}
    routed_only = client.get(list_url(programme) + "?state=routed").context["table"].rows
    assert {r["state"]["code"] for r in routed_only} == {"routed"}


@pytest.mark.parametrize(
    ("ext", "content_type"),
    [
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("csv", "text/csv; charset=utf-8"),
    ],
)
def test_the_register_downloads_as_excel_and_csv(login, programme, ext, content_type):
    rec = raise_one(programme, EXPERTS)
    response = login("thuongtruc").get(
        list_url(programme) + f"?category=personnel&download=recommendations.{ext}"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    if ext == "csv":
        text = response.content.decode("utf-8-sig")
        assert EXPERTS in text and rec.code in text and "10/03/2025" in text
    else:
        sheet = load_workbook(io.BytesIO(response.content)).active
        values = [cell.value for row in sheet.iter_rows() for cell in row]
        assert EXPERTS in values and rec.code in values and "UBND Thành phố Hà Nội" in values


def test_the_synthesis_downloads_as_excel(login, programme):
    raise_one(programme, EXPERTS)
    batch = services.synthesise(
        programme=programme, user=user("thuongtruc"), title="Tổng hợp quý I/2025", note=""
    )
    response = login("thuongtruc").get(batch.get_absolute_url() + "?download=synthesis.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(1, 1).value == _("Synthesis of recommendations and proposals to the city")
    assert EXPERTS in [cell.value for row in sheet.iter_rows() for cell in row]
