"""Directives and recommendations, as the caller may see them."""

from django.utils.translation import gettext as _
from ninja import Path, Query, Router

from steer.accounts.access import access_for
from steer.api import schemas as s
from steer.api.catalogue import ERRORS, OPTIONAL_CODE, SLUG
from steer.api.lookups import found, programme_for
from steer.api.paging import LIMIT, OFFSET, page
from steer.steering.permissions import visible_directives, visible_recommendations

router = Router()
NUMBER = Path(..., ge=1, le=2_000_000_000, examples=[1])
STATE = Query(None, pattern=r"^[a-z_]{1,15}$")


def directive_out(d) -> dict:
    return {
        "number": d.number,
        "content": d.content,
        "given_by": d.given_by,
        "given_on": d.given_on,
        "source": d.source,
        "document_number": d.document_number,
        "assignees": sorted(u.code for u in d.assignees.all()),
        "deadline": d.deadline,
        "state": d.state,
        "closed_on": d.closed_on,
        "closure_note": d.closure_note,
    }


@router.get(
    "/programmes/{slug}/directives",
    response={200: s.Page[s.DirectiveOut], **ERRORS},
    tags=["directives"],
)
def directives(
    request,
    slug: str = SLUG,
    state: str | None = STATE,
    assignee: str | None = OPTIONAL_CODE,
    limit: int = LIMIT,
    offset: int = OFFSET,
):
    """Directives the caller may see: all for programme-wide roles, otherwise those given to
    its units."""
    programme = programme_for(request, slug)
    rows = visible_directives(access_for(request.user), programme).prefetch_related("assignees")
    if state:
        rows = rows.filter(state=state)
    if assignee:
        rows = rows.filter(assignees__code=assignee)
    return page(rows.order_by("number"), limit, offset, directive_out)


@router.get(
    "/programmes/{slug}/directives/{number}",
    response={200: s.DirectiveDetail, **ERRORS},
    tags=["directives"],
)
def directive(request, slug: str = SLUG, number: int = NUMBER):
    programme = programme_for(request, slug)
    access = access_for(request.user)
    row = found(
        programme.directives.prefetch_related("assignees").filter(number=number).first(),
        _("directive"),
        number,
    )
    access.require(visible_directives(access, programme).filter(pk=row.pk).exists())
    updates = row.updates.select_related("unit", "reported_by").order_by("reported_at", "pk")
    return directive_out(row) | {
        "updates": [
            {
                "unit": u.unit.code,
                "text": u.text,
                "reported_by": u.reported_by.username,
                "reported_at": u.reported_at,
            }
            for u in updates
        ]
    }


def recommendation_out(r) -> dict:
    return {
        "number": r.number,
        "unit": r.unit.code,
        "raised_on": r.raised_on,
        "channel": r.channel,
        "category": r.category,
        "content": r.content,
        "addressed_to": r.addressed_to,
        "is_bottleneck": r.is_bottleneck,
        "routed_to": r.routed_to,
        "response": r.response,
        "responded_on": r.responded_on,
        "state": r.state,
    }


@router.get(
    "/programmes/{slug}/recommendations",
    response={200: s.Page[s.RecommendationOut], **ERRORS},
    tags=["recommendations"],
)
def recommendations(
    request,
    slug: str = SLUG,
    state: str | None = STATE,
    unit: str | None = OPTIONAL_CODE,
    limit: int = LIMIT,
    offset: int = OFFSET,
):
    """Recommendations the caller may see: all for programme-wide roles, otherwise its units'."""
    programme = programme_for(request, slug)
    rows = visible_recommendations(access_for(request.user), programme).select_related("unit")
    if state:
        rows = rows.filter(state=state)
    if unit:
        rows = rows.filter(unit__code=unit)
    return page(rows.order_by("number"), limit, offset, recommendation_out)


@router.get(
    "/programmes/{slug}/recommendations/{number}",
    response={200: s.RecommendationOut, **ERRORS},
    tags=["recommendations"],
)
def recommendation(request, slug: str = SLUG, number: int = NUMBER):
    programme = programme_for(request, slug)
    access = access_for(request.user)
    row = found(
        programme.recommendations.select_related("unit").filter(number=number).first(),
        _("recommendation"),
        number,
    )
    access.require(visible_recommendations(access, programme).filter(pk=row.pk).exists())
    return recommendation_out(row)
