"""How the dashboards show assessments: their rows, columns and summary tables (no queries)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from django.urls import get_script_prefix, reverse
from django.utils.translation import gettext as _

from steer.assessment.attainment import Status, tally
from steer.assessment.labels import STATUS_LABELS, status_label
from steer.core.numbers import figure_value
from steer.core.tables import Column, Table
from steer.programmes.models import Indicator
from steer.steering.labels import PLAN_LABELS

if TYPE_CHECKING:  # selectors builds its pages with these rows
    from steer.assessment.selectors import Assessment


def rounded(x: float | None, value_type: str) -> float | int | None:
    """An indicator's figure as shown: a count whole (`core.numbers.figure_value`)."""
    return figure_value(x, value_type)


def status_labels() -> dict[str, str]:
    return {str(k): str(v) for k, v in STATUS_LABELS.items()}


def plan_labels() -> dict[str, str]:
    return {str(k): str(v) for k, v in PLAN_LABELS.items()}


def status_cell(a: Assessment) -> dict[str, str]:
    return {"code": str(a.status), "label": str(status_label(a))}


def _final_target(a: Assessment) -> float | None:
    return a.targets[a.final_year] if a.targets and a.final_year is not None else None


def _forecast_cells(a: Assessment) -> dict[str, float | str | None]:
    f, value_type = a.forecast, a.indicator.value_type
    if f is None:
        return {"forecast": None, "low": None, "high": None, "reached": None, "shortfall": None}
    return {
        "forecast": rounded(f.value, value_type),
        "low": rounded(f.low, value_type),
        "high": rounded(f.high, value_type),
        "reached": None if f.year_reached is None else str(f.year_reached),
        "shortfall": rounded(f.shortfall, value_type) or None,
    }


@functools.cache
def _indicator_path(slug: str, prefix: str) -> str:
    return reverse("indicator_detail", args=[slug, "~code~"])


def indicator_url(indicator: Indicator) -> str:
    """indicator.get_absolute_url(), with the URL reversed once per programme: reversing it
    for each of a dashboard's few hundred rows was a tenth of the page's time."""
    path = _indicator_path(indicator.programme.slug, get_script_prefix())
    return path.replace("~code~", quote(indicator.code, safe="!$&'()*+,;=/~:@"))


def indicator_row(a: Assessment, unit_code: str | None = None) -> dict[str, Any]:
    indicator = a.indicator
    url = indicator_url(indicator) + f"?year={a.year}"
    if unit_code:
        url += f"&unit={unit_code}"
    return {
        "code": indicator.code,
        "name": indicator.name,
        "url": url,
        "uom": indicator.unit_of_measure,
        "actual": rounded(a.actual, indicator.value_type),
        "expected": rounded(a.judgement.expected, indicator.value_type),
        "target": _final_target(a),
        "final_year": a.final_year,
        "status": status_cell(a),
        **_forecast_cells(a),
    }


def indicator_columns(year: int) -> list[Column]:
    return [
        Column("code", _("Code"), link="url"),
        Column("name", _("Indicator"), link="url"),
        Column("uom", _("Unit of measure"), on_page=False),
        Column("actual", _("Figure %(year)s") % {"year": year}, "number"),
        Column("expected", _("Expected on the path"), "number"),
        Column("target", _("Final target"), "number"),
        Column("status", _("Status"), "status"),
        Column("forecast", _("Forecast for the final year"), "number"),
        Column("low", _("Forecast, low"), "number", on_page=False),
        Column("high", _("Forecast, high"), "number", on_page=False),
        Column("reached", _("Target reached in"), "text"),
        Column("shortfall", _("Shortfall"), "number", on_page=False),
    ]


def status_summary(
    name: str, title: str, heading: str, buckets: Iterable[tuple[str, list[Assessment]]]
) -> Table:
    """How many of each bucket's (objective's, group's) indicators have each status."""
    labels = status_labels()
    rows = []
    for bucket, assessments in buckets:
        counts = tally(a.status for a in assessments)
        total = sum(counts.values())
        rows.append(
            {
                "name": bucket,
                "share": _("%(x)s of %(y)s") % {"x": counts[Status.ACHIEVED], "y": total},
                **{str(k): v for k, v in counts.items()},
                "total": total,
            }
        )
    return Table(
        name,
        title,
        [Column("name", heading), Column("share", _("Achieved out of all"))]
        + [Column(str(s), labels[str(s)], "integer") for s in Status]
        + [Column("total", _("Indicators"), "integer")],
        rows,
    )
