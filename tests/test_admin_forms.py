"""The back office refuses bad input on the field at fault and saves nothing halfway."""

import pytest

from steer.accounts.models import User
from steer.programmes.models import Indicator, PlanItem, Target
from steer.units.models import OrgUnit

pytestmark = pytest.mark.django_db


def form_data(response) -> dict:
    """The data an unchanged admin change form would post back, inlines included."""
    data = {}

    def add(form):
        for name, field in form.fields.items():
            value = form[name].value()
            key = form.add_prefix(name)
            if value is None:
                continue
            if isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            elif isinstance(value, bool):
                if value:
                    data[key] = "on"
            elif isinstance(value, str | int):
                data[key] = value
            else:  # dates and decimals, written the way the active language writes them
                data[key] = field.widget.format_value(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[formset.management_form.add_prefix(name)] = value
        for form in formset.initial_forms:
            add(form)
    return data


@pytest.fixture
def admin_client(login):
    return login("thuongtruc")


def test_an_indicator_with_a_duplicate_code_is_refused(admin_client, programme):
    url = f"/admin/programmes/indicator/{programme.indicators.get(code='CT02').pk}/change/"
    data = form_data(admin_client.get(url))
    data["code"] = "CT01"
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Mã này đã được sử dụng trong chương trình." in response.content.decode()
    assert programme.indicators.filter(code="CT02").exists()


def test_a_bad_target_in_the_inline_leaves_the_indicator_unchanged(admin_client, programme):
    indicator = programme.indicators.get(code="CT06")
    url = f"/admin/programmes/indicator/{indicator.pk}/change/"
    data = form_data(admin_client.get(url))
    data["name"] = "Tên đã sửa"
    prefix = "targets"
    first = f"{prefix}-0-year"
    assert first in data
    data[first] = "2030"
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "2021-2025" in response.content.decode()
    indicator.refresh_from_db()
    assert indicator.name != "Tên đã sửa"
    assert not Target.objects.filter(indicator=indicator, year=2030).exists()


def test_an_unchanged_indicator_form_saves(admin_client, programme):
    indicator = programme.indicators.get(code="CT06")
    url = f"/admin/programmes/indicator/{indicator.pk}/change/"
    data = form_data(admin_client.get(url))
    data["name"] = "Số doanh nghiệp khoa học và công nghệ"
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    indicator.refresh_from_db()
    assert indicator.name == "Số doanh nghiệp khoa học và công nghệ"


def test_a_coordinating_unit_that_did_not_exist_at_the_start_is_refused(admin_client, programme):
    item = programme.plan_items.get(code="NV13")
    url = f"/admin/programmes/planitem/{item.pk}/change/"
    data = form_data(admin_client.get(url))
    commune = OrgUnit.objects.get(code="00004")
    data["coordinating_units"] = [*data.get("coordinating_units", []), str(commune.pk)]
    data["start_date"] = "01/01/2025"
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Phường Ba Đình" in response.content.decode()
    assert not item.coordinating_units.filter(pk=commune.pk).exists()


def test_a_plan_item_gives_no_unit_work_past_its_end_in_the_back_office(admin_client, programme):
    item = programme.plan_items.get(code="NV05")  # due 31/12/2025
    url = f"/admin/programmes/planitem/{item.pk}/change/"
    data = form_data(admin_client.get(url))
    data["assigned_units"] = [*data["assigned_units"], str(OrgUnit.objects.get(code="006").pk)]
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["assigned_units"] == [
        "Các đơn vị sau kết thúc trước thời hạn 31/12/2025: Quận Đống Đa (… – 30/06/2025)."
    ]
    assert not item.assigned_units.filter(code="006").exists()
    # Its coordinators merged in March 2025 stay on as the record of who took part.
    data = form_data(admin_client.get(url)) | {"responsible_official": "Giám đốc Sở KH&CN"}
    assert admin_client.post(url, data).status_code == 302


def test_a_deadline_moved_past_the_districts_end_is_refused_in_the_back_office(
    admin_client, programme
):
    item = programme.plan_items.get(code="NV06")  # the urban districts implement it to 30/6/2025
    url = f"/admin/programmes/planitem/{item.pk}/change/"
    response = admin_client.post(url, form_data(admin_client.get(url)) | {"deadline": "31/12/2025"})
    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.errors["assigned_units"])
    assert "Quận Đống Đa (… – 30/06/2025)" in errors and "31/12/2025" in errors
    assert PlanItem.objects.get(pk=item.pk).deadline == item.deadline


