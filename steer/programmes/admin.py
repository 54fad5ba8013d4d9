from typing import Any

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from steer.accounts.access import access_for
from steer.accounts.admin_rules import ProgrammeContentAdmin, ProgrammeContentInline
from steer.accounts.admin_site import site
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


class SteeringMemberInline(ProgrammeContentInline, admin.TabularInline):
    model = SteeringMember
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(Programme, site=site)
class ProgrammeAdmin(ProgrammeContentAdmin):
    programme_path = "pk"
    list_display = ["symbol", "title", "start_year", "end_year", "standing_agency"]
    search_fields = ["symbol", "title"]
    autocomplete_fields = ["standing_agency"]
    prepopulated_fields = {"slug": ["symbol"]}
    inlines = [SteeringMemberInline]

    def _programme(self, obj):
        return obj

    def has_add_permission(self, request, obj=None):
        return access_for(request.user).can_create_programme()


@admin.register(Objective, site=site)
class ObjectiveAdmin(ProgrammeContentAdmin):
    list_display = ["code", "title", "programme", "parent", "is_illustrative"]
    list_filter = ["programme"]
    search_fields = ["code", "title"]


@admin.register(IndicatorGroup, site=site)
class IndicatorGroupAdmin(ProgrammeContentAdmin):
    list_display = ["code", "name", "objective", "programme"]
    list_filter = ["programme"]
    search_fields = ["code", "name"]


class TargetInline(ProgrammeContentInline, admin.TabularInline):
    model = Target
    extra = 0
    autocomplete_fields = ["unit"]


class AssignmentInline(ProgrammeContentInline, admin.TabularInline):
    model = IndicatorAssignment
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(Indicator, site=site)
class IndicatorAdmin(ProgrammeContentAdmin):
    list_display = ["code", "name", "group", "unit_of_measure", "direction", "unit_aggregation"]
    list_filter = ["programme", "group", "value_type", "direction", "is_illustrative"]
    search_fields = ["code", "name"]
    inlines = [TargetInline, AssignmentInline]
    list_select_related = ["group"]


class BudgetInline(ProgrammeContentInline, admin.TabularInline):
    model = PlanItemBudget
    extra = 0


class PlanItemAdminForm(forms.ModelForm):
    class Meta:
        model = PlanItem
        exclude: list[str] = []

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, deadline = data.get("start_date"), data.get("deadline")
        if start:
            for field in ("coordinating_units", "assigned_units"):
                missing = [u for u in data.get(field) or [] if not u.exists_on(start)]
                if missing:
                    self.add_error(
                        field,
                        _("These units did not exist on %(day)s: %(units)s.")
                        % {
                            "day": date_format(start, "d/m/Y"),
                            "units": ", ".join(str(u) for u in missing),
                        },
                    )
        if deadline:
            # Work is given to units that exist until its deadline (the lead's start is the
            # model's own check).
            for field in ("lead_unit", "coordinating_units", "assigned_units"):
                chosen = data.get(field)
                units = [chosen] if isinstance(chosen, OrgUnit) else list(chosen or [])
                early = self.instance.units_ending_before(deadline, units)
                if early:
                    self.add_error(
                        field,
                        _("These units end before the deadline %(day)s: %(units)s.")
                        % {
                            "day": date_format(deadline, "d/m/Y"),
                            "units": ", ".join(u.named_with_validity() for u in early),
                        },
                    )
        return data


@admin.register(PlanItem, site=site)
class PlanItemAdmin(ProgrammeContentAdmin):
    form = PlanItemAdminForm
    list_display = ["code", "title", "kind", "lead_unit", "deadline", "state"]
    list_filter = ["programme", "kind", "state"]
    search_fields = ["code", "title"]
    autocomplete_fields = ["lead_unit", "coordinating_units", "assigned_units", "parent"]
    filter_horizontal = ["objectives", "indicators"]
    inlines = [BudgetInline]
    list_select_related = ["lead_unit"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.updated_by, obj.updated_at = request.user, timezone.now()
        elif not obj.update_at_version(request.user, obj.version):
            # Cannot happen while get_object's lock holds; refusing beats overwriting regardless.
            raise RuntimeError(f"Plan item {obj.pk} was written by someone else during the save.")
        super().save_model(request, obj, form, change)
