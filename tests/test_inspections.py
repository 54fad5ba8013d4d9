"""Inspections: the 2023 inspection of Programme 07 planned, visited, concluded and followed by
its directives, through the pages; and what the pages refuse."""

import csv
import datetime as dt
import io
import json

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from steer.accounts.models import User
from steer.core.selectors import events_of
from steer.demo.steering import DATA
from steer.notifications.models import Notification
from steer.steering import services
from steer.steering.models import Directive, Inspection, InspectionMember, InspectionVisit
from steer.steering.views.inspections import link_accounts, parse_team
from steer.units.models import OrgUnit

# The real record of the 20/9/2023 inspection by team no. 1, as the demo seeds hold it.
SEED = json.loads(DATA.read_text(encoding="utf-8"))["inspections"][0]
DAY = dt.date(2023, 9, 20)
ROLE_WORDS = {"head": "trưởng đoàn", "deputy": "phó trưởng đoàn", "member": "thành viên"}
TEAM = "\n".join(f"{ROLE_WORDS[m['role']]} | {m['name']} | {m['position']}" for m in SEED["team"])
CODES = [visit["unit"] for visit in SEED["units"]]


def unit(code: str) -> OrgUnit:
    return OrgUnit.objects.get(code=code)


def user(username: str) -> User:
    return User.objects.get(username=username)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def new_url(programme) -> str:
    return reverse("inspection_new", args=[programme.slug])


def list_url(programme) -> str:
    return reverse("inspection_list", args=[programme.slug])


def plan_data(**changes) -> dict:
    data = {
        "number": SEED["number"],
        "title": SEED["title"],
        "purpose": SEED["purpose"],
        "scope": SEED["scope"],
        "start": SEED["start"],
        "end": SEED["end"],
        "units": [unit(code).pk for code in CODES],
        "team": TEAM,
    }
    data.update(changes)
    return data


def plan_2023(programme, codes=CODES, number="9") -> Inspection:
    return services.plan_inspection(
        programme=programme,
        user=user("kiemtra"),
        units=[unit(code) for code in codes],
        members=[{"role": "head", "name": "Nguyễn Văn Phong", "position": "Trưởng Ban Chỉ đạo"}],
        number=number,
        title=f"Đoàn kiểm tra số {number}",
        purpose="Đánh giá kết quả thực hiện Chương trình 07-CTr/TU.",
        scope="",
        start=DAY,
        end=DAY,
    )


@pytest.fixture
def demo(programme) -> Inspection:
    """The 2023 inspection as the demo loaded it: concluded, with its directives."""
    return Inspection.objects.get(programme=programme, number=SEED["number"])


def findings(visit: InspectionVisit, results="Hoàn thành các chỉ tiêu đề ra.", **extra) -> dict:
    prefix = f"visit-{visit.pk}"
    data = {
        "action": "visit",
        "visit": visit.pk,
        f"{prefix}-visited_on": "2023-09-20",
        f"{prefix}-documents_received": "Báo cáo kết quả thực hiện Chương trình 07-CTr/TU.",
        f"{prefix}-results": results,
        f"{prefix}-limitations": "Một số chỉ tiêu còn chậm.",
        f"{prefix}-causes": "Thiếu kinh phí.",
    }
    data.update(extra)
    return data


def seed_findings(visit: InspectionVisit) -> dict:
    seed = next(v for v in SEED["units"] if v["unit"] == visit.unit.code)
    prefix = f"visit-{visit.pk}"
    return {
        "action": "visit",
        "visit": visit.pk,
        **{
            f"{prefix}-{name}": seed[name]
            for name in ("visited_on", "documents_received", "results", "limitations", "causes")
        },
    }


def record_all(inspection: Inspection) -> None:
    for visit in inspection.visits.select_related("unit"):
        services.record_visit(
            inspection=inspection,
            user=user("kiemtra"),
            unit=visit.unit,
            visited_on=DAY,
            results="Đạt yêu cầu.",
        )


def conclusion(day=SEED["concluded_on"]) -> dict:
    return {
        "action": "conclude",
        "conclude-conclusion": SEED["conclusion"],
        "conclude-concluded_on": day,
        "conclude-conclusion_document": "",
    }


# -- the whole story --------------------------------------------------------------------------


