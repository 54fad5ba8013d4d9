"""Two people editing the same record in the app or the back office: the second save is
refused, naming who changed what with both values; the first one's change is kept, and the
second one's typed text comes back in the form so that saving again is a choice."""

import datetime as dt
import threading
import time

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.utils.translation import gettext as _

from steer.accounts.models import Role, RoleGrant, User
from steer.core.conflicts import EditConflict
from steer.core.models import Counter, Event
from steer.documents.models import Draft
from steer.notifications.models import Notification
from steer.reporting.models import Submission, ValidationRule
from steer.steering import services
from steer.steering.models import Inspection, Recommendation
from steer.units.models import OrgUnit
from tests.pages import client_of, form_on
from tests.together import in_threads, postgresql_only

pytestmark = pytest.mark.django_db

THU_HA = "Nguyễn Thu Hà"  # thuongtruc, the standing agency


def theirs_and_yours(label: str, theirs: str, yours: str) -> str:
    return _("%(field)s: theirs “%(theirs)s”, yours “%(yours)s”") % {
        "field": label,
        "theirs": theirs,
        "yours": yours,
    }


def errors_of(response, form: str) -> str:
    return " ".join(response.context[form].non_field_errors())


# -- document drafts -------------------------------------------------------------------------

TITLE = "Báo cáo kết quả thực hiện Chương trình 07-CTr/TU 6 tháng đầu năm 2024 (bản sửa)"


@pytest.fixture
def synthesis(programme) -> Draft:
    return Draft.objects.get(programme=programme, kind="synthesis", period="2024S1")


@pytest.fixture
def two_editors(synthesis):
    """The draft's page opened by the standing agency, then by the administrator: the URL,
    their clients and the forms each was shown."""
    url = synthesis.get_absolute_url()
    agency, admin = client_of("thuongtruc"), client_of("quantri")
    return url, agency, admin, form_on(agency, url, title=None), form_on(admin, url, title=None)


INTRO = "Sở Khoa học và Công nghệ báo cáo kết quả 6 tháng đầu năm 2024 như sau:"


def intro_field(form: dict, synthesis) -> str:
    return next(name for name, value in form.items() if value == synthesis.texts["intro"])


def test_a_second_save_of_a_draft_is_refused_and_keeps_the_first_ones_title(synthesis, two_editors):
    url, agency, admin, first, second = two_editors
    assert agency.post(url, first | {"title": TITLE, "action": "save"}).status_code == 302
    response = admin.post(url, second | {"number": "125-BC/BCĐ", "action": "save"})

    assert response.status_code == 200
    error = errors_of(response, "header")
    assert THU_HA in error
    assert theirs_and_yours("Trích yếu", TITLE, synthesis.title) in error
    assert "Đã lưu" not in str([str(m) for m in get_messages(response.wsgi_request)])
    stored = Draft.objects.get(pk=synthesis.pk)
    assert stored.title == TITLE and stored.number != "125-BC/BCĐ"
    assert stored.updated_by.username == "thuongtruc"
    shown = form_on_response(response)
    assert shown["title"] == TITLE  # theirs, where this editor changed nothing
    assert shown["number"] == "125-BC/BCĐ"  # what this editor typed is kept

    assert admin.post(url, shown | {"action": "save"}).status_code == 302
    stored.refresh_from_db()
    assert (stored.title, stored.number) == (TITLE, "125-BC/BCĐ")


def test_a_text_changed_meanwhile_is_named_by_its_heading(synthesis, two_editors):
    url, agency, admin, first, second = two_editors
    intro = intro_field(first, synthesis)
    assert agency.post(url, first | {intro: INTRO, "action": "save"}).status_code == 302
    response = admin.post(
        url, second | {intro: "Thực hiện Chương trình 07-CTr/TU,", "action": "save"}
    )

    assert response.status_code == 200
    assert theirs_and_yours("Mở đầu", INTRO, "Thực hiện Chương trình 07-CTr/TU,") in errors_of(
        response, "header"
    )
    assert Draft.objects.get(pk=synthesis.pk).texts["intro"] == INTRO
    assert form_on_response(response)[intro] == "Thực hiện Chương trình 07-CTr/TU,"


def test_rewriting_the_text_from_the_data_does_not_wipe_an_edit_made_meanwhile(
    synthesis, two_editors
):
    url, agency, admin, first, second = two_editors
    intro = intro_field(first, synthesis)
    assert agency.post(url, first | {intro: INTRO, "action": "save"}).status_code == 302
    response = admin.post(url, second | {"action": "redraft"})
    assert response.status_code == 200
    said = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert THU_HA in said and INTRO in said
    assert Draft.objects.get(pk=synthesis.pk).texts["intro"] == INTRO


