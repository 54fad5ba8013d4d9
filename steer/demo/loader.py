"""Build a programme from a JSON description (the format of data/programme07.json).

Every row is created or updated by its natural key (programme symbol + code), so loading the same
file twice changes nothing and rows added by users are kept.
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from steer.programmes.models import (
    Indicator,
    IndicatorAssignment,
    IndicatorGroup,
    Objective,
    PlanItem,
    PlanItemBudget,
    Programme,
    SteeringMember,
    Target,
)
from steer.units.models import OrgUnit


class DefinitionError(ValueError):
    """The description refers to something that does not exist or breaks a rule."""


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _day(value) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


class _Units:
    def __init__(self):
        self.by_code = {u.code: u for u in OrgUnit.objects.prefetch_related("groups")}
        self.by_group: dict[str, list[OrgUnit]] = {}
        for unit in self.by_code.values():
            for group in unit.groups.all():
                self.by_group.setdefault(self._key(group.code), []).append(unit)

    @staticmethod
    def _key(group_code: str) -> str:
        return group_code.lower().replace("-", "").replace("_", "")

    def one(self, code: str, where: str) -> OrgUnit:
        try:
            return self.by_code[code]
        except KeyError:
            raise DefinitionError(f"{where}: unknown unit code {code!r}") from None

    def many(self, codes: list[str], where: str) -> list[OrgUnit]:
        units: list[OrgUnit] = []
        for code in codes:
            if code.startswith("group:"):
                group = self._key(code.removeprefix("group:"))
                if group not in self.by_group:
                    raise DefinitionError(f"{where}: unknown unit group {code!r}")
                units.extend(self.by_group[group])
            else:
                units.append(self.one(code, where))
        return sorted(set(units), key=lambda u: u.code)


def _save(model, lookup: dict, fields: dict):
    """update_or_create with the model's own validation, so bad data fails loudly."""
    obj = model.objects.filter(**lookup).first() or model(**lookup)
    for name, value in fields.items():
        setattr(obj, name, value)
    try:
        obj.full_clean()
    except ValidationError as e:
        where = ", ".join(f"{k}={v}" for k, v in lookup.items())
        raise DefinitionError(f"{model._meta.object_name} ({where}): {e.messages}") from None
    obj.save()
    return obj


@transaction.atomic
def load_programme(data: dict) -> Programme:
    units = _Units()
    p = data["programme"]
    programme = _save(
        Programme,
        {"symbol": p["symbol"]},
        {
            "slug": slugify(p["symbol"].replace("/", "-")),
            "number": p["number"],
            "title": p["title"],
            "issuing_body": p["issuing_body"],
            "issued_on": _day(p["issued_on"]),
            "start_year": p["start_year"],
            "end_year": p["end_year"],
            "standing_agency": units.one(p["standing_agency"], "programme"),
            "source_document": p["source_document"],
            "summary": p.get("summary", ""),
        },
    )
    for order, m in enumerate(data.get("steering_committee", [])):
        _save(
            SteeringMember,
            {"programme": programme, "name": m["name"]},
            {
                "position": m["position"],
                "committee_role": m["committee_role"],
                "unit": units.one(m["unit"], f"steering member {m['name']}")
                if m.get("unit")
                else None,
                "order": order,
            },
        )
    objectives: dict[str, Objective] = {}
    for order, o in enumerate(data["objectives"]):
        objectives[o["code"]] = _save(
            Objective,
            {"programme": programme, "code": o["code"]},
            {
                "title": o["title"],
                "description": o.get("description", ""),
                "source_clause": o.get("source_clause", ""),
                "is_illustrative": o.get("illustrative", False),
                "order": order,
                "parent": objectives.get(o.get("parent")),
            },
        )
    groups = {}
    for order, g in enumerate(data["indicator_groups"]):
        groups[g["code"]] = _save(
            IndicatorGroup,
            {"programme": programme, "code": g["code"]},
            {
                "objective": objectives[g["objective"]],
                "name": g["name"],
                "is_illustrative": g.get("illustrative", False),
                "order": order,
            },
        )
    indicators = _load_indicators(programme, data["indicators"], groups, units)
    _load_plan_items(programme, data["plan_items"], objectives, indicators, units)
    return programme


