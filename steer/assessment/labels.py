"""How indicator statuses are named in the interface: one word for each status, on every
card, row, chart legend, export and document."""

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
    Status.MISSED: _("Not achieved"),
    Status.NO_TARGET: _("No target for the year"),
    Status.NO_DATA: _("No data"),
}


def status_label(assessment: Assessment) -> StrOrPromise:
    """The status's name: the same word the cards and the legends count it under."""
    return STATUS_LABELS[assessment.status]
