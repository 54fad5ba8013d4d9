"""How periods are named in the interface, and the text of a reminder."""

import datetime as dt

from django.utils.translation import gettext as _

from steer.reporting.models import ReportForm
from steer.reporting.periods import Period
from steer.units.models import OrgUnit


def period_label(period: Period) -> str:
    names = {
        "month": _("month %(n)s/%(year)s"),
        "quarter": _("quarter %(n)s/%(year)s"),
        "half": _("half %(n)s/%(year)s"),
        "nine_months": _("nine months %(year)s"),
        "year": _("year %(year)s"),
    }
    return names[period.type.value] % {"n": period.number, "year": period.year}


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