def _load_indicators(programme, rows, groups, units) -> dict[str, Indicator]:
    indicators: dict[str, Indicator] = {}
    # Weights first refer to indicators that may come later: create all, then link.
    for order, i in enumerate(rows):
        indicators[i["code"]] = _save(
            Indicator,
            {"programme": programme, "code": i["code"]},
            {
                "group": groups[i["group"]],
                "name": i["name"],
                "unit_of_measure": i["unit_of_measure"],
                "value_type": i["value_type"],
                "direction": i["direction"],
                "unit_aggregation": Indicator.UnitAggregation.MEAN
                if i["unit_aggregation"] == "weighted_mean"
                else i["unit_aggregation"],
                "period_aggregation": i["period_aggregation"],
                "baseline_value": _dec(i.get("baseline_value")),
                "baseline_year": i.get("baseline_year"),
                "source_clause": i.get("source_clause", ""),
                "note": i.get("note", ""),
                "is_illustrative": i.get("illustrative", False),
                "order": order,
            },
        )
    for i in rows:
        indicator = indicators[i["code"]]
        if i.get("weight_indicator"):
            indicator.weight_indicator = indicators[i["weight_indicator"]]
        indicator.unit_aggregation = i["unit_aggregation"]
        _save(
            Indicator,
            {"pk": indicator.pk},
            {
                "weight_indicator": indicator.weight_indicator,
                "unit_aggregation": indicator.unit_aggregation,
            },
        )
        where = f"indicator {i['code']}"
        assigned = units.many(i.get("assigned_units", []), where)
        IndicatorAssignment.objects.filter(indicator=indicator).exclude(unit__in=assigned).delete()
        for unit in assigned:
            _save(IndicatorAssignment, {"indicator": indicator, "unit": unit}, {})
        upper = i.get("target_upper", {})
        for year, value in i.get("targets", {}).items():
            _save(
                Target,
                {"indicator": indicator, "unit": None, "year": int(year)},
                {"value": _dec(value), "upper_value": _dec(upper.get(year))},
            )
        for code, by_year in i.get("unit_targets", {}).items():
            unit = units.one(code, where)
            for year, value in by_year.items():
                _save(
                    Target,
                    {"indicator": indicator, "unit": unit, "year": int(year)},
                    {"value": _dec(value)},
                )
    return indicators


def _load_plan_items(programme, rows, objectives, indicators, units) -> None:
    items: dict[str, PlanItem] = {}
    for row in rows:
        where = f"plan item {row['code']}"
        item = _save(
            PlanItem,
            {"programme": programme, "code": row["code"]},
            {
                "parent": items.get(row.get("parent")),
                "title": row["title"],
                "kind": row["kind"],
                "lead_unit": units.one(row["lead_unit"], where),
                "responsible_official": row.get("responsible_official", ""),
                "expected_product": row.get("expected_product", ""),
                "start_date": _day(row["start_date"]),
                "deadline": _day(row["deadline"]),
                "state": row["state"],
                "completed_on": _day(row.get("completed_on")),
                "source_clause": row.get("source_clause", ""),
                "is_illustrative": row.get("illustrative", False),
            },
        )
        items[row["code"]] = item
        item.objectives.set(objectives[c] for c in row.get("objectives", []))
        item.indicators.set(indicators[c] for c in row.get("indicators", []))
        for field in ("coordinating_units", "assigned_units"):
            chosen = units.many(row.get(field, []), where)
            missing = item.units_missing_on_start(chosen)
            if missing:
                raise DefinitionError(
                    f"{where}: {', '.join(u.code for u in missing)} did not exist on "
                    f"{item.start_date:%d/%m/%Y}"
                )
            getattr(item, field).set(chosen)
        budget = row.get("budget", {})
        item.budget_lines.exclude(source__in=list(budget)).delete()
        for source, amount in budget.items():
            _save(PlanItemBudget, {"plan_item": item, "source": source}, {"amount": _dec(amount)})
