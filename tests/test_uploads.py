"""One rule for every uploaded file (steer.core.uploads.accept): evidence behind a figure, a
steering attachment, a document template and a file to import are refused alike when none was
chosen, when their name is of a type not taken there, when they are too large or empty, with a
message naming the file, and nothing is kept."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from steer.accounts.models import User
from steer.core import uploads
from steer.documents import services as documents
from steer.documents.models import DocumentTemplate
from steer.reporting import services as reporting
from steer.reporting.models import Evidence, ImportBatch
from steer.steering import services as steering
from steer.steering.models import Directive
from steer.units.models import OrgUnit

pytestmark = pytest.mark.django_db
P = "/p/07-ctr-tu"
MB = 1024 * 1024


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


class Evidence_:
    """A scan behind Đống Đa's online public services figure of Q3 2024."""

    limit = (reporting, "MAX_EVIDENCE_BYTES")
    name = "quyet-dinh-1234.pdf"
    wrong_type = "quyet-dinh-1234.html"

    def __init__(self, login, quarterly):
        programme = quarterly.programme
        self.client = login("baocao.dongda")
        args = [programme.slug, quarterly.code, "2024Q3", "006"]
        response = self.client.post(
            reverse("report_entry", args=args), {"action": "save", "v-CT15": "12"}
        )
        assert response.status_code == 302
        self.url = reverse("value_history", args=args) + "?key=CT15"

    def send(self, upload) -> str:
        response = self.client.post(self.url, {"file": upload} if upload else {})
        return messages_of(response)[-1]

    def kept(self) -> bool:
        return Evidence.objects.exists()


class Attachment_:
    """The minutes Đống Đa sends with its report on a directive of 17/4/2025."""

    limit = (steering, "MAX_FILE_BYTES")
    name = "bien-ban-nghiem-thu.pdf"
    wrong_type = "bien-ban-nghiem-thu.exe"

    def __init__(self, login, quarterly):
        dong_da = OrgUnit.objects.get(code="006")
        self.directive = steering.give_directive(
            programme=quarterly.programme,
            user=User.objects.get(username="thuongtruc"),
            assignees=[dong_da],
            content="Quận Đống Đa gửi biên bản nghiệm thu hệ thống dịch vụ công trực tuyến",
            given_by="Lê Hồng Sơn, Phó Chủ tịch Thường trực UBND Thành phố",
            given_on=dt.date(2025, 4, 17),
            today=dt.date(2025, 4, 17),
            source=Directive.Source.WORKING_SESSION,
            deadline=dt.date(2025, 5, 31),
        )
        self.reporter, self.unit = User.objects.get(username="baocao.dongda"), dong_da

    def send(self, upload) -> str:
        with pytest.raises(steering.SteeringError) as refused:
            steering.report_on_directive(
                directive=self.directive,
                user=self.reporter,
                unit=self.unit,
                text="Đã nghiệm thu",
                files=[upload],
            )
        return str(refused.value)

    def kept(self) -> bool:
        return self.directive.attachments.exists() or self.directive.updates.exists()


class Template_:
    """The Office's own template of the programme synthesis."""

    limit = (documents, "MAX_TEMPLATE_BYTES")
    name = "mau-bao-cao-tong-hop.docx"
    wrong_type = "mau-bao-cao-tong-hop.doc"

    def __init__(self, login, quarterly):
        self.client = login("thuongtruc")

    def send(self, upload) -> str:
        data = {"layout": "synthesis", "style": "state"} | ({"file": upload} if upload else {})
        response = self.client.post("/document-templates/", data)
        [message] = response.context["form"].errors["file"]
        return message

    def kept(self) -> bool:
        return DocumentTemplate.objects.exists()


class Import_:
    """Đống Đa's figures as a CSV file."""

    limit = (reporting, "MAX_UPLOAD_BYTES")
    name = "so-lieu-dong-da.csv"
    wrong_type = "so-lieu-dong-da.pdf"

    def __init__(self, login, quarterly):
        self.client = login("baocao.dongda")

    def send(self, upload) -> str:
        response = self.client.post(f"{P}/import/", {"file": upload} if upload else {})
        [message] = response.context["problems"]
        return message

    def kept(self) -> bool:
        return ImportBatch.objects.exists()


PLACES = [Evidence_, Attachment_, Template_, Import_]


@pytest.fixture(params=PLACES, ids=["evidence", "attachment", "template", "import"])
def place(request, login, quarterly, media):
    return request.param(login, quarterly)


def test_a_file_of_a_type_not_taken_there_is_refused_by_its_name(place):
    message = place.send(SimpleUploadedFile(place.wrong_type, b"%PDF-1.4 Bien ban"))
    assert message.startswith(f"{place.wrong_type}: loại tệp này không được chấp nhận")
    assert not place.kept()


def test_a_file_over_the_limit_of_its_place_is_refused_naming_the_limit(place, monkeypatch):
    monkeypatch.setattr(*place.limit, 1 * MB)
    message = place.send(SimpleUploadedFile(place.name, b"%PDF-1.4 " + b"x" * MB))
    assert message == f"Tệp {place.name} có dung lượng vượt quá 1 MB."
    assert not place.kept()


def test_an_empty_file_is_refused_naming_it(place):
    message = place.send(SimpleUploadedFile(place.name, b""))
    if isinstance(place, Template_):  # Django's form refuses it first, in its own words
        assert message == "Tập tin được gửi là rỗng."
    else:
        assert message == f"Tệp {place.name} không có nội dung."
    assert not place.kept()


@pytest.mark.parametrize(
    ("kind", "asked"),
    [
        (Evidence_, "Đề nghị chọn tệp cần tải lên."),
        (Import_, "Đề nghị chọn tệp cần tải lên."),
        (Template_, "Trường này là bắt buộc."),  # Django's form asks first, in its own words
    ],
    ids=["evidence", "import", "template"],
)
def test_no_file_chosen_is_asked_for(kind, asked, login, quarterly, media):
    place = kind(login, quarterly)  # a steering report needs no file: it is not asked for
    assert place.send(None) == asked
    assert not place.kept()


def test_accept_judges_the_content_after_the_name_size_and_emptiness():
    web_page = SimpleUploadedFile("bao-cao.pdf", b"<!DOCTYPE html><html><body>Xin chao</body>")
    with pytest.raises(uploads.UnsafeUpload) as refused:
        uploads.accept(web_page, max_bytes=MB)
    assert refused.value.code == "mismatch"
    assert str(refused.value).startswith("bao-cao.pdf không phải là tệp PDF thật")
    uploads.accept(SimpleUploadedFile("bao-cao.pdf", b"%PDF-1.7\n1 0 obj"), max_bytes=MB)
