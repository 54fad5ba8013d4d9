"""Query parameters, read the one way: a value a page cannot take is refused with a message that
names the parameter, in the user's language, never a server error.

Parsing them by hand went wrong in ways that are easy to miss: "²" passes str.isdigit() and fails
int(); int() takes digits of other scripts and refuses a number of 5,000 digits; a month of
9999-12 has no month after it; PostgreSQL refuses a NUL character in a query; a line break in a
value that reaches a header is a server error. Each reader returns None when the parameter is
absent or empty and raises:

- `BadParameter` (400) for a value that is not of the kind the page takes (not a number, a month
  written wrong, a control character, too long);
- `NotFound` (404) for a well-formed value that names nothing the page has (a year outside the
  programme, an inspection the user cannot see).

Both carry the message the error pages show (steer.core.views).
"""

import datetime as dt
import re

from django.core.exceptions import BadRequest
from django.http import Http404
from django.utils.translation import gettext as _

# The months a calendar may be asked for: any programme's, each with a month before and after
# it that Python's dates hold (9999-12 has none after it).
FIRST_YEAR, LAST_YEAR = 1900, 2999
MAX_TEXT = 200
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DIGITS = re.compile(r"-?[0-9]+")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


class BadParameter(BadRequest):
    """A query parameter that is not of the kind the page takes; its message is shown."""


class NotFound(Http404):
    """A query parameter that names nothing the page has; its message is shown."""


def shown(value: str) -> str:
    """A value as a message may quote it: control characters replaced, at most 40 characters."""
    text = CONTROL.sub("\ufffd", value)
    return text if len(text) <= 40 else text[:40] + "…"


def text_param(request, name: str, label) -> str | None:
    """The parameter as text: no control character (line break, tab, NUL), at most MAX_TEXT
    characters."""
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return None
    if len(raw) > MAX_TEXT:
        raise BadParameter(
            _("%(label)s is longer than %(limit)s characters.")
            % {"label": label, "limit": MAX_TEXT}
        )
    if CONTROL.search(raw):
        raise BadParameter(
            _("%(label)s holds a control character (a line break, a tab or a NUL).")
            % {"label": label}
        )
    return raw


def int_param(request, name: str, label, minimum: int, maximum: int) -> int | None:
    """A whole number in the digits 0 to 9, from `minimum` to `maximum`."""
    raw = text_param(request, name, label)
    if raw is None:
        return None
    if not _DIGITS.fullmatch(raw):
        raise BadParameter(
            _("%(label)s must be a whole number written with the digits 0 to 9, not “%(value)s”.")
            % {"label": label, "value": shown(raw)}
        )
    number = int(raw)  # at most MAX_TEXT digits: within what int() converts
    if not minimum <= number <= maximum:
        raise BadParameter(
            _("%(label)s must be from %(minimum)s to %(maximum)s, not %(value)s.")
            % {"label": label, "minimum": minimum, "maximum": maximum, "value": shown(raw)}
        )
    return number


def year_param(request, years: range, name: str = "year") -> int | None:
    """A year written with four digits, one of `years` (else NotFound)."""
    label = _("Year")
    raw = text_param(request, name, label)
    if raw is None:
        return None
    if not re.fullmatch(r"[0-9]{4}", raw):
        raise BadParameter(
            _(
                "%(label)s must be a year written with four digits, such as %(example)s, "
                "not “%(value)s”."
            )
            % {"label": label, "example": years[-1], "value": shown(raw)}
        )
    year = int(raw)
    if year not in years:
        raise NotFound(
            _("%(year)s is not a year of the programme, which runs from %(first)s to %(last)s.")
            % {"year": year, "first": years[0], "last": years[-1]}
        )
    return year


def month_param(request, name: str = "month") -> dt.date | None:
    """A month written as year-month (2025-04), as its first day, in FIRST_YEAR to LAST_YEAR."""
    label = _("Month")
    raw = text_param(request, name, label)
    if raw is None:
        return None
    match = _MONTH.fullmatch(raw)
    if not match or not 1 <= int(match[2]) <= 12:
        raise BadParameter(
            _("%(label)s must be written as year-month, such as %(example)s, not “%(value)s”.")
            % {"label": label, "example": "2025-04", "value": shown(raw)}
        )
    year = int(match[1])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise BadParameter(
            _("%(label)s must be from %(minimum)s to %(maximum)s, not %(value)s.")
            % {
                "label": label,
                "minimum": f"{FIRST_YEAR}-01",
                "maximum": f"{LAST_YEAR}-12",
                "value": raw,
            }
        )
    return dt.date(year, int(match[2]), 1)


def choice_param(request, name: str, label, choices) -> str | None:
    """One of `choices`."""
    raw = text_param(request, name, label)
    if raw is None:
        return None
    if raw not in choices:
        raise BadParameter(
            _("%(label)s must be one of %(choices)s, not “%(value)s”.")
            % {"label": label, "choices": ", ".join(sorted(choices)), "value": shown(raw)}
        )
    return raw


def object_param(request, name: str, label, queryset, field: str = "code"):
    """The object of `queryset` whose `field` (a code, or "pk": a whole number) the parameter
    gives; NotFound if the queryset, which holds only what the user may see, has none."""
    key: int | str | None
    if field == "pk":
        key = int_param(request, name, label, 1, 2**63 - 1)
    else:
        key = text_param(request, name, label)
    if key is None:
        return None
    found = queryset.filter(**{field: key}).first()
    if found is None:
        raise not_found(label, str(key))
    return found


def not_found(label, value: str) -> NotFound:
    return NotFound(
        _("%(label)s “%(value)s” does not exist, or you may not see it.")
        % {"label": label, "value": shown(value)}
    )
