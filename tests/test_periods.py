"""The reporting-period calculator of Decree 09/2019/NĐ-CP (pure Python, no database)."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steer.reporting.periods import (
    FIXED_HOLIDAYS,
    PERIOD_TYPES_ORDER,
    Period,
    PeriodError,
    PeriodType,
    codes_of_year,
    is_working_day,
    parse,
    period_for,
    periods_between,
    periods_per_year,
)

M, Q, H, N9, Y = (
    PeriodType.MONTH,
    PeriodType.QUARTER,
    PeriodType.HALF,
    PeriodType.NINE_MONTHS,
    PeriodType.YEAR,
)

types = st.sampled_from(PERIOD_TYPES_ORDER)
years = st.integers(1901, 2998)
# Days whose windows belong to years 1901-2998, so neighbours stay in range.
days = st.dates(date(1901, 1, 1), date(2997, 12, 31))


def periods_of(type_):
    return st.builds(Period, st.just(type_), years, st.integers(1, periods_per_year(type_)))


periods = types.flatmap(periods_of)


# Cut-off windows


def test_january_cutoff_starts_on_15_december_of_previous_year():
    january = Period(M, 2024, 1)
    assert (january.cutoff_start, january.cutoff_end) == (date(2023, 12, 15), date(2024, 1, 14))


@given(periods_of(M))
def test_month_window_runs_from_15th_of_previous_month_to_14th(month):
    previous_calendar_month = month.start - timedelta(days=1)
    assert month.cutoff_start == previous_calendar_month.replace(day=15)
    assert month.cutoff_end == date(month.year, month.number, 14)


@pytest.mark.parametrize(
    ("number", "cutoff_start", "cutoff_end"),
    [
        (1, date(2023, 12, 15), date(2024, 3, 14)),
        (2, date(2024, 3, 15), date(2024, 6, 14)),
        (3, date(2024, 6, 15), date(2024, 9, 14)),
        (4, date(2024, 9, 15), date(2024, 12, 14)),
    ],
)
def test_quarter_windows_follow_the_decree(number, cutoff_start, cutoff_end):
    quarter = Period(Q, 2024, number)
    assert (quarter.cutoff_start, quarter.cutoff_end) == (cutoff_start, cutoff_end)


@pytest.mark.parametrize(
    ("number", "cutoff_start", "cutoff_end"),
    [(1, date(2023, 12, 15), date(2024, 6, 14)), (2, date(2024, 6, 15), date(2024, 12, 14))],
)
def test_half_year_windows_follow_the_decree(number, cutoff_start, cutoff_end):
    half = Period(H, 2024, number)
    assert (half.cutoff_start, half.cutoff_end) == (cutoff_start, cutoff_end)


def test_nine_months_window_runs_from_15_december_to_14_september():
    nine = Period(N9, 2024)
    assert (nine.cutoff_start, nine.cutoff_end) == (date(2023, 12, 15), date(2024, 9, 14))


def test_year_window_runs_from_15_december_to_14_december():
    year = Period(Y, 2024)
    assert (year.cutoff_start, year.cutoff_end) == (date(2023, 12, 15), date(2024, 12, 14))


@pytest.mark.parametrize("type_", [M, Q, H])
@given(year=years)
def test_windows_tile_the_year_with_no_gap_and_no_overlap(type_, year):
    listed = periods_between(type_, year, year)
    assert listed[0].cutoff_start == date(year - 1, 12, 15)
    assert listed[-1].cutoff_end == Period(Y, year).cutoff_end
    for earlier, later in zip(listed, listed[1:], strict=False):
        assert later.cutoff_start == earlier.cutoff_end + timedelta(days=1)
    assert Period(type_, year + 1, 1).cutoff_start == listed[-1].cutoff_end + timedelta(days=1)


@given(days)
def test_every_day_falls_in_exactly_one_month_window(d):
    year_months = periods_between(M, d.year - 1, d.year + 1)
    assert [month for month in year_months if month.contains(d)] == [period_for(M, d)]


@given(periods_of(M))
def test_each_month_window_lies_inside_its_quarter_half_and_year_windows(month):
    for type_ in (Q, H, Y):
        outer = period_for(type_, month.cutoff_end)
        assert outer.contains(month.cutoff_start)
        assert outer.contains(month.cutoff_end)
        assert outer.year == month.year


# Calendar spans


def test_calendar_span_of_second_quarter():
    quarter = Period(Q, 2024, 2)
    assert (quarter.start, quarter.end) == (date(2024, 4, 1), date(2024, 6, 30))


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        (Period(M, 2024, 2), date(2024, 2, 1), date(2024, 2, 29)),
        (Period(M, 2023, 2), date(2023, 2, 1), date(2023, 2, 28)),
        (Period(H, 2024, 2), date(2024, 7, 1), date(2024, 12, 31)),
        (Period(N9, 2024), date(2024, 1, 1), date(2024, 9, 30)),
        (Period(Y, 2024), date(2024, 1, 1), date(2024, 12, 31)),
    ],
)
def test_calendar_span_covers_whole_months(period, start, end):
    assert (period.start, period.end) == (start, end)


# Finding the period of a day


@pytest.mark.parametrize(
    ("type_", "code"), [(M, "202501"), (Q, "2025Q1"), (H, "2025S1"), (N9, "2025N9"), (Y, "2025")]
)
def test_20_december_2024_belongs_to_the_next_year(type_, code):
    assert period_for(type_, date(2024, 12, 20)).code == code


def test_14th_closes_the_month_and_15th_opens_the_next():
    assert period_for(M, date(2024, 3, 14)).code == "202403"
    assert period_for(M, date(2024, 3, 15)).code == "202404"


@given(types, days)
def test_period_for_returns_the_period_whose_window_contains_the_day(type_, d):
    if type_ is N9 and date(d.year, 9, 15) <= d <= date(d.year, 12, 14):
        return  # The nine-month gap, covered below.
    found = period_for(type_, d)
    assert found.type is type_
    assert found.contains(d)
    assert not found.previous().contains(d)
    assert not found.next().contains(d)


@pytest.mark.parametrize("d", [date(2024, 9, 15), date(2024, 11, 1), date(2024, 12, 14)])
def test_days_after_14_september_are_in_no_nine_month_window(d):
    with pytest.raises(PeriodError, match=d.isoformat()):
        period_for(N9, d)


# Codes


@pytest.mark.parametrize(
    ("period", "code"),
    [
        (Period(M, 2024, 1), "202401"),
        (Period(M, 2024, 12), "202412"),
        (Period(Q, 2024, 1), "2024Q1"),
        (Period(H, 2024, 1), "2024S1"),
        (Period(H, 2024, 2), "2024S2"),
        (Period(N9, 2024), "2024N9"),
        (Period(Y, 2024), "2024"),
    ],
)
def test_codes_follow_dhis2(period, code):
    assert period.code == code
    assert str(period) == code


@given(periods)
def test_code_round_trips(period):
    assert parse(period.code) == period
    assert Period.parse(period.code) == period


@pytest.mark.parametrize(
    ("code", "period"),
    [
        (" 2024q3 ", Period(Q, 2024, 3)),
        ("2024s2\n", Period(H, 2024, 2)),
        ("2024n9", Period(N9, 2024)),
    ],
)
def test_parse_ignores_surrounding_whitespace_and_letter_case(code, period):
    assert parse(code) == period


@pytest.mark.parametrize(
    "code",
    [
        "202413",
        "202400",
        "2024Q5",
        "2024Q0",
        "2024S3",
        "2024N6",
        "2024W1",
        "2024-01",
        "2024Q01",
        "24Q1",
        "abc",
        "",
        "   ",
        "1899",
        "189912",
        "3000Q1",
        "２０２４",
    ],
)
def test_parse_rejects_anything_else_naming_the_bad_code(code):
    with pytest.raises(PeriodError, match=f"Invalid period code: {code!r}"):
        parse(code)


def test_period_error_is_a_value_error():
    with pytest.raises(ValueError, match="abc"):
        parse("abc")


@pytest.mark.parametrize(
    ("type_", "year", "number"),
    [(M, 2024, 0), (M, 2024, 13), (Q, 2024, 5), (H, 2024, 3), (N9, 2024, 2), (Y, 1899, 1)],
)
def test_constructor_rejects_numbers_and_years_out_of_range(type_, year, number):
    with pytest.raises(PeriodError):
        Period(type_, year, number)


def test_constructor_accepts_the_type_as_a_string():
    assert Period("quarter", 2024, 2) == Period(Q, 2024, 2)
    with pytest.raises(PeriodError, match="week"):
        Period("week", 2024, 1)


# Neighbours and order


@pytest.mark.parametrize(
    ("code", "previous", "next_"),
    [
        ("202401", "202312", "202402"),
        ("202412", "202411", "202501"),
        ("2024Q1", "2023Q4", "2024Q2"),
        ("2024Q4", "2024Q3", "2025Q1"),
        ("2024S1", "2023S2", "2024S2"),
        ("2024N9", "2023N9", "2025N9"),
        ("2024", "2023", "2025"),
    ],
)
def test_previous_and_next_cross_years(code, previous, next_):
    period = parse(code)
    assert period.previous().code == previous
    assert period.next().code == next_


@given(periods)
def test_previous_and_next_undo_each_other(period):
    assert period.next().previous() == period
    assert period.previous().next() == period
    assert period.previous() < period < period.next()


@given(types.flatmap(lambda type_: st.lists(periods_of(type_))))
def test_sorting_is_chronological_within_a_type(listed):
    assert sorted(listed) == sorted(listed, key=lambda period: period.cutoff_start)


def test_periods_between_lists_every_period_in_order():
    assert [p.code for p in periods_between(Q, 2023, 2024)] == [
        "2023Q1",
        "2023Q2",
        "2023Q3",
        "2023Q4",
        "2024Q1",
        "2024Q2",
        "2024Q3",
        "2024Q4",
    ]
    assert periods_between(Y, 2025, 2024) == []


@pytest.mark.parametrize(("type_", "count"), [(M, 12), (Q, 4), (H, 2), (N9, 1), (Y, 1)])
def test_periods_per_year(type_, count):
    assert periods_per_year(type_) == count
    assert len(periods_between(type_, 2024, 2024)) == count


def test_period_types_run_from_shortest_to_longest():
    assert PERIOD_TYPES_ORDER == (M, Q, H, N9, Y)
    assert set(PERIOD_TYPES_ORDER) == set(PeriodType)


# Deadlines


def test_deadline_skips_weekend_and_30_april():
    # April 2025 closes on Monday 14/4; 30/4 (Wed) and 1/5 (Thu) are public holidays.
    april = Period(M, 2025, 4)
    assert april.deadline(11) == date(2025, 4, 29)
    assert april.deadline(12) == date(2025, 5, 2)
    # Q1 2024 closes on Thursday 14/3: the 2nd working day after it is Monday 18/3.
    assert Period(Q, 2024, 1).deadline(2) == date(2024, 3, 18)


def test_deadline_zero_is_the_cutoff_day_itself():
    # 14/12/2024 is a Saturday: zero working days still means that day.
    assert Period(Y, 2024).deadline(0) == date(2024, 12, 14)


def test_deadline_skips_lunar_new_year_passed_as_holidays():
    tet_2025 = [date(2025, 1, 27) + timedelta(days=i) for i in range(5)]
    january = Period(M, 2025, 1)
    assert january.deadline(9) == date(2025, 1, 27)
    assert january.deadline(9, holidays=tet_2025) == date(2025, 2, 3)


def test_deadline_rejects_negative_working_days():
    with pytest.raises(ValueError, match="-1"):
        Period(M, 2024, 1).deadline(-1)


@given(periods, st.integers(1, 40))
def test_deadline_is_the_nth_working_day_after_the_cutoff(period, working_days):
    deadline = period.deadline(working_days)
    assert is_working_day(deadline)
    span = (deadline - period.cutoff_end).days
    counted = [period.cutoff_end + timedelta(days=i) for i in range(1, span + 1)]
    assert sum(is_working_day(d) for d in counted) == working_days


@pytest.mark.parametrize(
    "d", [date(2025, 1, 1), date(2025, 4, 30), date(2025, 5, 1), date(2025, 9, 2)]
)
def test_fixed_public_holidays_are_not_working_days(d):
    assert d.weekday() < 5
    assert (d.month, d.day) in FIXED_HOLIDAYS
    assert not is_working_day(d)


@given(types, years)
def test_codes_of_year_list_every_period_of_the_year_and_no_other(type_, year):
    codes = codes_of_year(year)
    assert len(codes) == len(set(codes)) == 12 + 4 + 2 + 1 + 1
    assert {p.code for p in periods_between(type_, year, year)} <= set(codes)
    assert {parse(code).year for code in codes} == {year}
    assert not {p.code for p in periods_between(type_, year + 1, year + 1)} & set(codes)
