"""The trend chart of an indicator for a unit, worded in the interface's language: the lines of
trend.py (pure) with the periods named and the chart titled here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from steer.assessment import charts
from steer.assessment.trend import trend_lines
from steer.programmes.models import Indicator
from steer.reporting.labels import period_label
from steer.units.models import OrgUnit

if TYPE_CHECKING:  # selectors draws its pages' charts with this one
    from steer.assessment.selectors import Assessment


def trend_spec(a: Assessment, indicator: Indicator, unit: OrgUnit) -> dict[str, Any]:
    flow = indicator.period_aggregation == "sum"
    lines = trend_lines(a, flow, period_label)
    return charts.trend(
        lines.actual,
        lines.path,
        lines.forecast,
        title=_("%(code)s, %(unit)s: figures, target path and forecast")
        % {"code": indicator.code, "unit": unit.name},
        unit_of_measure=indicator.unit_of_measure,
        names={
            "actual": _("Figure of the year") if flow else _("Figure"),
            "path": _("Year targets") if flow else _("Target path"),
            "forecast": _("Forecast (likely range)"),
        },
    )
