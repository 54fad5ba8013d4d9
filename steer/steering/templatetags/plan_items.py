"""A plan item's status in a template: the same word and colour as on every other surface."""

from django import template
from django.utils import timezone
from django.utils.html import format_html

from steer.programmes.models import PlanItem
from steer.steering.labels import PLAN_LABELS
from steer.steering.plan_status import plan_status

register = template.Library()


@register.simple_tag
def plan_status_badge(item: PlanItem) -> str:
    """The item's status today (overdue once its deadline has passed and it is not done)."""
    status = plan_status(item.state, item.deadline, item.completed_on, timezone.localdate())
    return format_html('<span class="status status-{}">{}</span>', status, PLAN_LABELS[status])
