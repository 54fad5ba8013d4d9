"""Who may change what: every write of the app × every role × an object of the user's own unit
and one of another unit, as one table (who may read what is test_access_matrix.py).

The writes are every URL whose view takes a POST (checked against the URLconf: a new one fails
`test_every_page_either_writes_in_the_matrix_or_refuses_a_post` until it has a row here), every
API operation that writes, and the back office's add, change and delete of every model, with
its actions. Each is sent with the body a user allowed to send it would send: the page's form
as it reads it (its one-time token and edit snapshot included), with something changed.

A refused request must change nothing anywhere. While this module runs, every table carries a
trigger that logs each row inserted, updated or deleted; after a refused request the log must
be empty (a row made before the permission check and left behind, a change, a delete: in any
table, not only the one the write is about). Sessions are not logged: a request may stamp the
session's last activity.

Outcomes: W the write is done (its table written); N answered without writing anything (the
page names what is wrong, or there is nothing to do); L the anonymous visitor is sent to sign
in; a number: refused with that status, or, for a read that is sent as a POST (the inline check
of a figure), answered with it without writing.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from steer.accounts.models import User
from steer.api import tokens
from steer.api.models import AccessToken
from steer.core import once
from steer.core.models import SentForm
from steer.documents import layout
from steer.documents import services as documents
from steer.documents.models import DocumentTemplate, Draft, Output
from steer.notifications.models import Notification
from steer.programmes.models import PlanItem, Programme
from steer.reporting.formats import read_upload, write_csv
from steer.reporting.imports import plan_entries
from steer.reporting.models import (
    DataValue,
    Evidence,
    FormLine,
    ImportBatch,
    Reminder,
    ReportForm,
    Submission,
    SubmissionEvent,
)
from steer.steering import services as steering
from steer.steering.models import (
    Attachment,
    DeadlineChange,
    Directive,
    DirectiveUpdate,
    Inspection,
    InspectionVisit,
    ProgressReport,
    Recommendation,
    Synthesis,
)
from steer.units.models import OrgUnit, UnitGroup
from tests.pages import form_on

pytestmark = pytest.mark.django_db

P = "/p/07-ctr-tu"
ROLES = [
    "anonymous",
    "quantri",  # administrator
    "thuongtruc",  # standing agency
    "bancd",  # steering committee member
    "kiemtra",  # inspector
    "baocao.dongda",  # reporter of Quận Đống Đa (006)
    "lanhdao.dongda",  # head of Quận Đống Đa
    "xem.thuongtin",  # viewer in Huyện Thường Tín (279)
]
W, N, L = "W", "N", "L"

# -- the write log ----------------------------------------------------------------------------

LOG = "zz_write_log"
UNLOGGED = {"django_session", LOG}


def _install(vendor: str, tables: list[str]) -> list[str]:
    if vendor == "postgresql":
        sql = [
            f"CREATE TABLE {LOG} (id bigserial PRIMARY KEY, tbl text, op text)",
            f"""CREATE FUNCTION {LOG}_row() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN INSERT INTO {LOG} (tbl, op) VALUES (TG_TABLE_NAME, TG_OP); RETURN NULL;
                END $$""",
        ]
        sql += [
            f'CREATE TRIGGER {LOG} AFTER INSERT OR UPDATE OR DELETE ON "{t}" '
            f"FOR EACH ROW EXECUTE FUNCTION {LOG}_row()"
            for t in tables
        ]
        return sql
    sql = [f"CREATE TABLE {LOG} (id integer PRIMARY KEY AUTOINCREMENT, tbl text, op text)"]
    for t in tables:
        for op in ("INSERT", "UPDATE", "DELETE"):
            sql.append(
                f'CREATE TRIGGER "{LOG}_{t}_{op}" AFTER {op} ON "{t}" '
                f"BEGIN INSERT INTO {LOG} (tbl, op) VALUES ('{t}', '{op}'); END"
            )
    return sql


def _remove(vendor: str, tables: list[str]) -> list[str]:
    if vendor == "postgresql":
        return [f'DROP TRIGGER {LOG} ON "{t}"' for t in tables] + [
            f"DROP FUNCTION {LOG}_row()",
            f"DROP TABLE {LOG}",
        ]
    return [
        f'DROP TRIGGER "{LOG}_{t}_{op}"' for t in tables for op in ("INSERT", "UPDATE", "DELETE")
    ] + [f"DROP TABLE {LOG}"]


_sessions: dict[str, str] = {}


@pytest.fixture(scope="module", autouse=True)
def signed_in(django_db_setup, django_db_blocker):
    """A session of each role, made once for the module: signing in for each case would cost
    more than the case (the sign-in time the users keep is put back afterwards)."""
    with django_db_blocker.unblock():
        users = list(User.objects.filter(username__in=ROLES))
        for person in users:
            client = Client()
            client.force_login(person)
            _sessions[person.username] = client.cookies[settings.SESSION_COOKIE_NAME].value
    yield
    with django_db_blocker.unblock():
        Session.objects.filter(session_key__in=_sessions.values()).delete()
        for person in users:
            User.objects.filter(pk=person.pk).update(last_login=person.last_login)


@pytest.fixture(scope="module", autouse=True)
def write_log(signed_in, django_db_blocker):
    with django_db_blocker.unblock():
        tables = [t for t in connection.introspection.table_names() if t not in UNLOGGED]
        with connection.cursor() as cursor:
            for sql in _install(connection.vendor, tables):
                cursor.execute(sql)
    yield
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        for sql in _remove(connection.vendor, tables):
            cursor.execute(sql)


def test_the_write_log_sees_every_kind_of_write_and_a_rolled_back_one_not():
    from django.db import transaction

    mark = log_mark()
    group = UnitGroup.objects.create(code="xa-bien-gioi", name="Xã biên giới")
    group.name = "Xã, phường biên giới"
    group.save()
    group.delete()
    with transaction.atomic():
        UnitGroup.objects.create(code="xa-mien-nui", name="Xã miền núi")
        transaction.set_rollback(True)
    assert written_since(mark) == {"units_unitgroup": {"INSERT", "UPDATE", "DELETE"}}


def log_mark() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {LOG}")
        return cursor.fetchone()[0]


def written_since(mark: int) -> dict[str, set[str]]:
    """The tables written since the mark, with what was done to them."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT tbl, op FROM {LOG} WHERE id > %s", [mark])
        found: dict[str, set[str]] = {}
        for table, op in cursor.fetchall():
            found.setdefault(table, set()).add(op)
        return found


# -- sending a write --------------------------------------------------------------------------

_bodies: dict[tuple, dict] = {}
_clients: dict[str, Client] = {}


def client_of(username: str | None, key: str = "") -> Client:
    """A client with the user's session (None: nobody). A client is made once for the module
    and its cookies reset for each case: making one loads the middleware, and WhiteNoise
    then looks through every static file (about 0.1 s)."""
    key = f"{username}:{key}"
    if key not in _clients:
        _clients[key] = Client()
    client = _clients[key]
    client.cookies.clear()
    if username is not None:
        client.cookies[settings.SESSION_COOKIE_NAME] = _sessions[username]
    return client


