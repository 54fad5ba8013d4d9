"""Who is calling; units; programmes, their indicators with targets, and plan items."""

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from ninja import Path, Query, Router

from steer.accounts.access import access_for
from steer.api import schemas as s
from steer.api.lookups import found, programme_for
from steer.api.paging import LIMIT, OFFSET, page
from steer.programmes.models import Indicator, PlanItem, Programme
from steer.programmes.permissions import (
    can_view_plan_item,
    visible_plan_items,
    visible_programmes,
    visible_targets,
)
from steer.steering.models import ProgressReport
from steer.units.models import OrgUnit

router = Router()
ERRORS = {400: s.Error, 401: s.Error, 403: s.Error, 404: s.Error, 422: s.Error}
SLUG = Path(..., pattern=r"^[-a-zA-Z0-9_]{1,60}$", examples=["07-ctr-tu"])


def code(example: str):
    """A code in the path; the example (from the demo) lets the schema's users try a real one."""
    return Path(..., pattern=r"^[A-Za-z0-9._\-]{1,40}$", examples=[example])


OPTIONAL_CODE = Query(None, pattern=r"^[A-Za-z0-9._\-]{1,40}$")


def text(value) -> str | None:
    return None if value is None else format(value.normalize(), "f")


@router.get("/me", response={200: s.Me, **ERRORS}, tags=["who am I"])
def me(request):
    user = request.user
    access = access_for(user)
    roles: dict[str, list[str]] = {}
    slugs = dict(Programme.objects.values_list("pk", "slug"))
    for role, programme_id in user.role_grants.values_list("role", "programme_id"):
        roles.setdefault(slugs.get(programme_id, "*"), []).append(role)
    if access.is_administrator:
        roles.setdefault("*", [])
        if "administrator" not in roles["*"]:
            roles["*"].append("administrator")
    token = getattr(request, "access_token", None)
    return {
        "username": user.username,
        "full_name": user.full_name,
        "unit": user.unit.code if user.unit_id else None,
        "roles": {k: sorted(v) for k, v in roles.items()},
        "token_scope": token.scope if token else None,
    }


def unit_out(unit: OrgUnit) -> dict:
    return {
        "code": unit.code,
        "name": unit.name,
        "short_name": unit.short_name,
        "unit_type": unit.unit_type.code,
        "parent": unit.parent.code if unit.parent is not None else None,
        "valid_from": unit.valid_from,
        "valid_to": unit.valid_to,
    }


@router.get("/units", response={200: s.Page[s.UnitOut], **ERRORS}, tags=["units"])
def units(
    request,
    parent: str | None = OPTIONAL_CODE,
    unit_type: str | None = OPTIONAL_CODE,
    limit: int = LIMIT,
    offset: int = OFFSET,
):
    """The units the caller may see (everyone for programme-wide roles; otherwise the caller's
    own unit and those below it), by level then code."""
    rows = access_for(request.user).units().select_related("unit_type", "parent")
    if parent:
        rows = rows.filter(parent__code=parent)
    if unit_type:
        rows = rows.filter(unit_type__code=unit_type)
    return page(rows.order_by("unit_type__level", "code"), limit, offset, unit_out)


@router.get("/units/{code}", response={200: s.UnitOut, **ERRORS}, tags=["units"])
def unit(request, code: str = code("006")):
    row = found(
        OrgUnit.objects.select_related("unit_type", "parent").filter(code=code).first(),
        _("unit"),
        code,
    )
    access = access_for(request.user)
    access.require(access.can_view_unit(row))
    return unit_out(row)


def programme_out(p: Programme) -> dict:
    return {
        "slug": p.slug,
        "symbol": p.symbol,
        "title": p.title,
        "issuing_body": p.issuing_body,
        "issued_on": p.issued_on,
        "start_year": p.start_year,
        "end_year": p.end_year,
        "standing_agency": p.standing_agency.code,
    }


@router.get("/programmes", response={200: s.Page[s.ProgrammeOut], **ERRORS}, tags=["programmes"])
def programmes(request, limit: int = LIMIT, offset: int = OFFSET):
    rows = visible_programmes(access_for(request.user)).select_related("standing_agency")
    return page(rows.order_by("slug"), limit, offset, programme_out)


@router.get("/programmes/{slug}", response={200: s.ProgrammeOut, **ERRORS}, tags=["programmes"])
def programme(request, slug: str = SLUG):
    return programme_out(programme_for(request, slug))


