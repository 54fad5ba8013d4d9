#!/usr/bin/env python3
"""Regenerate the Hanoi administrative-unit CSVs from the vietnam-provinces package.

Usage:
    python3 extract.py /path/to/unpacked/vietnam_provinces [OUTPUT_DIR]

The first argument is the ``vietnam_provinces`` package directory taken from the
wheel or sdist of vietnam-provinces 2026.9.0 (the folder holding ``data/``,
``legacy/`` and ``_ward_conversion_2025.py``); a folder that contains it (an
unpacked sdist or wheel root) is accepted too. OUTPUT_DIR defaults to the folder
of this script.

Standard library only. The package is never imported: its Python data modules
are read with ``ast`` as literals, the JSON with ``json``.
"""

import ast
import collections
import csv
import json
import sys
from pathlib import Path

HANOI = 1

# The 30 district-level units of Hanoi before 1/7/2025, as listed in the
# project's domain notes; the package data is checked against this.
EXPECTED_DISTRICTS = {
    1: ("Ba Đình", "quan"),
    2: ("Hoàn Kiếm", "quan"),
    3: ("Tây Hồ", "quan"),
    4: ("Long Biên", "quan"),
    5: ("Cầu Giấy", "quan"),
    6: ("Đống Đa", "quan"),
    7: ("Hai Bà Trưng", "quan"),
    8: ("Hoàng Mai", "quan"),
    9: ("Thanh Xuân", "quan"),
    19: ("Nam Từ Liêm", "quan"),
    21: ("Bắc Từ Liêm", "quan"),
    268: ("Hà Đông", "quan"),
    16: ("Sóc Sơn", "huyen"),
    17: ("Đông Anh", "huyen"),
    18: ("Gia Lâm", "huyen"),
    20: ("Thanh Trì", "huyen"),
    250: ("Mê Linh", "huyen"),
    271: ("Ba Vì", "huyen"),
    272: ("Phúc Thọ", "huyen"),
    273: ("Đan Phượng", "huyen"),
    274: ("Hoài Đức", "huyen"),
    275: ("Quốc Oai", "huyen"),
    276: ("Thạch Thất", "huyen"),
    277: ("Chương Mỹ", "huyen"),
    278: ("Thanh Oai", "huyen"),
    279: ("Thường Tín", "huyen"),
    280: ("Phú Xuyên", "huyen"),
    281: ("Ứng Hòa", "huyen"),
    282: ("Mỹ Đức", "huyen"),
    269: ("Sơn Tây", "thi_xa"),
}

# package division type -> (our kind, name prefix to strip)
LEGACY_DISTRICT_TYPES = {
    "QUAN": ("quan", "Quận "),
    "HUYEN": ("huyen", "Huyện "),
    "THI_XA": ("thi_xa", "Thị xã "),
}
LEGACY_WARD_TYPES = {
    "PHUONG": ("phuong", "Phường "),
    "XA": ("xa", "Xã "),
    "THI_TRAN": ("thi_tran", "Thị trấn "),
}
NEW_WARD_TYPES = {"phường": ("phuong", "Phường "), "xã": ("xa", "Xã ")}


def find_package_dir(arg):
    p = Path(arg)
    for cand in (p, p / "vietnam_provinces", *p.glob("*/vietnam_provinces")):
        if (cand / "_ward_conversion_2025.py").is_file():
            return cand
    sys.exit(f"{arg}: no vietnam_provinces package directory with _ward_conversion_2025.py found")


def literal(node):
    """Value of a constant, or the attribute name of an enum member (e.g. 'D_001', 'PHUONG')."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Attribute):
        return node.attr
    raise ValueError(f"unexpected node {ast.dump(node)}")


def call_args(node, func_name):
    assert (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == func_name
    ), ast.dump(node)
    return [literal(a) for a in node.args]


def module_dict(path, name):
    """The dict literal assigned to NAME at top level of a module, as an ast.Dict."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for stmt in tree.body:
        target = (
            stmt.target
            if isinstance(stmt, ast.AnnAssign)
            else (stmt.targets[0] if isinstance(stmt, ast.Assign) else None)
        )
        if isinstance(target, ast.Name) and target.id == name:
            assert isinstance(stmt.value, ast.Dict)
            return stmt.value
    raise KeyError(f"{name} not found in {path}")


def strip_prefix(name, prefix):
    if not name.startswith(prefix):
        raise ValueError(f"{name!r} does not start with {prefix!r}")
    return name[len(prefix) :]


def enum_code(member):  # 'D_001' / 'W_00004' / 'P_01' -> int
    return int(member.split("_", 1)[1])