class Turn:
    """One case: the role that sends, and the administrator, who reads the forms (it sees
    every form; a form read by one user and sent by another is what a forged request is)."""

    def __init__(self, role: str):
        self.role = role
        self.user = None if role == "anonymous" else User.objects.get(username=role)
        self.client = client_of(self.user and role)
        self._admin = None

    @property
    def admin(self) -> Client:
        if self._admin is None:
            self._admin = client_of("quantri", "reads the forms")
        return self._admin

    def form(self, url: str, **having) -> dict:
        """The form of the page as the administrator reads it. The same page in the same
        state gives the same form, so it is read once per URL for the whole module (a
        one-time token used in one case is rolled back with it)."""
        key = (url, tuple(sorted(having.items())))
        if key not in _bodies:
            _bodies[key] = form_on(self.admin, url, **having)
        return dict(_bodies[key])


@dataclass
class Send:
    url: str
    data: dict = field(default_factory=dict)
    api: bool = False  # a JSON body, from a program: no session
    headers: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Write:
    url_name: str  # the URL pattern's name; for the API, the method and the path
    table: str  # a table a done write changes
    make: Callable[[Turn, str], Send]  # prepares the object, returns the request


_units: dict[str, OrgUnit] = {}


def unit(code: str) -> OrgUnit:
    if code not in _units:
        _units[code] = OrgUnit.objects.get(code=code)
    return _units[code]


def user(username: str) -> User:
    return User.objects.get(username=username)


def same_keys(*models) -> None:
    """Rows the case makes get the same keys in every case, so that the form of a page about
    them is read once (see Turn.form). SQLite takes its counters back with the case's
    rollback; PostgreSQL's sequences move on, so they are set back to the rows kept."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), MAX(id)) FROM \"{table}\"",
                [table],
            )


def pdf(name="bien-ban-kiem-tra.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, "%PDF-1.4 Biên bản".encode(), content_type="application/pdf")


TODAY = timezone.localdate


# -- reports ----------------------------------------------------------------------------------

FORM = "BC6T-DP"
PERIOD = "2024S2"  # both units have a complete report of it


def entry(code: str, period: str = PERIOD) -> str:
    return f"{P}/reports/{FORM}/{period}/{code}/"


def report_in(code: str, state: str, period: str = PERIOD) -> None:
    Submission.objects.filter(form__code=FORM, unit__code=code, period=period).update(state=state)


def remind(t, where):
    url = f"{P}/reports/{FORM}/?period=2025S1"
    return Send(url, t.form(url, once=None))


def figures(t, where, action) -> Send:
    report_in(where, "draft")
    data = t.form(entry(where), **{"v-CT15": None})
    data["v-CT15"] = "61"
    return Send(entry(where), data | {"action": action})


def step(action: str, state: str, reason: str = ""):
    def make(t, where):
        report_in(where, state)
        data = t.form(entry(where), reason=None)
        return Send(entry(where), data | {"action": action, "reason": reason})

    return make


def unstarted(action: str):
    """A step on a report of a new quarterly form that nobody has begun (and could not submit
    empty: its two lines are required)."""

    def make(t, where):
        programme = Programme.objects.get(slug="07-ctr-tu")
        form = ReportForm.objects.create(
            programme=programme,
            code="BC-QUY",
            name="Báo cáo quý sản phẩm OCOP và dịch vụ công trực tuyến",
            period_type="quarter",
            first_year=2021,
            last_year=2025,
        )
        form.units.set([unit("006"), unit("279")])
        for order, code in enumerate(["CT15", "CT18"], start=1):
            FormLine.objects.create(
                form=form, indicator=programme.indicators.get(code=code), order=order
            )
        return Send(f"{P}/reports/BC-QUY/2024Q4/{where}/", {"action": action})

    return make


def check_figure(t, where):
    return Send(entry(where) + "check/", {"field": "v-CT15", "v-CT15": "61,5"})


def evidence(t, where):
    report_in(where, "draft")
    url = entry(where) + "history/?key=CT15"
    return Send(url, t.form(url, once=None) | {"file": pdf("bien-ban-so-lieu.pdf")})


def figures_csv(code: str) -> bytes:
    values = DataValue.objects.filter(
        unit__code=code, period=PERIOD, submission__form__code=FORM, indicator__code="CT15"
    )
    text = write_csv(values).decode("utf-8-sig")
    return text.replace(f",{values.get().value.normalize():f},", ",61,").encode()


def upload(t, where):
    report_in(where, "draft")
    url = f"{P}/import/"
    data = t.form(url, once=None)
    return Send(
        url, data | {"file": SimpleUploadedFile(f"so-lieu-{where}.csv", figures_csv(where))}
    )


def batch_of(username: str, code: str) -> ImportBatch:
    """A preview of a file of the unit's figures, made by the user (when it still could)."""
    report_in(code, "draft")
    data = figures_csv(code)
    programme = Programme.objects.get(slug="07-ctr-tu")
    entries, only, _problems = read_upload(programme, data)
    plan = plan_entries(programme, entries, user("quantri"), only=only)
    return ImportBatch.objects.create(
        programme=programme,
        user=user(username),
        file_name=f"so-lieu-{code}.csv",
        content=data,
        fingerprint=plan.fingerprint(),
        summary={"counts": plan.counts()},
    )


def confirm_own(t, where):
    batch = batch_of(t.role if t.user else "quantri", where)
    return Send(f"{P}/import/{batch.pk}/", {"action": "confirm", "once": once.new_token()})


def confirm_anothers(t, where):
    batch = batch_of("baocao.dongda", where)
    return Send(f"{P}/import/{batch.pk}/", {"action": "confirm"})


def cancel_anothers(t, where):
    batch = batch_of("baocao.dongda", where)
    return Send(f"{P}/import/{batch.pk}/", {"action": "cancel"})


# -- plan items -------------------------------------------------------------------------------


def led_by(code: str) -> str:
    """NV02, which every role reads, led by the unit."""
    PlanItem.objects.filter(programme__slug="07-ctr-tu", code="NV02").update(lead_unit=unit(code))
    return f"{P}/plan-items/NV02/"


def progress(t, where):
    url = led_by(where) + "progress/"
    data = t.form(url, percent=None) | {
        "period": "2024Q4",
        "percent": "60",
        "done": "Đã triển khai nền tảng số cho 60 % phường, xã.",
        "confidence": "amber",
        "rationale": "Một số xã còn thiếu hạ tầng mạng.",
    }
    return Send(url, data)


def deadline(t, where):
    url = led_by(where)
    data = t.form(url + "progress/", reason=None) | {
        "new": "2025-01-31",
        "reason": "Theo Kết luận số 12-KL/BCĐ, lùi thời hạn để hoàn thiện dữ liệu.",
    }
    return Send(url + "deadline/", data)


# -- directives -------------------------------------------------------------------------------

DIRECTIVE = {"006": 25, "279": 26}  # given to Đống Đa (and the Sở TT&TT), to Thường Tín


def directive_url(where: str, state: str) -> str:
    Directive.objects.filter(programme__slug="07-ctr-tu", number=DIRECTIVE[where]).update(
        state=state
    )
    return f"{P}/directives/{DIRECTIVE[where]}/"


