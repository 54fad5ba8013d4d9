from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from steer.accounts.access import access_for


class SteerAdminSite(admin.AdminSite):
    """The back office, opened by the same permission rule as every page (not by is_staff)."""

    site_header = _("steer back office")
    site_title = _("steer")
    index_title = _("Back-office editing")

    def has_permission(self, request) -> bool:
        return request.user.is_active and access_for(request.user).can_use_admin()

    @method_decorator(require_safe)
    def index(self, request, extra_context=None):
        return super().index(request, extra_context)

    @method_decorator(require_safe)
    def app_index(self, request, app_label, extra_context=None):
        return super().app_index(request, app_label, extra_context)

    def get_urls(self):
        urls = super().get_urls()
        for pattern in urls:  # Django's redirect to an object's page on the site
            if getattr(pattern, "name", None) == "view_on_site" and pattern.callback:
                pattern.callback = require_safe(pattern.callback)
        return urls

    def login(self, request, extra_context=None):
        """No sign-in form of its own: the site's one (with its throttle) signs people in."""
        target = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(
            target, {request.get_host()}, require_https=request.is_secure()
        ):
            target = reverse("admin:index", current_app=self.name)
        if not request.user.is_authenticated:
            return redirect_to_login(target)
        if not self.has_permission(request):
            raise PermissionDenied
        return redirect(target)


site = SteerAdminSite(name="admin")
