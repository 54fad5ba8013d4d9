from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from steer.accounts.admin_rules import ProgrammeContentAdmin, ProgrammeContentInline
from steer.accounts.admin_site import site
from steer.ranking.models import Framework, Node


class NodeInline(ProgrammeContentInline, admin.TabularInline):
    model = Node
    extra = 0
    autocomplete_fields = ["indicator"]

    def has_change_permission(self, request, obj=None):
        return (obj is None or not obj.is_frozen) and super().has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return (obj is None or not obj.is_frozen) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return (obj is None or not obj.is_frozen) and super().has_delete_permission(request, obj)


@admin.register(Framework, site=site)
class FrameworkAdmin(ProgrammeContentAdmin):
    """A framework is edited until its method is frozen; then it is kept as published."""

    list_display = ["name", "year", "programme", "frozen_at", "is_illustrative"]
    list_filter = ["programme", "year"]
    search_fields = ["name", "code"]
    readonly_fields = ["frozen_at", "frozen_by"]
    filter_horizontal = ["unit_types"]
    inlines = [NodeInline]
    actions = ["freeze"]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_frozen:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_frozen:
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(description=_("Freeze the method of the chosen frameworks"))
    def freeze(self, request, queryset):
        count = queryset.filter(frozen_at__isnull=True).update(
            frozen_at=timezone.now(), frozen_by=request.user
        )
        self.message_user(request, _("%(n)d framework(s) frozen.") % {"n": count}, messages.SUCCESS)
