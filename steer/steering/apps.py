from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SteeringConfig(AppConfig):
    name = "steer.steering"
    verbose_name = _("Steering")

    def ready(self) -> None:
        from steer.reporting.signals import recorded, report_moved
        from steer.steering.receivers import notify_sent_back
        from steer.steering.services import record_reporting

        report_moved.connect(notify_sent_back, dispatch_uid="steering.notify_sent_back")
        recorded.connect(record_reporting, dispatch_uid="steering.record_reporting")
