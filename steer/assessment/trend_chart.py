"""The trend chart of an indicator for a unit, worded in the interface's language: the lines of
trend.py (pure) with the periods named and the chart titled here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from steer.assessment import charts
from steer.assessment.trend import trend_lines
from steer.core.numbers import figure_value, is_count
from steer.programmes.models import Indicator
from steer.reporting.labels import period_label
from steer.units.models import OrgUnit

if TYPE_CHECKING:  # selectors draws its pages' charts with this one
    from steer.assessment.selectors import Assessment


def trend_spec(a: Assessment, indicator: Indicator, unit: OrgUnit) -> dict[str, Any]:
    flow = indicator.period_aggregation == "sum"
    lines = trend_lines(a, flow, period_label)
    value_type = indicator.value_type
    return charts.trend(
        _shown(lines.actual, value_type),
        _shown(lines.path, value_type),
        _shown(lines.forecast, value_type),
        title=_("%(code)s, %(unit)s: figures, target path and forecast")
        % {"code": indicator.code, "unit": unit.name},
        unit_of_measure=indicator.unit_of_measure,
        names={
            "actual": _("Figure of the year") if flow else _("Figure"),
            "path": _("Year targets") if flow else _("Target path"),
            "forecast": _("Forecast (likely range)"),
        },
        counts=is_count(value_type),
    )


def _shown(points: list[dict[str, Any]], value_type: str) -> list[dict[str, Any]]:
    """The points with their figures as the pages write them: a count (an estimate too) whole."""
    figures = ("value", "low", "high")
    return [
        {k: figure_value(v, value_type) if k in figures else v for k, v in p.items()}
        for p in points
    ]