def directive_new(t, where):
    url = f"{P}/directives/new/"
    data = t.form(url, content=None) | {
        "content": "Hoàn thành số hóa hồ sơ thủ tục hành chính cấp huyện trước quý IV.",
        "given_by": "Ban Chỉ đạo Chương trình 07-CTr/TU",
        "source": "document",
        "document_number": "Thông báo số 45-TB/BCĐ",
        "assignees": [str(unit(where).pk)],
        "deadline": (TODAY() + dt.timedelta(days=90)).isoformat(),
    }
    return Send(url, data)


def directive_report(t, where):
    url = directive_url(where, "in_progress")
    data = t.form(url, action="report") | {
        "unit": str(unit(where).pk),
        "text": "Đã số hóa 85 % hồ sơ; phần còn lại xong trong tháng 10.",
    }
    return Send(url, data)


def directive_close(t, where):
    url = directive_url(where, "in_progress")
    data = t.form(url, action="close") | {
        "note": "Đơn vị đã hoàn thành, có biên bản nghiệm thu.",
        "files": pdf("bien-ban-nghiem-thu.pdf"),
    }
    return Send(url, data)


def directive_return(t, where):
    url = directive_url(where, "reported_done")
    data = t.form(url, action="return") | {"reason": "Chưa có biên bản nghiệm thu."}
    return Send(url, data)


# -- inspections ------------------------------------------------------------------------------

START, END = dt.date(2025, 6, 2), dt.date(2025, 6, 3)


def inspection_of(where: str, visited: bool = False) -> Inspection:
    """An inspection of the unit alone, planned by the inspector (and its visit recorded)."""
    same_keys(Inspection, InspectionVisit)
    programme = Programme.objects.get(slug="07-ctr-tu")
    inspection = steering.plan_inspection(
        programme=programme,
        user=user("kiemtra"),
        units=[unit(where)],
        members=[{"role": "head", "name": "Hoàng Quốc Việt", "position": "Trưởng đoàn"}],
        number="7",
        title="Đoàn kiểm tra số 7",
        purpose="Kiểm tra kết quả chuyển đổi số năm 2025.",
        scope="",
        start=START,
        end=END,
    )
    if visited:
        steering.record_visit(
            inspection=inspection,
            user=user("kiemtra"),
            unit=unit(where),
            visited_on=START,
            results="Đạt yêu cầu.",
        )
    return inspection


def inspection_new(t, where):
    url = f"{P}/inspections/new/"
    data = t.form(url, team=None) | {
        "number": "8",
        "title": "Đoàn kiểm tra số 8",
        "purpose": "Kiểm tra việc thực hiện các chỉ tiêu năm 2025.",
        "start": "2025-05-12",
        "end": "2025-05-14",
        "units": [str(unit(where).pk)],
        "team": "trưởng đoàn | Hoàng Quốc Việt | Phó Giám đốc Sở Khoa học và Công nghệ",
    }
    return Send(url, data)


def visit(t, where):
    inspection = inspection_of(where)
    url = inspection.get_absolute_url()
    data = t.form(url, action="visit")
    results = next(name for name in data if name.endswith("-results"))
    return Send(url, data | {results: "Đã hoàn thành 9/10 chỉ tiêu năm 2025."})


def conclude(t, where):
    inspection = inspection_of(where, visited=True)
    url = inspection.get_absolute_url()
    data = t.form(url, action="conclude") | {
        "conclude-conclusion": "Đơn vị thực hiện tốt Chương trình; cần đẩy nhanh số hóa hồ sơ.",
    }
    return Send(url, data)


def attach(t, where):
    inspection = inspection_of(where)
    url = inspection.get_absolute_url()
    return Send(url, t.form(url, action="attach") | {"evidence-files": pdf()})


# -- recommendations --------------------------------------------------------------------------

RECOMMENDATION = {"006": 10, "279": 1}  # Đống Đa's; the Sở TT&TT's, made Thường Tín's


def recommendation_url(where: str) -> str:
    Recommendation.objects.filter(programme__slug="07-ctr-tu", number=1).update(unit=unit("279"))
    return f"{P}/recommendations/{RECOMMENDATION[where]}/"


def recommendation_new(t, where):
    url = f"{P}/recommendations/new/"
    data = t.form(url, content=None) | {
        "unit": str(unit(where).pk),
        "raised_on": "2025-06-10",
        "category": "finance",
        "content": "Đề nghị bổ sung kinh phí nâng cấp hạ tầng mạng cho các xã.",
        "addressed_to": "UBND Thành phố",
    }
    return Send(url, data)


def synthesise(t, where):
    url = f"{P}/recommendations/"
    return Send(url, t.form(url, title=None))


def route(t, where):
    url = recommendation_url(where)
    return Send(url, t.form(url, action="route") | {"routed_to": "Sở Tài chính"})


def answer(t, where):
    url = recommendation_url(where)
    data = t.form(url, action="answer") | {"response": "Đã bố trí kinh phí năm 2026."}
    return Send(url, data)


# -- documents --------------------------------------------------------------------------------

DRAFT = {"006": 2, "synthesis": 1, "notice": 3}  # Đống Đa's report, the synthesis, the notice


def draft_url(where: str) -> str:
    if where == "279":  # Thường Tín's report: Đống Đa's, made Thường Tín's
        same_keys(Draft)
        draft = Draft.objects.get(pk=DRAFT["006"])
        draft.pk, draft.unit = None, unit("279")
        draft.save()
        return draft.get_absolute_url()
    return Draft.objects.get(pk=DRAFT[where]).get_absolute_url()


def draft_new(t, where):
    url = f"{P}/documents/"
    data = t.form(url, kind=None)
    if where == "synthesis":
        data |= {"kind": "synthesis", "period": "2025S1"}
    else:
        data |= {"kind": "unit_report", "period": "2025S1", "unit": str(unit(where).pk)}
    return Send(url, data)


def draft_action(action: str):
    def make(t, where):
        url = draft_url(where)
        data = t.form(url, seen=None)
        text = next(name for name in data if name.startswith("text_"))
        return Send(url, data | {"action": action, text: data[text] + " Đã cập nhật."})

    return make


def template_upload(t, where):
    url = "/document-templates/"
    data = t.form(url, layout=None) | {
        "layout": "synthesis",
        "style": "state",
        "note": "Thêm quốc hiệu theo Nghị định 30/2020/NĐ-CP.",
        "file": SimpleUploadedFile("mau-bao-cao.docx", layout.build("synthesis", "state")),
    }
    return Send(url, data)


def template_use(t, where):
    # A version of ours in use, so that going back to the built-in one changes something.
    documents.upload_template(
        user=user("quantri"),
        layout_name="synthesis",
        style="state",
        upload=SimpleUploadedFile("mau-bao-cao.docx", layout.build("synthesis", "state")),
        note="Bản sửa",
    )
    return Send("/document-templates/synthesis/state/0/use/")


# -- programme, notifications, tokens, password -----------------------------------------------


