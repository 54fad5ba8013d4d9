"""Organisation units: the city, its departments, districts and communes, and how they changed."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class UnitType(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    level = models.PositiveSmallIntegerField(
        _("level"), help_text=_("1 = city, 2 = department or district level, 3 = commune level")
    )

    class Meta:
        ordering = ["level", "name"]
        verbose_name = _("unit type")
        verbose_name_plural = _("unit types")

    def __str__(self) -> str:
        return self.name


class UnitGroup(models.Model):
    """A set of comparable units, e.g. urban districts or rural districts."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("unit group")
        verbose_name_plural = _("unit groups")

    def __str__(self) -> str:
        return self.name


class OrgUnitQuerySet(models.QuerySet):
    def existing_on(self, day: dt.date) -> "OrgUnitQuerySet":
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=day),
            Q(valid_to__isnull=True) | Q(valid_to__gte=day),
        )

    def existing_during(self, first: dt.date, last: dt.date) -> "OrgUnitQuerySet":
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=last),
            Q(valid_to__isnull=True) | Q(valid_to__gte=first),
        )

    def not_ended_by(self, day: dt.date) -> "OrgUnitQuerySet":
        """Units that exist on the day or are formed later: those work can still be given to."""
        return self.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))


class OrgUnit(models.Model):
    code = models.CharField(
        _("code"),
        max_length=20,
        unique=True,
        help_text=_("Official code (National Statistics Office) or the city's short code."),
        error_messages={"unique": _("A unit with this code already exists.")},
    )
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=120, blank=True)
    unit_type = models.ForeignKey(
        UnitType, models.PROTECT, related_name="units", verbose_name=_("unit type")
    )
    parent = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent unit"),
    )
    groups = models.ManyToManyField(
        UnitGroup, blank=True, related_name="units", verbose_name=_("groups")
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(
        _("valid to"), null=True, blank=True, help_text=_("Last day the unit existed.")
    )

    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        ordering = ["unit_type__level", "code"]
        verbose_name = _("organisation unit")
        verbose_name_plural = _("organisation units")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="unit_valid_to_after_valid_from",
                violation_error_message=_("The end of validity cannot be before its start."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def exists_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or self.valid_to >= day
        )

    def exists_during(self, first: dt.date, last: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= last) and (
            self.valid_to is None or self.valid_to >= first
        )

    def exists_throughout(self, first: dt.date, last: dt.date) -> bool:
        """Whether the unit exists on every day from `first` to `last`."""
        return (self.valid_from is None or self.valid_from <= first) and (
            self.valid_to is None or self.valid_to >= last
        )

    def validity_label(self) -> str:
        start = date_format(self.valid_from, "d/m/Y") if self.valid_from else "…"
        end = date_format(self.valid_to, "d/m/Y") if self.valid_to else "…"
        return f"{start} – {end}"

    def named_with_validity(self) -> str:
        if self.valid_from or self.valid_to:
            return f"{self.name} ({self.validity_label()})"
        return self.name

    def ancestors(self) -> list["OrgUnit"]:
        chain, node, seen = [], self.parent, {self.pk}
        while node is not None and node.pk not in seen:
            chain.append(node)
            seen.add(node.pk)
            node = node.parent
        return chain

    def clean(self) -> None:
        errors: dict[str, str | Promise] = {}
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            errors["valid_to"] = _("The end of validity cannot be before its start.")
        if self.parent_id is not None:
            node, seen = self.parent, set()
            while node is not None and node.pk not in seen:
                if self.pk is not None and node.pk == self.pk:
                    errors["parent"] = _(
                        "A unit cannot be placed under itself or under one of its own sub-units."
                    )
                    break
                seen.add(node.pk)
                node = node.parent
            parent = self.parent
            if (
                "parent" not in errors
                and self.valid_from
                and parent is not None
                and not parent.exists_on(self.valid_from)
            ):
                errors["parent"] = _("The parent unit %(parent)s did not exist on %(day)s.") % {
                    "parent": parent,
                    "day": date_format(self.valid_from, "d/m/Y"),
                }
        if errors:
            raise ValidationError(errors)


def absent_text(units, first: dt.date, last: dt.date) -> str:
    """The message for units given work or named for days on which they did not all exist."""
    names = ", ".join(unit.named_with_validity() for unit in units)
    if first == last:
        return gettext("%(units)s did not exist on %(day)s.") % {
            "units": names,
            "day": date_format(first, "d/m/Y"),
        }
    return gettext("%(units)s did not exist throughout %(first)s – %(last)s.") % {
        "units": names,
        "first": date_format(first, "d/m/Y"),
        "last": date_format(last, "d/m/Y"),
    }


class UnitLineage(models.Model):
    """One unit became (part of) another on a date: mergers, splits, the 2025 restructuring."""

    predecessor = models.ForeignKey(
        OrgUnit, models.CASCADE, related_name="successor_links", verbose_name=_("former unit")
    )
    successor = models.ForeignKey(
        OrgUnit, models.CASCADE, related_name="predecessor_links", verbose_name=_("new unit")
    )
    date = models.DateField(_("effective date"))
    whole = models.BooleanField(
        _("wholly"),
        default=False,
        help_text=_("Checked if the whole former unit went into the new one; unchecked if part."),
    )
    share = models.DecimalField(
        _("share"),
        max_digits=6,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Fraction of the former unit that went into the new one (0-1), if known."),
    )
    legal_basis = models.CharField(_("legal basis"), max_length=300, blank=True)

    class Meta:
        ordering = ["date", "predecessor__code", "successor__code"]
        verbose_name = _("unit lineage")
        verbose_name_plural = _("unit lineage")
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor"],
                name="lineage_unique_pair",
                violation_error_message=_("This lineage link is already recorded."),
            ),
            models.CheckConstraint(
                condition=~Q(predecessor=models.F("successor")),
                name="lineage_not_self",
                violation_error_message=_("A unit cannot be its own predecessor."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor} → {self.successor} ({self.date:%d/%m/%Y})"

    @property
    def share_percent(self):
        return None if self.share is None else self.share * 100

    @staticmethod
    def fraction_of(share, whole: bool) -> float:
        """The part of the former unit that went in (0-1): the share if recorded, else all of
        it for a whole unit and nothing for a part of unknown size."""
        if share is not None:
            return float(share)
        return 1.0 if whole else 0.0

    def clean(self) -> None:
        errors: dict[str, str | Promise] = {}
        before = getattr(self, "predecessor", None)
        after = getattr(self, "successor", None)
        if before and after:
            if before.pk == after.pk:
                errors["successor"] = _("A unit cannot be its own predecessor.")
            elif self.date:
                if not after.exists_on(self.date):
                    errors["successor"] = _("%(unit)s did not exist on %(day)s.") % {
                        "unit": after,
                        "day": date_format(self.date, "d/m/Y"),
                    }
                day_before = self.date - dt.timedelta(days=1)
                if not before.exists_on(day_before):
                    errors["predecessor"] = _("%(unit)s did not exist on %(day)s.") % {
                        "unit": before,
                        "day": date_format(day_before, "d/m/Y"),
                    }
        if self.share is not None and not (0 < self.share <= 1):
            errors["share"] = _("The share must be greater than 0 and at most 1.")
        if errors:
            raise ValidationError(errors)
