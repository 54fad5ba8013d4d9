"""Combining figures across units, periods and the 2025 restructuring."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steer.assessment.rollup import (
    Figure,
    Link,
    across_periods,
    across_units,
    backward,
    forward,
    up_the_tree,
)

# Three districts' OCOP products and their shares of registered products (CT15, CT16).
PRODUCTS = {1: 100.0, 2: 50.0, 3: 10.0}
SHARES = {1: 40.0, 2: 20.0, 3: 70.0}


def test_each_rule_across_units():
    assert across_units(PRODUCTS, "sum") == 160
    assert across_units(SHARES, "mean") == pytest.approx(130 / 3)
    assert across_units(SHARES, "max") == 70
    assert across_units(SHARES, "weighted_mean", PRODUCTS) == pytest.approx(
        (40 * 100 + 20 * 50 + 70 * 10) / 160
    )
    assert across_units({}, "sum") is None


def test_not_combined_keeps_a_single_reporter_and_refuses_several():
    assert across_units({7: 62.86}, "none") == 62.86
    assert across_units({7: 1.0, 8: 2.0}, "none") is None


def test_a_weighted_mean_without_weights_is_no_figure():
    assert across_units(SHARES, "weighted_mean", {}) is None
    assert across_units(SHARES, "weighted_mean", {1: 0.0}) is None


def test_unknown_rules_are_refused():
    with pytest.raises(ValueError):
        across_units(SHARES, "median")
    with pytest.raises(ValueError):
        across_periods([(1, 2.0)], "first")


def test_each_rule_across_periods_in_period_order():
    halves = [(2, 188.0), (1, 155.0)]
    assert across_periods(halves, "sum") == 343
    assert across_periods(halves, "last") == 188
    assert across_periods(halves, "mean") == 171.5
    assert across_periods(halves, "max") == 188
    assert across_periods([], "sum") is None


def test_figures_roll_up_the_tree_and_a_units_own_figure_wins():
    # city 1 > districts 10, 11 > communes 100, 101 (under 10); district 11 reports itself.
    parent_of = {1: None, 10: 1, 11: 1, 100: 10, 101: 10}
    known = {100: Figure(3.0, 1, False), 101: Figure(4.0, 1, False), 11: Figure(5.0, 1, False)}
    rolled = up_the_tree(known, parent_of, "sum")
    assert rolled[10] == Figure(7.0, 2, True)
    assert rolled[1] == Figure(12.0, 3, True)
    assert 11 not in rolled
    known[10] = Figure(9.0, 1, False)
    assert up_the_tree(known, parent_of, "sum")[1].value == 14.0


def test_only_the_asked_units_are_recomputed_from_fixed_neighbours():
    parent_of = {1: None, 10: 1, 11: 1, 100: 10}
    known = {100: Figure(3.0, 1, False), 11: Figure(20.0, 4, True)}
    rolled = up_the_tree(known, parent_of, "sum", compute={10, 1, 100})
    assert rolled == {10: Figure(3.0, 1, True), 1: Figure(23.0, 5, True)}


def test_a_district_split_between_two_communes_goes_forward_by_share():
    # Huyện Thường Tín (279) gave 60 % to one new commune and 40 % to another, which also
    # took all of a small neighbour (280).
    links = [Link(279, 9001, 0.6), Link(279, 9002, 0.4), Link(280, 9002, 1.0)]
    counts = forward({279: 100.0, 280: 10.0}, links, additive=True)
    assert counts == {9001: pytest.approx(60.0), 9002: pytest.approx(50.0)}
    rates = forward({279: 80.0, 280: 50.0}, links, additive=False)
    assert rates[9001] == 80.0
    assert rates[9002] == pytest.approx((80 * 0.4 + 50 * 1.0) / 1.4)


def test_figures_go_back_to_the_former_units_in_proportion():
    links = [Link(279, 9001, 0.6), Link(279, 9002, 0.4), Link(280, 9002, 1.0)]
    back = backward({9001: 60.0, 9002: 50.0}, links, additive=True)
    assert back[279] == pytest.approx(60 + 50 * 0.4 / 1.4)
    assert back[280] == pytest.approx(50 * 1.0 / 1.4)


shares = st.lists(st.floats(0.01, 1), min_size=1, max_size=6)


@given(shares, st.floats(0, 1e6))
def test_carrying_a_count_forward_by_whole_shares_keeps_the_total(parts, value):
    total = sum(parts)
    links = [Link(1, 100 + i, p / total) for i, p in enumerate(parts)]
    carried = forward({1: value}, links, additive=True)
    assert sum(carried.values()) == pytest.approx(value, rel=1e-9, abs=1e-6)


@given(st.dictionaries(st.integers(1, 50), st.floats(0, 1e6), min_size=1, max_size=20))
def test_a_count_carried_back_keeps_the_total(values):
    # every new unit came from two former units, in arbitrary proportions
    links = [Link(1000 + u % 3, u, 0.5) for u in values] + [Link(2000, u, 0.25) for u in values]
    back = backward(values, links, additive=True)
    assert sum(back.values()) == pytest.approx(sum(values.values()), rel=1e-9, abs=1e-6)


@given(st.dictionaries(st.integers(1, 30), st.floats(-1e6, 1e6), min_size=1))
def test_the_mean_lies_between_the_smallest_and_largest(values):
    mean = across_units(values, "mean")
    assert min(values.values()) - 1e-6 <= mean <= max(values.values()) + 1e-6