def test_rewriting_the_text_is_not_stopped_by_a_header_change(synthesis, two_editors):
    url, agency, admin, first, second = two_editors
    assert agency.post(url, first | {"title": TITLE, "action": "save"}).status_code == 302
    assert admin.post(url, second | {"action": "redraft"}).status_code == 302
    assert Draft.objects.get(pk=synthesis.pk).title == TITLE


def form_on_response(response) -> dict:
    from tests.pages import _Forms

    parser = _Forms()
    parser.feed(response.content.decode())
    form = next(f for f in parser.forms if "title" in f)
    return {k: v[0] if len(v) == 1 else v for k, v in form.items()}


# -- recommendations -------------------------------------------------------------------------


@pytest.fixture
def agency2(programme) -> User:
    """A second official of the standing agency."""
    user = User.objects.create_user(
        "thuongtruc2",
        password="x",
        full_name="Vũ Minh Tuấn",
        unit=OrgUnit.objects.get(code="SKHCN"),
    )
    RoleGrant.objects.create(user=user, role=Role.STANDING_AGENCY, programme=programme)
    return user


@pytest.fixture
def recommendation(programme) -> Recommendation:
    return services.raise_recommendation(
        programme=programme,
        user=User.objects.get(username="baocao.dongda"),
        unit=OrgUnit.objects.get(code="006"),
        raised_on=dt.date(2025, 3, 10),
        channel=Recommendation.Channel.DIRECT,
        category=Recommendation.Category.PERSONNEL,
        content="Đề nghị Thành phố ban hành cơ chế thuê chuyên gia công nghệ thông tin",
        addressed_to="UBND Thành phố Hà Nội",
    )


FIRST_ANSWER = "Sở Nội vụ đang xây dựng Đề án thuê chuyên gia, trình UBND Thành phố quý III/2025."
SECOND_ANSWER = "Đã chuyển Sở Nội vụ nghiên cứu."


def test_a_second_answer_to_a_recommendation_is_refused_and_the_first_kept(recommendation, agency2):
    url = recommendation.get_absolute_url()
    agency, other = client_of("thuongtruc"), client_of("thuongtruc2")
    first = form_on(agency, url, action="answer")
    second = form_on(other, url, action="answer")
    assert agency.post(url, first | {"response": FIRST_ANSWER}).status_code == 302
    response = other.post(url, second | {"response": SECOND_ANSWER})

    assert response.status_code == 200
    error = errors_of(response, "answer_form")
    assert THU_HA in error
    assert theirs_and_yours("Nội dung trả lời", FIRST_ANSWER, SECOND_ANSWER) in error
    recommendation.refresh_from_db()
    assert recommendation.response == FIRST_ANSWER
    answered = Event.objects.filter(object_id=recommendation.pk, action="answered")
    assert [e.user.username for e in answered] == ["thuongtruc"]
    assert response.context["answer_form"]["response"].value() == SECOND_ANSWER  # kept


def test_forwarding_and_answering_at_once_do_not_stop_each_other(recommendation, agency2):
    url = recommendation.get_absolute_url()
    agency, other = client_of("thuongtruc"), client_of("thuongtruc2")
    route = form_on(agency, url, action="route")
    answer = form_on(other, url, action="answer")
    assert agency.post(url, route | {"routed_to": "Sở Nội vụ"}).status_code == 302
    assert other.post(url, answer | {"response": FIRST_ANSWER}).status_code == 302
    recommendation.refresh_from_db()
    assert (recommendation.routed_to, recommendation.response) == ("Sở Nội vụ", FIRST_ANSWER)


def test_an_answer_sent_without_the_forms_token_is_not_guarded(recommendation):
    """Old pages and scripts still work, as the report figures do without their version."""
    client = client_of("thuongtruc")
    url = recommendation.get_absolute_url()
    services.answer(
        recommendation=recommendation,
        user=User.objects.get(username="quantri"),
        response="Trả lời",
        responded_on=dt.date.today(),
    )
    response = client.post(
        url,
        {"action": "answer", "response": FIRST_ANSWER, "responded_on": dt.date.today()},
    )
    assert response.status_code == 302
    assert Recommendation.objects.get(pk=recommendation.pk).response == FIRST_ANSWER


# -- inspections -----------------------------------------------------------------------------


