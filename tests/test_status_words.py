"""One status word for one thing: the overview's cards, rows and chart legend agree; a plan
item reads the same on every page; the directive cards split the directives."""

import datetime as dt
import re
from collections import Counter

import pytest
from django.utils import timezone

from steer.assessment.attainment import Status, judge
from steer.programmes.models import PlanItem
from steer.steering.models import Directive

pytestmark = pytest.mark.django_db
P = "/p/07-ctr-tu"
CT09 = {"targets": {2025: 70.0}, "baseline": (2020, 40.0)}


def test_short_of_the_final_target_once_its_year_is_over_is_missed_not_behind():
    assert judge(69.9, year=2025, **CT09).status == Status.MISSED
    assert judge(50.0, year=2023, tolerance=5, **CT09).status == Status.OFF_TRACK
    # the final year's first half: time remains, so behind rather than missed
    assert judge(50.0, year=2025, covered=0.5, tolerance=5, **CT09).status == Status.OFF_TRACK
    assert judge(12.0, year=2023, targets={}).status == Status.NO_TARGET


def _overview_words(client, year: int) -> tuple[dict[str, int], Counter, set[str], int]:
    page = client.get(f"{P}/", {"year": year})
    assert page.status_code == 200
    cards = {label: n for _code, label, n in page.context["counts"]}
    rows = Counter(r["status"]["label"] for r in page.context["tables"]["indicators"].rows)
    legend = page.context["charts"]["objectives"]["encoding"]["color"]["scale"]["domain"]
    shown = {d["label"] for d in page.context["charts"]["objectives"]["data"]["values"]}
    assert shown <= set(legend)
    return cards, rows, shown, page.context["n_indicators"]


@pytest.mark.parametrize("year", [2023, 2025])
def test_the_overview_cards_rows_and_legend_say_the_same_words(login, year):
    cards, rows, legend, total = _overview_words(login("bancd"), year)
    assert sum(cards.values()) == total == sum(rows.values())
    assert {label: n for label, n in cards.items() if n} == dict(rows)
    assert legend == set(rows)


def test_the_final_year_counts_targets_not_reached_as_missed_on_every_surface(login):
    cards, rows, legend, _total = _overview_words(login("bancd"), 2025)
    assert cards["Không đạt"] == rows["Không đạt"] >= 1 and "Không đạt" in legend
    assert cards["Chậm tiến độ"] == rows["Chậm tiến độ"] == 0
    assert "Chậm tiến độ" not in legend


def _status_on(client, url: str, code: str) -> str:
    html = client.get(url).content.decode()
    row = re.search(rf">{re.escape(code)}</a>.*?</tr>", html, re.S)
    assert row, f"{code} not on {url}"
    label = re.search(r'<span class="status status-[a-z_]+">([^<]+)</span>', row.group(0))
    assert label, row.group(0)
    return label.group(1)


def test_an_overdue_plan_item_reads_the_same_on_the_list_and_the_overdue_page(programme, login):
    item = PlanItem.objects.filter(programme=programme).order_by("code").first()
    item.state = PlanItem.State.SUSPENDED
    item.completed_on = None
    item.deadline = timezone.localdate() - dt.timedelta(days=10)
    item.save()
    client = login("thuongtruc")
    on_list = _status_on(client, f"/p/{programme.slug}/plan-items/?q={item.code}", item.code)
    on_overdue = _status_on(client, f"/p/{programme.slug}/overdue/", item.code)
    on_detail = client.get(item.get_absolute_url()).content.decode()
    assert on_list == on_overdue == "Quá hạn"
    assert 'class="status status-overdue">Quá hạn</span>' in on_detail


def test_a_suspended_item_within_its_deadline_reads_suspended_not_in_progress(programme, login):
    item = PlanItem.objects.filter(programme=programme).order_by("code").first()
    item.state = PlanItem.State.SUSPENDED
    item.completed_on = None
    item.deadline = timezone.localdate() + dt.timedelta(days=10)
    item.save()
    client = login("thuongtruc")
    on_list = _status_on(client, f"/p/{programme.slug}/plan-items/?q={item.code}", item.code)
    assert on_list == "Tạm dừng"


def test_the_directive_cards_count_each_directive_once(programme, login):
    page = login("thuongtruc").get(f"/p/{programme.slug}/directives/")
    counts = page.context["counts"]
    shown = len(page.context["table"].rows)
    assert counts["within"] + counts["overdue"] + counts["done"] == counts["total"] == shown
    assert counts["overdue"] >= 1
    today = timezone.localdate()
    directives = Directive.objects.filter(programme=programme)
    assert counts["overdue"] == sum(1 for d in directives if d.is_overdue(today))
    html = page.content.decode()
    assert f"{shown} ý kiến chỉ đạo, mỗi ý kiến được đếm ở đúng một ô" in html


def test_the_overview_directive_cards_do_not_overlap(programme, login):
    follow = login("thuongtruc").get(f"/p/{programme.slug}/").context["follow_up"]
    assert follow["within"] + follow["overdue"] == follow["open"]