def programme_copy(t, where):
    url = f"{P}/copy/"
    data = t.form(url, symbol=None) | {
        "symbol": "08-CTr/TU",
        "number": "08",
        "slug": "08-ctr-tu",
        "title": "Chuyển đổi số, xây dựng thành phố thông minh giai đoạn 2026-2030",
        "issued_on": "2026-03-10",
        "start_year": "2026",
        "end_year": "2030",
        "source_document": "Chương trình số 08-CTr/TU của Thành ủy Hà Nội",
    }
    return Send(url, data)


def notifications(t, where):
    for username in ROLES[1:]:
        Notification.objects.create(
            user=user(username),
            kind=Notification.Kind.RETURNED,
            text="Báo cáo BC6T-DP kỳ 2024S2 bị trả lại: thiếu số liệu CT07.",
        )
    return Send("/notifications/")


def token_issue(t, where):
    url = "/account/tokens/"
    data = t.form(url, name=None) | {"name": "Đồng bộ số liệu sang DHIS2 của Sở"}
    return Send(url, data)


def token_revoke(t, where):
    owner = t.user if where == "own" and t.user else user("xem.thuongtin")
    row, _token = tokens.issue(owner, "Đồng bộ số liệu", "write", 30)
    return Send("/account/tokens/", {"revoke": str(row.pk)})


def password(url):
    def make(t, where):
        return Send(
            url,
            {
                "old_password": "demo-steer-07",
                "new_password1": "Hồ-Gươm-2030-xanh",
                "new_password2": "Hồ-Gươm-2030-xanh",
            },
        )

    return make


# -- the pages' writes ------------------------------------------------------------------------


def table(model) -> str:
    return model._meta.db_table


T = {
    model.__name__: table(model)
    for model in [
        AccessToken,
        Attachment,
        DataValue,
        DeadlineChange,
        Directive,
        DirectiveUpdate,
        DocumentTemplate,
        Draft,
        Evidence,
        ImportBatch,
        Inspection,
        InspectionVisit,
        Notification,
        Output,
        Programme,
        ProgressReport,
        Recommendation,
        Reminder,
        Submission,
        SubmissionEvent,
        Synthesis,
        User,
    ]
}

PAGE_WRITES = {
    "remind the overdue units": Write("form_status", T["Reminder"], remind),
    "save figures": Write("report_entry", T["DataValue"], lambda t, w: figures(t, w, "save")),
    "submit figures": Write(
        "report_entry", T["SubmissionEvent"], lambda t, w: figures(t, w, "submit")
    ),
    "approve a report": Write("report_entry", T["SubmissionEvent"], step("approve", "submitted")),
    "return a report": Write(
        "report_entry", T["SubmissionEvent"], step("return", "submitted", "Thiếu số liệu CT07.")
    ),
    "accept a report": Write("report_entry", T["SubmissionEvent"], step("accept", "approved")),
    "reopen a report": Write(
        "report_entry", T["SubmissionEvent"], step("reopen", "accepted", "Sai số liệu CT16.")
    ),
    "approve an unstarted report": Write("report_entry", T["Submission"], unstarted("approve")),
    "submit an unstarted report": Write("report_entry", T["Submission"], unstarted("submit")),
    "check a figure as it is typed": Write("report_check", "", check_figure),
    "attach evidence to a figure": Write("value_history", T["Evidence"], evidence),
    "upload a file of figures": Write("import_upload", T["ImportBatch"], upload),
    "confirm one's own import": Write("import_preview", T["DataValue"], confirm_own),
    "confirm another's import": Write("import_preview", T["DataValue"], confirm_anothers),
    "cancel another's import": Write("import_preview", T["ImportBatch"], cancel_anothers),
    "report progress on a plan item": Write("plan_item_progress", T["ProgressReport"], progress),
    "move a plan item's deadline": Write("plan_item_deadline", T["DeadlineChange"], deadline),
    "give a directive": Write("directive_new", T["Directive"], directive_new),
    "report on a directive": Write("directive_detail", T["DirectiveUpdate"], directive_report),
    "close a directive": Write("directive_detail", T["Directive"], directive_close),
    "return a directive": Write("directive_detail", T["Directive"], directive_return),
    "plan an inspection": Write("inspection_new", T["Inspection"], inspection_new),
    "record the findings of a visit": Write("inspection_detail", T["InspectionVisit"], visit),
    "conclude an inspection": Write("inspection_detail", T["Inspection"], conclude),
    "attach files to an inspection": Write("inspection_detail", T["Attachment"], attach),
    "raise a recommendation": Write("recommendation_new", T["Recommendation"], recommendation_new),
    "synthesise the recommendations": Write("recommendation_list", T["Synthesis"], synthesise),
    "forward a recommendation": Write("recommendation_detail", T["Recommendation"], route),
    "answer a recommendation": Write("recommendation_detail", T["Recommendation"], answer),
    "draft a document": Write("draft_list", T["Draft"], draft_new),
    "save a draft": Write("draft_detail", T["Draft"], draft_action("save")),
    "make a draft's Word file": Write("draft_detail", T["Output"], draft_action("docx")),
    "write a draft again from the data": Write("draft_detail", T["Draft"], draft_action("redraft")),
    "upload a document template": Write(
        "document_templates", T["DocumentTemplate"], template_upload
    ),
    "put a document template back in use": Write(
        "document_template_use", T["DocumentTemplate"], template_use
    ),
    "copy the programme": Write("programme_copy", T["Programme"], programme_copy),
    "mark one's notifications read": Write("notifications", T["Notification"], notifications),
    "make an API token": Write("api_tokens", T["AccessToken"], token_issue),
    "revoke an API token": Write("api_tokens", T["AccessToken"], token_revoke),
    "change one's password": Write("password_change", T["User"], password("/accounts/password/")),
}

