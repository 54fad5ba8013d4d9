from django import template

from steer.reporting.labels import period_label_of

register = template.Library()


@register.filter
def period_name(code) -> str:
    """A period code (2025Q2) as the name people read (quý II năm 2025)."""
    return period_label_of(str(code)) if code else "–"
