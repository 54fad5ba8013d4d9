"""Every stage of a run written out as CSV, COINr-style: one file per data set, the results
with ranks, and the treatment log."""

import json
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import numpy as np

from steer.composite import CompositeError
from steer.composite.pipeline import Options, Result
from steer.composite.stats import min_ranks
from steer.composite.tables import Data, Framework, write_csv


def options_from_json(text: str) -> Options:
    """Options from a JSON object with COINr's option names; unknown names are refused."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as e:
        raise CompositeError(f"The options file is not valid JSON: {e}") from None
    if not isinstance(raw, dict):
        raise CompositeError("The options file must hold a JSON object.")
    return options_from_dict(raw)


def options_from_dict(raw: dict[str, Any]) -> Options:
    """Options from a dict as JSON holds it (lists for pairs); unknown names are refused.
    The values are as JSON decoded them (Any): Options takes them as they come."""
    known = {f.name for f in fields(Options)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise CompositeError(f"Unknown option(s): {', '.join(unknown)}.")
    raw = dict(raw)
    for name in ("l_u", "m_sd"):
        if name in raw:
            raw[name] = tuple(raw[name])
    if "goalposts" in raw:
        raw["goalposts"] = {k: tuple(v) for k, v in raw["goalposts"].items()}
    return Options(**raw)


def write_all(result: Result, names: dict[str, str], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, stage in result.stages.items():
        path = out / f"{name}.csv"
        write_csv(
            path,
            ["uCode", *stage.codes],
            ([u, *row] for u, row in zip(stage.units, stage.values.tolist(), strict=True)),
        )
        written.append(path)
    agg = result.aggregated
    aggregates = [c for c in agg.codes if result.framework.nodes[c].type == "Aggregate"]
    top = result.index
    header = ["uCode", "uName", top, "Rank"] + [c for c in reversed(aggregates) if c != top]
    scores = {c: agg.column(c) for c in aggregates}
    ranks = min_ranks(scores[top])
    order = np.lexsort((np.array(agg.units), ranks))
    rows = [
        [agg.units[i], names.get(agg.units[i], ""), scores[top][i], int(ranks[i])]
        + [scores[c][i] for c in header[4:]]
        for i in order
    ]
    path = out / "Results.csv"
    write_csv(path, header, rows)
    written.append(path)
    path = out / "Treatment.csv"
    write_csv(
        path,
        ["iCode", "Action", "Points", "Skew", "Kurt", "SkewAfter", "KurtAfter", "Units"],
        (
            [
                t.code,
                t.action,
                t.points,
                t.skew,
                t.kurt,
                t.skew_after,
                t.kurt_after,
                " ".join(t.replaced),
            ]
            for t in result.treatments
        ),
    )
    written.append(path)
    path = out / "Options.json"
    path.write_text(json.dumps(asdict(result.options), indent=1, ensure_ascii=False))
    written.append(path)
    return written


META_HEADER = [
    "iCode",
    "iName",
    "Level",
    "Parent",
    "Direction",
    "Weight",
    "Type",
    "Denominator",
    "Unit",
    "Target",
]


Cell = str | float | None  # a cell of iData or iMeta (int: a level, a direction)


def table_rows(
    data: Data, framework: Framework
) -> tuple[list[str], list[list[Cell]], list[list[Cell]]]:
    """iData and iMeta as COINr lays them out: (iData header, iData rows, iMeta rows)."""
    columns = framework.groups + framework.denominators + framework.indicators
    header = ["uCode", "uName", *(["Time"] if data.time is not None else []), *columns]
    rows: list[list[Cell]] = []
    for i, unit in enumerate(data.units):
        row: list[Cell] = [unit, data.names[i], *([data.time[i]] if data.time is not None else [])]
        for code in columns:
            row.append(data.groups[code][i] if code in data.groups else data.columns[code][i])
        rows.append(row)
    meta: list[list[Cell]] = [
        [
            n.code,
            n.name,
            n.level,
            n.parent,
            n.direction if n.type in ("Indicator", "Aggregate") else None,
            n.weight if n.type in ("Indicator", "Aggregate") else None,
            n.type,
            n.denominator,
            n.unit,
            n.target,
        ]
        for n in framework.nodes.values()
    ]
    return header, rows, meta


def write_tables(data: Data, framework: Framework, path: Path) -> list[Path]:
    """iData and iMeta written back: `<path>/iData.csv` and `iMeta.csv` for a folder, or one
    workbook with the sheets iData and iMeta for a path ending in .xlsx."""
    header, rows, meta = table_rows(data, framework)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = "iData"
        sheet.append(header)
        for row in rows:
            sheet.append([None if isinstance(v, float) and np.isnan(v) else v for v in row])
        sheet = book.create_sheet("iMeta")
        sheet.append(META_HEADER)
        for row in meta:
            sheet.append(row)
        path.parent.mkdir(parents=True, exist_ok=True)
        book.save(path)
        return [path]
    path.mkdir(parents=True, exist_ok=True)
    write_csv(path / "iData.csv", header, rows)
    write_csv(path / "iMeta.csv", META_HEADER, meta)
    return [path / "iData.csv", path / "iMeta.csv"]
