"""ModelAdmin bases that defer to the one permission rule (steer.accounts.access); both check
edits against someone else's meanwhile (steer.core.admin_edits)."""

from typing import TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_safe

from steer.accounts.access import access_for
from steer.core.admin_edits import EditCheckedAdmin


class SteerModelAdmin(EditCheckedAdmin):
    @method_decorator(require_safe)
    def history_view(self, request, object_id, extra_context=None):
        return super().history_view(request, object_id, extra_context)


class AdministratorsOnlyAdmin(SteerModelAdmin):
    """Reference data (units, people): administrators change it, the standing agency reads it."""

    def has_module_permission(self, request):
        return access_for(request.user).can_use_admin()

    def has_view_permission(self, request, obj=None):
        return access_for(request.user).can_use_admin()

    def has_add_permission(self, request):
        return access_for(request.user).can_manage_units()

    def has_change_permission(self, request, obj=None):
        return access_for(request.user).can_manage_units()

    def has_delete_permission(self, request, obj=None):
        return access_for(request.user).can_manage_units()


class AdministratorsOnlyInline:
    """Inline rows of reference data (a user's roles, a unit's predecessors), as the row they
    sit in. Without it an inline falls back on Django's per-model permissions, which steer
    does not grant: an administrator did not see a user's roles."""

    def has_view_permission(self, request, obj=None):
        return access_for(request.user).can_use_admin()

    def has_add_permission(self, request, obj=None):
        return access_for(request.user).can_manage_units()

    def has_change_permission(self, request, obj=None):
        return access_for(request.user).can_manage_units()

    def has_delete_permission(self, request, obj=None):
        return access_for(request.user).can_manage_units()


M = TypeVar("M", bound=Model)


def _editable(request: HttpRequest, rows: QuerySet[M], path: str) -> QuerySet[M]:
    """The rows of the programmes the user may edit (`path` leads from a row to its programme)."""
    ids = access_for(request.user).editable_programme_ids()
    return rows if ids is None else rows.filter(**{f"{path}__in": ids})


class ProgrammeContentAdmin(SteerModelAdmin):
    """Rows that belong to a programme: editable by those who may edit that programme."""

    programme_path = "programme"

    def _programme(self, obj):
        for step in self.programme_path.split("__"):
            obj = getattr(obj, step)
        return obj

    def get_queryset(self, request):
        return _editable(request, super().get_queryset(request), self.programme_path)

    def has_module_permission(self, request):
        return access_for(request.user).can_use_admin()

    def _may_edit(self, request, obj) -> bool:
        access = access_for(request.user)
        if obj is None:
            ids = access.editable_programme_ids()
            return ids is None or bool(ids)
        return access.can_edit_programme(self._programme(obj))

    def has_view_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def has_add_permission(self, request, obj=None):
        return self._may_edit(request, None)

    def has_change_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if related._meta.label == "programmes.Programme":
            kwargs["queryset"] = _editable(request, related.objects.all(), "pk")
        elif any(f.name == "programme" for f in related._meta.fields):
            kwargs["queryset"] = _editable(request, related.objects.all(), "programme")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        related = db_field.related_model
        if any(f.name == "programme" for f in related._meta.fields):
            kwargs["queryset"] = _editable(request, related.objects.all(), "programme")
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ProgrammeContentInline:
    """Inline rows follow the permission of the row they sit in."""

    def has_view_permission(self, request, obj=None):
        return access_for(request.user).can_use_admin()

    def has_add_permission(self, request, obj=None):
        return obj is None or self._edit(request, obj)

    def has_change_permission(self, request, obj=None):
        return obj is None or self._edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return obj is None or self._edit(request, obj)

    def _edit(self, request, obj) -> bool:
        programme = obj if obj._meta.label == "programmes.Programme" else obj.programme
        return access_for(request.user).can_edit_programme(programme)
