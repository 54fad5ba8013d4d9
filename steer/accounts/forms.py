from django import forms
from django.contrib.auth.forms import AuthenticationForm

from steer.accounts import throttle


class SignInForm(AuthenticationForm):
    """Django's sign-in form behind the sign-in throttle: the one way in, the back office's
    sign-in page included (steer.accounts.admin_site sends it here)."""

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not (username and password):
            return super().clean()
        address = throttle.client_address(self.request)
        if message := throttle.refusal(username, address):
            raise forms.ValidationError(message, code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            # Only a failed password check counts, not confirm_login_allowed's refusal.
            if self.user_cache is None:
                throttle.record_failure(username, address)
                if message := throttle.refusal(username, address):
                    raise forms.ValidationError(message, code="throttled") from None
            raise
        throttle.clear(username)
        return cleaned
