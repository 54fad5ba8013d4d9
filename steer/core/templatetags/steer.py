from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def num(value, decimals=None):
    """A number the way the active language writes it (vi: 1.234.567,5), without trailing zeros."""
    if value is None or value == "":
        return "–"
    value = Decimal(str(value))
    if decimals is None:
        normalized = value.normalize()
        decimals = max(0, -normalized.as_tuple().exponent)
    return number_format(value, decimal_pos=int(decimals), use_l10n=True, force_grouping=True)


@register.filter
def dmy(value):
    """A date as dd/mm/yyyy, the one date format of Vietnamese administration."""
    return value.strftime("%d/%m/%Y") if value else "–"
