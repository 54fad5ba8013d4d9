"""The annual rankings of units: each framework and its results with rank intervals."""

import math

from django.utils.translation import gettext as _
from ninja import Path, Router

from steer.api import schemas as s
from steer.api.api import Refused
from steer.api.catalogue import ERRORS, SLUG
from steer.api.lookups import found, programme_for
from steer.api.paging import LIMIT, OFFSET, page
from steer.composite import CompositeError
from steer.ranking.compute import compute
from steer.ranking.models import Framework

router = Router()
FRAMEWORK = Path(..., pattern=r"^[-a-zA-Z0-9_]{1,40}$", examples=["cds-dmst-cap-huyen"])
YEAR = Path(..., ge=1900, le=2200, examples=[2024])


def framework_out(f: Framework) -> dict:
    return {"code": f.code, "year": f.year, "name": f.name, "frozen": f.frozen_at is not None}


@router.get(
    "/programmes/{slug}/rankings",
    response={200: s.Page[s.FrameworkOut], **ERRORS},
    tags=["rankings"],
)
def rankings(request, slug: str = SLUG, limit: int = LIMIT, offset: int = OFFSET):
    programme = programme_for(request, slug)
    rows = Framework.objects.filter(programme=programme).order_by("code", "-year")
    return page(rows, limit, offset, framework_out)


@router.get(
    "/programmes/{slug}/rankings/{code}/{year}",
    response={200: s.RankingOut, **ERRORS, 409: s.Error},
    tags=["rankings"],
)
def ranking(request, slug: str = SLUG, code: str = FRAMEWORK, year: int = YEAR):
    """A year's ranking: every unit's rank, score and 90 % rank interval, best first (the same
    figures as the ranking page)."""
    programme = programme_for(request, slug)
    framework = found(
        Framework.objects.filter(programme=programme, code=code, year=year).first(),
        _("ranking"),
        f"{code} {year}",
    )
    try:
        result = compute(framework)
    except CompositeError as e:
        raise Refused(409, "not_computable", str(e)) from None
    scores, ranks = result.result.scores(), result.result.ranks()
    intervals = result.intervals
    rows = []
    for i, unit in enumerate(result.result.aggregated.units):
        score = float(scores[i])
        rows.append(
            {
                "rank": int(ranks[i]),
                "unit": unit,
                "unit_name": result.units[unit].name,
                "score": None if math.isnan(score) else round(score, 4),
                "interval_low": int(intervals.q05_rank[i]),
                "interval_high": int(intervals.q95_rank[i]),
            }
        )
    rows.sort(key=lambda r: (r["rank"], r["unit"]))
    return framework_out(framework) | {"results": rows}
