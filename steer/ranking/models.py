"""Ranking frameworks: a composite index of a programme's units for a year (e.g. the annual
ranking of districts on digital transformation and innovation), fed by the programme's reported
indicators and computed by steer.composite. The method is frozen once the year's ranking is
published, so it can be reproduced and compared."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from steer.programmes.models import Indicator, Programme
from steer.units.models import UnitType


class Framework(models.Model):
    class Merged(models.TextChoices):
        PREDECESSOR_MEAN = "predecessor_mean", _("Unweighted mean of its predecessors' scores")
        REAGGREGATE = "reaggregate", _("Its predecessors' data combined")

    programme = models.ForeignKey(
        Programme, models.CASCADE, related_name="rankings", verbose_name=_("programme")
    )
    code = models.SlugField(_("code"), max_length=40)
    year = models.PositiveSmallIntegerField(_("year"))
    name = models.CharField(_("name"), max_length=300)
    methodology = models.TextField(_("methodology"), blank=True)
    unit_types = models.ManyToManyField(
        UnitType, related_name="+", verbose_name=_("units ranked (types)")
    )
    options = models.JSONField(_("method options"), default=dict, blank=True)
    merged_units = models.CharField(
        _("a unit formed by a merger is compared with"),
        max_length=20,
        choices=Merged,
        default=Merged.PREDECESSOR_MEAN,
    )
    frozen_at = models.DateTimeField(_("method frozen"), null=True, blank=True)
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("frozen by"),
    )
    is_illustrative = models.BooleanField(_("illustrative"), default=False)

    class Meta:
        ordering = ["programme", "code", "-year"]
        verbose_name = _("ranking framework")
        verbose_name_plural = _("ranking frameworks")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "code", "year"],
                name="ranking_framework_unique_year",
                violation_error_message=_("This ranking already has a framework for the year."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.year}"

    def get_absolute_url(self) -> str:
        return reverse("ranking_detail", args=[self.programme.slug, self.code, self.year])

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None

    def previous(self) -> "Framework | None":
        return (
            Framework.objects.filter(programme=self.programme, code=self.code, year__lt=self.year)
            .order_by("-year")
            .first()
        )


class Node(models.Model):
    """One row of the framework's iMeta: an indicator (a programme indicator) or an aggregate."""

    class Kind(models.TextChoices):
        INDICATOR = "Indicator", _("Indicator")
        AGGREGATE = "Aggregate", _("Aggregate")

    framework = models.ForeignKey(
        Framework, models.CASCADE, related_name="nodes", verbose_name=_("framework")
    )
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=300)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    level = models.PositiveSmallIntegerField(_("level"))
    parent = models.CharField(_("parent"), max_length=40, blank=True)
    direction = models.SmallIntegerField(
        _("direction"), choices=[(1, _("Higher is better")), (-1, _("Lower is better"))], default=1
    )
    weight = models.FloatField(_("weight"), default=1.0)
    indicator = models.ForeignKey(
        Indicator,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="ranking_nodes",
        verbose_name=_("programme indicator"),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["framework", "-level", "order", "code"]
        verbose_name = _("framework element")
        verbose_name_plural = _("framework elements")
        constraints = [
            models.UniqueConstraint(
                fields=["framework", "code"],
                name="ranking_node_unique_code",
                violation_error_message=_("This code is already in the framework."),
            ),
            models.CheckConstraint(
                condition=Q(kind="Aggregate") | Q(indicator__isnull=False),
                name="ranking_indicator_has_source",
                violation_error_message=_("An indicator must name the programme indicator."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}. {self.name}"

    def clean(self) -> None:
        if (
            self.indicator is not None
            and self.indicator.programme_id != self.framework.programme_id
        ):
            raise ValidationError({"indicator": _("The indicator is of another programme.")})
