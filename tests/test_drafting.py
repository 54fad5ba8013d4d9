"""Sentences drafted from the data for the official reports (steer.documents.drafting)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steer.core.numbers import vietnamese
from steer.documents.drafting import IndicatorFacts, indicator_sentence, objective_sentence


@pytest.mark.parametrize(
    "value, decimals, expected",
    [
        (62.857, None, "62,86"),
        (1234, 0, "1.234"),
        (1234.5, 1, "1.234,5"),
        (0.005, None, "0,01"),
        (2.5, 0, "3"),
        (-0.001, None, "0"),
    ],
)
def test_numbers_are_written_the_vietnamese_way(value, decimals, expected):
    assert vietnamese(value, decimals) == expected


def facts(**changes):
    base = {
        "name": "tỷ lệ thủ tục hành chính được cung cấp dịch vụ công trực tuyến",
        "unit": "%",
        "year": 2024,
        "actual": 91.2,
        "target": 90.0,
        "target_year": 2024,
    }
    return IndicatorFacts(**(base | changes))


def test_an_exceeded_rate_says_so_with_the_target():
    assert indicator_sentence(facts()) == (
        "Tỷ lệ thủ tục hành chính được cung cấp dịch vụ công trực tuyến năm 2024 đạt 91,2%, "
        "vượt chỉ tiêu 90%."
    )


def test_a_missed_rate_says_by_how_many_points():
    text = indicator_sentence(facts(actual=62.857, target=70.0))
    assert "đạt 62,86%, chưa đạt chỉ tiêu 70% (còn thiếu 7,14 điểm phần trăm)." in text


def test_a_count_gives_the_share_of_the_plan():
    text = indicator_sentence(
        facts(name="số sản phẩm OCOP được công nhận", unit="sản phẩm", actual=2336, target=2000)
    )
    assert "đạt 2.336 sản phẩm, vượt chỉ tiêu 2.000 sản phẩm, bằng 116,8% kế hoạch." in text


def test_lower_is_better_is_achieved_below_the_target():
    text = indicator_sentence(
        facts(name="tỷ lệ hồ sơ trễ hạn", actual=1.5, target=2.0, higher_is_better=False)
    )
    assert "vượt chỉ tiêu 2%" in text


def test_no_figure_and_no_target_are_said_plainly():
    assert "chưa có số liệu được phê duyệt" in indicator_sentence(facts(actual=None))
    assert "(chưa giao chỉ tiêu năm)" in indicator_sentence(facts(target=None))


def test_the_forecast_to_the_target_year_warns_when_short():
    text = indicator_sentence(
        facts(
            year=2023,
            actual=3,
            target=40,
            target_year=2025,
            unit="%",
            forecast=12.4,
            forecast_low=8.1,
            forecast_high=16.7,
        )
    )
    assert "năm 2025 dự báo đạt khoảng 12,4% (khoảng từ 8,1% đến 16,7%)" in text
    assert "khó hoàn thành chỉ tiêu" in text


def test_an_objective_is_counted_indicator_by_indicator():
    text = objective_sentence(
        "Mục tiêu 1", {"achieved": 3, "on_track": 1, "off_track": 1, "at_risk": 0}
    )
    assert text == (
        "Mục tiêu 1: 3/5 chỉ tiêu đạt và vượt, 1 chỉ tiêu đúng tiến độ, 1 chỉ tiêu chậm tiến độ."
    )


@given(st.floats(0, 1e6, allow_nan=False), st.floats(0.01, 1e6, allow_nan=False))
def test_every_sentence_states_the_actual_figure_and_ends_with_a_full_stop(actual, target):
    text = indicator_sentence(facts(actual=actual, target=target))
    assert vietnamese(actual) in text and text.endswith(".")
    assert ("vượt" in text) == (actual > target) or vietnamese(actual) == vietnamese(target)
