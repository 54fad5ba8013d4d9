"""Reporting periods of Decree 09/2019/NĐ-CP on the reporting regime of state administrative bodies.

A period has a type (month, quarter, half year, nine months, year), a year and a number within
the year. Two spans are attached to it:

* the calendar span (``start``/``end``): the first and last day of the months it covers;
* the data cut-off window (``cutoff_start``/``cutoff_end``) of Decree 09, article 12: from the
  15th of the month before the first covered month to the 14th of the last covered month.
  January's window therefore opens on 15 December of the previous year.

Codes follow DHIS2 (``202401``, ``2024Q1``, ``2024S1``, ``2024``) plus ``2024N9`` for nine
months, which DHIS2 does not have.

This module is pure Python on purpose: the Django layer adds labels and translations.
"""

from __future__ import annotations

import calendar
import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

__all__ = [
    "CUTOFF_DAY",
    "FIXED_HOLIDAYS",
    "MAX_YEAR",
    "MIN_YEAR",
    "PERIOD_TYPES_ORDER",
    "Period",
    "PeriodError",
    "PeriodType",
    "is_working_day",
    "parse",
    "period_for",
    "periods_between",
    "period_name",
    "periods_per_year",
]

MIN_YEAR = 1900
MAX_YEAR = 2999

# A cut-off window ends on this day of its last month; the next one opens the day after.
CUTOFF_DAY = 14

# Solar-calendar public holidays (month, day). Lunar holidays (Tết, Hùng Kings' day) and the
# extra days the government adds each year must be passed to ``Period.deadline`` explicitly.
FIXED_HOLIDAYS: frozenset[tuple[int, int]] = frozenset({(1, 1), (4, 30), (5, 1), (9, 2)})


class PeriodError(ValueError):
    """An invalid period: bad code, type, year or number."""


