"""COINr's two input tables, read and checked: iData (one row per unit) and iMeta (one row per
indicator, aggregate, group or denominator). CSV or Excel (.xlsx), as COINr users keep them.

A panel is iData with one row per unit and year (`Time`): `read_panel` splits it by year."""

import csv
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from steer.composite import CompositeError
from steer.composite.arrays import Floats

TYPES = ("Indicator", "Aggregate", "Group", "Denominator", "Other")
UNIT_COLUMNS = ("uCode", "uName", "Time")


@dataclass(frozen=True)
class Node:
    """One row of iMeta."""

    code: str
    name: str
    type: str
    level: int | None = None
    parent: str | None = None
    direction: int = 1
    weight: float = 1.0
    denominator: str | None = None
    unit: str = ""
    target: float | None = None


@dataclass
class Framework:
    """The tree of iMeta: indicators (level 1) under aggregates up to the index."""

    nodes: dict[str, Node]

    @property
    def indicators(self) -> list[str]:
        return [c for c, n in self.nodes.items() if n.type == "Indicator"]

    @property
    def groups(self) -> list[str]:
        return [c for c, n in self.nodes.items() if n.type == "Group"]

    @property
    def denominators(self) -> list[str]:
        return [c for c, n in self.nodes.items() if n.type == "Denominator"]

    @property
    def top_level(self) -> int:
        return max(n.level for n in self.nodes.values() if n.level is not None)

    def level(self, level: int) -> list[str]:
        return [c for c, n in self.nodes.items() if n.level == level and n.type in TREE]

    def children(self, code: str) -> list[str]:
        return [c for c, n in self.nodes.items() if n.parent == code and n.type in TREE]

    def parent(self, code: str) -> str:
        """The parent of a node below the index."""
        parent = self.nodes[code].parent
        if parent is None:
            raise CompositeError(f"{code} has no parent: it is the index.")
        return parent


TREE = ("Indicator", "Aggregate")


@dataclass
class Data:
    """iData: units (sorted by code, as COINr sorts them) and their columns."""

    units: list[str]
    names: list[str]
    columns: dict[str, Floats]  # numeric columns (indicators, denominators), float64
    groups: dict[str, list[str]] = field(default_factory=dict)
    time: list[str] | None = None

    def matrix(self, codes: list[str]) -> Floats:
        """Units × codes, float64, NaN where missing."""
        return (
            np.column_stack([self.columns[c] for c in codes])
            if codes
            else np.empty((len(self.units), 0))
        )


# -- reading ---------------------------------------------------------------------------------


def read_rows(source: Path | str, sheet: str | None = None) -> list[dict[str, str]]:
    """Rows of a CSV or .xlsx file (a path, or bytes with a name) as dicts of text."""
    path = Path(source)
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
        return _excel_rows(path, sheet)
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _excel_rows(path: Path, sheet: str | None) -> list[dict[str, str]]:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    name = sheet if sheet in book.sheet_names else book.sheet_names[0]
    rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    if not rows:
        return []
    head = [str(h).strip() for h in rows[0]]
    return [
        {h: _text(v) for h, v in zip(head, row, strict=False) if h}
        for row in rows[1:]
        if any(_text(v) for v in row)
    ]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(value).strip()


def _number(text: str, where: str) -> float:
    if text in ("", "NA", "NaN", "nan"):
        return math.nan
    try:
        return float(text)
    except ValueError:
        raise CompositeError(f"{where}: '{text}' is not a number.") from None


