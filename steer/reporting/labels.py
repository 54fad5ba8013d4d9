"""How periods are named in the interface, and the text of a reminder."""

import datetime as dt

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from steer.reporting.models import ReportForm
from steer.reporting.periods import Period, PeriodError, parse, period_name
from steer.units.models import OrgUnit


def period_label(period: Period, *, capital: bool = False) -> str:
    """The period's name in the active language (`periods.period_name`, the one naming)."""
    return period_name(period, get_language() or "vi", capital=capital)


def period_label_of(code: str, *, capital: bool = False) -> str:
    """The name of a period given by its code; a code that is no period is shown as it is."""
    try:
        return period_label(parse(code), capital=capital)
    except PeriodError:
        return code


def reminder_text(form: ReportForm, period: Period, deadline: dt.date, unit: OrgUnit) -> str:
    return _(
        "Dear %(unit)s: the report “%(form)s” for %(period)s was due on %(deadline)s and has not "
        "been received. Please enter and submit it in steer as soon as possible, or tell the "
        "standing agency what prevents it."
    ) % {
        "unit": unit.name,
        "form": form.name,
        "period": period_label(period),
        "deadline": deadline.strftime("%d/%m/%Y"),
    }
