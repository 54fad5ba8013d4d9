"""How periods are named in the interface."""

from django.utils.translation import gettext as _

from steer.reporting.periods import Period


def period_label(period: Period) -> str:
    names = {
        "month": _("month %(n)s/%(year)s"),
        "quarter": _("quarter %(n)s/%(year)s"),
        "half": _("half %(n)s/%(year)s"),
        "nine_months": _("nine months %(year)s"),
        "year": _("year %(year)s"),
    }
    return names[period.type.value] % {"n": period.number, "year": period.year}