class PeriodType(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    HALF = "half"
    NINE_MONTHS = "nine_months"
    YEAR = "year"


PERIOD_TYPES_ORDER: tuple[PeriodType, ...] = (
    PeriodType.MONTH,
    PeriodType.QUARTER,
    PeriodType.HALF,
    PeriodType.NINE_MONTHS,
    PeriodType.YEAR,
)

# Number of months covered by one period of each type.
_MONTHS = {
    PeriodType.MONTH: 1,
    PeriodType.QUARTER: 3,
    PeriodType.HALF: 6,
    PeriodType.NINE_MONTHS: 9,
    PeriodType.YEAR: 12,
}

_PER_YEAR = {
    PeriodType.MONTH: 12,
    PeriodType.QUARTER: 4,
    PeriodType.HALF: 2,
    PeriodType.NINE_MONTHS: 1,
    PeriodType.YEAR: 1,
}

_CODE_PATTERNS: tuple[tuple[re.Pattern[str], PeriodType], ...] = (
    (re.compile(r"([0-9]{4})", re.ASCII), PeriodType.YEAR),
    (re.compile(r"([0-9]{4})([0-9]{2})", re.ASCII), PeriodType.MONTH),
    (re.compile(r"([0-9]{4})Q([0-9])", re.ASCII), PeriodType.QUARTER),
    (re.compile(r"([0-9]{4})S([0-9])", re.ASCII), PeriodType.HALF),
    (re.compile(r"([0-9]{4})N(9)", re.ASCII), PeriodType.NINE_MONTHS),
)


def _coerce_type(type_: PeriodType | str) -> PeriodType:
    try:
        return PeriodType(type_)
    except ValueError:
        raise PeriodError(f"Unknown period type: {type_!r}") from None


def periods_per_year(type_: PeriodType | str) -> int:
    """How many periods of this type start in one year (1 for nine months and year)."""
    return _PER_YEAR[_coerce_type(type_)]


def is_working_day(d: date, holidays: Iterable[date] = ()) -> bool:
    """Monday to Friday, not a fixed public holiday and not one of ``holidays``."""
    if d.weekday() >= 5 or (d.month, d.day) in FIXED_HOLIDAYS:
        return False
    return d not in frozenset(holidays)


def _shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


@dataclass(frozen=True, order=True)
class Period:
    """One reporting period; ordering is chronological among periods of the same type."""

    type: PeriodType
    year: int
    number: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", _coerce_type(self.type))
        if not isinstance(self.year, int) or isinstance(self.year, bool):
            raise PeriodError(f"Period year must be an integer, not {self.year!r}")
        if not isinstance(self.number, int) or isinstance(self.number, bool):
            raise PeriodError(f"Period number must be an integer, not {self.number!r}")
        if not MIN_YEAR <= self.year <= MAX_YEAR:
            raise PeriodError(f"Period year {self.year} is outside {MIN_YEAR}-{MAX_YEAR}")
        count = _PER_YEAR[self.type]
        if not 1 <= self.number <= count:
            raise PeriodError(
                f"Period number {self.number} is outside 1-{count} for type {self.type.value}"
            )

    def __str__(self) -> str:
        return self.code

    # Codes

    @property
    def code(self) -> str:
        """DHIS2-compatible code: 202401, 2024Q1, 2024S1, 2024N9 (ours) or 2024."""
        match self.type:
            case PeriodType.MONTH:
                return f"{self.year:04d}{self.number:02d}"
            case PeriodType.QUARTER:
                return f"{self.year:04d}Q{self.number}"
            case PeriodType.HALF:
                return f"{self.year:04d}S{self.number}"
            case PeriodType.NINE_MONTHS:
                return f"{self.year:04d}N9"
            case _:
                return f"{self.year:04d}"

    @staticmethod
    def parse(code: str) -> Period:
        """Same as the module function ``parse``."""
        return parse(code)

    # Spans

    @property
    def _first_month(self) -> int:
        return (self.number - 1) * _MONTHS[self.type] + 1

    @property
    def _last_month(self) -> int:
        return self.number * _MONTHS[self.type]

    @property
    def start(self) -> date:
        """First calendar day of the first covered month."""
        return date(self.year, self._first_month, 1)

    @property
    def end(self) -> date:
        """Last calendar day of the last covered month."""
        last = self._last_month
        return date(self.year, last, calendar.monthrange(self.year, last)[1])

    @property
    def cutoff_start(self) -> date:
        """Opening day of the Decree 09 window: 15th of the month before the first month."""
        year, month = _shift_month(self.year, self._first_month, -1)
        return date(year, month, CUTOFF_DAY + 1)

    @property
    def cutoff_end(self) -> date:
        """Closing day of the Decree 09 window: 14th of the last covered month."""
        return date(self.year, self._last_month, CUTOFF_DAY)

    def contains(self, d: date) -> bool:
        """Whether ``d`` falls in this period's cut-off window (both ends included)."""
        return self.cutoff_start <= d <= self.cutoff_end

    # Neighbours

    def previous(self) -> Period:
        """The period of the same type just before this one."""
        if self.number > 1:
            return Period(self.type, self.year, self.number - 1)
        return Period(self.type, self.year - 1, _PER_YEAR[self.type])

    def next(self) -> Period:
        """The period of the same type just after this one."""
        if self.number < _PER_YEAR[self.type]:
            return Period(self.type, self.year, self.number + 1)
        return Period(self.type, self.year + 1, 1)

    # Deadline

    def deadline(self, working_days: int, holidays: Iterable[date] = ()) -> date:
        """The ``working_days``-th working day after the cut-off end (0: the cut-off day).

        Working days are Monday to Friday minus ``FIXED_HOLIDAYS`` and ``holidays`` (pass the
        lunar holidays such as Tết here).
        """
        remaining = operator.index(working_days)
        if remaining < 0:
            raise ValueError(f"working_days must not be negative, got {working_days}")
        days_off = frozenset(holidays)
        day = self.cutoff_end
        while remaining:
            day += timedelta(days=1)
            if is_working_day(day, days_off):
                remaining -= 1
        return day


def parse(code: str) -> Period:
    """Read a period code (see ``Period.code``); raise ``PeriodError`` for anything else."""
    if not isinstance(code, str):
        raise PeriodError(f"Invalid period code: {code!r}")
    text = code.strip().upper()
    for pattern, type_ in _CODE_PATTERNS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        year = int(match.group(1))
        number = 1 if _PER_YEAR[type_] == 1 else int(match.group(2))
        try:
            return Period(type_, year, number)
        except PeriodError as error:
            raise PeriodError(f"Invalid period code: {code!r} ({error})") from None
    raise PeriodError(f"Invalid period code: {code!r}")


def period_for(type_: PeriodType | str, d: date) -> Period:
    """The period of this type whose cut-off window contains ``d``.

    From the 15th on, a day belongs to the next month's window, so 20 December 2024 is in
    month 202501, 2025Q1, 2025S1, 2025N9 and year 2025. Nine-month windows leave a gap
    (15 September to 14 December): a day there raises ``PeriodError``.
    """
    type_ = _coerce_type(type_)
    year, month = (d.year, d.month) if d.day <= CUTOFF_DAY else _shift_month(d.year, d.month, 1)
    if type_ is PeriodType.NINE_MONTHS and month > 9:
        raise PeriodError(f"{d.isoformat()} is in no nine-month cut-off window")
    return Period(type_, year, (month - 1) // _MONTHS[type_] + 1)


def periods_between(type_: PeriodType | str, first_year: int, last_year: int) -> list[Period]:
    """Every period of this type from ``first_year`` to ``last_year`` included, in order.

    Empty if ``first_year`` is after ``last_year``.
    """
    type_ = _coerce_type(type_)
    return [
        Period(type_, year, number)
        for year in range(first_year, last_year + 1)
        for number in range(1, _PER_YEAR[type_] + 1)
    ]


def codes_of_year(year: int) -> list[str]:
    """The codes of every period of every type within ``year`` (listing them lets a query
    probe an index on the period code instead of scanning a unit's whole history)."""
    return [p.code for type_ in PERIOD_TYPES_ORDER for p in periods_between(type_, year, year)]


# How reports name a period, by language: the half's and the month's words, then the pattern.
_HALVES = {"vi": ("đầu", "cuối"), "en": ("first", "second")}
_ROMAN = ("I", "II", "III", "IV")
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_PATTERNS = {
    "vi": {
        PeriodType.MONTH: "tháng {n} năm {year}",
        PeriodType.QUARTER: "quý {roman} năm {year}",
        PeriodType.HALF: "6 tháng {half} năm {year}",
        PeriodType.NINE_MONTHS: "9 tháng năm {year}",
        PeriodType.YEAR: "năm {year}",
    },
    "en": {
        PeriodType.MONTH: "{month} {year}",
        PeriodType.QUARTER: "Q{n} {year}",
        PeriodType.HALF: "{half} half of {year}",
        PeriodType.NINE_MONTHS: "first nine months of {year}",
        PeriodType.YEAR: "year {year}",
    },
}


def period_name(period: Period, language: str = "vi", *, capital: bool = False) -> str:
    """The one name of a period in text, the way reports write it: "6 tháng đầu năm 2025",
    "6 tháng cuối năm 2025", "quý I năm 2025", "tháng 3 năm 2025", "9 tháng năm 2025",
    "năm 2025" (English: "first half of 2025", "Q1 2025", "March 2025"…). Lower case, to sit
    inside a sentence; `capital` for a name that stands alone (a heading, a list)."""
    words = "en" if (language or "vi").split("-")[0] == "en" else "vi"
    n = period.number
    name = _PATTERNS[words][period.type].format(
        n=n,
        year=period.year,
        roman=_ROMAN[(n - 1) % 4],
        half=_HALVES[words][(n - 1) % 2],
        month=_MONTH_NAMES[(n - 1) % 12],
    )
    return name[:1].upper() + name[1:] if capital else name
