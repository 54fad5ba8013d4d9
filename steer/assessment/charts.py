"""Vega-Lite specs of the dashboards' charts: data in, spec out (labels passed in, no Django).

The same spec is drawn in the browser and rendered to SVG/PNG on the server.
"""

from steer.core.charts import PLAN_COLOURS, SCHEMA, WIDTH, colour_scale, count_axis

STATUS_COLOURS = {
    "achieved": "#1a7f37",
    "on_track": "#2f81c7",
    "at_risk": "#c98a00",
    "off_track": "#e06c00",
    "missed": "#c62828",
    "no_target": "#6b7f93",
    "no_data": "#9aa4ae",
}


def _status_colour(labels: dict[str, str]) -> dict:
    """Colour by the status's label, the same colour for a status on every chart."""
    return {
        "field": "label",
        "type": "nominal",
        "title": None,
        "scale": colour_scale(STATUS_COLOURS, labels),
        "legend": {"orient": "bottom"},
    }


def status_bars(rows: list[dict], labels: dict[str, str], title: str, y_title: str) -> dict:
    """Stacked horizontal bars: one bar per row (rows: {"name", "status", "count"})."""
    data = [{**r, "label": labels[r["status"]]} for r in rows if r["count"]]
    order = {labels[k]: i for i, k in enumerate(STATUS_COLOURS)}
    for r in data:
        r["order"] = order[r["label"]]
    return {
        "$schema": SCHEMA,
        "title": title,
        "width": WIDTH,
        "data": {"values": data},
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "y": {"field": "name", "type": "nominal", "title": None, "sort": None},
            "x": count_axis(
                {"field": "count", "type": "quantitative", "title": y_title, "stack": True}
            ),
            "color": _status_colour(labels),
            "order": {"field": "order"},
        },
    }


def plan_bars(counts: dict[str, int], labels: dict[str, str], title: str, x_title: str) -> dict:
    data = [{"status": labels[k], "count": counts.get(k, 0)} for k in PLAN_COLOURS]
    return {
        "$schema": SCHEMA,
        "title": title,
        "width": WIDTH,
        "data": {"values": data},
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "y": {"field": "status", "type": "nominal", "title": None, "sort": None},
            "x": count_axis({"field": "count", "type": "quantitative", "title": x_title}),
            "color": {
                "field": "status",
                "type": "nominal",
                "scale": colour_scale(PLAN_COLOURS, labels),
                "legend": None,
            },
        },
    }


def trend(
    actual: list[dict],
    path: list[dict],
    forecast: list[dict],
    *,
    title: str,
    unit_of_measure: str,
    names: dict[str, str],
    counts: bool = False,
) -> dict:
    """Figures over time against the target path, with the forecast and its interval.

    actual: {"date", "value", "period"}; path: {"date", "value"}; forecast: {"date", "value",
    "low", "high"}. names: legend names for "actual", "path" and "forecast".
    """
    series = (
        [{**r, "series": names["actual"]} for r in actual]
        + [{**r, "series": names["path"]} for r in path]
        + [{**r, "series": names["forecast"]} for r in forecast]
    )
    colour = {
        "domain": [names["actual"], names["path"], names["forecast"]],
        "range": ["#1f4e79", "#1a7f37", "#c98a00"],
    }
    # One tick per year: the default picks half-years too and labels them all with the year.
    axis = {"format": "%Y", "tickCount": {"interval": "year", "step": 1}}
    x = {"field": "date", "type": "temporal", "title": None, "axis": axis}
    y = {"field": "value", "type": "quantitative", "title": unit_of_measure}
    y = count_axis(y) if counts else y
    layers = [
        {
            "transform": [{"filter": {"field": "series", "equal": names["forecast"]}}],
            "mark": {"type": "area", "opacity": 0.18, "color": "#c98a00"},
            "encoding": {
                "x": x,
                "y": {"field": "low", "type": "quantitative"},
                "y2": {"field": "high"},
            },
        },
        {
            "mark": {"type": "line", "point": True, "tooltip": True},
            "encoding": {
                "x": x,
                "y": y,
                "color": {
                    "field": "series",
                    "type": "nominal",
                    "title": None,
                    "scale": colour,
                    "legend": {"orient": "bottom"},
                },
                "strokeDash": {
                    "field": "series",
                    "type": "nominal",
                    "scale": {"domain": colour["domain"], "range": [[1, 0], [6, 4], [2, 3]]},
                    "legend": None,
                },
            },
        },
    ]
    return {
        "$schema": SCHEMA,
        "title": title,
        "width": WIDTH,
        "height": 260,
        "data": {"values": series},
        "layer": layers,
    }


def unit_bars(
    rows: list[dict],
    labels: dict[str, str],
    *,
    title: str,
    unit_of_measure: str,
    counts: bool = False,
) -> dict:
    """One bar per unit, coloured by status (rows: {"unit", "value", "status"})."""
    data = [{**r, "label": labels[r["status"]]} for r in rows if r["value"] is not None]
    x_axis = {"field": "value", "type": "quantitative", "title": unit_of_measure}
    x_axis = count_axis(x_axis) if counts else x_axis
    return {
        "$schema": SCHEMA,
        "title": title,
        "width": WIDTH,
        "data": {"values": data},
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "y": {"field": "unit", "type": "nominal", "title": None, "sort": "-x"},
            "x": x_axis,
            "color": _status_colour(labels),
        },
    }


def status_grid(rows: list[dict], labels: dict[str, str], *, title: str) -> dict:
    """Units × indicators, each cell coloured by status (rows: {"unit", "indicator", "status"})."""
    data = [{**r, "label": labels[r["status"]]} for r in rows]
    return {
        "$schema": SCHEMA,
        "title": title,
        "data": {"values": data},
        "mark": {"type": "rect", "tooltip": True, "stroke": "#fff"},
        "encoding": {
            "x": {"field": "indicator", "type": "nominal", "title": None, "sort": None},
            "y": {"field": "unit", "type": "nominal", "title": None, "sort": None},
            "color": _status_colour(labels),
        },
    }
