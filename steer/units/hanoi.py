"""Hanoi's organisation units from the data files in data/hanoi/ (see its README for sources)."""

import csv
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from steer.units.models import OrgUnit, UnitGroup, UnitLineage, UnitType

DATA = Path(__file__).parent / "data" / "hanoi"
LAST_DAY_OF_DISTRICTS = dt.date(2025, 6, 30)
FIRST_DAY_OF_COMMUNES = dt.date(2025, 7, 1)
RESTRUCTURING_BASIS = "Nghị quyết số 1656/NQ-UBTVQH15 ngày 16/6/2025"

UNIT_TYPES = [
    ("city", "Thành phố trực thuộc Trung ương", 1),
    ("department", "Sở, ban, ngành", 2),
    ("party_body", "Cơ quan Đảng", 2),
    ("urban_district", "Quận", 2),
    ("rural_district", "Huyện", 2),
    ("town", "Thị xã", 2),
    ("ward", "Phường", 3),
    ("commune", "Xã", 3),
]
GROUPS = [
    ("so-nganh", "Sở, ban, ngành", "Các sở, ban, ngành của Thành phố"),
    ("quan", "Quận", "12 quận nội thành (đến 30/6/2025)"),
    ("huyen", "Huyện", "17 huyện ngoại thành (đến 30/6/2025)"),
    ("thi-xa", "Thị xã", "Thị xã Sơn Tây (đến 30/6/2025)"),
    ("phuong", "Phường", "51 phường (từ 01/7/2025)"),
    ("xa", "Xã", "75 xã (từ 01/7/2025)"),
]
DISTRICT_KINDS = {
    "quan": ("urban_district", "Quận", "quan"),
    "huyen": ("rural_district", "Huyện", "huyen"),
    "thi_xa": ("town", "Thị xã", "thi-xa"),
}
COMMUNE_KINDS = {"phuong": ("ward", "Phường", "phuong"), "xa": ("commune", "Xã", "xa")}


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _unit(code, **fields) -> OrgUnit:
    groups = fields.pop("groups", [])
    unit, _ = OrgUnit.objects.update_or_create(code=code, defaults=fields)
    unit.groups.set(groups)
    return unit


def district_commune_lineage() -> dict[tuple[str, str], Decimal]:
    """(district code, commune code) → share of the district's old wards that went there."""
    district_of = {w["code"]: w["district_code"] for w in _rows("old_wards.csv")}
    wards_in: defaultdict[str, int] = defaultdict(int)
    for district in district_of.values():
        wards_in[district] += 1
    links = _rows("ward_lineage.csv")
    splits: defaultdict[str, int] = defaultdict(int)
    for link in links:
        splits[link["old_code"]] += 1
    shares: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for link in links:
        district = district_of[link["old_code"]]
        shares[(district, link["new_code"])] += Decimal(1) / splits[link["old_code"]]
    return {
        key: (value / wards_in[key[0]]).quantize(Decimal("0.0001")) for key, value in shares.items()
    }


@transaction.atomic
def load_hanoi_units() -> dict[str, int]:
    """Create or update Hanoi's units and lineage; running it again changes nothing."""
    types = {
        code: UnitType.objects.update_or_create(code=code, defaults={"name": name, "level": level})[
            0
        ]
        for code, name, level in UNIT_TYPES
    }
    groups = {
        code: UnitGroup.objects.update_or_create(
            code=code, defaults={"name": name, "description": description}
        )[0]
        for code, name, description in GROUPS
    }
    city = _unit(
        "01",
        name="Thành phố Hà Nội",
        short_name="Hà Nội",
        unit_type=types["city"],
        parent=None,
        valid_from=None,
        valid_to=None,
    )
    units = {"01": city}
    units |= _departments(city, types, groups)
    units |= _divisions(
        "districts.csv", DISTRICT_KINDS, city, types, groups, valid=(None, LAST_DAY_OF_DISTRICTS)
    )
    units |= _divisions(
        "communes_2025.csv", COMMUNE_KINDS, city, types, groups, valid=(FIRST_DAY_OF_COMMUNES, None)
    )
    return {"units": len(units), "lineage": _load_lineage(units)}


def _departments(
    city: OrgUnit, types: dict[str, UnitType], groups: dict[str, UnitGroup]
) -> dict[str, OrgUnit]:
    """The city's departments and party bodies, by code."""
    return {
        row["code"]: _unit(
            row["code"],
            name=row["name"],
            short_name=row["short_name"],
            unit_type=types[row["kind"]],
            parent=city,
            valid_from=_date(row["valid_from"]),
            valid_to=_date(row["valid_to"]),
            groups=[groups["so-nganh"]] if row["kind"] == "department" else [],
        )
        for row in _rows("departments.csv")
    }


def _divisions(
    file: str,
    kinds: dict[str, tuple[str, str, str]],
    city: OrgUnit,
    types: dict[str, UnitType],
    groups: dict[str, UnitGroup],
    *,
    valid: tuple[dt.date | None, dt.date | None],
) -> dict[str, OrgUnit]:
    """The districts (before the 2025 restructuring) or the communes (after it), by code;
    `kinds`: a row's kind → (unit type, prefix of the name, group)."""
    divisions = {}
    for row in _rows(file):
        type_code, prefix, group = kinds[row["kind"]]
        divisions[row["code"]] = _unit(
            row["code"],
            name=f"{prefix} {row['name']}",
            short_name=row["name"],
            unit_type=types[type_code],
            parent=city,
            valid_from=valid[0],
            valid_to=valid[1],
            groups=[groups[group]],
        )
    return divisions


def _load_lineage(units: dict[str, OrgUnit]) -> int:
    """The departments' mergers and the districts' passing to the communes; returns how many
    links there are."""
    lineage = 0
    for row in _rows("department_lineage.csv"):
        _link(
            units[row["predecessor"]],
            units[row["successor"]],
            _date(row["date"]),
            whole=row["whole"] == "1",
            share=Decimal(1) if row["whole"] == "1" else None,
            legal_basis=row["legal_basis"],
        )
        lineage += 1
    for (district, commune), share in sorted(district_commune_lineage().items()):
        _link(
            units[district],
            units[commune],
            FIRST_DAY_OF_COMMUNES,
            whole=share == 1,
            share=share,
            legal_basis=RESTRUCTURING_BASIS,
        )
        lineage += 1
    return lineage


def _link(predecessor, successor, date, **fields) -> None:
    UnitLineage.objects.update_or_create(
        predecessor=predecessor, successor=successor, defaults={"date": date, **fields}
    )
