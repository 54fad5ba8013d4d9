"""The one permission rule: who may see or change what, by role and unit.

Roles are held per programme or for all programmes. `Access` answers yes/no questions (before
showing or changing one object) and says which programmes and units a user reaches; each app
applies these answers to its own rows in its `permissions` module (`programmes.permissions`,
`steering.permissions`, `documents.permissions`), so a user only ever gets rows it may see.
"""

from collections.abc import Iterable
from functools import cached_property
from typing import Any, Protocol

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from steer.accounts.models import Role, User
from steer.units.models import OrgUnit
from steer.units.tree import with_descendants


class ProgrammeLike(Protocol):
    """A programme as this rule sees it: only its key (the model lives in an app above)."""

    @property
    def pk(self) -> Any: ...


# Roles that see every unit of a programme; the others see their own unit and the units below it.
PROGRAMME_WIDE = frozenset(
    {Role.ADMINISTRATOR, Role.STANDING_AGENCY, Role.STEERING_COMMITTEE, Role.INSPECTOR}
)
PROGRAMME_EDITORS = frozenset({Role.ADMINISTRATOR, Role.STANDING_AGENCY})
# Roles that enter a unit's figures; the standing agency may also enter them on a unit's behalf.
UNIT_REPORTERS = frozenset({Role.UNIT_REPORTER, Role.UNIT_HEAD})
# Who gives directives (and accepts that they are done); who records inspections.
DIRECTORS = frozenset(
    {Role.ADMINISTRATOR, Role.STANDING_AGENCY, Role.STEERING_COMMITTEE, Role.INSPECTOR}
)
INSPECTORS = frozenset({Role.ADMINISTRATOR, Role.STANDING_AGENCY, Role.INSPECTOR})


