"""How statuses are named in the interface."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from steer.assessment.attainment import Status

if TYPE_CHECKING:  # django-stubs' helper types exist for the type checker only
    from django_stubs_ext import StrOrPromise

    from steer.assessment.selectors import Assessment

STATUS_LABELS = {
    Status.ACHIEVED: _("Achieved"),
    Status.ON_TRACK: _("On track"),
    Status.AT_RISK: _("At risk"),
    Status.OFF_TRACK: _("Off track"),
    Status.NO_DATA: _("No data"),
}
NOT_ACHIEVED = _("Not achieved")
NO_TARGET = _("No target for the year")


def status_label(assessment: Assessment) -> StrOrPromise:
    """The status's name; off track once the year judged is over reads "not achieved"."""
    status = assessment.status
    final = assessment.final_year
    flow = assessment.indicator.period_aggregation == "sum"
    over = final is not None and assessment.covered >= 1 and (flow or assessment.year >= final)
    if status == Status.NO_DATA and assessment.actual is not None:
        return NO_TARGET
    if status == Status.OFF_TRACK and over:
        return NOT_ACHIEVED
    return STATUS_LABELS[status]
