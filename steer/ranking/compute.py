"""A framework's tables built from the programme's figures (no re-keying), and its run."""

import datetime as dt
import math
from dataclasses import dataclass

from steer.assessment.models import Figure
from steer.composite import CompositeError
from steer.composite.pipeline import Options, Result, run
from steer.composite.tables import Data, read_data, read_meta
from steer.composite.tables import Framework as Meta
from steer.ranking.models import Framework
from steer.units.models import OrgUnit

GROUP = "LoaiDonVi"  # the unit type, as a group column (for imputation by group)


@dataclass
class Ranking:
    framework: Framework
    meta: Meta
    data: Data
    result: Result
    units: dict[str, OrgUnit]  # by code


def meta_rows(framework: Framework) -> list[dict[str, str]]:
    rows = [
        {
            "iCode": n.code,
            "iName": n.name,
            "Level": str(n.level),
            "Parent": n.parent,
            "Direction": str(n.direction),
            "Weight": repr(n.weight),
            "Type": n.kind,
        }
        for n in framework.nodes.order_by("level", "order", "code")
    ]
    rows.append({"iCode": GROUP, "iName": "Loại đơn vị", "Type": "Group"})
    return rows


def ranked_units(framework: Framework) -> list[OrgUnit]:
    """The units of the framework's types that existed at the end of its year."""
    end = dt.date(framework.year, 12, 31)
    return list(
        OrgUnit.objects.filter(unit_type__in=framework.unit_types.all())
        .existing_on(end)
        .select_related("unit_type")
        .order_by("code")
    )


def data_rows(framework: Framework, units: list[OrgUnit]) -> list[dict[str, str]]:
    sources = {n.indicator_id: n.code for n in framework.nodes.filter(kind="Indicator")}
    values = {
        (indicator, unit): value
        for indicator, unit, value in Figure.objects.filter(
            indicator__in=list(sources),
            unit__in=[u.pk for u in units],
            period=str(framework.year),
            option="",
        ).values_list("indicator", "unit", "value")
    }
    rows = []
    for unit in units:
        row = {"uCode": unit.code, "uName": unit.name, GROUP: unit.unit_type.code}
        for indicator, code in sources.items():
            value = values.get((indicator, unit.pk))
            row[code] = "" if value is None or math.isnan(value) else repr(float(value))
        rows.append(row)
    return rows


def compute(framework: Framework, options: Options | None = None) -> Ranking:
    """Run the framework on its year's figures; CompositeError if it cannot be computed."""
    units = ranked_units(framework)
    if len(units) < 3:
        raise CompositeError(
            f"{framework}: {len(units)} unit(s) to rank; a ranking needs at least 3."
        )
    meta = read_meta(meta_rows(framework))
    data = read_data(data_rows(framework, units), meta)
    result = run(data, meta, options or Options(**framework_options(framework)))
    return Ranking(framework, meta, data, result, {u.code: u for u in units})


def framework_options(framework: Framework) -> dict:
    raw = dict(framework.options)
    for name in ("l_u", "m_sd"):
        if name in raw:
            raw[name] = tuple(raw[name])
    return raw
