from django.contrib import admin

from steer.core.admin_rules import AdministratorsOnlyAdmin, AdministratorsOnlyInline
from steer.core.admin_site import site
from steer.units.models import OrgUnit, UnitGroup, UnitLineage, UnitType


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
