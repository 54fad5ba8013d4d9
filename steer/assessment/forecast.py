"""Where an indicator is heading: a straight-line forecast from its reported history.

An ordinary least-squares line through the figures (time in years, value) is extended to the
target's time. The interval is the 80 % prediction interval of that line (Student's t), the
usual width for planning forecasts; with two points there is a line but no interval. The pace is
the slope: from it, the year the target would be reached, or by how much the forecast falls
short. Plain Python; the caller passes numbers.
"""

import math
from dataclasses import dataclass

# Student's t, 0.90 quantile (two-sided 80 %), by degrees of freedom; beyond 30 the normal 1.2816.
_T90 = (
    3.078, 1.886, 1.638, 1.533, 1.476, 1.440, 1.415, 1.397, 1.383, 1.372,
    1.363, 1.356, 1.350, 1.345, 1.341, 1.337, 1.333, 1.330, 1.328, 1.325,
    1.323, 1.321, 1.319, 1.318, 1.316, 1.315, 1.314, 1.313, 1.311, 1.310,
)  # fmt: skip
LEVEL = 80


def t90(df: int) -> float:
    if df < 1:
        raise ValueError("at least one degree of freedom")
    return _T90[df - 1] if df <= len(_T90) else 1.2816


@dataclass(frozen=True)
class Forecast:
    at: float  # the time forecast (a year end: 2025.0 is the end of 2025)
    value: float
    low: float | None  # the 80 % prediction interval, when there are 3 or more points
    high: float | None
    slope: float  # change per year
    points: int
    reaches_target: bool | None  # does the forecast meet the target (None: no target given)
    shortfall: float | None  # how far the forecast is from the target, positive when short
    year_reached: int | None  # the first year at whose end the line meets the target


def linear(
    history: list[tuple[float, float]],
    at: float,
    *,
    target: float | None = None,
    higher_is_better: bool = True,
    bounds: tuple[float | None, float | None] = (None, None),
) -> Forecast | None:
    """Forecast the value at time `at` from (time, value) points; None with fewer than 2 times.

    bounds clip the forecast and its interval (a percentage stays within 0-100).
    """
    points = sorted(history)
    times = {t for t, _ in points}
    if len(times) < 2:
        return None
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    sxx = sum((t - mean_t) ** 2 for t, _ in points)
    sxy = sum((t - mean_t) * (v - mean_v) for t, v in points)
    slope = sxy / sxx
    intercept = mean_v - slope * mean_t
    value = intercept + slope * at
    low = high = None
    if n >= 3:
        residual = sum((v - intercept - slope * t) ** 2 for t, v in points)
        s = math.sqrt(residual / (n - 2))
        half = t90(n - 2) * s * math.sqrt(1 + 1 / n + (at - mean_t) ** 2 / sxx)
        low, high = value - half, value + half
    value, low, high = _clamp(value, bounds), _clip(low, bounds), _clip(high, bounds)
    reaches = shortfall = year_reached = None
    if target is not None:
        sign = 1.0 if higher_is_better else -1.0
        shortfall = max(0.0, sign * (target - value))
        reaches = shortfall == 0
        year_reached = _year_reached(points, slope, intercept, target, sign)
    return Forecast(at, value, low, high, slope, n, reaches, shortfall, year_reached)


def _clip(x: float | None, bounds: tuple[float | None, float | None]) -> float | None:
    return None if x is None else _clamp(x, bounds)


def _clamp(x: float, bounds: tuple[float | None, float | None]) -> float:
    lo, hi = bounds
    if lo is not None:
        x = max(lo, x)
    if hi is not None:
        x = min(hi, x)
    return x


def _year_reached(
    points: list[tuple[float, float]], slope: float, intercept: float, target: float, sign: float
) -> int | None:
    """The first whole year at whose end the line is at or past the target, at today's pace."""
    last_time = points[-1][0]
    if sign * (intercept + slope * last_time - target) >= 0:
        return math.ceil(last_time)
    if sign * slope <= 0:
        return None  # moving away from the target, or not moving: never at this pace
    when = (target - intercept) / slope
    return math.ceil(when - 1e-9)