def indicator_out(i: Indicator) -> dict:
    return {
        "code": i.code,
        "name": i.name,
        "unit_of_measure": i.unit_of_measure,
        "value_type": i.value_type,
        "direction": i.direction,
        "objective": i.group.objective.code,
        "group": i.group.code,
    }


@router.get(
    "/programmes/{slug}/indicators",
    response={200: s.Page[s.IndicatorOut], **ERRORS},
    tags=["indicators"],
)
def indicators(request, slug: str = SLUG, limit: int = LIMIT, offset: int = OFFSET):
    programme = programme_for(request, slug)
    rows = programme.indicators.select_related("group__objective").order_by("code")
    return page(rows, limit, offset, indicator_out)


@router.get(
    "/programmes/{slug}/indicators/{code}",
    response={200: s.IndicatorDetail, **ERRORS},
    tags=["indicators"],
)
def indicator(request, slug: str = SLUG, code: str = code("CT07")):
    """An indicator with the targets the caller may see (programme-wide, and the units' own)."""
    programme = programme_for(request, slug)
    row = found(
        programme.indicators.select_related("group__objective").filter(code=code).first(),
        _("indicator"),
        code,
    )
    targets = (
        visible_targets(access_for(request.user), programme)
        .filter(indicator=row)
        .select_related("unit")
        .order_by("year", "unit__code")
    )
    return indicator_out(row) | {
        "targets": [
            {
                "year": t.year,
                "unit": t.unit.code if t.unit_id else None,
                "value": text(t.value),
                "upper_value": text(t.upper_value),
            }
            for t in targets
        ]
    }


def plan_item_out(item: PlanItem) -> dict:
    return {
        "code": item.code,
        "title": item.title,
        "kind": item.kind,
        "parent": item.parent.code if item.parent is not None else None,
        "lead_unit": item.lead_unit.code,
        "state": item.state,
        "start_date": item.start_date,
        "deadline": item.deadline,
        "baseline_deadline": item.baseline_deadline,
        "completed_on": item.completed_on,
        "version": item.version,
    }


@router.get(
    "/programmes/{slug}/plan-items",
    response={200: s.Page[s.PlanItemOut], **ERRORS},
    tags=["plan items"],
)
def plan_items(
    request,
    slug: str = SLUG,
    state: str | None = Query(None, pattern=r"^[a-z_]{1,20}$"),
    lead_unit: str | None = OPTIONAL_CODE,
    limit: int = LIMIT,
    offset: int = OFFSET,
):
    """The plan items the caller may see: all for programme-wide roles, otherwise those its
    units lead, coordinate or carry out."""
    programme = programme_for(request, slug)
    rows = visible_plan_items(access_for(request.user), programme).select_related(
        "parent", "lead_unit"
    )
    if state:
        rows = rows.filter(state=state)
    if lead_unit:
        rows = rows.filter(lead_unit__code=lead_unit)
    return page(rows.order_by("code"), limit, offset, plan_item_out)


@router.get(
    "/programmes/{slug}/plan-items/{code}",
    response={200: s.PlanItemDetail, **ERRORS},
    tags=["plan items"],
)
def plan_item(request, slug: str = SLUG, code: str = code("NV02")):
    programme = programme_for(request, slug)
    item = found(
        PlanItem.objects.select_related("parent", "lead_unit")
        .prefetch_related(
            "coordinating_units",
            "assigned_units",
            "indicators",
            "budget_lines",
            Prefetch("progress_reports", ProgressReport.objects.order_by("-reported_at", "-pk")),
        )
        .filter(programme=programme, code=code)
        .first(),
        _("plan item"),
        code,
    )
    access = access_for(request.user)
    access.require(can_view_plan_item(access, item))
    latest = next(iter(item.progress_reports.all()), None)
    return plan_item_out(item) | {
        "responsible_official": item.responsible_official,
        "expected_product": item.expected_product,
        "coordinating_units": sorted(u.code for u in item.coordinating_units.all()),
        "assigned_units": sorted(u.code for u in item.assigned_units.all()),
        "indicators": sorted(i.code for i in item.indicators.all()),
        "budget": [{"source": b.source, "amount": text(b.amount)} for b in item.budget_lines.all()],
        "latest_percent": text(latest.percent) if latest else None,
    }
