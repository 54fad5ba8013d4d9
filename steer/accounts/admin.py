from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from steer.accounts.access import access_for
from steer.accounts.admin_rules import AdministratorsOnlyAdmin, AdministratorsOnlyInline
from steer.accounts.admin_site import site
from steer.accounts.models import RoleGrant, User
from steer.units.models import OrgUnit, UnitGroup, UnitLineage, UnitType


class RoleGrantInline(AdministratorsOnlyInline, admin.TabularInline):
    model = RoleGrant
    extra = 0


@admin.register(User, site=site)
class UserAdmin(AdministratorsOnlyAdmin, BaseUserAdmin):
    list_display = ["username", "full_name", "unit", "is_active", "is_demo"]
    list_filter = ["is_active", "is_demo", "role_grants__role"]
    search_fields = ["username", "full_name", "email"]
    autocomplete_fields = ["unit"]
    inlines = [RoleGrantInline]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Person"), {"fields": ["full_name", "position", "email", "unit"]}),
        (_("Status"), {"fields": ["is_active", "is_superuser", "is_demo", "last_login"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["username", "password1", "password2", "full_name", "unit"]}),
    ]
    readonly_fields = ["last_login"]

    # People and their roles are the administrators' alone, not even readable by others.
    def has_module_permission(self, request):
        return access_for(request.user).is_administrator

    def has_view_permission(self, request, obj=None):
        return access_for(request.user).is_administrator


# The units app sits below the permission rule, so its back-office pages are registered here.
class LineageInline(AdministratorsOnlyInline, admin.TabularInline):
    model = UnitLineage
    fk_name = "successor"
    extra = 0
    autocomplete_fields = ["predecessor"]


@admin.register(OrgUnit, site=site)
class OrgUnitAdmin(AdministratorsOnlyAdmin):
    list_display = ["code", "name", "unit_type", "parent", "valid_from", "valid_to"]
    list_filter = ["unit_type", "groups"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]
    filter_horizontal = ["groups"]
    inlines = [LineageInline]
    list_select_related = ["unit_type", "parent"]


@admin.register(UnitType, site=site)
class UnitTypeAdmin(AdministratorsOnlyAdmin):
    list_display = ["code", "name", "level"]


@admin.register(UnitGroup, site=site)
class UnitGroupAdmin(AdministratorsOnlyAdmin):
    list_display = ["code", "name"]


@admin.register(UnitLineage, site=site)
class UnitLineageAdmin(AdministratorsOnlyAdmin):
    list_display = ["predecessor", "successor", "date", "whole", "share"]
    list_filter = ["date", "whole"]
    search_fields = ["predecessor__name", "successor__name", "predecessor__code", "successor__code"]
    autocomplete_fields = ["predecessor", "successor"]
    list_select_related = ["predecessor", "successor"]
