from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "steer.accounts"
    verbose_name = _("People and access")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from steer.accounts import checks  # noqa: F401  (registers the deploy check)
        from steer.core.middleware import start_session_clock

        user_logged_in.connect(start_session_clock, dispatch_uid="steer-session-clock")
