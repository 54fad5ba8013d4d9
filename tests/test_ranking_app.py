"""Rankings in the app: frameworks fed by the programme's figures, no re-keying."""

import pytest

from steer.composite import CompositeError
from steer.demo.rankings import CODE
from steer.ranking.compute import compute
from steer.ranking.models import Framework, Node

pytestmark = pytest.mark.django_db


def test_the_demo_ranks_the_30_districts_in_2023_and_2024(programme):
    for year in (2023, 2024):
        ranking = compute(Framework.objects.get(programme=programme, code=CODE, year=year))
        assert len(ranking.data.units) == 30
        ranks = sorted(ranking.result.ranks().astype(int).tolist())
        assert ranks[0] == 1 and ranks[-1] <= 30


def test_the_ranking_reads_the_approved_figures_not_a_copy(programme):
    from steer.assessment.models import Figure

    framework = Framework.objects.get(programme=programme, code=CODE, year=2024)
    before = compute(framework)
    thuong_tin = before.data.units.index("279")
    Figure.objects.filter(indicator__code="CT30", unit__code="279", period="2024").update(value=0)
    after = compute(framework)
    assert after.result.scores()[thuong_tin] < before.result.scores()[thuong_tin]


def test_an_indicator_every_district_reports_the_same_is_refused_by_name(programme):
    framework = Framework.objects.get(programme=programme, code=CODE, year=2024)
    Node.objects.create(
        framework=framework,
        code="CT19",
        name="Văn bản xử lý trên hệ thống",
        kind="Indicator",
        level=1,
        parent="CDS",
        indicator=programme.indicators.get(code="CT19"),
    )
    with pytest.raises(CompositeError, match="CT19: every unit has the same value"):
        compute(framework)


def url(programme, tail=""):
    return f"/p/{programme.slug}/rankings/{CODE}/2024/{tail}"


def test_the_results_show_ranks_intervals_and_last_years_rank(programme, login):
    page = login("bancd").get(url(programme))
    table = page.context["tables"]["results"]
    assert len(table.rows) == 30
    first = table.rows[0]
    assert first["rank"] == 1 and first["low"] <= 1 <= first["high"]
    assert all(r["last_rank"] for r in table.rows)  # every district was ranked in 2023
    assert "Khoảng thứ hạng" in page.content.decode() or "khoảng" in page.content.decode()


def test_a_units_page_explains_its_change_exactly(programme, login):
    page = login("xem.thuongtin").get(url(programme, "279/"))
    change = page.context["change"]
    total = change.own_data_effect + change.goalposts_effect + change.method_effect
    assert total == pytest.approx(change.score_now - change.score_last, abs=1e-9)
    assert change.method_effect == pytest.approx(0)  # the same method both years


def test_what_if_names_the_improvements_to_reach_a_rank(programme, login):
    page = login("lanhdao.dongda").get(url(programme, "006/?target=3"))
    plan = page.context["plan"]
    assert plan.target_rank == 3 and plan.gap > 0
    assert any(m.feasible for m in plan.single) or plan.combination


def test_a_bad_target_rank_is_a_message_not_an_error(programme, login):
    page = login("lanhdao.dongda").get(url(programme, "006/?target=ba"))
    assert page.status_code == 200
    assert page.context["plan_error"]


def test_the_annex_and_the_chart_download(programme, login):
    client = login("thuongtruc")
    annex = client.get(url(programme, "annex/"))
    assert annex["Content-Type"].startswith("application/vnd.openxmlformats")
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(annex.content))
    assert {"iMeta", "Normalised", "Aggregated"} <= set(book.sheetnames)
    svg = client.get(url(programme, "?download=intervals.svg"))
    assert svg.status_code == 200 and b"<svg" in svg.content


def test_a_frozen_framework_cannot_be_changed_in_the_back_office(programme, login):
    framework = Framework.objects.get(programme=programme, code=CODE, year=2024)
    client = login("thuongtruc")
    url_ = f"/admin/ranking/framework/{framework.pk}/change/"
    page = client.get(url_)
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    client.post(url_, {"name": "Đổi tên", "year": 2024, "code": CODE})
    framework.refresh_from_db()
    assert framework.name != "Đổi tên"


def test_freezing_records_who_and_when(programme, login):
    framework = Framework.objects.get(programme=programme, code=CODE, year=2024)
    Framework.objects.filter(pk=framework.pk).update(frozen_at=None, frozen_by=None)
    client = login("thuongtruc")
    client.post(
        "/admin/ranking/framework/",
        {"action": "freeze", "_selected_action": [framework.pk]},
    )
    framework.refresh_from_db()
    assert framework.is_frozen and framework.frozen_by.username == "thuongtruc"


@pytest.fixture
def merged(programme):
    """Ba Đình (001) and Hoàn Kiếm (002) merged into one district from 2024 (a made-up case)."""
    import datetime as dt

    from steer.units.models import OrgUnit, UnitLineage

    ba_dinh, hoan_kiem = OrgUnit.objects.get(code="001"), OrgUnit.objects.get(code="002")
    unit = OrgUnit.objects.create(
        code="M01",
        name="Quận Ba Đình - Hoàn Kiếm",
        unit_type=ba_dinh.unit_type,
        parent=ba_dinh.parent,
        valid_from=dt.date(2024, 1, 1),
    )
    for old in (ba_dinh, hoan_kiem):
        UnitLineage.objects.create(
            predecessor=old, successor=unit, date=dt.date(2024, 1, 1), whole=True
        )
    framework = Framework.objects.get(programme=programme, code=CODE, year=2024)
    now = compute(framework)
    now.units["M01"] = unit
    return framework, now


def test_a_merged_unit_is_compared_with_its_predecessors_mean_score(merged):
    from steer.ranking.compute import previous_scores

    framework, now = merged
    last = previous_scores(framework, now)
    result = last.ranking.result
    scores = dict(zip(result.aggregated.units, result.scores().tolist(), strict=True))
    assert last.scores["M01"] == pytest.approx((scores["001"] + scores["002"]) / 2)
    assert not last.significant["M01"]


def test_or_with_its_predecessors_data_combined(merged):
    from steer.ranking.compute import previous_scores

    framework, now = merged
    mean = previous_scores(framework, now).scores["M01"]
    framework.merged_units = Framework.Merged.REAGGREGATE
    combined = previous_scores(framework, now)
    assert combined.scores["M01"] != pytest.approx(mean)
    assert 1 <= combined.ranks["M01"] <= 29


def test_the_results_say_which_assumptions_move_the_ranks(programme, login):
    page = login("bancd").get(url(programme))
    rows = page.context["tables"]["sensitivity"].rows
    assert len(rows) == 4  # weights, treatment, normalisation, aggregation
    # estimates from 1,200 runs: non-negative as shown, and not far above 1
    assert all(0 <= r["si"] <= 1.5 and 0 <= r["sti"] <= 1.5 for r in rows)
    assert max(r["sti"] for r in rows) > 0
