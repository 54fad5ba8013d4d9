"""The lines of an indicator's trend chart for a unit: its figures, the target path and the
forecast (drawn on the indicator page and placed in the documents).

Pure: the caller names the periods and words the chart (trend_chart.py).
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from steer.assessment.attainment import anchors_of
from steer.assessment.forecast import Forecast
from steer.reporting.periods import Period

# A point of a line as the chart reads it: "date" (ISO), "value", and "period", "low", "high"
Point = dict[str, str | float]


class Assessed(Protocol):
    """What the chart reads of an indicator's assessment (selectors.Assessment)."""

    @property
    def history(self) -> list[tuple[str, float, float]]: ...  # (period code, time, value)

    @property
    def targets(self) -> dict[int, float]: ...

    @property
    def baseline(self) -> tuple[int, float] | None: ...

    @property
    def forecast(self) -> Forecast | None: ...


@dataclass(frozen=True)
class TrendLines:
    actual: list[Point]  # {"date", "value", "period"}
    path: list[Point]  # {"date", "value"}
    forecast: list[Point]  # {"date", "value", "low", "high"}: from the last figure on


def date_of(time: float) -> str:
    """A time in years (2024.0 is the end of 2024, 2024.5 the middle of 2025) as an ISO date."""
    year = int(time)
    if time == year:
        return dt.date(year, 12, 31).isoformat()
    return (dt.date(year + 1, 1, 1) + dt.timedelta(days=round((time - year) * 365) - 1)).isoformat()


def series(a: Assessed, flow: bool) -> list[tuple[str, float, float]]:
    """The figures a trend shows: year totals of a flow; the finest periods of a stock."""
    years = [h for h in a.history if h[0].isdigit()]
    if flow:
        return years
    return [h for h in a.history if not h[0].isdigit()] or years


def trend_lines(a: Assessed, flow: bool, period_name: Callable[[Period], str]) -> TrendLines:
    """The chart's three lines; a flow's path is its year targets, a stock's the straight path
    through the baseline and the targets."""
    shown = series(a, flow)
    actual: list[Point] = [
        {"date": date_of(t), "value": v, "period": period_name(Period.parse(code))}
        for code, t, v in shown
    ]
    return TrendLines(actual, _target_path(a, flow), _forecast_line(a.forecast, shown))


def _target_path(a: Assessed, flow: bool) -> list[Point]:
    if flow:
        return [{"date": date_of(float(y)), "value": v} for y, v in sorted(a.targets.items())]
    if a.targets:
        return [{"date": date_of(t), "value": v} for t, v in anchors_of(a.baseline, a.targets)]
    return []


def _forecast_line(f: Forecast | None, shown: list[tuple[str, float, float]]) -> list[Point]:
    """From the last figure shown to the forecast, with its likely range."""
    if f is None or not shown:
        return []
    _code, last_t, last_v = shown[-1]
    low = f.value if f.low is None else f.low
    high = f.value if f.high is None else f.high
    return [
        {"date": date_of(last_t), "value": last_v, "low": last_v, "high": last_v},
        {"date": date_of(f.at), "value": f.value, "low": low, "high": high},
    ]
