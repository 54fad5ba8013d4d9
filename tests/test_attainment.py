"""The attainment rule: direction-aware, judged against the straight path to the targets."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steer.assessment.attainment import Status, anchors_of, judge, tally

# Programme 07's share of high-tech farm output (CT09): 40 % in 2020, 70 % by 2025.
CT09 = {"targets": {2025: 70.0}, "baseline": (2020, 40.0)}


def test_a_figure_on_the_straight_path_is_on_track():
    # 2023 is 3/5 of the way: 40 + 30 × 3/5 = 58 %.
    judged = judge(58.0, year=2023, **CT09)
    assert judged.status == Status.ON_TRACK
    assert judged.expected == pytest.approx(58.0)


def test_a_figure_within_the_tolerance_below_the_path_is_at_risk():
    # 10 % of 58 is 5.8: 54.1 is 3.9 behind.
    assert judge(54.1, year=2023, tolerance=10, **CT09).status == Status.AT_RISK
    assert judge(54.1, year=2023, tolerance=5, **CT09).status == Status.OFF_TRACK


def test_meeting_the_final_target_early_is_achieved():
    assert judge(71.0, year=2023, **CT09).status == Status.ACHIEVED


def test_short_of_the_target_in_its_year_is_missed_whatever_the_tolerance():
    # issue 18: once the target's year is over it is missed ("Không đạt"), not behind
    assert judge(69.9, year=2025, tolerance=50, **CT09).status == Status.MISSED


def test_no_figure_is_no_data_and_a_figure_without_target_is_no_target():
    assert judge(None, year=2023, **CT09).status == Status.NO_DATA
    assert judge(None, year=2023, targets={}).status == Status.NO_DATA
    assert judge(12.0, year=2023, targets={}).status == Status.NO_TARGET


def test_lower_is_better_reverses_the_comparison():
    # Hanoi's rank among provinces (CT28): first place is the target, rank 1 is best.
    rank = {"targets": {2025: 1.0}, "baseline": (2020, 3.0), "higher_is_better": False}
    assert judge(1.0, year=2023, **rank).status == Status.ACHIEVED
    assert judge(1.8, year=2023, **rank).status == Status.ON_TRACK  # path value 1.8
    assert judge(4.0, year=2023, **rank).status == Status.OFF_TRACK


def test_intermediate_targets_bend_the_path():
    targets = {2021: 20.0, 2022: 25.0, 2023: 30.0, 2025: 40.0}
    assert judge(30.0, year=2023, targets=targets).expected == pytest.approx(30.0)
    assert judge(35.0, year=2024, targets=targets).expected == pytest.approx(35.0)
    assert anchors_of((2020, 15.0), targets)[0] == (2020.0, 15.0)


def test_a_flow_is_judged_against_its_own_year_target_pro_rata():
    # Enterprises supported (CT07): 480 in 2023; after the first half, 240 is on track.
    targets = {2023: 480.0, 2025: 610.0}
    half = judge(240.0, year=2023, targets=targets, flow=True, covered=0.5)
    assert half.status == Status.ON_TRACK and half.expected == pytest.approx(240.0)
    assert judge(477.0, year=2023, targets=targets, flow=True).status == Status.MISSED
    assert judge(490.0, year=2023, targets=targets, flow=True).status == Status.ACHIEVED
    assert judge(500.0, year=2024, targets=targets, flow=True).status == Status.NO_TARGET


def test_a_stock_after_the_first_half_is_judged_against_the_path_at_mid_year():
    judged = judge(50.0, year=2023, covered=0.5, **CT09)
    assert judged.expected == pytest.approx(40 + 30 * 2.5 / 5)
    assert judged.status == Status.AT_RISK


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        judge(1.0, year=2023, targets={2025: 2.0}, covered=0)
    with pytest.raises(ValueError):
        judge(1.0, year=2023, targets={2025: 2.0}, tolerance=-1)


def test_tally_counts_every_status():
    counts = tally(["achieved", Status.AT_RISK, "achieved"])
    assert counts[Status.ACHIEVED] == 2 and counts[Status.OFF_TRACK] == 0
    assert len(counts) == len(Status)


values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
years = st.integers(min_value=2021, max_value=2025)


@given(actual=values, base=values, target=values, year=years, covered=st.floats(0.01, 1))
def test_the_rule_is_symmetric_in_direction(actual, base, target, year, covered):
    """Lower-is-better equals higher-is-better on the negated figures."""
    up = judge(actual, year=year, targets={2025: target}, baseline=(2020, base), covered=covered)
    down = judge(
        -actual,
        year=year,
        targets={2025: -target},
        baseline=(2020, -base),
        covered=covered,
        higher_is_better=False,
    )
    assert up.status == down.status


@given(actual=values, better=st.floats(0, 1e6), base=values, target=values, year=years)
def test_a_better_figure_never_gets_a_worse_status(actual, better, base, target, year):
    rank = {
        s: i
        for i, s in enumerate([Status.OFF_TRACK, Status.AT_RISK, Status.ON_TRACK, Status.ACHIEVED])
    }
    rank[Status.MISSED] = rank[Status.OFF_TRACK]  # the year over: short of the target either way
    kwargs = {"year": year, "targets": {2025: target}, "baseline": (2020, base)}
    worse_status = judge(actual, **kwargs).status
    better_status = judge(actual + better, **kwargs).status
    assert rank[better_status] >= rank[worse_status]


@given(target=values, base=values, year=years, tolerance=st.floats(0, 100))
def test_the_target_itself_is_always_achieved(target, base, year, tolerance):
    judged = judge(
        target, year=year, targets={2025: target}, baseline=(2020, base), tolerance=tolerance
    )
    assert judged.status == Status.ACHIEVED