def read_meta(rows: list[dict[str, str]]) -> Framework:
    """iMeta rows → Framework, refusing what COINr would choke on, by name."""
    if not rows:
        raise CompositeError("iMeta is empty.")
    missing = [c for c in ("iCode", "Type") if c not in rows[0]]
    if missing:
        raise CompositeError(f"iMeta lacks the column(s) {', '.join(missing)}.")
    nodes: dict[str, Node] = {}
    for n, row in enumerate(rows, start=2):
        code = row.get("iCode", "").strip()
        where = f"iMeta row {n} ({code or 'no iCode'})"
        if not code:
            raise CompositeError(f"iMeta row {n}: the iCode is empty.")
        if code in nodes:
            raise CompositeError(f"iMeta: the iCode {code} appears twice.")
        kind = row.get("Type", "").strip()
        if kind not in TYPES:
            raise CompositeError(f"{where}: Type '{kind}' is not one of {', '.join(TYPES)}.")
        level = row.get("Level", "").strip()
        direction = row.get("Direction", "").strip()
        weight = _number(row.get("Weight", "").strip(), f"{where}, Weight")
        node = Node(
            code=code,
            name=row.get("iName", "").strip() or code,
            type=kind,
            level=int(_number(level, f"{where}, Level")) if level else None,
            parent=row.get("Parent", "").strip() or None,
            direction=int(_number(direction, f"{where}, Direction")) if direction else 1,
            weight=1.0 if math.isnan(weight) else weight,
            denominator=row.get("Denominator", "").strip() or None,
            unit=row.get("Unit", "").strip(),
            target=_number(row.get("Target", "").strip(), f"{where}, Target")
            if row.get("Target", "").strip()
            else None,
        )
        if kind in TREE and node.level is None:
            raise CompositeError(f"{where}: an {kind.lower()} needs a Level.")
        if kind == "Indicator" and node.level != 1:
            raise CompositeError(f"{where}: an indicator is at Level 1, not {node.level}.")
        if kind in TREE and node.direction not in (1, -1):
            raise CompositeError(f"{where}: Direction is 1 or -1, not {node.direction}.")
        if kind in TREE and node.weight < 0:
            raise CompositeError(f"{where}: the weight cannot be negative ({node.weight}).")
        nodes[code] = node
    framework = Framework(nodes)
    _check_tree(framework)
    return framework


def _check_tree(framework: Framework) -> None:
    nodes = framework.nodes
    tree = {c: n for c, n in nodes.items() if n.type in TREE}
    if not framework.indicators:
        raise CompositeError("iMeta has no indicator (Type = Indicator).")
    top = max(n.level for n in tree.values() if n.level is not None)
    for code, node in tree.items():
        if node.parent is None:
            if node.level != top:
                raise CompositeError(
                    f"iMeta: {code} has no Parent but is not at the top level ({top})."
                )
            continue
        parent = nodes.get(node.parent)
        if parent is None:
            raise CompositeError(f"iMeta: the Parent of {code}, {node.parent}, is not in iMeta.")
        if parent.type != "Aggregate":
            raise CompositeError(
                f"iMeta: the Parent of {code}, {node.parent}, is not an aggregate."
            )
        if node.level is None or parent.level != node.level + 1:
            raise CompositeError(
                f"iMeta: {code} (Level {node.level}) has a parent {node.parent} at Level "
                f"{parent.level}; a parent is one level up."
            )
    for code, node in tree.items():
        seen, cursor = {code}, node.parent
        while cursor is not None:
            if cursor in seen:
                raise CompositeError(f"iMeta: the Parents of {code} go round in a cycle.")
            seen.add(cursor)
            cursor = nodes[cursor].parent
    tops = [c for c, n in tree.items() if n.parent is None]
    if len(tops) != 1:
        raise CompositeError(f"iMeta: one index at the top is expected, found {', '.join(tops)}.")
    for code, node in tree.items():
        if node.type == "Aggregate":
            kids = framework.children(code)
            if not kids:
                raise CompositeError(f"iMeta: the aggregate {code} has nothing under it.")
            if sum(nodes[k].weight for k in kids) <= 0:
                raise CompositeError(
                    f"iMeta: the weights under {code} sum to zero; they cannot be rescaled."
                )
    for code in framework.indicators:
        denominator = nodes[code].denominator
        if denominator and (denominator not in nodes or nodes[denominator].type != "Denominator"):
            raise CompositeError(
                f"iMeta: the Denominator of {code}, {denominator}, is not a denominator in iMeta."
            )


