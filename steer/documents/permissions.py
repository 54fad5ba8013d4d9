"""The one permission rule (steer.accounts.access) applied to drafts."""

from django.db.models import Q, QuerySet

from steer.accounts.access import INSPECTORS, PROGRAMME_EDITORS, UNIT_REPORTERS, Access
from steer.accounts.models import Role
from steer.documents.models import Draft
from steer.programmes.models import Programme


def readable_drafts(access: Access, programme: Programme) -> QuerySet[Draft]:
    """The drafts a user may read: those it may draft; the steering committee reads all."""
    rows = Draft.objects.filter(programme=programme)
    roles = access.roles(programme)
    if roles & (PROGRAMME_EDITORS | {Role.STEERING_COMMITTEE}):
        return rows
    kinds = Q(pk__in=[])
    if roles & INSPECTORS:
        kinds |= Q(kind="inspection_notice")
    if roles & UNIT_REPORTERS:
        kinds |= Q(kind="unit_report", unit__in=access.own_unit_ids)
    return rows.filter(kinds)