# The object: "006" Đống Đa's (the reporter's and head's unit), "279" Thường Tín's (the
# viewer's), "-" the programme's; a few writes name their own.
# fmt: off
PAGE_MATRIX = {
    # write, object                                   anon admin std steer insp  rep  head view
    ("remind the overdue units", "-"):                 (L, W, W, 403, 403, 403, 403, 403),
    ("save figures", "006"):                           (L, W, W, 403, 403, W, W, 403),
    ("save figures", "279"):                           (L, W, W, 403, 403, 403, 403, 403),
    ("submit figures", "006"):                         (L, W, W, 403, 403, W, W, 403),
    ("submit figures", "279"):                         (L, W, W, 403, 403, 403, 403, 403),
    ("approve a report", "006"):                       (L, W, 403, 403, 403, 403, W, 403),
    ("approve a report", "279"):                       (L, W, 403, 403, 403, 403, 403, 403),
    ("return a report", "006"):                        (L, W, W, 403, 403, 403, W, 403),
    ("return a report", "279"):                        (L, W, W, 403, 403, 403, 403, 403),
    ("accept a report", "006"):                        (L, W, W, 403, 403, 403, 403, 403),
    ("accept a report", "279"):                        (L, W, W, 403, 403, 403, 403, 403),
    ("reopen a report", "006"):                        (L, W, W, 403, 403, 403, N, 403),
    ("reopen a report", "279"):                        (L, W, W, 403, 403, 403, 403, 403),
    ("approve an unstarted report", "006"):            (L, N, 403, 403, 403, 403, N, 403),
    ("approve an unstarted report", "279"):            (L, N, 403, 403, 403, 403, 403, 403),
    ("submit an unstarted report", "006"):             (L, N, N, 403, 403, N, N, 403),
    ("submit an unstarted report", "279"):             (L, N, N, 403, 403, 403, 403, 403),
    ("check a figure as it is typed", "006"):          (L, 200, 200, 200, 200, 200, 200, 403),
    ("check a figure as it is typed", "279"):          (L, 200, 200, 200, 200, 403, 403, 200),
    ("attach evidence to a figure", "006"):            (L, W, W, 403, 403, W, W, 403),
    ("attach evidence to a figure", "279"):            (L, W, W, 403, 403, 403, 403, 403),
    ("upload a file of figures", "006"):               (L, W, W, 403, 403, W, W, 403),
    ("upload a file of figures", "279"):               (L, W, W, 403, 403, N, N, 403),
    ("confirm one's own import", "006"):               (L, W, W, N, N, W, W, N),
    ("confirm one's own import", "279"):               (L, W, W, N, N, N, N, N),
    ("confirm another's import", "006"):               (L, 404, 404, 404, 404, W, 404, 404),
    ("cancel another's import", "006"):                (L, 404, 404, 404, 404, W, 404, 404),
    ("report progress on a plan item", "006"):         (L, W, W, 403, 403, W, W, 403),
    ("report progress on a plan item", "279"):         (L, W, W, 403, 403, 403, 403, 403),
    ("move a plan item's deadline", "006"):            (L, W, W, 403, 403, 403, 403, 403),
    ("move a plan item's deadline", "279"):            (L, W, W, 403, 403, 403, 403, 403),
    ("give a directive", "SKHCN"):                     (L, W, W, W, W, 403, 403, 403),
    ("report on a directive", "006"):                  (L, W, W, 403, 403, W, W, 404),
    ("report on a directive", "279"):                  (L, W, W, 403, 403, 404, 404, 403),
    ("close a directive", "006"):                      (L, W, W, W, W, 403, 403, 404),
    ("close a directive", "279"):                      (L, W, W, W, W, 404, 404, 403),
    ("return a directive", "006"):                     (L, W, W, W, W, 403, 403, 404),
    ("return a directive", "279"):                     (L, W, W, W, W, 404, 404, 403),
    ("plan an inspection", "006"):                     (L, W, W, 403, W, 403, 403, 403),
    ("plan an inspection", "279"):                     (L, W, W, 403, W, 403, 403, 403),
    ("record the findings of a visit", "006"):         (L, W, W, 403, W, 403, 403, 404),
    ("record the findings of a visit", "279"):         (L, W, W, 403, W, 404, 404, 403),
    ("conclude an inspection", "006"):                 (L, W, W, 403, W, 403, 403, 404),
    ("conclude an inspection", "279"):                 (L, W, W, 403, W, 404, 404, 403),
    ("attach files to an inspection", "006"):          (L, W, W, 403, W, 403, 403, 404),
    ("attach files to an inspection", "279"):          (L, W, W, 403, W, 404, 404, 403),
    ("raise a recommendation", "006"):                 (L, W, W, 403, 403, W, W, 403),
    ("raise a recommendation", "279"):                 (L, W, W, 403, 403, N, N, 403),
    ("synthesise the recommendations", "-"):           (L, W, W, 403, 403, 403, 403, 403),
    ("forward a recommendation", "006"):               (L, W, W, 403, 403, 403, 403, 404),
    ("forward a recommendation", "279"):               (L, W, W, 403, 403, 404, 404, 403),
    ("answer a recommendation", "006"):                (L, W, W, 403, 403, 403, 403, 404),
    ("answer a recommendation", "279"):                (L, W, W, 403, 403, 404, 404, 403),
    ("draft a document", "006"):                       (L, W, W, N, N, W, W, N),
    ("draft a document", "279"):                       (L, W, W, N, N, N, N, N),
    ("draft a document", "synthesis"):                 (L, W, W, N, N, N, N, N),
    ("save a draft", "006"):                           (L, W, W, 403, 404, W, W, 404),
    ("save a draft", "279"):                           (L, W, W, 403, 404, 404, 404, 404),
    ("save a draft", "synthesis"):                     (L, W, W, 403, 404, 404, 404, 404),
    ("save a draft", "notice"):                        (L, W, W, 403, W, 404, 404, 404),
    ("make a draft's Word file", "006"):               (L, W, W, 403, 404, W, W, 404),
    ("make a draft's Word file", "279"):               (L, W, W, 403, 404, 404, 404, 404),
    ("write a draft again from the data", "006"):      (L, W, W, 403, 404, W, W, 404),
    ("write a draft again from the data", "279"):      (L, W, W, 403, 404, 404, 404, 404),
    ("upload a document template", "-"):               (L, W, W, 403, 403, 403, 403, 403),
    ("put a document template back in use", "-"):      (L, W, W, 403, 403, 403, 403, 403),
    ("copy the programme", "-"):                       (L, W, W, 403, 403, 403, 403, 403),
    ("mark one's notifications read", "own"):          (L, W, W, W, W, W, W, W),
    ("make an API token", "own"):                      (L, W, W, W, W, W, W, W),
    ("revoke an API token", "own"):                    (L, W, W, W, W, W, W, W),
    ("revoke an API token", "another's"):              (L, N, N, N, N, N, N, W),
    ("change one's password", "own"):                  (L, W, W, W, W, W, W, W),
}
# fmt: on


def cases(matrix: dict) -> list:
    return [
        pytest.param(name, where, role, expected, id=f"{name}|{where}|{role}")
        for (name, where), outcomes in matrix.items()
        for role, expected in zip(ROLES, outcomes, strict=True)
    ]


def send(client: Client, request: Send):
    if request.api:
        return client_of(None, "a program").post(
            request.url, request.data, content_type="application/json", headers=request.headers
        )
    return client.post(request.url, request.data, headers=request.headers)


def judge(write: Write, expected, response, written: dict, what: str) -> None:
    if expected == W:
        assert response.status_code in (200, 302), f"{what}: {response.status_code}"
        assert write.table in written, f"{what}: {write.table} not written; wrote {written}"
        return
    if expected == N:  # the one-time token records the answer, to give it again if resent
        written = {t: ops for t, ops in written.items() if t != table(SentForm)}
    assert not written, f"{what} was refused but wrote {written}"
    if expected == L:
        assert response.status_code == 302 and "/login/" in response["Location"], what
    elif expected == N:
        assert response.status_code in (200, 302), f"{what}: {response.status_code}"
    else:
        assert response.status_code == expected, f"{what}: {response.status_code}"


@pytest.fixture(scope="module", autouse=True)
def media(tmp_path_factory):
    """Files kept by the writes (evidence, attachments) go to a temporary directory."""
    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        yield


def run(writes: dict, name: str, where: str, role: str, expected) -> None:
    turn = Turn(role)
    request = writes[name].make(turn, where)
    mark = log_mark()
    response = send(turn.client, request)
    judge(writes[name], expected, response, written_since(mark), f"{role}: {name} ({where})")
    if request.api:  # refusals too: in the API's shape, never a page
        assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(("name", "where", "role", "expected"), cases(PAGE_MATRIX))