def test_a_deadline_before_the_start_is_refused_in_the_back_office(admin_client, programme):
    item = programme.plan_items.get(code="NV13")
    url = f"/admin/programmes/planitem/{item.pk}/change/"
    data = form_data(admin_client.get(url))
    data["deadline"] = "01/01/2021"
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Thời hạn không được trước ngày bắt đầu." in response.content.decode()
    assert PlanItem.objects.get(pk=item.pk).deadline == item.deadline


def test_a_cycle_in_the_unit_tree_is_refused_in_the_back_office(login):
    client = login("quantri")
    city = OrgUnit.objects.get(code="01")
    url = f"/admin/units/orgunit/{city.pk}/change/"
    data = form_data(client.get(url))
    data["parent"] = str(OrgUnit.objects.get(code="SKHCN").pk)
    response = client.post(url, data)
    assert response.status_code == 200
    assert "đơn vị cấp dưới" in response.content.decode()
    city.refresh_from_db()
    assert city.parent is None


def test_the_standing_agency_cannot_edit_another_programmes_content(admin_client, programme):
    from steer.accounts.models import User
    from steer.programmes.models import Programme

    other = Programme.objects.create(
        slug="10-ctr-tu",
        number="10",
        symbol="10-CTr/TU",
        title="Chương trình khác",
        issuing_body="Thành ủy Hà Nội",
        issued_on="2021-03-17",
        start_year=2021,
        end_year=2025,
        standing_agency=OrgUnit.objects.get(code="SNV"),
        source_document="minh họa",
    )
    objective = other.objectives.create(code="MT1", title="Mục tiêu")
    User.objects.get(username="thuongtruc")
    url = f"/admin/programmes/objective/{objective.pk}/change/"
    assert admin_client.get(url).status_code in (302, 403, 404)
    assert Indicator.objects.filter(programme=other).count() == 0


def test_a_validation_rule_that_cannot_be_read_is_refused_in_vietnamese(programme):
    from django.core.exceptions import ValidationError

    from steer.reporting.models import ValidationRule

    rule = ValidationRule(
        programme=programme,
        code="tong-linh-vuc",
        name="Các lĩnh vực cộng lại bằng tổng số mô hình",
        left="CT10 CT10.trong-trot",
        operator="==",
        right="CT10.chan-nuoi + 5 %",
    )
    with pytest.raises(ValidationError) as refused:
        rule.clean()
    assert refused.value.message_dict == {
        "left": ["Đặt dấu + hoặc - trước “CT10.trong-trot”."],
        "right": [
            "Không đọc được “%”: hãy dùng mã chỉ tiêu (CT15, CT10.trong-trot), số và dấu + hoặc -."
        ],
    }


def test_the_back_office_opens_and_saves_a_users_page(login):
    """UserAdmin.get_form takes no `change` in its place: the edit check once passed it so, and
    every user page failed."""
    client = login("quantri")
    bancd = User.objects.get(username="bancd")
    assert client.get("/admin/accounts/user/add/").status_code == 200
    page = client.get(f"/admin/accounts/user/{bancd.pk}/change/")
    assert page.status_code == 200
    data = form_data(page) | {"position": "Phó Trưởng ban Chỉ đạo Chương trình 07-CTr/TU"}
    assert client.post(f"/admin/accounts/user/{bancd.pk}/change/", data).status_code == 302
    assert User.objects.get(username="bancd").position.startswith("Phó Trưởng ban")
