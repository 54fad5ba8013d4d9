"""Two people editing the same figure or the same plan item: the second is told who changed
what, with both figures, and nothing of the first's is silently overwritten."""

import datetime as dt
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.translation import gettext as _

from steer.accounts.models import Role, RoleGrant, User
from steer.programmes.models import PlanItem
from steer.reporting.imports import Entry, Rejected, value_version
from steer.reporting.models import DataValue, ValueChange
from steer.reporting.values import write_values
from steer.steering import services
from steer.steering.models import DeadlineChange
from steer.units.models import OrgUnit

pytestmark = pytest.mark.django_db

DONGDA = "006"
# Đống Đa's last half-year report (the district ended on 30/6/2025): a draft with CT15 = 5 and
# CT16 = 35,2 stored, and no CT20 yet.
FILLED = f"/p/07-ctr-tu/reports/BC6T-DP/2025S1/{DONGDA}/"


class _Fields(HTMLParser):
    """The fields of the entry form as a browser would post them back unchanged."""

    def __init__(self):
        super().__init__()
        self.data, self._select, self._inside = {}, None, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._inside = attrs.get("id") == "entry"
        elif not self._inside:
            return
        elif tag == "input" and attrs.get("name") and attrs.get("type") != "submit":
            self.data[attrs["name"]] = attrs.get("value", "")
        elif tag == "select":
            self._select = attrs["name"]
        elif (
            tag == "option"
            and self._select
            and ("selected" in attrs or self._select not in self.data)
        ):
            self.data[self._select] = attrs["value"]

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "form":
            self._inside = False


def opened(client, url) -> dict:
    parser = _Fields()
    parser.feed(client.get(url).content.decode())
    assert parser.data, "the entry form is not editable"
    return parser.data