def test_page_write(name, where, role, expected):
    run(PAGE_WRITES, name, where, role, expected)


# -- the API's writes -------------------------------------------------------------------------

API = "/api/v1/programmes/07-ctr-tu"


def bearer(t: Turn, scope: str = "write") -> dict:
    """The Authorization header of a fresh token of the user; none for the anonymous caller."""
    if t.user is None:
        return {}
    row, token = tokens.issue(t.user, "Đồng bộ số liệu của Sở", scope, 30)
    row.last_used_at = timezone.now()  # so that this call does not stamp it again
    row.save(update_fields=["last_used_at"])
    return {"Authorization": f"Bearer {token}"}


def api_values(t, where):
    report_in(where, "draft")
    value = {"unit": where, "period": PERIOD, "indicator": "CT15", "value": "61"}
    return Send(f"{API}/values", {"values": [value]}, api=True, headers=bearer(t))


def api_dhis2(t, where):
    report_in(where, "draft")
    value = {"dataElement": "CT15", "period": PERIOD, "orgUnit": where, "value": "61"}
    return Send(f"{API}/dataValueSets", {"dataValues": [value]}, api=True, headers=bearer(t))


def api_step(action: str, state: str, reason: str = ""):
    def make(t, where):
        report_in(where, state)
        url = f"{API}/submissions/{FORM}/{PERIOD}/{where}/actions"
        body = {"action": action, "reason": reason}
        return Send(url, body, api=True, headers=bearer(t))

    return make


def api_unstarted(t, where):
    unstarted("approve")(t, where)
    url = f"{API}/submissions/BC-QUY/2024Q4/{where}/actions"
    return Send(url, {"action": "approve"}, api=True, headers=bearer(t))


ACTIONS = "POST /programmes/{slug}/submissions/{form}/{period}/{unit}/actions"
API_WRITES = {
    "write values": Write("POST /programmes/{slug}/values", T["DataValue"], api_values),
    "import a DHIS2 dataValueSet": Write(
        "POST /programmes/{slug}/dataValueSets", T["DataValue"], api_dhis2
    ),
    "submit a report": Write(ACTIONS, T["SubmissionEvent"], api_step("submit", "draft")),
    "approve a report": Write(ACTIONS, T["SubmissionEvent"], api_step("approve", "submitted")),
    "return a report": Write(
        ACTIONS, T["SubmissionEvent"], api_step("return", "submitted", "Thiếu số liệu CT07.")
    ),
    "accept a report": Write(ACTIONS, T["SubmissionEvent"], api_step("accept", "approved")),
    "reopen a report": Write(
        ACTIONS, T["SubmissionEvent"], api_step("reopen", "accepted", "Sai số liệu CT16.")
    ),
    "approve an unstarted report": Write(ACTIONS, T["Submission"], api_unstarted),
}

# A refused write of values is 403 when the only problem is the unit (422 names the problems
# of a batch, 409 the values changed meanwhile); DHIS2's import answers a refusal with its
# import summary and 409, as DHIS2 does. A step not possible in the report's state is 409.
# fmt: off
API_MATRIX = {
    # write, object                          anon admin std steer insp  rep  head view
    ("write values", "006"):                  (401, W, W, 403, 403, W, W, 403),
    ("write values", "279"):                  (401, W, W, 403, 403, 403, 403, 403),
    ("import a DHIS2 dataValueSet", "006"):   (401, W, W, 409, 409, W, W, 409),
    ("import a DHIS2 dataValueSet", "279"):   (401, W, W, 409, 409, 409, 409, 409),
    ("submit a report", "006"):               (401, W, W, 403, 403, W, W, 403),
    ("submit a report", "279"):               (401, W, W, 403, 403, 403, 403, 403),
    ("approve a report", "006"):              (401, W, 403, 403, 403, 403, W, 403),
    ("approve a report", "279"):              (401, W, 403, 403, 403, 403, 403, 403),
    ("return a report", "006"):               (401, W, W, 403, 403, 403, W, 403),
    ("return a report", "279"):               (401, W, W, 403, 403, 403, 403, 403),
    ("accept a report", "006"):               (401, W, W, 403, 403, 403, 403, 403),
    ("accept a report", "279"):               (401, W, W, 403, 403, 403, 403, 403),
    ("reopen a report", "006"):               (401, W, W, 403, 403, 403, 409, 403),
    ("reopen a report", "279"):               (401, W, W, 403, 403, 403, 403, 403),
    ("approve an unstarted report", "006"):   (401, 409, 403, 403, 403, 403, 409, 403),
    ("approve an unstarted report", "279"):   (401, 409, 403, 403, 403, 403, 403, 403),
}
# fmt: on


@pytest.mark.parametrize(("name", "where", "role", "expected"), cases(API_MATRIX))
def test_api_write(name, where, role, expected):
    run(API_WRITES, name, where, role, expected)


@pytest.mark.parametrize("name", API_WRITES)
def test_a_read_only_token_writes_nothing(name):
    turn = Turn("quantri")
    request = API_WRITES[name].make(turn, "006")
    request.headers = bearer(turn, scope="read")
    mark = log_mark()
    response = send(turn.client, request)
    assert (response.status_code, response.json()["code"]) == (403, "read_only")
    assert not written_since(mark)


def test_every_api_write_is_in_the_matrix():
    from steer.api.api import api

    operations = {
        f"{method} {prefix}{path}"
        for prefix, router in api._routers
        for path, view in router.path_operations.items()
        for operation in view.operations
        for method in operation.methods
        if method not in ("GET", "HEAD")
    }
    assert operations == {write.url_name for write in API_WRITES.values()}


# -- the back office --------------------------------------------------------------------------

PROGRAMME, REFERENCE = "programme content", "reference data"
# Every model of the back office: programme content, edited by the programme's editors
# (administrator, standing agency); reference data (units, people), by administrators.
ADMIN_MODELS = {
    "programmes.programme": PROGRAMME,
    "programmes.objective": PROGRAMME,
    "programmes.indicatorgroup": PROGRAMME,
    "programmes.indicator": PROGRAMME,
    "programmes.planitem": PROGRAMME,
    "reporting.breakdown": PROGRAMME,
    "reporting.reportform": PROGRAMME,
    "reporting.validationrule": PROGRAMME,
    "ranking.framework": PROGRAMME,
    "units.orgunit": REFERENCE,
    "units.unittype": REFERENCE,
    "units.unitgroup": REFERENCE,
    "units.unitlineage": REFERENCE,
    "accounts.user": REFERENCE,
}
# What makes a copy or a new row unique, and the field a change edits.
UNIQUE = {
    "programmes.programme": {"slug": "99-ctr-tu", "symbol": "99-CTr/TU"},
    "programmes.objective": {"code": "MT9"},
    "programmes.indicatorgroup": {"code": "N9"},
    "programmes.indicator": {"code": "CT99"},
    "programmes.planitem": {"code": "NV99"},
    "reporting.breakdown": {"code": "nhom-tuoi"},
    "reporting.reportform": {"code": "BC-THANG"},
    "reporting.validationrule": {"code": "R99"},
    "ranking.framework": {"code": "cds-cap-xa"},
    "units.orgunit": {"code": "99999"},
    "units.unittype": {"code": "dac-khu"},
    "units.unitgroup": {"code": "xa-bien-gioi"},
    "units.unitlineage": {"successor": "SNV"},
    "accounts.user": {"username": "chuyenvien.moi"},
}
EDITED = {
    "programmes.programme": "summary",
    "programmes.objective": "description",
    "programmes.indicatorgroup": "name",
    "programmes.indicator": "note",
    "programmes.planitem": "expected_product",
    "reporting.breakdown": "name",
    "reporting.reportform": "instructions",
    "reporting.validationrule": "name",
    "ranking.framework": "methodology",
    "units.orgunit": "name",
    "units.unittype": "name",
    "units.unitgroup": "description",
    "units.unitlineage": "legal_basis",
    "accounts.user": "position",
}


