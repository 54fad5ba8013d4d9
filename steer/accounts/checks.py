from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def demo_accounts_in_production(app_configs, **kwargs):
    """`check --deploy`: the demo accounts' passwords are published; demo mode lets them in."""
    if settings.DEMO_MODE:
        return [
            Warning(
                "Demo mode is on (STEER_DEMO=1): the demo accounts, whose passwords are "
                "published, can sign in.",
                hint="Unset STEER_DEMO in production.",
                id="steer.W001",
            )
        ]
    return []
