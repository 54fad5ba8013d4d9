import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum

from steer.units.hanoi import district_commune_lineage, load_hanoi_units
from steer.units.models import OrgUnit, UnitLineage

pytestmark = pytest.mark.django_db

BEFORE = dt.date(2025, 6, 30)
AFTER = dt.date(2025, 7, 1)


def test_hanoi_had_30_district_level_units_until_30_june_2025():
    districts = OrgUnit.objects.filter(groups__code__in=["quan", "huyen", "thi-xa"])
    assert districts.count() == 30
    assert districts.filter(groups__code="quan").count() == 12
    assert districts.filter(groups__code="huyen").count() == 17
    assert OrgUnit.objects.get(code="269").name == "Thị xã Sơn Tây"
    assert OrgUnit.objects.get(code="006").name == "Quận Đống Đa"
    assert OrgUnit.objects.get(code="279").name == "Huyện Thường Tín"
    assert districts.existing_on(BEFORE).count() == 30
    assert districts.existing_on(AFTER).count() == 0


def test_hanoi_has_126_communes_and_wards_from_1_july_2025():
    communes = OrgUnit.objects.filter(unit_type__level=3)
    assert communes.existing_on(AFTER).count() == 126
    assert communes.existing_on(BEFORE).count() == 0
    assert communes.filter(groups__code="phuong").count() == 51
    assert communes.filter(groups__code="xa").count() == 75
    assert OrgUnit.objects.get(code="00004").name == "Phường Ba Đình"


def test_every_new_commune_comes_from_a_former_district():
    communes = OrgUnit.objects.filter(unit_type__level=3)
    without_lineage = communes.exclude(predecessor_links__isnull=False)
    assert list(without_lineage) == []


def test_shares_of_each_former_district_add_up_to_the_whole():
    for district in OrgUnit.objects.filter(groups__code__in=["quan", "huyen", "thi-xa"]):
        total = district.successor_links.aggregate(total=Sum("share"))["total"]
        assert abs(total - 1) < Decimal("0.002"), district


def test_ba_dinh_ward_was_formed_from_quan_ba_dinh():
    link = UnitLineage.objects.get(predecessor__code="001", successor__code="00004")
    assert link.date == AFTER
    assert not link.whole
    assert "1656/NQ-UBTVQH15" in link.legal_basis


def test_department_merger_of_march_2025_is_recorded():
    link = UnitLineage.objects.get(predecessor__code="SKHDT", successor__code="STC")
    assert link.whole and link.date == dt.date(2025, 3, 1)
    assert not OrgUnit.objects.get(code="STTTT").exists_on(dt.date(2025, 3, 1))


def test_loading_the_units_again_changes_nothing():
    before = (OrgUnit.objects.count(), UnitLineage.objects.count())
    load_hanoi_units()
    assert (OrgUnit.objects.count(), UnitLineage.objects.count()) == before


def test_lineage_pairs_are_derived_from_the_ward_conversion_table():
    pairs = district_commune_lineage()
    assert ("001", "00004") in pairs
    assert len({commune for _, commune in pairs}) == 126


def test_a_unit_cannot_be_placed_under_its_own_sub_unit():
    city = OrgUnit.objects.get(code="01")
    city.parent = OrgUnit.objects.get(code="SKHCN")
    with pytest.raises(ValidationError) as error:
        city.full_clean()
    assert "parent" in error.value.message_dict
    assert "đơn vị cấp dưới" in error.value.message_dict["parent"][0]


def test_a_unit_cannot_be_its_own_parent():
    unit = OrgUnit.objects.get(code="SKHCN")
    unit.parent = unit
    with pytest.raises(ValidationError) as error:
        unit.full_clean()
    assert "parent" in error.value.message_dict


def test_a_unit_cannot_end_before_it_starts():
    unit = OrgUnit.objects.get(code="00004")
    unit.valid_to = dt.date(2025, 1, 1)
    with pytest.raises(ValidationError) as error:
        unit.full_clean()
    assert "valid_to" in error.value.message_dict


def test_a_unit_code_is_unique():
    existing = OrgUnit.objects.get(code="006")
    duplicate = OrgUnit(code="006", name="Quận Đống Đa (trùng)", unit_type=existing.unit_type)
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "code" in error.value.message_dict


def test_lineage_refuses_a_successor_that_did_not_exist_on_the_date():
    link = UnitLineage(
        predecessor=OrgUnit.objects.get(code="006"),
        successor=OrgUnit.objects.get(code="00004"),
        date=dt.date(2024, 1, 1),
    )
    with pytest.raises(ValidationError) as error:
        link.full_clean()
    assert "successor" in error.value.message_dict


def test_lineage_refuses_a_unit_as_its_own_predecessor():
    unit = OrgUnit.objects.get(code="SKHCN")
    link = UnitLineage(predecessor=unit, successor=unit, date=AFTER)
    with pytest.raises(ValidationError):
        link.full_clean()