def read_data(rows: list[dict[str, str]], framework: Framework) -> Data:
    """iData rows → Data, every iMeta column required, every column known, units unique."""
    if not rows:
        raise CompositeError("iData is empty.")
    head = list(rows[0])
    if "uCode" not in head:
        raise CompositeError("iData lacks the uCode column.")
    known = set(UNIT_COLUMNS) | set(framework.nodes)
    unknown = [c for c in head if c not in known]
    if unknown:
        raise CompositeError(f"iData: the column(s) {', '.join(unknown)} are not in iMeta.")
    needed = framework.indicators + framework.denominators + framework.groups
    absent = [c for c in needed if c not in head]
    if absent:
        raise CompositeError(f"iData lacks the column(s) {', '.join(absent)} named in iMeta.")
    codes = [row["uCode"].strip() for row in rows]
    if any(not c for c in codes):
        row = codes.index("") + 2
        raise CompositeError(f"iData row {row}: the uCode is empty.")
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            hint = ""
            if "Time" in head and len({(row["Time"] or "").strip() for row in rows}) > 1:
                hint = " iData has several Time values: read it as a panel (read_panel)."
            raise CompositeError(f"iData: the unit {code} appears twice.{hint}")
        seen.add(code)
    order = sorted(range(len(rows)), key=lambda i: codes[i])
    rows = [rows[i] for i in order]
    numeric = framework.indicators + framework.denominators
    columns = {
        c: np.array(
            [_number(row[c].strip(), f"iData, unit {row['uCode']}, {c}") for row in rows],
            dtype=np.float64,
        )
        for c in numeric
    }
    return Data(
        units=[row["uCode"].strip() for row in rows],
        names=[(row.get("uName") or row["uCode"]).strip() for row in rows],
        columns=columns,
        groups={g: [row[g].strip() for row in rows] for g in framework.groups},
        time=[row["Time"] for row in rows] if "Time" in head else None,
    )


def read_panel(rows: list[dict[str, str]], framework: Framework) -> dict[int, Data]:
    """Panel iData (a `Time` column, one row per unit and year) → {year: Data}, years in
    order, each year's units sorted by uCode (COINr sorts a panel by Time, then uCode). Each
    year is checked as `read_data` checks iData; a unit twice in one year is refused, naming
    it and the year (COINr's check_iData: no duplicated uCode–Time pair). Time must be a
    whole number (COINr requires a numeric Time). One Time value gives a one-year panel."""
    if not rows:
        raise CompositeError("iData is empty.")
    head = list(rows[0])
    for column in ("uCode", "Time"):
        if column not in head:
            raise CompositeError(
                f"iData lacks the {column} column"
                + (" a panel needs (one row per unit and year)." if column == "Time" else ".")
            )
    by_year: dict[int, list[dict[str, str]]] = {}
    seen: set[tuple[str, int]] = set()
    for n, row in enumerate(rows, start=2):
        code = (row.get("uCode") or "").strip()
        if not code:
            raise CompositeError(f"iData row {n}: the uCode is empty.")
        year = _year((row.get("Time") or "").strip(), f"iData row {n} (unit {code})")
        if (code, year) in seen:
            raise CompositeError(
                f"iData: the unit {code} appears twice in Time {year}; a panel has one row "
                "per unit and year."
            )
        seen.add((code, year))
        by_year.setdefault(year, []).append(row)
    panel = {}
    for year in sorted(by_year):
        try:
            panel[year] = read_data(by_year[year], framework)
        except CompositeError as e:
            raise CompositeError(f"Time {year}: {e}") from None
    return panel


def _year(text: str, where: str) -> int:
    if not text:
        raise CompositeError(f"{where}: the Time is empty.")
    value = _number(text, f"{where}, Time")
    if not math.isfinite(value) or value != int(value):
        raise CompositeError(f"{where}: the Time '{text}' is not a year.")
    return int(value)


def load(idata: Path | str, imeta: Path | str) -> tuple[Data, Framework]:
    framework = read_meta(read_rows(imeta, "iMeta"))
    return read_data(read_rows(idata, "iData"), framework), framework


def write_csv(path: Path | str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """A table as CSV with numbers at full precision (17 significant digits, as COINr's export)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    Path(path).write_text(buffer.getvalue(), encoding="utf-8")


def _cell(value: object) -> str:
    if isinstance(value, float | np.floating):
        return "" if math.isnan(value) else format(float(value), ".17g")
    return "" if value is None else str(value)
