from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "steer.assessment"
    verbose_name = _("Assessment")

    def ready(self) -> None:
        from steer.assessment.receivers import refresh_figures
        from steer.reporting.signals import report_moved

        report_moved.connect(refresh_figures, dispatch_uid="assessment.refresh_figures")
