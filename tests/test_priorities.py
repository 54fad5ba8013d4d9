"""Priorities for the next work programme: scores in range, ranking order, reasons."""

from hypothesis import given
from hypothesis import strategies as st

from steer.steering import priorities

days = st.integers(-400, 2000)


@given(days, st.booleans(), st.integers(1, 40), st.booleans())
def test_a_directive_scores_between_1_and_5_on_every_scale(late, steering, units, under_way):
    c = priorities.directive(
        "CĐ-001",
        "Rà soát 32 nhiệm vụ",
        days_late=late,
        steering_level=steering,
        assignees=units,
        under_way=under_way,
    )
    assert all(1 <= x <= 5 for x in (c.urgency, c.impact, c.feasibility))
    assert 1 <= c.score <= 5


@given(st.integers(0, 3000), st.integers(0, 3000))
def test_the_later_a_directive_the_more_urgent(a, b):
    early, late = sorted((a, b))
    args = {"steering_level": True, "assignees": 1, "under_way": False}
    assert (
        priorities.directive("A", "", days_late=early, **args).urgency
        <= priorities.directive("B", "", days_late=late, **args).urgency
    )


def test_a_bottleneck_outranks_the_same_recommendation_that_is_not_one():
    common = {"days_open": 200, "category": "procedures_it"}
    plain = priorities.recommendation("KN-001", "Phần mềm một cửa", bottleneck=False, **common)
    blocking = priorities.recommendation("KN-002", "Phần mềm một cửa", bottleneck=True, **common)
    assert priorities.rank([plain, blocking])[0] is blocking
    assert ("bottleneck", {}) in blocking.reasons


def test_a_policy_recommendation_is_less_feasible_than_a_coordination_one():
    policy = priorities.recommendation("A", "", days_open=10, bottleneck=False, category="policy")
    joint = priorities.recommendation(
        "B", "", days_open=10, bottleneck=False, category="coordination"
    )
    assert policy.feasibility < joint.feasibility


def test_an_off_track_target_in_its_last_year_is_most_urgent_and_impactful():
    c = priorities.indicator(
        "CT24", "Bệnh án điện tử", off_track=True, final_year=2025, this_year=2025, gap_share=0.9
    )
    assert (c.urgency, c.impact, c.feasibility) == (5, 5, 2)
    assert ("gap", {"percent": 90}) in c.reasons
    assert ("years_left", {"years": 0}) in c.reasons


def test_a_target_whose_year_has_passed_reads_as_missed():
    c = priorities.indicator(
        "CT09",
        "Nông nghiệp công nghệ cao",
        off_track=True,
        final_year=2025,
        this_year=2026,
        gap_share=None,
    )
    assert c.reasons[0] == ("missed", {"year": 2025})
    assert c.urgency == 5


@given(
    st.lists(
        st.tuples(st.integers(1, 5), st.integers(1, 5), st.integers(1, 5)), min_size=0, max_size=30
    ),
    st.integers(1, 40),
)
def test_rank_keeps_the_best_scores_in_order_and_no_more_than_asked(scores, limit):
    found = [
        priorities.Candidate("directive", f"CĐ-{n:03d}", "", u, i, f)
        for n, (u, i, f) in enumerate(scores)
    ]
    ranked = priorities.rank(found, limit)
    assert len(ranked) == min(limit, len(found))
    assert [c.score for c in ranked] == sorted((c.score for c in ranked), reverse=True)
    if ranked and len(found) > limit:
        assert min(c.score for c in ranked) >= max(c.score for c in found if c not in ranked)


def test_an_overdue_scheme_half_done_is_more_feasible_than_one_not_started():
    half = priorities.plan_item("NV05", "", days_late=100, major=True, percent=60)
    none = priorities.plan_item("NV06", "", days_late=100, major=True, percent=None)
    assert half.feasibility > none.feasibility


def test_equal_scores_are_ordered_by_the_gap_to_the_target_then_by_days_overdue():
    def missed(code, reached):
        return priorities.indicator(
            code,
            "",
            off_track=True,
            final_year=2025,
            this_year=2026,
            gap_share=None,
            reached=reached,
            target=100,
        )

    def late(code, days):
        return priorities.directive(
            code, "", days_late=days, steering_level=True, assignees=1, under_way=False
        )

    found = [missed("CT01", 95), missed("CT02", 60), missed("CT03", 80)]
    assert len({c.score for c in found}) == 1
    assert [c.key for c in priorities.rank(found)] == ["CT02", "CT03", "CT01"]
    directives = [late("CĐ-001", 200), late("CĐ-002", 400), late("CĐ-003", 300)]
    assert len({c.score for c in directives}) == 1
    assert [c.key for c in priorities.rank(directives)] == ["CĐ-002", "CĐ-003", "CĐ-001"]


def test_a_missed_target_names_its_own_figures_and_gap():
    c = priorities.indicator(
        "CT10",
        "Mô hình nông nghiệp công nghệ cao",
        off_track=True,
        final_year=2025,
        this_year=2026,
        gap_share=None,
        reached=364,
        target=420,
    )
    assert c.reasons == (
        ("missed_by", {"year": 2025, "reached": 364, "target": 420, "percent": 13.3}),
    )
    assert round(c.gap_share, 3) == 0.133


def test_a_missed_lower_is_better_target_is_short_by_how_far_it_is_above():
    c = priorities.indicator(
        "CT40",
        "",
        off_track=True,
        final_year=2025,
        this_year=2026,
        gap_share=None,
        reached=12,
        target=10,
        higher_is_better=False,
    )
    assert c.gap_share == 0.2
