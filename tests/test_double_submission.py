"""A form sent twice (a double click, a reload, two at the same moment) acts once and leads
where the first one did; numbers are given one after another without a gap or a clash, also
to several people at the same moment on PostgreSQL."""

import datetime as dt
import re
import threading
import time
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from steer.accounts.models import Role, RoleGrant, User
from steer.core.models import Counter, Event, SentForm
from steer.core.numbering import allocate
from steer.notifications.models import Notification
from steer.reporting.models import SubmissionEvent
from steer.steering import services
from steer.steering.models import Directive, Recommendation
from steer.units.models import OrgUnit, UnitGroup
from tests.pages import client_of, form_on
from tests.together import in_threads, postgresql_only

CONTENT = "Sở Y tế hoàn thành kết nối bệnh án điện tử tại các bệnh viện công lập trước 31/12"


def last_message(response) -> str:
    return str(list(get_messages(response.wsgi_request))[-1])


def directive_form(client, programme, **changes) -> dict:
    """The new-directive page as the browser sends it, filled in."""
    today = timezone.localdate()
    page = form_on(client, reverse("directive_new", args=[programme.slug]), content=None)
    return page | {
        "content": CONTENT,
        "given_by": "Ban Chỉ đạo Chương trình 07-CTr/TU",
        "given_on": today.isoformat(),
        "source": "document",
        "document_number": "125-TB/BCĐ",
        "assignees": [OrgUnit.objects.get(code="SYT").pk],
        "deadline": (today + dt.timedelta(days=60)).isoformat(),
        **changes,
    }


@pytest.mark.django_db
def test_a_triple_click_on_the_directive_form_records_one_directive(programme):
    client = client_of("thuongtruc")
    url = reverse("directive_new", args=[programme.slug])
    data = directive_form(client, programme)
    responses = [client.post(url, data) for _ in range(3)]

    directive = Directive.objects.get(programme=programme, content=CONTENT)
    assert [r.status_code for r in responses] == [302, 302, 302]
    assert {r.url for r in responses} == {directive.get_absolute_url()}
    said = {last_message(r) for r in responses}
    assert said == {_("Directive %(code)s was recorded.") % {"code": directive.code}}
    assert Event.objects.filter(object_id=directive.pk, action="given").count() == 1


@pytest.mark.django_db
def test_a_double_click_on_the_recommendation_form_records_one(programme):
    client = client_of("baocao.dongda")
    url = reverse("recommendation_new", args=[programme.slug])
    data = form_on(client, url, content=None) | {
        "category": "personnel",
        "content": "Đề nghị bổ sung biên chế chuyên trách chuyển đổi số cho cấp xã",
        "addressed_to": "UBND Thành phố Hà Nội",
        # Đống Đa ended on 30/6/2025: its recommendations are dated while it existed.
        "raised_on": "2025-06-20",
    }
    first, second = client.post(url, data), client.post(url, data)
    rec = Recommendation.objects.get(programme=programme, content=data["content"])
    assert first.url == second.url == rec.get_absolute_url()


@pytest.mark.django_db
def test_a_form_without_its_token_still_works_unprotected(programme):
    """Old pages and scripts (and the access-matrix tests) post without the token."""
    client = client_of("thuongtruc")
    url = reverse("directive_new", args=[programme.slug])
    data = directive_form(client, programme)
    del data["once"]
    assert client.post(url, data).status_code == client.post(url, data).status_code == 302
    assert Directive.objects.filter(programme=programme, content=CONTENT).count() == 2


@pytest.mark.django_db
def test_anothers_token_leads_nowhere_near_their_record(programme):
    agency, inspector = client_of("thuongtruc"), client_of("kiemtra")
    url = reverse("directive_new", args=[programme.slug])
    data = directive_form(agency, programme)
    theirs = agency.post(url, data)
    mine = inspector.post(url, data | {"content": CONTENT + " (lần 2)"})
    assert mine.url != theirs.url
    assert Directive.objects.filter(content__startswith=CONTENT).count() == 2


