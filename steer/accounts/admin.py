from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from steer.accounts.access import access_for
from steer.accounts.models import RoleGrant, User
from steer.core.admin_rules import AdministratorsOnlyAdmin, AdministratorsOnlyInline
from steer.core.admin_site import site


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
