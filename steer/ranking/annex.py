"""The methodology annex: a ranking's method, iMeta, iData and every stage, as a workbook."""

import io
import math

from django.utils.translation import gettext as _
from openpyxl import Workbook

from steer.ranking.compute import Ranking
from steer.ranking.models import Framework


def annex_workbook(framework: Framework, ranking: Ranking) -> bytes:
    """The .xlsx file: the method's sheet, then iMeta, iData and a sheet per stage."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Method")
    sheet.append([str(framework)])
    sheet.append([framework.methodology])
    sheet.append([])
    sheet.append(
        [
            _("Method frozen"),
            framework.frozen_at.strftime("%d/%m/%Y") if framework.frozen_at else _("not yet"),
        ]
    )
    for name, value in sorted(framework.options.items()):
        sheet.append([name, str(value)])
    meta = book.create_sheet("iMeta")
    meta.append(["iCode", "iName", "Level", "Parent", "Direction", "Weight", "Type"])
    for n in ranking.meta.nodes.values():
        meta.append([n.code, n.name, n.level, n.parent, n.direction, n.weight, n.type])
    result = ranking.result
    for name, stage in [("iData", result.stages["Raw"]), *result.stages.items()]:
        if name == "Raw":
            continue
        ws = book.create_sheet(name[:31])
        ws.append(["uCode", "uName", *stage.codes])
        for unit, values in zip(stage.units, stage.values.tolist(), strict=True):
            ws.append(
                [unit, ranking.units[unit].name, *[None if math.isnan(v) else v for v in values]]
            )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