@pytest.mark.django_db
def test_a_double_click_on_a_workflow_step_gives_one_event_and_a_calm_message(login, quarterly):
    client = login("baocao.dongda")
    entry = reverse(
        "report_entry", args=[quarterly.programme.slug, quarterly.code, "2024Q3", "006"]
    )
    data = form_on(client, entry, **{"v-CT15": None}) | {
        "action": "submit",
        "v-CT15": "12",
        "v-CT18": "97",
    }
    first, second = client.post(entry, data), client.post(entry, data)
    assert first.url == second.url == entry
    done = _("Done: the report is now “%(state)s”.") % {"state": _("Submitted")}
    assert last_message(first) == last_message(second) == done
    events = SubmissionEvent.objects.filter(submission__form=quarterly, action="submit")
    assert events.count() == 1


@pytest.mark.django_db
def test_a_double_click_on_returning_a_directive_returns_it_once(programme):
    directive = services.give_directive(
        programme=programme,
        user=User.objects.get(username="thuongtruc"),
        assignees=[OrgUnit.objects.get(code="SYT")],
        content=CONTENT,
        given_by="Ban Chỉ đạo",
        given_on=timezone.localdate(),
        source=Directive.Source.DOCUMENT,
        deadline=timezone.localdate() + dt.timedelta(days=30),
    )
    Directive.objects.filter(pk=directive.pk).update(state=Directive.State.REPORTED_DONE)
    client = client_of("thuongtruc")
    url = directive.get_absolute_url()
    data = form_on(client, url, action="return") | {"reason": "Chưa có biên bản nghiệm thu"}
    first, second = client.post(url, data), client.post(url, data)
    assert first.url == second.url == url
    assert last_message(second) == last_message(first)
    assert Event.objects.filter(object_id=directive.pk, action="returned").count() == 1


@pytest.mark.django_db
def test_confirming_an_import_from_two_tabs_writes_it_once(login, quarterly, tmp_path):
    import io

    from openpyxl import load_workbook

    from steer.reporting.models import ValueChange

    client = login("baocao.dongda")
    workbook = reverse(
        "report_workbook", args=[quarterly.programme.slug, quarterly.code, "2024Q3", "006"]
    )
    book = load_workbook(io.BytesIO(client.get(workbook).content))
    book["Số liệu"]["I8"] = 14
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "BC-QUY_2024Q3_006.xlsx"
    preview = client.post(reverse("import_upload", args=[quarterly.programme.slug]), {"file": out})
    # Two tabs, each with its own page's token: the second finds the import written (sent at
    # the same moment, it waits for the first's lock on the batch, then finds it written).
    tabs = [form_on(client, preview.url, once=None) | {"action": "confirm"} for tab in "12"]
    first, second = (client.post(preview.url, tab) for tab in tabs)
    assert first.status_code == 302 and second.status_code == 200
    assert ValueChange.objects.filter(unit__code="006", period="2024Q3").count() == 1


@pytest.mark.django_db
def test_a_back_office_add_form_sent_twice_adds_once(programme):
    client = client_of("quantri")
    url = "/admin/units/unitgroup/add/"
    data = form_on(client, url, code=None) | {"code": "xa-bien-gioi", "name": "Xã vùng ven"}
    first, second = client.post(url, data), client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert UnitGroup.objects.filter(code="xa-bien-gioi").count() == 1


APP = Path(__file__).resolve().parent.parent / "steer"
# Forms that create and move nothing, or do the same however often they are sent.
IDEMPOTENT = (
    "registration/",
    "set_language",
    "logout",
    "notifications.html",  # mark all as read
    'name="revoke"',
    "document_template_use",
)


def test_every_form_that_writes_carries_its_one_time_token():
    missing = []
    for path in sorted(APP.glob("*/templates/**/*.html")):
        text = path.read_text(encoding="utf-8")
        for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", text, re.S | re.I):
            if "once_field" not in form and not any(
                mark in form or mark in str(path) for mark in IDEMPOTENT
            ):
                missing.append(f"{path.relative_to(APP)}: {form[:100]}")
    assert not missing


@pytest.mark.django_db
def test_numbers_follow_each_other_per_scope_and_restart_each_year():
    """As the outgoing register will need: numbers from 1 each year for each issuing body."""
    assert [allocate(scope="register:BCĐ", year=2026) for _ in range(3)] == [1, 2, 3]
    assert allocate(scope="register:BCĐ", year=2027) == 1
    assert allocate(scope="register:UBND", year=2026) == 1
    # A record written without the counter (a loader, an older release) is not numbered again.
    assert allocate(scope="register:BCĐ", year=2026, used=lambda: 40) == 41
    assert allocate(scope="register:BCĐ", year=2026, used=lambda: 40) == 42


