"""Work goes only to units that exist while it lasts, and a dated record names a unit only for a
day it existed: a directive's units from the day it is given to its deadline, a plan item's from
its start to its deadline (a moved deadline too), an inspection's on its days, a recommendation's
on the day it is raised, a progress report's lead on its period's cut-off end day.

Quận Đống Đa (006) and the other districts ended on 30/6/2025; the wards that replaced them
began on 1/7/2025; Sở Thông tin và Truyền thông (STTTT) ended on 28/2/2025."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from steer.accounts.models import User
from steer.programmes.models import PlanItem
from steer.steering import services
from steer.steering.models import (
    Directive,
    Inspection,
    ProgressReport,
    Recommendation,
)
from steer.units.models import OrgUnit

pytestmark = pytest.mark.django_db
DONG_DA = "Quận Đống Đa (… – 30/06/2025)"


def unit(code: str) -> OrgUnit:
    return OrgUnit.objects.get(code=code)


def user(username: str) -> User:
    return User.objects.get(username=username)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# -- directives -------------------------------------------------------------------------------


def directive(programme, given_on, deadline, today, assignees=("006",)):
    return services.give_directive(
        programme=programme,
        user=user("kiemtra"),
        assignees=[unit(code) for code in assignees],
        content="Quận Đống Đa hoàn thành cấp chứng nhận ISO 9001:2015 cho 100% phường.",
        given_by="Trưởng Đoàn kiểm tra số 2",
        given_on=given_on,
        source=Directive.Source.DOCUMENT,
        deadline=deadline,
        today=today,
    )


def test_a_back_dated_directive_cannot_give_a_dissolved_district_work_past_its_end(programme):
    before = Directive.objects.count()
    with pytest.raises(services.SteeringError) as refused:
        directive(programme, dt.date(2025, 6, 20), dt.date(2026, 3, 31), dt.date(2026, 1, 5))
    assert str(refused.value) == (
        f"{DONG_DA} không tồn tại trong suốt thời gian từ 20/06/2025 đến 31/03/2026."
    )
    assert Directive.objects.count() == before
    # Given and due while the district existed, it goes through.
    done = directive(programme, dt.date(2025, 6, 20), dt.date(2025, 6, 30), dt.date(2025, 6, 20))
    assert list(done.assignees.values_list("code", flat=True)) == ["006"]


def test_a_ward_cannot_be_given_a_directive_dated_before_it_was_formed(programme):
    with pytest.raises(services.SteeringError, match="Phường Văn Miếu - Quốc Tử Giám"):
        directive(
            programme, dt.date(2025, 6, 20), dt.date(2025, 9, 30), dt.date(2025, 6, 20), ["00226"]
        )
    ward = directive(
        programme, dt.date(2025, 7, 1), dt.date(2025, 9, 30), dt.date(2025, 7, 1), ["00226"]
    )
    assert ward.assignees.get().code == "00226"


def test_the_directive_form_offers_no_unit_that_has_ended_and_refuses_one_posted(programme, login):
    client = login("kiemtra")
    url = reverse("directive_new", args=[programme.slug])
    offered = client.get(url).context["form"].fields["assignees"].queryset
    assert not offered.filter(code__in=["006", "279", "STTTT"]).exists()
    assert offered.filter(code="00226").exists()
    before = Directive.objects.count()
    deadline = timezone.localdate() + dt.timedelta(days=60)
    response = client.post(
        url,
        {
            "content": "Quận Đống Đa công bố danh mục sáng kiến năm 2025.",
            "given_by": "Trưởng Đoàn kiểm tra số 2",
            "given_on": "20/06/2025",
            "source": "document",
            "assignees": [unit("006").pk],
            "deadline": deadline.strftime("%d/%m/%Y"),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["assignees"]
    assert Directive.objects.count() == before


def test_a_directive_after_an_inspection_of_districts_since_dissolved_goes_to_their_successors(
    programme, login
):
    inspection = Inspection.objects.get(programme=programme, number="1")
    response = login("kiemtra").get(
        reverse("directive_new", args=[programme.slug]), {"inspection": inspection.pk}
    )
    form = response.context["form"]
    proposed = set(
        OrgUnit.objects.filter(pk__in=form.initial["assignees"]).values_list("code", flat=True)
    )
    wards = set(unit("006").successor_links.values_list("successor__code", flat=True))
    assert wards and wards <= proposed
    assert not proposed & {"006", "279", "STTTT"}
    assert form.initial["given_on"] == timezone.localdate()
    (note,) = messages_of(response)
    assert DONG_DA in note and "Huyện Thường Tín (… – 30/06/2025)" in note


# -- plan items -------------------------------------------------------------------------------


def test_a_deadline_cannot_move_past_the_end_of_the_districts_carrying_the_item(programme):
    item = programme.plan_items.get(code="NV06")  # the urban districts implement it to 30/6/2025
    agency = user("thuongtruc")
    with pytest.raises(services.SteeringError) as refused:
        services.change_deadline(
            item=item, user=agency, new=dt.date(2025, 12, 31), reason="Chờ bố trí vốn"
        )
    assert DONG_DA in str(refused.value) and "31/12/2025" in str(refused.value)
    assert PlanItem.objects.get(pk=item.pk).deadline == dt.date(2025, 6, 30)
    # An earlier deadline, within the districts' time, is fine.
    services.change_deadline(
        item=item, user=agency, new=dt.date(2025, 5, 31), reason="Rút ngắn theo kết luận"
    )
    assert PlanItem.objects.get(pk=item.pk).deadline == dt.date(2025, 5, 31)


# -- inspections, recommendations, progress ---------------------------------------------------


def test_an_inspection_cannot_visit_a_district_on_days_after_its_end(programme, login):
    before = Inspection.objects.count()
    with pytest.raises(services.SteeringError, match="từ 25/06/2025 đến 02/07/2025"):
        services.plan_inspection(
            programme=programme,
            user=user("kiemtra"),
            units=[unit("006")],
            members=[{"role": "head", "name": "Nguyễn Văn Phong", "position": "Trưởng đoàn"}],
            number="3",
            title="Đoàn kiểm tra số 3",
            purpose="Kiểm tra việc bàn giao hồ sơ Chương trình 07 của quận.",
            start=dt.date(2025, 6, 25),
            end=dt.date(2025, 7, 2),
        )
    response = login("kiemtra").post(
        reverse("inspection_new", args=[programme.slug]),
        {
            "number": "3",
            "title": "Đoàn kiểm tra số 3",
            "purpose": "Kiểm tra việc bàn giao hồ sơ Chương trình 07 của quận.",
            "start": "25/06/2025",
            "end": "02/07/2025",
            "units": [unit("006").pk],
            "team": "trưởng đoàn | Nguyễn Văn Phong | Trưởng đoàn",
        },
    )
    assert DONG_DA in " ".join(response.context["form"].errors["units"])
    assert Inspection.objects.count() == before


def test_a_recommendation_is_raised_only_on_a_day_its_unit_existed(programme):
    fields = {
        "channel": Recommendation.Channel.DIRECT,
        "category": Recommendation.Category.FINANCE,
        "content": "Đề nghị bố trí kinh phí số hóa hồ sơ địa chính của quận.",
        "addressed_to": "UBND Thành phố",
    }
    reporter = user("baocao.dongda")
    with pytest.raises(services.SteeringError) as refused:
        services.raise_recommendation(
            programme=programme,
            user=reporter,
            unit=unit("006"),
            raised_on=dt.date(2025, 7, 15),
            **fields,
        )
    assert str(refused.value) == f"{DONG_DA} không tồn tại vào ngày 15/07/2025."
    rec = services.raise_recommendation(
        programme=programme,
        user=reporter,
        unit=unit("006"),
        raised_on=dt.date(2025, 6, 15),
        **fields,
    )
    assert rec.unit.code == "006"


def test_a_lead_unit_reports_progress_only_for_periods_it_existed_at_the_end_of(programme):
    item = programme.plan_items.get(code="NV01")  # led by Sở Thông tin và Truyền thông
    report = {
        "percent": Decimal(60),
        "done": "Hoàn thiện dự thảo Đề án thành phố thông minh",
        "confidence": "amber",
        "rationale": "Đề án được tái cấu trúc",
    }
    agency = user("thuongtruc")
    before = ProgressReport.objects.filter(plan_item=item).count()
    refused = "ngày chốt số liệu kỳ báo cáo quý II năm 2025"
    with pytest.raises(services.SteeringError, match=refused):
        services.report_progress(item=item, user=agency, period="2025Q2", **report)
    assert ProgressReport.objects.filter(plan_item=item).count() == before
    services.report_progress(item=item, user=agency, period="2024", **report)
    assert ProgressReport.objects.filter(plan_item=item).count() == before + 1
