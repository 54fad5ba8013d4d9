"""Pre-aggregated figures: what dashboards read instead of the raw reported values."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from steer.programmes.models import Indicator
from steer.units.models import OrgUnit


class Figure(models.Model):
    """An indicator's figure for a unit and a period, from approved reports only.

    Either the unit's own reported figure or rolled up from the units below it; for each year
    also the year's figure, combined from the year's periods. Kept up to date when a report is
    approved or reopened (see aggregates.py); never written by hand.
    """

    indicator = models.ForeignKey(Indicator, models.CASCADE, related_name="figures", db_index=False)
    unit = models.ForeignKey(OrgUnit, models.CASCADE, related_name="figures", db_index=False)
    period = models.CharField(_("period"), max_length=8)
    year = models.PositiveSmallIntegerField(_("year"))
    # Empty for the whole figure; otherwise the code of a breakdown option.
    option = models.CharField(_("part"), max_length=40, blank=True)
    value = models.FloatField(_("value"))
    # Where in its year the figure stands: 0.5 after the first half, 1 for a full year.
    covered = models.FloatField(_("share of the year"))
    units = models.PositiveIntegerField(_("reporting units"))
    rolled_up = models.BooleanField(_("rolled up"))

    class Meta:
        verbose_name = _("figure")
        verbose_name_plural = _("figures")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "unit", "period", "option"], name="figure_unique"
            )
        ]
        indexes = [
            models.Index(fields=["indicator", "period", "unit"], name="figure_by_period"),
            # Covering: a unit's figures of some periods (a scorecard, the overview) are read from
            # this index alone, a few contiguous pages, instead of a heap page per figure (800
            # pages and 300-400 ms for a commune's scorecard at 10 M values when not cached).
            models.Index(
                fields=[
                    "unit",
                    "period",
                    "indicator",
                    "option",
                    "year",
                    "value",
                    "covered",
                    "units",
                ],
                name="figure_by_unit_covering",
            ),
        ]

    def __str__(self) -> str:
        part = f" [{self.option}]" if self.option else ""
        return f"{self.indicator_id}{part} {self.unit_id} {self.period}: {self.value}"
