from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from django import template
from django.utils.formats import get_format
from django.utils.translation import get_language

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


def number_text(value, decimals, separators) -> str:
    """num() with the language's separators looked up once by the caller (a table's cells)."""
    value = Decimal(str(value))
    if decimals is None:
        normalized = value.normalize()
        decimals = max(0, -normalized.as_tuple().exponent)
    # Rounded half up, as officials round (number_format() cuts the digits off), grouped by
    # Python, then the language's marks; the separators come in looked up once per table.
    value = value.quantize(Decimal(1).scaleb(-int(decimals)), rounding=ROUND_HALF_UP)
    text = format(value, f",.{int(decimals)}f")
    if text in ("-0", "0") or text.startswith("-0.") and not text.strip("-0."):
        text = text.lstrip("-")
    return text.translate(separators)


@register.filter
def dmy(value):
    """A date as dd/mm/yyyy, the one date format of Vietnamese administration."""
    return value.strftime("%d/%m/%Y") if value else "–"