def client_of(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def save(client, url, form: dict, **figures):
    return client.post(url, {**form, **figures, "action": "save"})


def stored(code: str, period="2025S1") -> Decimal | None:
    value = DataValue.objects.filter(
        indicator__code=code, unit__code=DONGDA, period=period, option=""
    ).first()
    return value.value if value else None


@pytest.fixture
def changes_by(db):
    """The value changes a user makes during the test (the demo has a history of its own)."""
    mark = ValueChange.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def _changes(username: str, code: str, period="2025S1"):
        return ValueChange.objects.filter(
            pk__gt=mark,
            user__username=username,
            indicator__code=code,
            unit__code=DONGDA,
            period=period,
        )

    return _changes


def field_message(html: str, field: str) -> str:
    found = re.search(rf'<span id="{field}-msg"[^>]*>(.*?)</span>\s*</td>', html, re.S)
    return found.group(1) if found else ""


@pytest.fixture
def reporter():
    return client_of("baocao.dongda")  # Lê Thị Lan, Đống Đa's reporter


@pytest.fixture
def agency():
    return client_of("thuongtruc")  # Nguyễn Thu Hà, the standing agency, may enter them too


def test_the_second_editor_of_a_figure_is_refused_with_the_first_ones_name_and_figure(
    programme, reporter, agency, changes_by
):
    first, second = opened(reporter, FILLED), opened(agency, FILLED)
    assert save(reporter, FILLED, first, **{"v-CT15": "6"}).status_code == 302
    response = save(agency, FILLED, second, **{"v-CT15": "7"})

    assert response.status_code == 200
    html = response.content.decode()
    message = field_message(html, "v-CT15")
    at = timezone.localtime(changes_by("baocao.dongda", "CT15").get().at)
    assert "Lê Thị Lan" in message
    assert at.strftime("%d/%m/%Y %H:%M") in message
    figures = re.findall(r"\b\d+\b", message.split(at.strftime("%H:%M"))[1])
    assert figures[:3] == ["6", "5", "7"]  # theirs, the one this editor saw, the one typed
    assert stored("CT15") == 6
    assert not changes_by("thuongtruc", "CT15").exists()
    again = _Fields()
    again.feed(html)
    assert again.data["v-CT15"] == "7"  # what the editor typed is kept
    assert again.data["v-CT15-v"] == value_version(Decimal(6), "official", "")


def test_the_same_figure_typed_by_both_editors_is_no_conflict(
    programme, reporter, agency, changes_by
):
    first, second = opened(reporter, FILLED), opened(agency, FILLED)
    assert save(reporter, FILLED, first, **{"v-CT15": "6"}).status_code == 302
    assert save(agency, FILLED, second, **{"v-CT15": "6"}).status_code == 302
    assert stored("CT15") == 6
    assert not changes_by("thuongtruc", "CT15").exists()


def test_saving_again_after_the_conflict_overwrites_on_purpose(
    programme, reporter, agency, changes_by
):
    first, second = opened(reporter, FILLED), opened(agency, FILLED)
    save(reporter, FILLED, first, **{"v-CT15": "6", "v-CT16": "40"})
    refused = save(agency, FILLED, second, **{"v-CT15": "7"})
    shown = _Fields()
    shown.feed(refused.content.decode())
    assert shown.data["v-CT16"] == "40"  # left alone: shown as stored now, not as first seen

    assert save(agency, FILLED, shown.data).status_code == 302
    assert stored("CT15") == 7
    assert stored("CT16") == 40
    change = changes_by("thuongtruc", "CT15").get()
    assert (change.old_value, change.new_value) == (6, 7)


def test_a_figure_new_to_both_editors_is_guarded_too(programme, reporter, agency, changes_by):
    first, second = opened(reporter, FILLED), opened(agency, FILLED)
    assert first["v-CT20"] == "" and second["v-CT20"] == ""
    assert save(reporter, FILLED, first, **{"v-CT20": "92,5"}).status_code == 302
    response = save(agency, FILLED, second, **{"v-CT20": "90"})

    assert response.status_code == 200
    message = field_message(response.content.decode(), "v-CT20")
    assert "Lê Thị Lan" in message and "92,5" in message and "90" in message
    assert stored("CT20") == Decimal("92.5")
    assert not changes_by("thuongtruc", "CT20").exists()


def test_a_figure_the_second_editor_left_alone_keeps_the_first_ones_change(
    programme, reporter, agency, changes_by
):
    first, second = opened(reporter, FILLED), opened(agency, FILLED)
    assert second["v-CT16"] == "35,2"
    assert save(reporter, FILLED, first, **{"v-CT16": "40"}).status_code == 302
    # The standing agency corrects CT15 only; CT16 goes back as the page showed it.
    assert save(agency, FILLED, second, **{"v-CT15": "8"}).status_code == 302
    assert stored("CT16") == 40
    assert stored("CT15") == 8
    assert not changes_by("thuongtruc", "CT16").exists()


def test_a_figure_of_thousands_goes_back_unchanged_when_the_form_is_saved_again(
    programme, reporter
):
    assert save(reporter, FILLED, opened(reporter, FILLED), **{"v-CT07": "1250"}).status_code == 302
    form = opened(reporter, FILLED)
    assert form["v-CT07"] == "1250"  # not 1.250, which reads back as 1,25
    assert save(reporter, FILLED, form).status_code == 302
    assert stored("CT07") == 1250


def test_a_stale_version_refuses_the_whole_batch(programme):
    """The API and any other channel that sends versions get the same guard."""
    user = User.objects.get(username="baocao.dongda")
    seen = value_version(Decimal(5), "official", "")
    write_values(
        programme=programme,
        entries=[Entry("CT15", DONGDA, "2025S1", "CT15", "", 6)],
        user=user,
        channel="web",
    )
    with pytest.raises(Rejected) as refused:
        write_values(
            programme=programme,
            entries=[
                Entry("CT15", DONGDA, "2025S1", "CT15", "", 9, version=seen),
                Entry("CT30", DONGDA, "2025S1", "CT30", "", 12, version=value_version(None)),
            ],
            user=User.objects.get(username="thuongtruc"),
            channel="api",
        )
    assert [p.where for p in refused.value.problems] == ["CT15"]
    assert stored("CT15") == 6 and stored("CT30") is None
    # Without a version (a file, the command line) there is no guard.
    write_values(
        programme=programme,
        entries=[Entry("CT15", DONGDA, "2025S1", "CT15", "", 9)],
        user=user,
        channel="cli",
    )
    assert stored("CT15") == 9


# -- plan items ------------------------------------------------------------------------------


def admin_form(response) -> dict:
    """The data the admin change form would post back unchanged, inlines included."""
    data = {}

    def add(form):
        for name, field in form.fields.items():
            value, key = form[name].value(), form.add_prefix(name)
            if value is None or value is False:
                continue
            if value is True:
                data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            elif isinstance(value, str | int):
                data[key] = value
            else:
                data[key] = field.widget.format_value(value)

    add(response.context["adminform"].form)
    if response.context.get("edit_seen"):  # the values the form showed, signed
        data["_seen"] = response.context["edit_seen"]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        for form in formset.initial_forms:
            add(form)
    return data


def theirs_and_yours(label: str, theirs: str, yours: str) -> str:
    return _("%(field)s: theirs “%(theirs)s”, yours “%(yours)s”") % {
        "field": label,
        "theirs": theirs,
        "yours": yours,
    }


NEW_TITLE = "Kế hoạch ứng dụng công nghệ thông tin, phát triển chính quyền số Hà Nội 2021-2025"
OFFICIAL = "Giám đốc Sở Thông tin và Truyền thông"


def test_a_second_back_office_save_of_an_item_is_refused_with_what_changed(programme):
    item = programme.plan_items.get(code="NV02")
    url = f"/admin/programmes/planitem/{item.pk}/change/"
    agency, admin = client_of("thuongtruc"), client_of("quantri")
    first, second = admin_form(agency.get(url)), admin_form(admin.get(url))
    saved = agency.post(url, first | {"title": NEW_TITLE, "responsible_official": OFFICIAL})
    assert saved.status_code == 302
    response = admin.post(url, second | {"expected_product": "Kế hoạch được ban hành"})

    assert response.status_code == 200
    form = response.context["adminform"].form
    error = " ".join(form.non_field_errors())
    assert "Nguyễn Thu Hà" in error
    # Field by field, their value and this editor's (the one the form showed, left alone).
    assert theirs_and_yours("Tên", NEW_TITLE, item.title) in error
    assert theirs_and_yours("Cán bộ phụ trách", OFFICIAL, item.responsible_official or "–") in error
    assert item.expected_product not in error  # only the fields that differ
    now = PlanItem.objects.get(pk=item.pk)
    assert (now.title, now.expected_product) == (NEW_TITLE, item.expected_product)
    assert now.version == item.version + 1 and now.updated_by.username == "thuongtruc"
    shown = admin_form(response)  # the current values, and what this editor typed, to save
    assert shown["title"] == NEW_TITLE and shown["_seen"] != second["_seen"]
    assert shown["expected_product"] == "Kế hoạch được ban hành"

    redone = admin.post(url, shown)
    assert redone.status_code == 302
    now.refresh_from_db()
    assert (now.title, now.expected_product) == (NEW_TITLE, "Kế hoạch được ban hành")
    assert now.version == item.version + 2 and now.updated_by.username == "quantri"


def test_a_budget_changed_meanwhile_is_named_and_shown_as_stored(programme):
    item = programme.plan_items.get(code="NV02")
    url = f"/admin/programmes/planitem/{item.pk}/change/"
    agency, admin = client_of("thuongtruc"), client_of("quantri")
    first, second = admin_form(agency.get(url)), admin_form(admin.get(url))
    city = item.budget_lines.get(source="city")
    assert first["budget_lines-0-id"] == city.pk and city.amount == 45000
    assert agency.post(url, first | {"budget_lines-0-amount": "50000"}).status_code == 302
    response = admin.post(url, second | {"title": NEW_TITLE})

    assert response.status_code == 200
    error = " ".join(response.context["adminform"].form.non_field_errors())
    assert "45.000" in error and "50.000" in error
    assert Decimal(admin_form(response)["budget_lines-0-amount"]) == 50000  # not what was posted
    assert PlanItem.objects.get(pk=item.pk).title == item.title
    city.refresh_from_db()
    assert city.amount == 50000


def test_a_back_office_save_from_the_current_version_goes_through(programme):
    item = programme.plan_items.get(code="NV02")
    url = f"/admin/programmes/planitem/{item.pk}/change/"
    admin = client_of("quantri")
    response = admin.post(url, admin_form(admin.get(url)) | {"responsible_official": OFFICIAL})
    assert response.status_code == 302
    now = PlanItem.objects.get(pk=item.pk)
    assert now.responsible_official == OFFICIAL and now.version == item.version + 1


def progress_page(code: str) -> str:
    return f"/p/07-ctr-tu/plan-items/{code}/progress/"


def seen_deadline(client, code: str) -> str:
    html = client.get(progress_page(code)).content.decode()
    return re.search(r'name="seen" value="([^"]+)"', html).group(1)


def test_a_second_deadline_change_is_refused_with_who_moved_it(programme):
    item = programme.plan_items.get(code="NV05")
    url = f"/p/07-ctr-tu/plan-items/{item.code}/deadline/"
    agency, admin = client_of("thuongtruc"), client_of("quantri")
    first, second = seen_deadline(agency, "NV05"), seen_deadline(admin, "NV05")
    assert first == second == item.deadline.isoformat()
    agency.post(url, {"new": "30/06/2026", "reason": "Chờ bố trí vốn", "seen": first})
    response = admin.post(
        url, {"new": "31/03/2026", "reason": "Điều chỉnh theo tiến độ", "seen": second}, follow=True
    )

    text = " ".join(str(m) for m in response.context["messages"])
    assert "Nguyễn Thu Hà" in text
    assert f"{item.deadline:%d/%m/%Y}" in text and "30/06/2026" in text
    now = PlanItem.objects.get(pk=item.pk)
    assert now.deadline == dt.date(2026, 6, 30)
    assert DeadlineChange.objects.filter(plan_item=item).count() == 1


def test_two_saves_from_the_same_version_cannot_both_win(programme):
    agency, admin = User.objects.get(username="thuongtruc"), User.objects.get(username="quantri")
    one, other = (programme.plan_items.get(code="NV02") for _ in range(2))
    seen = one.version
    assert one.update_at_version(agency, seen, title=NEW_TITLE)
    assert not other.update_at_version(admin, seen, title="Tiêu đề khác")
    now = PlanItem.objects.get(pk=one.pk)
    assert (now.title, now.version, now.updated_by) == (NEW_TITLE, seen + 1, agency)

    one, other = (programme.plan_items.get(code="NV05") for _ in range(2))
    services.change_deadline(
        item=one, user=agency, new=dt.date(2026, 6, 30), reason="Chờ bố trí vốn"
    )
    with pytest.raises(services.SteeringError, match="Nguyễn Thu Hà"):
        services.change_deadline(
            item=other, user=admin, new=dt.date(2026, 3, 31), reason="Theo tiến độ"
        )
    assert PlanItem.objects.get(pk=one.pk).deadline == dt.date(2026, 6, 30)


def test_a_progress_report_moves_the_item_version_and_says_who(programme):
    reporter = User.objects.create_user(
        "baocao.syt", password="x", full_name="Vũ Thị Hạnh", unit=OrgUnit.objects.get(code="SYT")
    )
    RoleGrant.objects.create(user=reporter, role=Role.UNIT_REPORTER, programme=programme)
    item = programme.plan_items.get(code="NV24")
    before = item.version
    services.report_progress(
        item=item,
        user=reporter,
        period="2025Q3",
        percent=Decimal(70),
        done="Đã triển khai bệnh án điện tử tại 32 bệnh viện công lập",
        confidence="amber",
        rationale="Còn 9 bệnh viện chưa đáp ứng hạ tầng",
    )
    now = PlanItem.objects.get(pk=item.pk)
    assert now.version == before + 1 and now.updated_by == reporter
    assert now.updated_at is not None


def test_a_conflict_on_the_comment_alone_names_their_comment_not_a_figure_change(
    programme, reporter, agency, changes_by
):
    """It once read "changed this figure to 95,6 (you saw 95,6); your figure 95,6 was not
    saved"."""
    first, second = opened(reporter, FILLED), opened(agency, FILLED)
    theirs = "Số liệu của Trung tâm Y tế quận, đã đối chiếu"
    assert save(reporter, FILLED, first, **{"v-CT18-c": theirs}).status_code == 302
    response = save(agency, FILLED, second, **{"v-CT18-c": "Ước tính theo quý 1"})

    assert response.status_code == 200
    message = field_message(response.content.decode(), "v-CT18")
    assert "Lê Thị Lan đã sửa ghi chú của số liệu này" in message
    assert f"thành “{theirs}”" in message and "bạn đã thấy không có ghi chú" in message
    assert "95,6" not in message
    assert (
        DataValue.objects.get(
            indicator__code="CT18", unit__code=DONGDA, period="2025S1", option=""
        ).comment
        == theirs
    )
    assert not changes_by("thuongtruc", "CT18").exists()


def test_a_conflict_on_the_status_alone_says_the_status_changed(
    programme, reporter, agency, changes_by
):
    first, second = opened(reporter, FILLED), opened(agency, FILLED)
    assert save(reporter, FILLED, first, **{"v-CT18-q": "estimate"}).status_code == 302
    response = save(agency, FILLED, second, **{"v-CT18-c": "Đã đối chiếu với Sở Y tế"})

    message = field_message(response.content.decode(), "v-CT18")
    assert "Lê Thị Lan đã sửa tình trạng của số liệu này" in message
    assert "thành “Ước tính”" in message and "95,6" not in message
    assert not changes_by("thuongtruc", "CT18").exists()


def test_a_conflict_on_the_figure_and_the_comment_names_both(
    programme, reporter, agency, changes_by
):
    first, second = opened(reporter, FILLED), opened(agency, FILLED)
    save(reporter, FILLED, first, **{"v-CT18": "96,2", "v-CT18-c": "Cập nhật tháng 6"})
    response = save(agency, FILLED, second, **{"v-CT18": "97"})

    message = field_message(response.content.decode(), "v-CT18")
    assert "thành 96,2" in message and "bạn đã thấy 95,6" in message and "Số liệu 97" in message
    assert "Ghi chú của họ: “Cập nhật tháng 6”." in message