def test_an_inspector_records_the_2023_inspection_and_its_directives(programme, login):
    client = login("kiemtra")
    assert client.get(list_url(programme)).status_code == 200
    assert client.get(new_url(programme)).status_code == 200
    before = Inspection.objects.count()

    response = client.post(new_url(programme), plan_data())
    assert response.status_code == 302
    assert Inspection.objects.count() == before + 1
    inspection = Inspection.objects.latest("pk")
    assert response["Location"] == inspection.get_absolute_url()
    assert inspection.state == Inspection.State.PLANNED
    assert (inspection.start, inspection.end) == (DAY, DAY)
    assert inspection.title == SEED["title"]
    team = [(m.role, m.name, m.position) for m in inspection.members.all()]
    assert team == [(m["role"], m["name"], m["position"]) for m in SEED["team"]]
    assert sorted(inspection.visits.values_list("unit__code", flat=True)) == sorted(CODES)
    # The inspected units are told.
    assert Notification.objects.filter(
        user=user("baocao.dongda"), url=inspection.get_absolute_url()
    ).exists()

    page = client.get(inspection.get_absolute_url()).content.decode()
    for member in SEED["team"]:
        assert member["name"] in page
    for code in CODES:
        assert unit(code).name in page

    for visit in inspection.visits.select_related("unit"):
        response = client.post(inspection.get_absolute_url(), seed_findings(visit))
        assert response.status_code == 302, messages_of(response)
    inspection.refresh_from_db()
    assert inspection.state == Inspection.State.VISITED
    for seed in SEED["units"]:
        visit = inspection.visits.get(unit__code=seed["unit"])
        assert visit.visited_on == DAY
        assert visit.documents_received == seed["documents_received"]
        assert (visit.results, visit.limitations, visit.causes) == (
            seed["results"],
            seed["limitations"],
            seed["causes"],
        )

    response = client.post(inspection.get_absolute_url(), conclusion(), follow=True)
    assert response.status_code == 200
    inspection.refresh_from_db()
    assert inspection.state == Inspection.State.CONCLUDED
    assert inspection.concluded_on == DAY
    assert inspection.conclusion == SEED["conclusion"]

    events = list(events_of(inspection))
    assert [e.action for e in events] == [
        "planned",
        "findings",
        "findings",
        "findings",
        "concluded",
    ]
    assert {e.user.username for e in events} == {"kiemtra"}
    page = response.content.decode()
    assert str(user("kiemtra")) in page  # who, in the history
    assert timezone.localtime(events[-1].at).strftime("%d/%m/%Y %H:%M") in page  # when
    assert 'name="action" value="visit"' not in page  # findings can no longer be edited
    assert 'name="action" value="conclude"' not in page

    # The directives the inspection gave.
    new_directive = reverse("directive_new", args=[programme.slug])
    assert f"{new_directive}?inspection={inspection.pk}" in page
    given = [
        services.give_directive(
            programme=programme,
            user=user("kiemtra"),
            assignees=[unit(code) for code in seed["assignees"]],
            today=DAY,
            content=seed["content"],
            given_by=seed["given_by"],
            given_on=DAY,
            source=Directive.Source.INSPECTION,
            inspection=inspection,
            deadline=dt.date.fromisoformat(seed["deadline"]),
        )
        for seed in SEED["directives"]
    ]
    page = client.get(inspection.get_absolute_url()).content.decode()
    for directive in given:
        assert directive.get_absolute_url() in page

    rows = client.get(list_url(programme)).context["table"].rows
    row = next(r for r in rows if r["url"] == inspection.get_absolute_url())
    n = len(SEED["directives"])
    assert (row["directives"], row["open"], row["overdue"]) == (n, n, n)  # all past deadline
    assert unit("STTTT").name in row["units"]
    assert rows[0]["url"] == inspection.get_absolute_url()  # newest first


def test_the_demo_record_of_2023_shows_its_directives_and_history(programme, login, demo):
    page = login("thuongtruc").get(demo.get_absolute_url()).content.decode()
    for directive in demo.directives.all():
        assert directive.get_absolute_url() in page
    assert demo.get_state_display() in page
    rows = login("thuongtruc").get(list_url(programme)).context["table"].rows
    row = next(r for r in rows if r["url"] == demo.get_absolute_url())
    assert row["directives"] == len(SEED["directives"])
    assert row["open"] == sum(d["state"] != "done" for d in SEED["directives"])


# -- refusals ---------------------------------------------------------------------------------


def test_concluding_before_every_unit_has_results_is_refused_naming_the_units(programme, login):
    inspection = plan_2023(programme)
    services.record_visit(
        inspection=inspection,
        user=user("kiemtra"),
        unit=unit("006"),
        visited_on=DAY,
        results="Đạt yêu cầu.",
    )
    client = login("kiemtra")
    response = client.post(inspection.get_absolute_url(), conclusion())
    assert response.status_code == 200
    [message] = messages_of(response)
    assert unit("279").name in message
    assert unit("STTTT").name in message
    assert unit("006").name not in message
    assert message in response.content.decode()
    inspection.refresh_from_db()
    assert inspection.state == Inspection.State.VISITED
    assert inspection.conclusion == "" and inspection.concluded_on is None
    assert "concluded" not in [e.action for e in events_of(inspection)]


