from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from steer.accounts.forms import SignInForm


class SignInView(auth_views.LoginView):
    form_class = SignInForm


class PasswordChangeView(auth_views.PasswordChangeView):
    """A signed-in user changes their own password (the rules: AUTH_PASSWORD_VALIDATORS)."""

    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password was changed."))
        return response
