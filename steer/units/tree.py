"""Walking the unit tree."""

from collections.abc import Iterable

from steer.units.models import OrgUnit


def with_descendants(unit_ids: Iterable[int]) -> set[int]:
    """The given units and every unit below them, one query per level."""
    found = set(unit_ids)
    frontier = set(found)
    while frontier:
        frontier = (
            set(OrgUnit.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - found
        )
        found |= frontier
    return found
