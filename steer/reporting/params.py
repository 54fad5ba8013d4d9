"""The reporting period of a page's query, read the one way of `steer.core.params`."""

from django.utils.translation import gettext as _

from steer.core.params import BadParameter, NotFound, shown, text_param
from steer.reporting.periods import Period, PeriodError


def period_param(request, periods=None, name: str = "period") -> Period | None:
    """A period code (2024, 2024S1, 2024Q3, 202409, 2024N9), one of `periods` if given (else
    NotFound)."""
    label = _("Reporting period")
    raw = text_param(request, name, label)
    if raw is None:
        return None
    try:
        period = Period.parse(raw.upper())
    except PeriodError:
        raise BadParameter(
            _(
                "%(label)s must be a period code such as 2024, 2024S1, 2024Q3 or 202409, "
                "not “%(value)s”."
            )
            % {"label": label, "value": shown(raw)}
        ) from None
    if periods is not None and period not in periods:
        raise NotFound(
            _("%(period)s is not a period of this report form.") % {"period": period.code}
        )
    return period