def model_of(label: str):
    from django.apps import apps

    return apps.get_model(label)


def admin_url(label: str, view: str, *args) -> str:
    app, name = label.split(".")
    return reverse(f"admin:{app}_{name}_{view}", args=args)


def unique(label: str) -> dict:
    values = dict(UNIQUE[label])
    if label == "units.unitlineage":
        values["successor"] = unit(values["successor"])
    return values


def own(label: str):
    """The model's first row (in Programme 07 where rows belong to a programme), editable."""
    model = model_of(label)
    rows = model.objects.order_by("pk")
    if any(f.name == "programme" for f in model._meta.fields):
        rows = rows.filter(programme__slug="07-ctr-tu")
    if label == "programmes.programme":
        rows = rows.filter(slug="07-ctr-tu")
    obj = rows.first()
    if label == "ranking.framework":  # a frozen method is read-only: this one is not yet
        model.objects.filter(pk=obj.pk).update(frozen_at=None, frozen_by=None)
        obj.refresh_from_db()
    return obj


def in_programme(model) -> bool:
    return model is not Programme and any(f.name == "programme" for f in model._meta.fields)


def copy_of(obj, **changes):
    """A new row like `obj`, with its links to units, unit types and the like."""
    links = {
        f.name: list(getattr(obj, f.name).values_list("pk", flat=True))
        for f in obj._meta.many_to_many
        if not in_programme(f.related_model)
    }
    obj.pk = obj.id = None
    obj._state.adding = True
    for name, value in changes.items():
        setattr(obj, name, value)
    obj.save()
    for name, pks in links.items():
        getattr(obj, name).set(pks)
    return obj


def other_programme() -> Programme:
    """A programme nobody but the administrator has a role in."""
    return copy_of(own("programmes.programme"), slug="08-ctr-tu", symbol="08-CTr/TU")


def moved(obj, programme):
    """A copy of `obj` in the programme, with copies there of the rows of its own programme
    it needs (an indicator's group, the group's objective); those it may do without, none."""
    changes = {"programme": programme}
    for f in obj._meta.fields:
        if f.is_relation and in_programme(f.related_model) and f.name != "programme":
            needed = getattr(obj, f.name)
            changes[f.name] = None if f.null or needed is None else moved(needed, programme)
    return copy_of(obj, **changes)


def in_other_programme(label: str):
    programme = other_programme()
    return programme if label == "programmes.programme" else moved(own(label), programme)


def doomed(label: str):
    """A copy of the model's row, to delete; a programme copied is given to the standing
    agency, as the programme copy page does."""
    from steer.accounts.models import Role, RoleGrant

    obj = copy_of(own(label), **unique(label))
    if label == "programmes.programme":
        RoleGrant.objects.create(user=user("thuongtruc"), role=Role.STANDING_AGENCY, programme=obj)
    return obj


MANAGEMENT = ("-TOTAL_FORMS", "-INITIAL_FORMS", "-MIN_NUM_FORMS", "-MAX_NUM_FORMS")


def without_inlines(data: dict) -> dict:
    """A change form's data without its inline rows (a new row or a copy has none of the
    original's), its management forms saying so."""
    prefixes = [key[: -len("-TOTAL_FORMS")] for key in data if key.endswith("-TOTAL_FORMS")]
    rows = tuple(f"{prefix}-" for prefix in prefixes)
    data = {k: v for k, v in data.items() if not k.startswith(rows) or k.endswith(MANAGEMENT)}
    for prefix in prefixes:
        data[f"{prefix}-TOTAL_FORMS"] = data[f"{prefix}-INITIAL_FORMS"] = "0"
    return data


def admin_add(label: str, where: str):
    def make(t, _where):
        if label == "accounts.user":
            url = admin_url(label, "add")
            data = t.form(url, username=None) | {
                "username": "chuyenvien.moi",
                "password1": "Hồ-Gươm-2030-xanh",
                "password2": "Hồ-Gươm-2030-xanh",
                "full_name": "Vũ Thị Hằng",
            }
            return Send(url, data)
        obj = own(label)
        data = without_inlines(t.form(admin_url(label, "change", obj.pk), _seen=None))
        data.pop("_seen")
        values = {k: getattr(v, "pk", v) for k, v in unique(label).items()}
        data |= {k: str(v) for k, v in values.items()}
        if where == "other programme":
            programme = other_programme()
            data["programme"] = str(programme.pk)
            model = model_of(label)
            for f in model._meta.fields:  # the rows it refers to, copied into that programme
                if f.is_relation and in_programme(f.related_model) and data.get(f.name):
                    needed = f.related_model.objects.get(pk=data[f.name])
                    data[f.name] = "" if f.null else str(moved(needed, programme).pk)
            for f in model._meta.many_to_many:
                if in_programme(f.related_model):
                    data.pop(f.name, None)
        return Send(admin_url(label, "add"), data)

    return make


def admin_change(label: str, where: str):
    def make(t, _where):
        data = t.form(admin_url(label, "change", own(label).pk), _seen=None)
        if where == "-":
            url = admin_url(label, "change", own(label).pk)
        else:  # the same form, made the copy's: its programme, and the rows it refers to
            obj = in_other_programme(label)
            url = admin_url(label, "change", obj.pk)
            data = without_inlines(data)
            del data["_seen"]
            for f in obj._meta.fields:
                if f.is_relation and (f.name == "programme" or in_programme(f.related_model)):
                    pk = getattr(obj, f.attname)
                    data[f.name] = "" if pk is None else str(pk)
            for f in obj._meta.many_to_many:
                if in_programme(f.related_model):
                    data.pop(f.name, None)
            if label == "programmes.programme":
                data |= {"slug": obj.slug, "symbol": obj.symbol}
        edited = EDITED[label]
        return Send(url, data | {edited: (data.get(edited) or "") + " (cập nhật)"})

    return make


def admin_delete(label: str, where: str):
    def make(t, _where):
        obj = doomed(label) if where == "-" else in_other_programme(label)
        return Send(admin_url(label, "delete", obj.pk), {"post": "yes"})

    return make


def admin_action(label: str, action: str, where: str):
    def make(t, _where):
        if action == "delete_selected":
            obj = doomed(label) if where == "-" else in_other_programme(label)
        else:
            obj = own(label) if where == "-" else in_other_programme(label)
        data = {"action": action, "_selected_action": [str(obj.pk)], "index": "0", "post": "yes"}
        return Send(admin_url(label, "changelist"), data)

    return make