@pytest.fixture
def inspection(programme) -> Inspection:
    return services.plan_inspection(
        programme=programme,
        user=User.objects.get(username="kiemtra"),
        units=[OrgUnit.objects.get(code="006")],
        members=[{"role": "head", "name": "Nguyễn Văn Phong", "position": "Trưởng Ban Chỉ đạo"}],
        number="9",
        title="Đoàn kiểm tra số 9",
        purpose="Đánh giá kết quả thực hiện Chương trình 07-CTr/TU.",
        scope="",
        start=dt.date(2023, 9, 20),
        end=dt.date(2023, 9, 22),
    )


def test_findings_recorded_by_two_inspectors_at_once_keep_the_first(inspection):
    url = inspection.get_absolute_url()
    visit = inspection.visits.get()
    prefix = f"visit-{visit.pk}"
    inspector, agency = client_of("kiemtra"), client_of("thuongtruc")
    first = form_on(inspector, url, action="visit")
    second = form_on(agency, url, action="visit")
    results = "Hoàn thành 7/7 chỉ tiêu được giao; 95,6% hồ sơ trực tuyến."
    assert inspector.post(url, first | {f"{prefix}-results": results}).status_code == 302
    response = agency.post(url, second | {f"{prefix}-causes": "Thiếu kinh phí tư vấn."})

    assert response.status_code == 200
    error = " ".join(response.context["visits"][0].form.non_field_errors())
    assert "Hoàng Quốc Việt" in error and results in error
    visit.refresh_from_db()
    assert (visit.results, visit.causes) == (results, "")


def test_a_conclusion_written_while_another_concluded_stays_on_the_page(inspection):
    url = inspection.get_absolute_url()
    services.record_visit(
        inspection=inspection,
        user=User.objects.get(username="kiemtra"),
        unit=inspection.visits.get().unit,
        visited_on=dt.date(2023, 9, 20),
        results="Đạt yêu cầu.",
    )
    inspector, agency = client_of("kiemtra"), client_of("thuongtruc")
    first = form_on(inspector, url, action="conclude")
    second = form_on(agency, url, action="conclude")
    theirs = "Quận Đống Đa đã hoàn thành các nhiệm vụ trọng tâm."
    mine = "Đề nghị quận Đống Đa bổ sung kinh phí chuyển đổi số năm 2024."
    assert inspector.post(url, first | {"conclude-conclusion": theirs}).status_code == 302
    response = agency.post(url, second | {"conclude-conclusion": mine})

    assert response.status_code == 200
    assert theirs_and_yours("Kết luận", theirs, mine) in errors_of(response, "conclude_form")
    assert mine in response.content.decode()  # still on the page, to copy
    assert Inspection.objects.get(pk=inspection.pk).conclusion == theirs


# -- the back office -------------------------------------------------------------------------


def test_every_back_office_screen_is_conflict_checked():
    from steer.accounts.admin_site import site
    from steer.core.admin_edits import EditCheckedAdmin

    unchecked = [
        m._meta.label for m, a in site._registry.items() if not isinstance(a, EditCheckedAdmin)
    ]
    assert not unchecked


@pytest.fixture
def second_admin(db) -> User:
    user = User.objects.create_user(
        "quantri2", password="x", full_name="Đặng Văn Long", unit=OrgUnit.objects.get(code="SKHCN")
    )
    RoleGrant.objects.create(user=user, role=Role.ADMINISTRATOR)
    return user


def admin_change(client, url, field: str) -> dict:
    return form_on(client, url, **{field: None})


@pytest.mark.parametrize(
    ("model", "lookup", "first", "second"),
    [
        (
            ValidationRule,
            {},
            {"name": "Tổng các lĩnh vực bằng tổng số mô hình"},
            {"severity": "warn"},
        ),
        (OrgUnit, {"code": "006"}, {"name": "Quận Đống Đa (đến 30/6/2025)"}, {"short_name": "ĐĐ"}),
    ],
)
def test_every_back_office_change_form_refuses_a_save_over_anothers(
    programme, second_admin, model, lookup, first, second
):
    row = model.objects.filter(**lookup).order_by("pk").first()
    url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/{row.pk}/change/"
    one, other = client_of("quantri"), client_of("quantri2")
    name = next(iter(first))
    seen_one, seen_other = admin_change(one, url, name), admin_change(other, url, name)
    assert one.post(url, seen_one | first).status_code == 302
    response = other.post(url, seen_other | second)

    assert response.status_code == 200
    error = " ".join(response.context["adminform"].form.non_field_errors())
    (value,), ((typed, typed_value),) = first.values(), second.items()
    assert "Quản trị hệ thống" in error and value in error
    now = model.objects.get(pk=row.pk)
    assert getattr(now, name) == value and getattr(now, typed) == getattr(row, typed)
    assert response.context["adminform"].form[typed].value() == typed_value  # kept


