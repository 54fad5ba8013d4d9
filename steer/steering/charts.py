"""Vega-Lite spec of the plan items' timeline (pure: data and labels in, spec out)."""

from steer.core.charts import PLAN_COLOURS, SCHEMA, WIDTH, colour_scale


def timeline(rows: list[dict], today: str, labels: dict[str, str], title: str, texts: dict) -> dict:
    """One bar per item from start to deadline (or completion), coloured by status; a dashed
    tick at the original deadline where it moved; a rule at today.

    rows: {"code", "title", "start", "end", "deadline", "baseline", "moved", "label", "status"}
    with ISO dates."""
    colour = {
        "field": "label",
        "type": "nominal",
        "title": None,
        "scale": colour_scale(PLAN_COLOURS, labels),
        "legend": {"orient": "bottom"},
    }
    y = {"field": "code", "type": "nominal", "title": None, "sort": None}
    return {
        "$schema": SCHEMA,
        "title": title,
        "width": WIDTH,
        "height": {"step": 16},
        "data": {"values": rows},
        "layer": [
            {
                "mark": {"type": "bar", "cornerRadius": 2},
                "encoding": {
                    "y": y,
                    "x": {"field": "start", "type": "temporal", "title": None},
                    "x2": {"field": "end"},
                    "color": colour,
                    "tooltip": [
                        {"field": "code", "type": "nominal"},
                        {"field": "title", "type": "nominal"},
                        {"field": "start", "type": "temporal", "format": "%d/%m/%Y"},
                        {"field": "deadline", "type": "temporal", "format": "%d/%m/%Y"},
                        {"field": "label", "type": "nominal"},
                    ],
                },
            },
            {
                "transform": [{"filter": "datum.moved"}],
                "mark": {"type": "tick", "color": "#4a535c", "thickness": 2, "strokeDash": [3, 2]},
                "encoding": {
                    "y": y,
                    "x": {"field": "baseline", "type": "temporal"},
                    "tooltip": [
                        {
                            "field": "baseline",
                            "type": "temporal",
                            "title": texts["baseline"],
                            "format": "%d/%m/%Y",
                        }
                    ],
                },
            },
            {
                "data": {"values": [{"today": today}]},
                "mark": {"type": "rule", "color": "#9b1c14", "strokeWidth": 2},
                "encoding": {
                    "x": {"field": "today", "type": "temporal"},
                    "tooltip": [
                        {
                            "field": "today",
                            "type": "temporal",
                            "title": texts["today"],
                            "format": "%d/%m/%Y",
                        }
                    ],
                },
            },
        ],
    }