def test_a_reporter_cannot_plan_an_inspection(programme, login):
    client = login("baocao.dongda")
    before = Inspection.objects.count()
    assert client.get(new_url(programme)).status_code == 403
    assert client.post(new_url(programme), plan_data()).status_code == 403
    assert Inspection.objects.count() == before
    page = client.get(list_url(programme))
    assert page.status_code == 200
    assert new_url(programme) not in page.content.decode()
    assert new_url(programme) in login("kiemtra").get(list_url(programme)).content.decode()


def test_a_reporter_sees_the_inspection_of_the_unit_but_cannot_record_findings(programme, login):
    inspection = plan_2023(programme)
    client = login("baocao.dongda")
    page = client.get(inspection.get_absolute_url())
    assert page.status_code == 200
    assert 'name="action"' not in page.content.decode()  # read-only

    visit = inspection.visits.get(unit__code="006")
    response = client.post(inspection.get_absolute_url(), findings(visit))
    assert response.status_code == 403  # refused by the service, as the role does not allow it
    visit.refresh_from_db()
    assert visit.results == "" and visit.visited_on is None
    inspection.refresh_from_db()
    assert inspection.state == Inspection.State.PLANNED
    assert [e.action for e in events_of(inspection)] == ["planned"]

    response = client.post(inspection.get_absolute_url(), conclusion())
    assert response.status_code == 403
    inspection.refresh_from_db()
    assert inspection.state == Inspection.State.PLANNED


def test_a_viewer_of_thuong_tin_sees_only_the_inspections_of_279(programme, login, demo):
    visiting = plan_2023(programme)
    elsewhere = plan_2023(programme, codes=["006"], number="2")
    client = login("xem.thuongtin")
    page = client.get(demo.get_absolute_url())
    assert page.status_code == 200
    assert SEED["conclusion"][:60] in page.content.decode()  # the whole record, read-only
    assert 'name="action"' not in page.content.decode()
    assert client.get(visiting.get_absolute_url()).status_code == 200
    assert client.get(elsewhere.get_absolute_url()).status_code == 404
    rows = client.get(list_url(programme)).context["table"].rows
    urls = [r["url"] for r in rows]
    assert visiting.get_absolute_url() in urls and demo.get_absolute_url() in urls
    assert elsewhere.get_absolute_url() not in urls
    visit = visiting.visits.get(unit__code="279")
    client.post(visiting.get_absolute_url(), findings(visit))
    visit.refresh_from_db()
    assert visit.results == ""


def test_a_bad_team_line_is_named_and_nothing_is_created(programme, login):
    client = login("kiemtra")
    before = Inspection.objects.count(), InspectionMember.objects.count()
    team = (
        "trưởng đoàn | Nguyễn Văn Phong | Phó Bí thư Thành ủy\n"
        "phó đoàn | Trần Văn Bình | Phó Giám đốc Sở\n"
        "thành viên\n"
    )
    response = client.post(new_url(programme), plan_data(team=team))
    assert response.status_code == 200
    errors = response.context["form"].errors["team"]
    assert len(errors) == 2
    assert "2" in errors[0] and "phó đoàn | Trần Văn Bình" in errors[0]
    assert "3" in errors[1] and "thành viên" in errors[1]
    page = response.content.decode()
    assert "Trần Văn Bình" in page  # the error is on the page, the text kept
    assert (Inspection.objects.count(), InspectionMember.objects.count()) == before


def test_a_team_without_a_head_is_refused(programme, login):
    client = login("kiemtra")
    before = Inspection.objects.count()
    response = client.post(new_url(programme), plan_data(team="thành viên | Hoàng Quốc Việt"))
    assert response.status_code == 200
    assert response.context["form"].errors["team"]
    assert Inspection.objects.count() == before


def test_team_lines_in_either_language():
    members = parse_team(
        "Head | Nguyễn Văn Phong | Trưởng Ban Chỉ đạo\n\n"
        "DEPUTY | Trần Văn Bình\n"
        "Phó  Trưởng   Đoàn | Lê Văn Cường | Phó Giám đốc Sở\n"
        "member | Hoàng Quốc Việt | \n"
    )
    assert [m["role"] for m in members] == ["head", "deputy", "deputy", "member"]
    assert members[1] == {"role": "deputy", "name": "Trần Văn Bình", "position": ""}
    with pytest.raises(Exception) as refused:
        parse_team("trưởng đoàn | A\ntrưởng đoàn | B")
    assert "2" in str(refused.value) and "trưởng đoàn | B" in str(refused.value)


def test_a_member_is_linked_to_the_one_account_of_that_name(db):
    members = link_accounts(
        [
            {"role": "member", "name": "Hoàng Quốc Việt", "position": ""},
            {"role": "member", "name": "Nguyễn Hồng Sơn", "position": ""},
        ]
    )
    assert members[0]["user"] == user("kiemtra")
    assert members[1]["user"] is None


