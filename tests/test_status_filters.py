"""A filter by status lists exactly what carries that status word: the plan-item list filters by
the status its badge shows, the directive list by the cards' three statuses, and every card's
link lists its count."""

import datetime as dt
import html
import re

import pytest
from django.utils import timezone

from steer.programmes.models import PlanItem
from steer.steering.labels import PLAN_LABELS
from steer.steering.plan_status import PlanStatus
from steer.steering.tables import DIRECTIVE_LABELS

pytestmark = pytest.mark.django_db


def _row_words(response) -> list[str]:
    """The status word of every row of a page's table."""
    page = response.content.decode()
    return [html.unescape(w) for w in re.findall(r'class="status status-[a-z_]+">([^<]+)<', page)]


def _late_in_progress_item(programme) -> PlanItem:
    """An item typed "in progress" whose deadline has passed: its badge says overdue."""
    item = PlanItem.objects.filter(programme=programme).order_by("code").first()
    item.state = PlanItem.State.IN_PROGRESS
    item.completed_on = None
    item.deadline = timezone.localdate() - dt.timedelta(days=3)
    item.save()
    return item


@pytest.mark.parametrize("status", list(PlanStatus))
def test_every_plan_item_under_a_status_filter_shows_that_status_word(programme, login, status):
    _late_in_progress_item(programme)
    client = login("thuongtruc")
    url = f"/p/{programme.slug}/plan-items/"
    response = client.get(url, {"state": status})
    assert response.status_code == 200
    count = response.context["page"].paginator.count
    words = set()
    for number in response.context["page"].paginator.page_range:
        words |= set(_row_words(client.get(url, {"state": status, "page": number})))
    assert words == ({str(PLAN_LABELS[status])} if count else set())


def test_an_item_late_but_typed_in_progress_is_listed_as_overdue_only(programme, login):
    item = _late_in_progress_item(programme)
    client = login("thuongtruc")
    url = f"/p/{programme.slug}/plan-items/"
    listed = {
        status: [i.code for i in client.get(url, {"state": status}).context["page"].object_list]
        for status in (PlanStatus.IN_PROGRESS, PlanStatus.OVERDUE)
    }
    assert item.code in listed[PlanStatus.OVERDUE]
    assert item.code not in listed[PlanStatus.IN_PROGRESS]


def test_the_plan_item_status_filter_offers_the_badge_words(programme, login):
    response = login("thuongtruc").get(f"/p/{programme.slug}/plan-items/")
    choices = dict(response.context["form"].fields["state"].choices)
    assert choices == {"": "Tất cả", **{code: str(w) for code, w in PLAN_LABELS.items()}}


@pytest.mark.parametrize(
    ("state", "statuses"),
    [
        ("planned", {PlanStatus.NOT_STARTED}),
        ("completed", {PlanStatus.DONE_ON_TIME, PlanStatus.DONE_LATE}),
    ],
)
def test_old_links_by_typed_state_still_filter(programme, login, state, statuses):
    items = PlanItem.objects.filter(programme=programme).order_by("code")
    items.filter(pk=items[0].pk).update(
        state=PlanItem.State.PLANNED, deadline=timezone.localdate() + dt.timedelta(days=9)
    )
    response = login("thuongtruc").get(f"/p/{programme.slug}/plan-items/", {"state": state})
    assert response.status_code == 200
    words = set(_row_words(response))
    assert words and words <= {str(PLAN_LABELS[s]) for s in statuses}


@pytest.mark.parametrize("value", ["zzz", "%00", "x" * 300, "overdue\n"])
def test_a_status_the_lists_do_not_know_is_refused_in_words(programme, login, value):
    client = login("thuongtruc")
    for page in ("plan-items", "directives"):
        response = client.get(f"/p/{programme.slug}/{page}/", {"state": value})
        assert response.status_code == 200
        assert "Hãy chọn một lựa chọn hợp lệ" in response.content.decode(), page


def test_directive_rows_say_the_words_of_the_cards(programme, login):
    client = login("thuongtruc")
    cards = {str(w) for w in DIRECTIVE_LABELS.values()}
    rows = client.get(f"/p/{programme.slug}/directives/").context["table"].rows
    assert {str(r["status"]["label"]) for r in rows} <= cards
    assert {"Mới", "Đang thực hiện", "Đã báo cáo hoàn thành"}.isdisjoint(
        str(r["status"]["label"]) for r in rows
    )
    for page in ("overdue", "work"):
        tables = client.get(f"/p/{programme.slug}/{page}/").context["tables"]
        for name in ("directives", "to_accept"):
            rows = tables[name].rows if name in tables else []
            assert {str(r["status"]["label"]) for r in rows} <= cards, (page, name)


def test_each_directive_filter_lists_exactly_its_card(programme, login):
    client = login("thuongtruc")
    counts = client.get(f"/p/{programme.slug}/directives/").context["counts"]
    for code, word in DIRECTIVE_LABELS.items():
        rows = client.get(f"/p/{programme.slug}/directives/", {"state": code}).context["table"]
        assert len(rows.rows) == counts[code]
        assert {str(r["status"]["label"]) for r in rows.rows} <= {str(word)}


def test_each_overview_directive_card_links_to_exactly_its_count(programme, login):
    client = login("thuongtruc")
    overview = client.get(f"/p/{programme.slug}/")
    follow = overview.context["follow_up"]
    page = overview.content.decode()
    within = re.search(r'href="([^"]*directives/\?state=[a-z]+)">Ý kiến chỉ đạo', page)
    assert within, "no link on the within-the-deadline card"
    listed = client.get(html.unescape(within.group(1))).context["table"].rows
    assert len(listed) == follow["within"]
    overdue = client.get(f"/p/{programme.slug}/overdue/").context["tables"]["directives"].rows
    assert len(overdue) == follow["overdue"]