# -- steps that moved meanwhile --------------------------------------------------------------


def test_a_report_step_refused_because_another_moved_it_says_who(quarterly):
    from django.urls import reverse

    entry = reverse(
        "report_entry", args=[quarterly.programme.slug, quarterly.code, "2024Q3", "006"]
    )
    reporter = client_of("baocao.dongda")
    reporter.post(entry, {"action": "submit", "v-CT15": "12", "v-CT18": "97"})
    submission = Submission.objects.get(form=quarterly, unit__code="006", period="2024Q3")
    assert submission.state == "submitted"
    head, agency = client_of("lanhdao.dongda"), client_of("thuongtruc")
    returning = form_on(agency, entry, reason=None) | {
        "action": "return",
        "reason": "Thiếu số liệu",
    }
    approving = form_on(head, entry, reason=None) | {"action": "approve"}
    assert head.post(entry, approving).status_code == 302
    response = agency.post(entry, returning, follow=True)

    said = " ".join(str(m) for m in get_messages(response.wsgi_request))
    submission.refresh_from_db()
    assert "Phạm Văn Hùng" in said and submission.get_state_display() in said
    submission.refresh_from_db()
    assert submission.state == "approved"


def test_returning_a_directive_another_returned_meanwhile_says_who(programme, second_admin):
    directive = services.give_directive(
        programme=programme,
        user=User.objects.get(username="thuongtruc"),
        assignees=[OrgUnit.objects.get(code="SYT")],
        content="Sở Y tế báo cáo tiến độ triển khai bệnh án điện tử",
        given_by="Ban Chỉ đạo",
        given_on=dt.date.today(),
        source="document",
        deadline=dt.date.today() + dt.timedelta(days=30),
    )
    type(directive).objects.filter(pk=directive.pk).update(state="reported_done")
    url = directive.get_absolute_url()
    agency, admin = client_of("thuongtruc"), client_of("quantri2")
    first, second = form_on(agency, url, action="return"), form_on(admin, url, action="return")
    agency.post(url, first | {"reason": "Chưa có biên bản nghiệm thu"})
    response = admin.post(url, second | {"reason": "Thiếu minh chứng"}, follow=True)
    said = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert THU_HA in said
    assert Event.objects.filter(object_id=directive.pk, action="returned").count() == 1


# -- at the same moment, on PostgreSQL ----------------------------------------------------------


@postgresql_only
def test_two_answers_at_the_same_moment_keep_one_and_refuse_the_other(programme, monkeypatch):
    """The save reads the recommendation locked: the second waits for the first to commit,
    then sees its answer and is refused, instead of both succeeding and one being lost."""
    agency, admin = User.objects.get(username="thuongtruc"), User.objects.get(username="quantri")
    (rec,) = in_threads(
        [
            lambda: services.raise_recommendation(
                programme=programme,
                user=agency,
                unit=OrgUnit.objects.get(code="SYT"),
                raised_on=dt.date(2025, 3, 10),
                channel=Recommendation.Channel.DIRECT,
                category=Recommendation.Category.PROCEDURES_IT,
                content="Đề nghị thống nhất phần mềm bệnh án điện tử giữa các bệnh viện",
                addressed_to="UBND Thành phố Hà Nội",
            )
        ]
    )
    seen = services.ANSWER.values(rec)
    start, real = threading.Barrier(2), services.notify

    def slow(*args, **kwargs):  # the first stays in its transaction a moment after saving
        time.sleep(0.3)
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "notify", slow)

    def answer(user, text):
        start.wait(10)
        try:
            services.answer(
                recommendation=Recommendation.objects.get(pk=rec.pk),
                user=user,
                response=text,
                responded_on=dt.date.today(),
                seen=seen,
            )
        except EditConflict as conflict:
            return conflict
        return text

    try:
        results = in_threads(
            [lambda: answer(agency, FIRST_ANSWER), lambda: answer(admin, SECOND_ANSWER)]
        )
        saved = Recommendation.objects.get(pk=rec.pk).response
        (refused,) = [r for r in results if isinstance(r, EditConflict)]
        assert [r for r in results if isinstance(r, str)] == [saved]
        assert f"“{saved}”" in refused.message
    finally:

        def clean():
            kind = ContentType.objects.get_for_model(Recommendation)
            Event.objects.filter(content_type=kind, object_id=rec.pk).delete()
            Notification.objects.filter(url=rec.get_absolute_url()).delete()
            Recommendation.objects.filter(pk=rec.pk).delete()
            Counter.objects.filter(scope=f"steering.recommendation:{programme.pk}").delete()

        in_threads([clean])