def test_units_that_did_not_exist_on_the_first_day_are_refused(programme, login):
    commune = OrgUnit.objects.filter(valid_from__gt=DAY).first()
    client = login("kiemtra")
    before = Inspection.objects.count()
    response = client.post(new_url(programme), plan_data(units=[unit("006").pk, commune.pk]))
    assert response.status_code == 200
    assert commune.name in " ".join(response.context["form"].errors["units"])
    assert Inspection.objects.count() == before


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def attach(client, inspection, name, content):
    return client.post(
        inspection.get_absolute_url(),
        {"action": "attach", "evidence-files": [SimpleUploadedFile(name, content)]},
    )


def test_evidence_files_of_a_forbidden_type_or_too_large_are_refused(programme, login, media):
    inspection = plan_2023(programme)
    client = login("kiemtra")

    response = attach(client, inspection, "bien-ban.exe", b"MZ not a document")
    assert response.status_code == 200
    assert "bien-ban.exe" in messages_of(response)[0]
    response = attach(client, inspection, "bien-ban.pdf", b"%PDF" + b"0" * (10 * 1024 * 1024))
    assert response.status_code == 200
    assert "bien-ban.pdf" in messages_of(response)[0]
    assert not inspection.attachments.exists()
    assert [e.action for e in events_of(inspection)] == ["planned"]

    response = attach(client, inspection, "bien-ban-kiem-tra.pdf", b"%PDF-1.4 minutes")
    assert response.status_code == 302
    attachment = inspection.attachments.get()
    assert attachment.name == "bien-ban-kiem-tra.pdf"
    assert attachment.uploaded_by == user("kiemtra")
    page = client.get(inspection.get_absolute_url()).content.decode()
    assert reverse("steering_file", args=[programme.slug, attachment.pk]) in page

    # Only the team attaches files.
    reporter = login("baocao.dongda")
    response = attach(reporter, inspection, "khac.pdf", b"%PDF-1.4")
    assert response.status_code == 403
    assert inspection.attachments.count() == 1


def test_findings_cannot_change_after_the_conclusion(programme, login, demo):
    client = login("kiemtra")
    assert 'name="action" value="visit"' not in client.get(demo.get_absolute_url()).content.decode()
    visit = demo.visits.get(unit__code="006")
    response = client.post(demo.get_absolute_url(), findings(visit, results="Sửa lại."))
    assert response.status_code == 200
    assert messages_of(response)
    visit.refresh_from_db()
    assert visit.results == SEED["units"][0]["results"]
    response = client.post(demo.get_absolute_url(), conclusion(day="2023-10-05"))
    assert messages_of(response)
    demo.refresh_from_db()
    assert demo.concluded_on == DAY

    inspection = plan_2023(programme)
    record_all(inspection)
    services.conclude(
        inspection=inspection,
        user=user("kiemtra"),
        conclusion="Hoàn thành.",
        concluded_on=dt.date(2023, 10, 5),
    )
    visit = inspection.visits.get(unit__code="279")
    client.post(inspection.get_absolute_url(), findings(visit, results="Sửa lại."))
    visit.refresh_from_db()
    assert visit.results == "Đạt yêu cầu."


def test_findings_need_a_day_within_the_inspection(programme, login):
    inspection = plan_2023(programme)
    visit = inspection.visits.get(unit__code="279")
    client = login("kiemtra")
    response = client.post(
        inspection.get_absolute_url(), findings(visit, **{f"visit-{visit.pk}-visited_on": ""})
    )
    assert response.status_code == 200
    shown = next(v for v in response.context["visits"] if v.pk == visit.pk)
    assert "visited_on" in shown.form.errors
    response = client.post(
        inspection.get_absolute_url(),
        findings(visit, **{f"visit-{visit.pk}-visited_on": "2023-09-25"}),
    )
    assert messages_of(response)
    visit.refresh_from_db()
    assert visit.visited_on is None


# -- downloads --------------------------------------------------------------------------------


def test_the_list_downloads_as_excel_and_csv(programme, login):
    inspection = plan_2023(programme)
    client = login("thuongtruc")
    response = client.get(list_url(programme), {"download": "inspections.xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=3)]
    assert len(values) == Inspection.objects.filter(programme=programme).count() == 2
    mine = next(row for row in values if row[0] == "9")
    assert inspection.title in mine
    assert any(isinstance(v, dt.datetime) and v.date() == DAY for v in mine)
    assert "Nguyễn Văn Phong" in mine  # the head, in the file only

    response = client.get(list_url(programme), {"download": "inspections.csv"})
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(lines) == 3
    mine = next(line for line in lines if line[0] == "9")
    assert "20/09/2023" in mine
    assert unit("279").name in mine[5]
