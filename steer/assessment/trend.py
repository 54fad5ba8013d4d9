"""The trend chart of an indicator for a unit: its figures, the target path and the forecast
(drawn on the indicator page and placed in the documents)."""

import datetime as dt

from django.utils.translation import gettext as _

from steer.assessment import charts
from steer.assessment.attainment import anchors_of
from steer.programmes.models import Indicator
from steer.reporting.labels import period_label
from steer.reporting.periods import Period
from steer.units.models import OrgUnit


def date_of(time: float) -> str:
    """A time in years (2024.0 is the end of 2024, 2024.5 the middle of 2025) as an ISO date."""
    year = int(time)
    if time == year:
        return dt.date(year, 12, 31).isoformat()
    return (dt.date(year + 1, 1, 1) + dt.timedelta(days=round((time - year) * 365) - 1)).isoformat()


def series(a, flow: bool) -> list[tuple[str, float, float]]:
    """The figures a trend shows: year totals of a flow; the finest periods of a stock."""
    years = [h for h in a.history if h[0].isdigit()]
    if flow:
        return years
    return [h for h in a.history if not h[0].isdigit()] or years


def trend_spec(a, indicator: Indicator, unit: OrgUnit) -> dict:
    flow = indicator.period_aggregation == "sum"
    shown = series(a, flow)
    actual = [
        {"date": date_of(t), "value": v, "period": period_label(Period.parse(code))}
        for code, t, v in shown
    ]
    path = []
    if flow:
        path = [{"date": date_of(float(y)), "value": v} for y, v in sorted(a.targets.items())]
    elif a.targets:
        path = [{"date": date_of(t), "value": v} for t, v in anchors_of(a.baseline, a.targets)]
    forecast = []
    f = a.forecast
    if f is not None and shown:
        _code, last_t, last_v = shown[-1]
        low = f.value if f.low is None else f.low
        high = f.value if f.high is None else f.high
        forecast = [
            {"date": date_of(last_t), "value": last_v, "low": last_v, "high": last_v},
            {"date": date_of(f.at), "value": f.value, "low": low, "high": high},
        ]
    return charts.trend(
        actual,
        path,
        forecast,
        title=_("%(code)s, %(unit)s: figures, target path and forecast")
        % {"code": indicator.code, "unit": unit.name},
        unit_of_measure=indicator.unit_of_measure,
        names={
            "actual": _("Figure of the year") if flow else _("Figure"),
            "path": _("Year targets") if flow else _("Target path"),
            "forecast": _("Forecast (likely range)"),
        },
    )
