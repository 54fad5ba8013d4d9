"""Straight-line forecasts: value, 80 % interval, the year the target is met or the shortfall."""

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from steer.assessment.forecast import linear, t90


def test_an_exact_line_is_extended_with_no_spread():
    # OCOP products (CT15) growing by 300 a year from 1,400 in 2021.
    history = [(2021.0, 1400.0), (2022.0, 1700.0), (2023.0, 2000.0)]
    f = linear(history, 2025.0, target=2500.0)
    assert f.value == pytest.approx(2600.0)
    assert f.low == pytest.approx(2600.0) and f.high == pytest.approx(2600.0)
    assert f.reaches_target and f.shortfall == 0
    assert f.year_reached == 2025  # 2,300 at the end of 2024, 2,600 at the end of 2025


def test_a_slow_pace_says_by_how_much_the_target_is_missed_and_when_it_would_be_met():
    # Electronic medical records (CT24): 1, 2, 3 hospitals; 40 wanted by 2025.
    f = linear([(2021.0, 1.0), (2022.0, 2.0), (2023.0, 3.0)], 2025.0, target=40.0)
    assert f.value == pytest.approx(5.0)
    assert f.shortfall == pytest.approx(35.0) and f.reaches_target is False
    assert f.year_reached == 2060


def test_moving_away_from_the_target_never_reaches_it():
    f = linear([(2021.0, 50.0), (2022.0, 48.0), (2023.0, 47.0)], 2025.0, target=60.0)
    assert f.year_reached is None and f.reaches_target is False


def test_lower_is_better_targets_count_shortfall_upwards():
    f = linear(
        [(2021.0, 5.0), (2022.0, 4.0), (2023.0, 3.0)], 2025.0, target=2.0, higher_is_better=False
    )
    assert f.reaches_target and f.year_reached == 2024


def test_the_interval_follows_the_t_distribution():
    history = [(2021.0, 10.0), (2022.0, 14.0), (2023.0, 15.0), (2024.0, 21.0)]
    f = linear(history, 2025.0)
    # slope 3.4, intercept at 2022.5 = 15; residual sd = sqrt(4.2 / 2)
    assert f.slope == pytest.approx(3.4)
    assert f.value == pytest.approx(15 + 3.4 * 2.5)
    half = t90(2) * (4.2 / 2) ** 0.5 * (1 + 1 / 4 + 2.5**2 / 5) ** 0.5
    assert f.high - f.value == pytest.approx(half)


def test_two_points_give_a_line_without_an_interval_and_one_gives_nothing():
    f = linear([(2022.0, 1.0), (2023.0, 2.0)], 2025.0)
    assert f.value == pytest.approx(4.0) and f.low is None
    assert linear([(2023.0, 2.0)], 2025.0) is None
    assert linear([(2023.0, 2.0), (2023.0, 3.0)], 2025.0) is None


def test_a_percentage_forecast_stays_within_0_and_100():
    f = linear([(2021.0, 80.0), (2022.0, 90.0), (2023.0, 99.0)], 2025.0, bounds=(0, 100))
    assert f.value == 100 and f.high == 100


points = st.lists(
    st.tuples(st.integers(2015, 2030).map(float), st.floats(-1e4, 1e4)),
    min_size=3,
    max_size=20,
)


@given(points)
def test_the_interval_contains_the_forecast(history):
    assume(len({t for t, _ in history}) >= 2)
    f = linear(history, 2035.0)
    assert f.low <= f.value + 1e-6 and f.value <= f.high + 1e-6


@given(points, st.floats(-1e4, 1e4))
def test_shifting_every_figure_shifts_the_forecast(history, shift):
    assume(len({t for t, _ in history}) >= 2)
    a = linear(history, 2035.0)
    b = linear([(t, v + shift) for t, v in history], 2035.0)
    assert b.value == pytest.approx(a.value + shift, abs=1e-4)
    assert (b.high - b.low) == pytest.approx(a.high - a.low, abs=1e-4)
