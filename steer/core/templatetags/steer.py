from functools import cache

from django import template
from django.utils.formats import get_format
from django.utils.html import format_html
from django.utils.translation import get_language

from steer.core import once
from steer.core.numbers import figure as figure_text
from steer.core.numbers import number_text

register = template.Library()


@cache
def separators_of(language: str | None) -> dict[int, str]:
    return str.maketrans(
        {
            ",": get_format("THOUSAND_SEPARATOR", language),
            ".": get_format("DECIMAL_SEPARATOR", language),
        }
    )


@register.filter
def num(value, decimals=None):
    """A number the way the active language writes it (vi: 1.234.567,5), without trailing zeros."""
    if value is None or value == "":
        return "–"
    return number_text(value, decimals, separators_of(get_language()))


@register.filter
def figure(value, value_type):
    """An indicator's figure by its value type (`core.numbers.figure`): counts whole."""
    if value is None or value == "":
        return "–"
    return figure_text(value, str(value_type), separators_of(get_language()))


@register.filter
def dmy(value):
    """A date as dd/mm/yyyy, the one date format of Vietnamese administration."""
    return value.strftime("%d/%m/%Y") if value else "–"


@register.simple_tag
def once_field():
    """The one-time token of a form that creates or moves something (steer.core.once)."""
    return format_html('<input type="hidden" name="{}" value="{}">', once.FIELD, once.new_token())
