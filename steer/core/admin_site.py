from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from steer.accounts.access import access_for


class SteerAdminSite(admin.AdminSite):
    """The back office, opened by the same permission rule as every page (not by is_staff)."""

    site_header = _("steer back office")
    site_title = _("steer")
    index_title = _("Back-office editing")

    def has_permission(self, request) -> bool:
        return request.user.is_active and access_for(request.user).can_use_admin()


site = SteerAdminSite(name="admin")
