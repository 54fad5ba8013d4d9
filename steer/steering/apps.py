from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SteeringConfig(AppConfig):
    name = "steer.steering"
    verbose_name = _("Steering")

    def ready(self) -> None:
        from steer.reporting.signals import report_moved
        from steer.steering.receivers import notify_sent_back

        report_moved.connect(notify_sent_back, dispatch_uid="steering.notify_sent_back")