def admin_password(t, where):
    obj = user("xem.thuongtin")
    url = reverse("admin:auth_user_password_change", args=[obj.pk])
    data = t.form(url, password1=None) | {
        "password1": "Hồ-Gươm-2030-xanh",
        "password2": "Hồ-Gươm-2030-xanh",
    }
    return Send(url, data)


# The steering committee, the inspector, the reporter, the head and the viewer: the back office
# sends them away (to the sign-in page, which refuses them) before anything else.
AWAY = (302, 302, 302, 302, 302)
EXPECTED = {
    # category, operation, object: anonymous, administrator, standing agency, and AWAY
    (PROGRAMME, "add", "-"): (L, W, W, *AWAY),
    (PROGRAMME, "add", "other programme"): (L, W, N, *AWAY),
    (PROGRAMME, "change", "-"): (L, W, W, *AWAY),
    (PROGRAMME, "change", "other programme"): (L, W, 302, *AWAY),
    (PROGRAMME, "delete", "-"): (L, W, W, *AWAY),
    (PROGRAMME, "delete", "other programme"): (L, W, 302, *AWAY),
    (PROGRAMME, "delete_selected", "-"): (L, W, W, *AWAY),
    (PROGRAMME, "delete_selected", "other programme"): (L, W, N, *AWAY),
    (REFERENCE, "add", "-"): (L, W, 403, *AWAY),
    (REFERENCE, "change", "-"): (L, W, 403, *AWAY),
    (REFERENCE, "delete", "-"): (L, W, 403, *AWAY),
    (REFERENCE, "delete_selected", "-"): (L, W, N, *AWAY),
}


def _admin_writes():
    writes, matrix = {}, {}
    for label, kind in ADMIN_MODELS.items():
        model = model_of(label)._meta
        for op, build in (
            ("add", admin_add),
            ("change", admin_change),
            ("delete", admin_delete),
            ("delete_selected", None),
        ):
            for (k, o, where), outcomes in EXPECTED.items():
                if (k, o) != (kind, op):
                    continue
                if where != "-" and (label, op) == ("programmes.programme", "add"):
                    continue  # a programme is not added into another
                name = f"{op} {label}"
                view = "changelist" if op == "delete_selected" else op
                make = build(label, where) if build else admin_action(label, op, where)
                writes[(name, where)] = Write(
                    f"{model.app_label}_{model.model_name}_{view}", model.db_table, make
                )
                matrix[(name, where)] = outcomes
    return writes, matrix


ADMIN_WRITES, ADMIN_MATRIX = _admin_writes()
# The standing agency may not even read the list of users: 403, not an action it lacks.
ADMIN_MATRIX[("delete_selected accounts.user", "-")] = (L, W, 403, *AWAY)
ADMIN_WRITES[("freeze ranking.framework", "-")] = Write(
    "ranking_framework_changelist",
    "ranking_framework",
    admin_action("ranking.framework", "freeze", "-"),
)
ADMIN_MATRIX[("freeze ranking.framework", "-")] = (L, W, W, *AWAY)
ADMIN_WRITES[("freeze ranking.framework", "other programme")] = Write(
    "ranking_framework_changelist",
    "ranking_framework",
    admin_action("ranking.framework", "freeze", "other programme"),
)
ADMIN_MATRIX[("freeze ranking.framework", "other programme")] = (L, W, N, *AWAY)
ADMIN_WRITES[("set a user's password", "another's")] = Write(
    "auth_user_password_change", T["User"], admin_password
)
ADMIN_MATRIX[("set a user's password", "another's")] = (L, W, 403, *AWAY)
ADMIN_WRITES[("change one's password in the back office", "own")] = Write(
    "password_change", T["User"], password("/admin/password_change/")
)
ADMIN_MATRIX[("change one's password in the back office", "own")] = (L, W, W, *AWAY)


@pytest.mark.parametrize(("name", "where", "role", "expected"), cases(ADMIN_MATRIX))
def test_back_office_write(name, where, role, expected):
    run({name: ADMIN_WRITES[(name, where)]}, name, where, role, expected)


# Signing in and out and choosing the language take a POST from anyone, by design (the sign-in's
# throttle is in test_security.py).
OPEN_TO_ALL = {"login", "logout", "set_language"}


def _url_names(patterns, skip=("admin/", "api/")):
    for p in patterns:
        if hasattr(p, "url_patterns"):
            if not str(p.pattern).startswith(skip):
                yield from _url_names(p.url_patterns, skip)
        elif p.name:
            yield p.name


def test_every_page_either_writes_in_the_matrix_or_refuses_a_post(client):
    """A view that takes a POST has rows above; every other answers a POST with 405 (so a new
    view fails here until it has rows, or is marked read-only with require_safe)."""
    from django.urls import get_resolver, resolve

    from steer.core.charts import BUNDLE_VERSION
    from tests.test_access_matrix import MATRIX as READS

    writing = {write.url_name for write in PAGE_WRITES.values()}
    names = set(_url_names(get_resolver().url_patterns))
    assert writing <= names
    pages = {"health": "/health/", "vega_bundle": f"/assets/vega-{BUNDLE_VERSION}.js"}
    for page in READS:  # require_safe answers before the view looks anything up
        pages.setdefault(resolve(page.split("?")[0]).url_name, page)
    client.force_login(user("quantri"))
    answers = {}
    for name in sorted(names - writing - OPEN_TO_ALL):
        assert name in pages, f"{name}: no page of it in test_access_matrix.MATRIX"
        answers[name] = client.post(pages[name], {"action": "save"}).status_code
    assert answers == dict.fromkeys(answers, 405)


def test_every_back_office_write_is_in_the_matrix(rf):
    """Every model and every action of the back office has rows above; its pages that only
    show something answer a POST with 405."""
    from steer.accounts.admin_site import site

    assert set(ADMIN_MODELS) == {model._meta.label_lower for model in site._registry}
    request = rf.get("/admin/")
    request.user = user("quantri")
    every_model_has = {"changelist", "add", "history", "delete", "change"}
    rows = {name for name, _where in ADMIN_WRITES}
    for model, model_admin in site._registry.items():
        label = model._meta.label_lower
        for action in model_admin.get_actions(request):
            assert f"{action} {label}" in rows, f"no row for the action {action} of {label}"
        app, name = label.split(".")
        extra = {
            pattern.name.removeprefix(f"{app}_{name}_")
            for pattern in model_admin.get_urls()
            if pattern.name and pattern.name.removeprefix(f"{app}_{name}_") not in every_model_has
        }
        assert extra <= {"auth_user_password_change"}, f"{label}: {extra} have no rows"
    client = Client()
    client.force_login(user("quantri"))
    unit_type = ContentType.objects.get_for_model(OrgUnit).pk
    shown = [
        "/admin/",
        "/admin/units/",
        admin_url("units.orgunit", "history", unit("006").pk),
        "/admin/password_change/done/",
        "/admin/jsi18n/",
        "/admin/autocomplete/",
        f"/admin/r/{unit_type}/{unit('006').pk}/",
    ]
    assert {page: client.post(page).status_code for page in shown} == dict.fromkeys(shown, 405)