class Access:
    def __init__(self, user: User | AnonymousUser):
        self.user = user
        self._grants: dict[int | None, set[str]] = {}
        if user.is_authenticated and user.is_active:
            for role, programme_id in user.role_grants.values_list("role", "programme_id"):
                self._grants.setdefault(programme_id, set()).add(role)

    # -- roles ---------------------------------------------------------------------------
    @cached_property
    def is_administrator(self) -> bool:
        return bool(self.user.is_authenticated and self.user.is_active) and (
            self.user.is_superuser or Role.ADMINISTRATOR in self._grants.get(None, set())
        )

    def roles(self, programme: ProgrammeLike) -> set[str]:
        roles = self._grants.get(None, set()) | self._grants.get(programme.pk, set())
        if self.is_administrator:
            roles = roles | {Role.ADMINISTRATOR}
        return roles

    def all_roles(self) -> set[str]:
        return set().union(*self._grants.values()) if self._grants else set()

    # -- programmes ----------------------------------------------------------------------
    def programme_ids(self) -> list[int] | None:
        """The programmes the user holds a role in; None when it reaches all of them."""
        if self.is_administrator or None in self._grants:
            return None
        return [pk for pk in self._grants if pk is not None]

    def can_view_programme(self, programme: ProgrammeLike) -> bool:
        return bool(self.roles(programme))

    def sees_whole_programme(self, programme: ProgrammeLike) -> bool:
        return bool(self.roles(programme) & PROGRAMME_WIDE)

    def can_edit_programme(self, programme: ProgrammeLike) -> bool:
        return bool(self.roles(programme) & PROGRAMME_EDITORS)

    def can_create_programme(self) -> bool:
        return self.is_administrator or Role.STANDING_AGENCY in self.all_roles()

    def can_use_admin(self) -> bool:
        return self.is_administrator or Role.STANDING_AGENCY in self.all_roles()

    def editable_programme_ids(self) -> list[int] | None:
        """The programmes the user may edit; None when it may edit all of them."""
        if self._grants.get(None, set()) & PROGRAMME_EDITORS or self.is_administrator:
            return None
        return [pk for pk, roles in self._grants.items() if pk and roles & PROGRAMME_EDITORS]

    # -- units ---------------------------------------------------------------------------
    @cached_property
    def own_unit_ids(self) -> frozenset[int]:
        """The user's unit and every unit below it."""
        if self.user.is_authenticated and self.user.unit_id:
            return frozenset(with_descendants([self.user.unit_id]))
        return frozenset()

    @cached_property
    def sees_all_units(self) -> bool:
        return self.is_administrator or bool(self.all_roles() & PROGRAMME_WIDE)

    def units(self) -> QuerySet[OrgUnit]:
        if self.sees_all_units:
            return OrgUnit.objects.all()
        return OrgUnit.objects.filter(pk__in=self.own_unit_ids)

    def can_view_unit(self, unit: OrgUnit) -> bool:
        return self.sees_all_units or unit.pk in self.own_unit_ids

    def can_manage_units(self) -> bool:
        return self.is_administrator

    # -- reporting -----------------------------------------------------------------------
    def can_view_reports(self, programme: ProgrammeLike, unit: OrgUnit) -> bool:
        if not self.can_view_programme(programme):
            return False
        return self.sees_whole_programme(programme) or unit.pk in self.own_unit_ids

    def report_units(self, programme: ProgrammeLike) -> QuerySet[OrgUnit]:
        """The units whose reports the user may see in this programme."""
        if not self.can_view_programme(programme):
            return OrgUnit.objects.none()
        if self.sees_whole_programme(programme):
            return OrgUnit.objects.all()
        return OrgUnit.objects.filter(pk__in=self.own_unit_ids)

    def can_enter_values(self, programme: ProgrammeLike, unit_id: int) -> bool:
        roles = self.roles(programme)
        if roles & PROGRAMME_EDITORS:
            return True
        return bool(roles & UNIT_REPORTERS) and unit_id in self.own_unit_ids

    def can_import(self, programme: ProgrammeLike) -> bool:
        return bool(self.roles(programme) & (UNIT_REPORTERS | PROGRAMME_EDITORS))

    def can_approve(self, programme: ProgrammeLike, unit_id: int) -> bool:
        """The unit head approves (or returns) the unit's own reports."""
        roles = self.roles(programme)
        own_head = Role.UNIT_HEAD in roles and unit_id in self.own_unit_ids
        return own_head or Role.ADMINISTRATOR in roles

    def can_accept(self, programme: ProgrammeLike) -> bool:
        return bool(self.roles(programme) & PROGRAMME_EDITORS)

    # -- steering ------------------------------------------------------------------------
    def can_direct(self, programme: ProgrammeLike) -> bool:
        """Give directives and accept or return their closure."""
        return bool(self.roles(programme) & DIRECTORS)

    def can_report_on(self, programme: ProgrammeLike, unit_ids: Iterable[int]) -> bool:
        """Report progress for one of these units (a directive's assignees, an item's lead)."""
        roles = self.roles(programme)
        if roles & PROGRAMME_EDITORS:
            return True
        return bool(roles & UNIT_REPORTERS) and bool(set(unit_ids) & self.own_unit_ids)

    def can_inspect(self, programme: ProgrammeLike) -> bool:
        return bool(self.roles(programme) & INSPECTORS)

    def can_raise_for(self, programme: ProgrammeLike, unit_id: int) -> bool:
        return self.can_report_on(programme, [unit_id])

    def can_synthesise(self, programme: ProgrammeLike) -> bool:
        return bool(self.roles(programme) & PROGRAMME_EDITORS)

    # -- documents ----------------------------------------------------------------------
    def can_draft(self, programme: ProgrammeLike, kind: str, unit_id: int | None = None) -> bool:
        """Draft and make files of a document: the programme's reports and reviews are the
        standing agency's; a unit's report its own reporters'; an inspection notice the
        inspectors'."""
        if kind == "unit_report":
            return unit_id is not None and self.can_report_on(programme, [unit_id])
        if kind == "inspection_notice":
            return self.can_inspect(programme)
        return self.can_synthesise(programme)

    def can_manage_templates(self) -> bool:
        return self.can_use_admin()

    # -- guards --------------------------------------------------------------------------
    def require(self, allowed: bool) -> None:
        if not allowed:
            raise PermissionDenied


def access_for(user: User | AnonymousUser) -> Access:
    """The Access of a user, computed once per request (cached on the user object)."""
    cached = getattr(user, "_steer_access", None)
    if cached is None:
        cached = Access(user)
        if user.is_authenticated:
            user._steer_access = cached  # type: ignore[union-attr,attr-defined]  # a per-request cache
    return cached
