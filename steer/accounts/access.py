"""The one permission rule: who may see or change what, by role and unit.

Views ask it for querysets (a user only ever gets rows it may see) and for yes/no answers
(before showing or changing one object). Roles are held per programme or for all programmes.
"""

from functools import cached_property

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from steer.accounts.models import Role
from steer.programmes.models import IndicatorAssignment, PlanItem, Programme, Target
from steer.units.models import OrgUnit
from steer.units.tree import with_descendants

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
    def __init__(self, user):
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

    def roles(self, programme: Programme) -> set[str]:
        roles = self._grants.get(None, set()) | self._grants.get(programme.pk, set())
        if self.is_administrator:
            roles = roles | {Role.ADMINISTRATOR}
        return roles

    def all_roles(self) -> set[str]:
        return set().union(*self._grants.values()) if self._grants else set()

    # -- programmes ----------------------------------------------------------------------
    def programmes(self) -> QuerySet[Programme]:
        if self.is_administrator or None in self._grants:
            return Programme.objects.all()
        return Programme.objects.filter(pk__in=[pk for pk in self._grants if pk is not None])

    def can_view_programme(self, programme: Programme) -> bool:
        return bool(self.roles(programme))

    def sees_whole_programme(self, programme: Programme) -> bool:
        return bool(self.roles(programme) & PROGRAMME_WIDE)

    def can_edit_programme(self, programme: Programme) -> bool:
        return bool(self.roles(programme) & PROGRAMME_EDITORS)

    def can_create_programme(self) -> bool:
        return self.is_administrator or Role.STANDING_AGENCY in self.all_roles()

    def can_use_admin(self) -> bool:
        return self.is_administrator or Role.STANDING_AGENCY in self.all_roles()

    def editable_programmes(self) -> QuerySet[Programme]:
        if self._grants.get(None, set()) & PROGRAMME_EDITORS or self.is_administrator:
            return Programme.objects.all()
        ids = [pk for pk, roles in self._grants.items() if roles & PROGRAMME_EDITORS]
        return Programme.objects.filter(pk__in=ids)

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

    # -- programme content ---------------------------------------------------------------
    def plan_items(self, programme: Programme) -> QuerySet[PlanItem]:
        items = PlanItem.objects.filter(programme=programme)
        if not self.can_view_programme(programme):
            return items.none()
        if self.sees_whole_programme(programme):
            return items
        return items.involving(self.own_unit_ids)

    def can_view_plan_item(self, item: PlanItem) -> bool:
        return self.plan_items(item.programme).filter(pk=item.pk).exists()

    def targets(self, programme: Programme) -> QuerySet[Target]:
        """Programme-wide targets, and unit targets of the units the user may see."""
        targets = Target.objects.filter(indicator__programme=programme)
        if not self.can_view_programme(programme):
            return targets.none()
        if self.sees_whole_programme(programme):
            return targets
        return targets.filter(Q(unit__isnull=True) | Q(unit__in=self.own_unit_ids))

    def indicator_assignments(self, programme: Programme) -> QuerySet[IndicatorAssignment]:
        rows = IndicatorAssignment.objects.filter(indicator__programme=programme)
        if not self.can_view_programme(programme):
            return rows.none()
        if self.sees_whole_programme(programme):
            return rows
        return rows.filter(unit__in=self.own_unit_ids)

    # -- reporting -----------------------------------------------------------------------
    def can_view_reports(self, programme: Programme, unit: OrgUnit) -> bool:
        if not self.can_view_programme(programme):
            return False
        return self.sees_whole_programme(programme) or unit.pk in self.own_unit_ids

    def report_units(self, programme: Programme) -> QuerySet[OrgUnit]:
        """The units whose reports the user may see in this programme."""
        if not self.can_view_programme(programme):
            return OrgUnit.objects.none()
        if self.sees_whole_programme(programme):
            return OrgUnit.objects.all()
        return OrgUnit.objects.filter(pk__in=self.own_unit_ids)

    def can_enter_values(self, programme: Programme, unit_id: int) -> bool:
        roles = self.roles(programme)
        if roles & PROGRAMME_EDITORS:
            return True
        return bool(roles & UNIT_REPORTERS) and unit_id in self.own_unit_ids

    def can_import(self, programme: Programme) -> bool:
        return bool(self.roles(programme) & (UNIT_REPORTERS | PROGRAMME_EDITORS))

    def can_approve(self, programme: Programme, unit_id: int) -> bool:
        """The unit head approves (or returns) the unit's own reports."""
        roles = self.roles(programme)
        own_head = Role.UNIT_HEAD in roles and unit_id in self.own_unit_ids
        return own_head or Role.ADMINISTRATOR in roles

    def can_accept(self, programme: Programme) -> bool:
        return bool(self.roles(programme) & PROGRAMME_EDITORS)

    # -- steering ------------------------------------------------------------------------
    def can_direct(self, programme: Programme) -> bool:
        """Give directives and accept or return their closure."""
        return bool(self.roles(programme) & DIRECTORS)

    def directives(self, programme: Programme):
        from steer.steering.models import Directive

        rows = Directive.objects.filter(programme=programme)
        if not self.can_view_programme(programme):
            return rows.none()
        if self.sees_whole_programme(programme):
            return rows
        mine = Directive.objects.filter(assignees__in=self.own_unit_ids).values("pk")
        return rows.filter(pk__in=mine)

    def can_report_on(self, programme: Programme, unit_ids) -> bool:
        """Report progress for one of these units (a directive's assignees, an item's lead)."""
        roles = self.roles(programme)
        if roles & PROGRAMME_EDITORS:
            return True
        return bool(roles & UNIT_REPORTERS) and bool(set(unit_ids) & self.own_unit_ids)

    def can_inspect(self, programme: Programme) -> bool:
        return bool(self.roles(programme) & INSPECTORS)

    def inspections(self, programme: Programme):
        from steer.steering.models import Inspection

        rows = Inspection.objects.filter(programme=programme)
        if not self.can_view_programme(programme):
            return rows.none()
        if self.sees_whole_programme(programme):
            return rows
        return rows.filter(visits__unit__in=self.own_unit_ids).distinct()

    def recommendations(self, programme: Programme):
        from steer.steering.models import Recommendation

        rows = Recommendation.objects.filter(programme=programme)
        if not self.can_view_programme(programme):
            return rows.none()
        if self.sees_whole_programme(programme):
            return rows
        return rows.filter(unit__in=self.own_unit_ids)

    def can_raise_for(self, programme: Programme, unit_id: int) -> bool:
        return self.can_report_on(programme, [unit_id])

    def can_synthesise(self, programme: Programme) -> bool:
        return bool(self.roles(programme) & PROGRAMME_EDITORS)

    # -- documents ----------------------------------------------------------------------
    def can_draft(self, programme: Programme, kind: str, unit_id: int | None = None) -> bool:
        """Draft and make files of a document: the programme's reports and reviews are the
        standing agency's; a unit's report its own reporters'; an inspection notice the
        inspectors'."""
        if kind == "unit_report":
            return unit_id is not None and self.can_report_on(programme, [unit_id])
        if kind == "inspection_notice":
            return self.can_inspect(programme)
        return self.can_synthesise(programme)

    def drafts(self, programme: Programme):
        """The drafts a user may read: those it may draft; the steering committee reads all."""
        from steer.documents.models import Draft

        rows = Draft.objects.filter(programme=programme)
        roles = self.roles(programme)
        if roles & (PROGRAMME_EDITORS | {Role.STEERING_COMMITTEE}):
            return rows
        kinds = Q(pk__in=[])
        if roles & INSPECTORS:
            kinds |= Q(kind="inspection_notice")
        if roles & UNIT_REPORTERS:
            kinds |= Q(kind="unit_report", unit__in=self.own_unit_ids)
        return rows.filter(kinds)

    def can_manage_templates(self) -> bool:
        return self.can_use_admin()

    # -- guards --------------------------------------------------------------------------
    def require(self, allowed: bool) -> None:
        if not allowed:
            raise PermissionDenied


def access_for(user) -> Access:
    """The Access of a user, computed once per request (cached on the user object)."""
    cached = getattr(user, "_steer_access", None)
    if cached is None:
        cached = Access(user)
        if user.is_authenticated:
            user._steer_access = cached
    return cached