def load(pkg):
    # --- pre-2025 districts and wards: legacy/_lookup.py ---
    legacy = pkg / "legacy" / "_lookup.py"
    districts = {}
    mapping = module_dict(legacy, "DISTRICT_MAPPING")
    for key, val in zip(mapping.keys, mapping.values, strict=True):
        name, code, dtype, _codename, province = call_args(val, "District")
        assert enum_code(code) == key.value
        if enum_code(province) != HANOI:
            continue
        kind, prefix = LEGACY_DISTRICT_TYPES[dtype]
        districts[key.value] = (strip_prefix(name, prefix), kind)

    old_wards = {}
    mapping = module_dict(legacy, "WARD_MAPPING")
    for key, val in zip(mapping.keys, mapping.values, strict=True):
        name, code, wtype, _codename, district = call_args(val, "Ward")
        assert enum_code(code) == key.value
        if enum_code(district) not in districts:
            continue
        kind, prefix = LEGACY_WARD_TYPES[wtype]
        old_wards[key.value] = (strip_prefix(name, prefix), kind, enum_code(district))

    # --- units from 1/7/2025: data/nested-divisions.json ---
    provinces = json.loads((pkg / "data" / "nested-divisions.json").read_text(encoding="utf-8"))
    (hanoi,) = [p for p in provinces if p["code"] == HANOI]
    new_units = {}
    for w in hanoi["wards"]:
        kind, prefix = NEW_WARD_TYPES[w["division_type"]]
        new_units[w["code"]] = (strip_prefix(w["name"], prefix), kind)

    # --- conversion table: _ward_conversion_2025.py, OLD_TO_NEW ---
    conv = module_dict(pkg / "_ward_conversion_2025.py", "OLD_TO_NEW")
    lineage = {}  # old_code -> (is_partly_merged, [new codes])
    for key, val in zip(conv.keys, conv.values, strict=True):
        assert isinstance(val, ast.Call) and isinstance(val.func, ast.Name)
        assert val.func.id == "OldToNewEntry"
        old_code, old_district, old_province, partly = call_args(val.args[0], "OldWardRef")
        assert old_code == key.value
        new_refs = val.args[1]
        assert isinstance(new_refs, ast.List | ast.Tuple | ast.Set)
        news = [call_args(n, "NewWardRef") for n in new_refs.elts]
        touches_hanoi = old_province == HANOI or any(p == HANOI for _, p in news)
        if not touches_hanoi:
            continue
        # Hanoi's old units all went to Hanoi's new units and vice versa.
        assert old_province == HANOI and all(p == HANOI for _, p in news), (old_code, news)
        assert old_district == old_wards[old_code][2], old_code
        lineage[old_code] = (partly, sorted(c for c, _ in news))
    return districts, old_wards, new_units, lineage


def write_csv(path, header, rows):
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def main(argv):
    if len(argv) not in (2, 3):
        sys.exit(__doc__)
    pkg = find_package_dir(argv[1])
    out = Path(argv[2]) if len(argv) == 3 else Path(__file__).resolve().parent
    districts, old_wards, new_units, lineage = load(pkg)

    # ---- sanity checks ----
    assert len(districts) == 30, len(districts)
    mismatches = {
        c: (districts.get(c), v) for c, v in EXPECTED_DISTRICTS.items() if districts.get(c) != v
    }
    assert not mismatches and set(districts) == set(EXPECTED_DISTRICTS), mismatches
    assert len(old_wards) == 526, len(old_wards)
    assert all(d in districts for _, _, d in old_wards.values())
    kinds = collections.Counter(k for _, k in new_units.values())
    assert len(new_units) == 126 and kinds == {"phuong": 51, "xa": 75}, kinds
    assert new_units.get(4) == ("Ba Đình", "phuong"), new_units.get(4)
    assert set(lineage) == set(old_wards), "old side of conversion != old ward list"
    assert {n for _, ns in lineage.values() for n in ns} == set(new_units), "new side != new list"
    for old, (partly, news) in lineage.items():
        assert partly or len(news) == 1, old  # not partial => exactly one destination

    out.mkdir(parents=True, exist_ok=True)
    write_csv(
        out / "districts.csv",
        ["code", "name", "kind"],
        [(f"{c:03d}", n, k) for c, (n, k) in sorted(districts.items())],
    )
    write_csv(
        out / "old_wards.csv",
        ["code", "name", "kind", "district_code"],
        [(f"{c:05d}", n, k, f"{d:03d}") for c, (n, k, d) in sorted(old_wards.items())],
    )
    write_csv(
        out / "communes_2025.csv",
        ["code", "name", "kind"],
        [(f"{c:05d}", n, k) for c, (n, k) in sorted(new_units.items())],
    )
    rows = [
        (f"{o:05d}", f"{n:05d}", 0 if partly else 1)
        for o, (partly, news) in sorted(lineage.items())
        for n in news
    ]
    write_csv(out / "ward_lineage.csv", ["old_code", "new_code", "whole"], rows)

    whole = sum(r[2] for r in rows)
    print(
        f"districts.csv: {len(districts)}; old_wards.csv: {len(old_wards)} "
        f"{dict(collections.Counter(k for _, k, _ in old_wards.values()))}; "
        f"communes_2025.csv: {len(new_units)} {dict(kinds)}; "
        f"ward_lineage.csv: {len(rows)} pairs ({whole} whole, {len(rows) - whole} partial)"
    )
    odd = [o for o, (p, ns) in lineage.items() if p and len(ns) == 1]
    if odd:
        print(
            "note: flagged partly merged but with a single destination:",
            ", ".join(f"{o:05d}" for o in odd),
        )


if __name__ == "__main__":
    main(sys.argv)
