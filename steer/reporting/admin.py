from django.contrib import admin

from steer.accounts.admin_rules import ProgrammeContentAdmin, ProgrammeContentInline
from steer.accounts.admin_site import site
from steer.reporting.models import (
    Breakdown,
    BreakdownOption,
    FormLine,
    ReportForm,
    ValidationRule,
)


class BreakdownOptionInline(ProgrammeContentInline, admin.TabularInline):
    model = BreakdownOption
    extra = 0


@admin.register(Breakdown, site=site)
class BreakdownAdmin(ProgrammeContentAdmin):
    list_display = ["code", "name", "programme"]
    list_filter = ["programme"]
    inlines = [BreakdownOptionInline]


class FormLineInline(ProgrammeContentInline, admin.TabularInline):
    model = FormLine
    extra = 0
    autocomplete_fields = ["indicator"]


@admin.register(ReportForm, site=site)
class ReportFormAdmin(ProgrammeContentAdmin):
    list_display = ["code", "name", "period_type", "first_year", "last_year", "programme"]
    list_filter = ["programme", "period_type"]
    search_fields = ["code", "name"]
    filter_horizontal = ["units"]
    inlines = [FormLineInline]


@admin.register(ValidationRule, site=site)
class ValidationRuleAdmin(ProgrammeContentAdmin):
    list_display = ["code", "name", "left", "operator", "right", "severity", "programme"]
    list_filter = ["programme", "severity"]