# -- at the same moment, on PostgreSQL -----------------------------------------------------------


@pytest.fixture
def committed(programme):
    """A standing-agency official whose directives are committed for real (other connections
    must see them), and removed with everything they left when the test ends."""
    code = f"pg-{time.monotonic_ns()}"

    def make():
        user = User.objects.create_user(
            code, password="x", full_name="Bùi Thị Ngọc", unit=OrgUnit.objects.get(code="SKHCN")
        )
        RoleGrant.objects.create(user=user, role=Role.STANDING_AGENCY, programme=programme)
        return user

    (user,) = in_threads([make])
    keys: list[str] = []

    def client() -> Client:
        """A client signed in as the official, its session committed (made in a thread)."""

        def sign_in():
            client = Client()
            client.force_login(user)
            return client

        (client,) = in_threads([sign_in])
        keys.append(client.cookies["sessionid"].value)
        return client

    yield user, client

    def clean():
        made = Directive.objects.filter(created_by=user)
        urls = [d.get_absolute_url() for d in made]
        kind = ContentType.objects.get_for_model(Directive)
        Event.objects.filter(content_type=kind, object_id__in=made.values("pk")).delete()
        Notification.objects.filter(url__in=urls).delete()
        made.delete()
        Counter.objects.filter(scope=f"steering.directive:{programme.pk}").delete()
        Session.objects.filter(session_key__in=keys).delete()
        SentForm.objects.filter(user=user).delete()
        user.delete()

    in_threads([clean])


def _post_slowly(monkeypatch, seconds: float):
    """Keep each directive's transaction open a moment after it is written, as a slow
    server would: the others arrive while it is still open."""
    real = services.notify

    def slow(*args, **kwargs):
        time.sleep(seconds)
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "notify", slow)


@postgresql_only
@pytest.mark.django_db
def test_directives_given_at_the_same_moment_get_consecutive_numbers(
    programme, committed, monkeypatch
):
    user, client_for = committed
    url = reverse("directive_new", args=[programme.slug])
    clients = [client_for() for _ in range(4)]
    forms = in_threads(
        [
            lambda c=c, n=n: directive_form(c, programme, content=f"{CONTENT} ({n})")
            for n, c in enumerate(clients)
        ]
    )
    before = Directive.objects.filter(programme=programme).order_by("-number").first().number
    start = threading.Barrier(len(clients))
    _post_slowly(monkeypatch, 0.1)

    def give(client, data):
        start.wait(10)
        return client.post(url, data)

    responses = in_threads(
        [lambda c=c, d=d: give(c, d) for c, d in zip(clients, forms, strict=True)]
    )

    assert [r.status_code for r in responses] == [302] * 4
    numbers = sorted(Directive.objects.filter(created_by=user).values_list("number", flat=True))
    assert numbers == [before + 1, before + 2, before + 3, before + 4]


@postgresql_only
@pytest.mark.django_db
def test_the_same_form_sent_twice_at_the_same_moment_records_one_directive(
    programme, committed, monkeypatch
):
    user, client_for = committed
    url = reverse("directive_new", args=[programme.slug])
    one, other = client_for(), client_for()  # two tabs of one session would do the same
    (data,) = in_threads([lambda: directive_form(one, programme)])
    inside, release = threading.Event(), threading.Event()
    real = services.notify

    def held(*args, **kwargs):  # the first one stays inside its transaction until released
        inside.set()
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "notify", held)

    def first():
        return one.post(url, data)

    def second():
        assert inside.wait(10)
        threading.Timer(0.5, release.set).start()  # the second is waiting on the token by then
        return other.post(url, data)

    responses = in_threads([first, second])

    directive = Directive.objects.get(created_by=user)
    assert [r.status_code for r in responses] == [302, 302]
    assert {r.url for r in responses} == {directive.get_absolute_url()}


@pytest.mark.django_db
def test_a_token_asked_for_twice_is_made_once_and_shown_once(programme):
    from steer.api.models import AccessToken

    client = client_of("baocao.dongda")
    url = reverse("api_tokens")
    data = form_on(client, url, name=None) | {"name": "Đồng bộ số liệu sang DHIS2 của quận"}
    first, second = client.post(url, data), client.post(url, data)
    assert first.status_code == 200 and "steer_" in first.content.decode()
    assert second.status_code == 302 and second.url == url
    assert AccessToken.objects.filter(name=data["name"]).count() == 1
