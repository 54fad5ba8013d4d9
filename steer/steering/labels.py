"""How plan items' statuses are named in the interface: one word for each, everywhere."""

from django.utils.translation import gettext_lazy as _

from steer.steering.plan_status import PlanStatus

PLAN_LABELS = {
    PlanStatus.DONE_ON_TIME: _("Done on time"),
    PlanStatus.DONE_LATE: _("Done late"),
    PlanStatus.IN_PROGRESS: _("In progress, within the deadline"),
    PlanStatus.NOT_STARTED: _("Not started"),
    PlanStatus.SUSPENDED: _("Suspended"),
    PlanStatus.OVERDUE: _("Overdue"),
    PlanStatus.CANCELLED: _("Cancelled"),
}
