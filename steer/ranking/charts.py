"""Vega-Lite spec of a ranking's rank intervals (pure: rows and labels in, spec out)."""

from steer.core.charts import SCHEMA


def rank_intervals(rows: list[dict], title: str, texts: dict) -> dict:
    """One line per unit from its 5th to its 95th percentile rank, a dot at its rank; rank 1
    at the top. rows: {"unit", "rank", "low", "high"}, in rank order."""
    y = {"field": "unit", "type": "nominal", "sort": None, "title": None}
    x_title = texts["rank"]
    return {
        "$schema": SCHEMA,
        "title": title,
        "width": 480,
        "height": {"step": 16},
        "data": {"values": rows},
        "layer": [
            {
                "mark": {"type": "rule", "strokeWidth": 3, "color": "#a9c4ea"},
                "encoding": {
                    "y": y,
                    "x": {
                        "field": "low",
                        "type": "quantitative",
                        "title": x_title,
                        "scale": {"reverse": True, "zero": False, "nice": False},
                    },
                    "x2": {"field": "high"},
                },
            },
            {
                "mark": {"type": "point", "filled": True, "size": 50, "color": "#0b4f99"},
                "encoding": {
                    "y": y,
                    "x": {"field": "rank", "type": "quantitative"},
                    "tooltip": [
                        {"field": "unit", "type": "nominal", "title": " "},
                        {"field": "rank", "type": "quantitative", "title": x_title},
                        {"field": "low", "type": "quantitative", "title": texts["low"]},
                        {"field": "high", "type": "quantitative", "title": texts["high"]},
                    ],
                },
            },
        ],
    }
