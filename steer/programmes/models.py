"""A work programme and its structure: objectives, indicators, targets and plan items."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from steer.units.models import OrgUnit

UNIQUE_CODE = _("This code is already used in the programme.")


class Programme(models.Model):
    slug = models.SlugField(
        _("short name in addresses"),
        max_length=60,
        unique=True,
        error_messages={"unique": _("Another programme already uses this short name.")},
    )
    number = models.CharField(_("number"), max_length=20)
    symbol = models.CharField(
        _("number and symbol"),
        max_length=60,
        unique=True,
        help_text=_("For example 07-CTr/TU."),
        error_messages={"unique": _("Another programme already has this number and symbol.")},
    )
    title = models.CharField(_("title"), max_length=500)
    issuing_body = models.CharField(_("issuing body"), max_length=200)
    issued_on = models.DateField(_("date issued"))
    start_year = models.PositiveSmallIntegerField(_("first year"))
    end_year = models.PositiveSmallIntegerField(_("last year"))
    standing_agency = models.ForeignKey(
        OrgUnit,
        models.PROTECT,
        related_name="programmes_standing",
        verbose_name=_("standing agency"),
    )
    source_document = models.CharField(_("source document"), max_length=500)
    summary = models.TextField(_("summary"), blank=True)
    report_deadline_days = models.PositiveSmallIntegerField(
        _("report deadline (working days after the cut-off)"),
        default=5,
        help_text=_("Units must submit a period's report within this many working days."),
    )
    template = models.ForeignKey(
        "self",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="derived",
        verbose_name=_("created from"),
    )

    class Meta:
        ordering = ["-start_year", "symbol"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_year__gte=models.F("start_year")),
                name="programme_period_ordered",
                violation_error_message=_("The last year cannot be before the first year."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.symbol}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("programme_overview", args=[self.slug])

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.start_year, 1, 1)

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.end_year, 12, 31)

    def years(self) -> range:
        return range(self.start_year, self.end_year + 1)

    def clean(self) -> None:
        errors = {}
        if self.start_year and self.end_year and self.end_year < self.start_year:
            errors["end_year"] = _("The last year cannot be before the first year.")
        agency = getattr(self, "standing_agency", None)
        period_known = self.start_year and self.end_year and self.end_year >= self.start_year
        if agency and period_known and not agency.exists_during(self.first_day, self.last_day):
            errors["standing_agency"] = _("This unit did not exist during the programme.")
        if errors:
            raise ValidationError(errors)


class SteeringMember(models.Model):
    class CommitteeRole(models.TextChoices):
        HEAD = "head", _("Head")
        DEPUTY_HEAD = "deputy_head", _("Deputy head")
        STANDING_MEMBER = "standing_member", _("Standing member")
        MEMBER = "member", _("Member")

    programme = models.ForeignKey(
        Programme, models.CASCADE, related_name="steering_members", verbose_name=_("programme")
    )
    name = models.CharField(_("name"), max_length=120)
    position = models.CharField(_("position"), max_length=300)
    committee_role = models.CharField(
        _("role in the committee"), max_length=20, choices=CommitteeRole
    )
    unit = models.ForeignKey(
        OrgUnit, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("unit")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["programme", "order", "pk"]
        verbose_name = _("steering committee member")
        verbose_name_plural = _("steering committee")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_committee_role_display()})"


def _is_percentage(value) -> bool:
    return value is None or 0 <= value <= 100


def _check_tree_cycle(obj, field: str = "parent") -> None:
    """Refuse a parent chain that leads back to obj."""
    node, seen = getattr(obj, field, None), set()
    while node is not None and node.pk not in seen:
        if obj.pk is not None and node.pk == obj.pk:
            raise ValidationError(
                {field: _("An item cannot be placed under itself or under one of its own parts.")}
            )
        seen.add(node.pk)
        node = getattr(node, field)


def _check_same_programme(obj, field: str, errors: dict) -> None:
    other = getattr(obj, field, None)
    if other is not None and obj.programme_id and other.programme_id != obj.programme_id:
        errors[field] = _("This belongs to another programme.")


class Objective(models.Model):
    programme = models.ForeignKey(
        Programme, models.CASCADE, related_name="objectives", verbose_name=_("programme")
    )
    parent = models.ForeignKey(
        "self",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent objective"),
    )
    code = models.CharField(_("code"), max_length=20)
    title = models.CharField(_("title"), max_length=500)
    description = models.TextField(_("description"), blank=True)
    source_clause = models.CharField(_("source clause"), max_length=200, blank=True)
    is_illustrative = models.BooleanField(_("illustrative"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["programme", "order", "code"]
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "code"],
                name="objective_code_unique",
                violation_error_message=UNIQUE_CODE,
            )
        ]

    def __str__(self) -> str:
        return f"{self.code}. {self.title}"

    def clean(self) -> None:
        errors: dict = {}
        _check_same_programme(self, "parent", errors)
        if errors:
            raise ValidationError(errors)
        _check_tree_cycle(self)


class IndicatorGroup(models.Model):
    programme = models.ForeignKey(
        Programme, models.CASCADE, related_name="indicator_groups", verbose_name=_("programme")
    )
    objective = models.ForeignKey(
        Objective, models.CASCADE, related_name="indicator_groups", verbose_name=_("objective")
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=500)
    is_illustrative = models.BooleanField(_("illustrative"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["programme", "order", "code"]
        verbose_name = _("indicator group")
        verbose_name_plural = _("indicator groups")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "code"],
                name="indicator_group_code_unique",
                violation_error_message=UNIQUE_CODE,
            )
        ]

    def __str__(self) -> str:
        return f"{self.code}. {self.name}"

    def clean(self) -> None:
        errors: dict = {}
        _check_same_programme(self, "objective", errors)
        if errors:
            raise ValidationError(errors)


class Indicator(models.Model):
    class ValueType(models.TextChoices):
        INTEGER = "integer", _("Whole number")
        DECIMAL = "decimal", _("Decimal number")
        PERCENT = "percent", _("Percentage")

    class Direction(models.TextChoices):
        HIGHER = "higher", _("Higher is better")
        LOWER = "lower", _("Lower is better")

    class UnitAggregation(models.TextChoices):
        SUM = "sum", _("Sum")
        MEAN = "mean", _("Mean")
        WEIGHTED_MEAN = "weighted_mean", _("Weighted mean")
        MAX = "max", _("Maximum")
        NONE = "none", _("Not combined")

    class PeriodAggregation(models.TextChoices):
        SUM = "sum", _("Sum of the periods")
        LAST = "last", _("Last value")
        MEAN = "mean", _("Mean")
        MAX = "max", _("Maximum")

    programme = models.ForeignKey(
        Programme, models.CASCADE, related_name="indicators", verbose_name=_("programme")
    )
    group = models.ForeignKey(
        IndicatorGroup, models.CASCADE, related_name="indicators", verbose_name=_("indicator group")
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=500)
    unit_of_measure = models.CharField(_("unit of measure"), max_length=60)
    value_type = models.CharField(
        _("value type"), max_length=10, choices=ValueType, default=ValueType.DECIMAL
    )
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction, default=Direction.HIGHER
    )
    unit_aggregation = models.CharField(
        _("combined across units by"),
        max_length=20,
        choices=UnitAggregation,
        default=UnitAggregation.SUM,
    )
    # RESTRICT, not PROTECT: the weight cannot be deleted on its own, but a programme can be
    # deleted with all its indicators (PROTECT refused even that).
    weight_indicator = models.ForeignKey(
        "self",
        models.RESTRICT,
        null=True,
        blank=True,
        related_name="weighted",
        verbose_name=_("weighted by"),
    )
    period_aggregation = models.CharField(
        _("combined across periods by"),
        max_length=10,
        choices=PeriodAggregation,
        default=PeriodAggregation.LAST,
    )
    baseline_value = models.DecimalField(
        _("baseline value"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    baseline_year = models.PositiveSmallIntegerField(_("baseline year"), null=True, blank=True)
    tolerance = models.DecimalField(
        _("tolerance (%)"),
        max_digits=5,
        decimal_places=2,
        default=10,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_(
            "How far behind the expected value, as a percentage of it, a figure is still "
            "“at risk” rather than “off track”."
        ),
    )
    source_clause = models.CharField(_("source clause"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    is_illustrative = models.BooleanField(_("illustrative"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    assigned_units: "models.ManyToManyField[OrgUnit, IndicatorAssignment]" = models.ManyToManyField(
        OrgUnit,
        through="IndicatorAssignment",
        related_name="assigned_indicators",
        blank=True,
        verbose_name=_("assigned units"),
    )

    class Meta:
        ordering = ["programme", "order", "code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "code"],
                name="indicator_code_unique",
                violation_error_message=UNIQUE_CODE,
            )
        ]

    def __str__(self) -> str:
        return f"{self.code}. {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("indicator_detail", args=[self.programme.slug, self.code])

    def clean(self) -> None:
        errors: dict = {}
        _check_same_programme(self, "group", errors)
        _check_same_programme(self, "weight_indicator", errors)
        weighted = self.unit_aggregation == self.UnitAggregation.WEIGHTED_MEAN
        if weighted and self.weight_indicator_id is None:
            errors["weight_indicator"] = _("A weighted mean needs the indicator that weights it.")
        if self.weight_indicator_id is not None and self.weight_indicator_id == self.pk:
            errors["weight_indicator"] = _("An indicator cannot weight itself.")
        if self.baseline_value is not None and self.baseline_year is None:
            errors["baseline_year"] = _("Give the year of the baseline value.")
        if self.value_type == self.ValueType.PERCENT and not _is_percentage(self.baseline_value):
            errors["baseline_value"] = _("A percentage must be between 0 and 100.")
        if errors:
            raise ValidationError(errors)


class IndicatorAssignment(models.Model):
    """An indicator a unit must report on."""

    indicator = models.ForeignKey(
        Indicator, models.CASCADE, related_name="assignments", verbose_name=_("indicator")
    )
    unit = models.ForeignKey(
        OrgUnit, models.PROTECT, related_name="indicator_assignments", verbose_name=_("unit")
    )

    class Meta:
        ordering = ["indicator", "unit__code"]
        verbose_name = _("indicator assignment")
        verbose_name_plural = _("indicator assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "unit"],
                name="indicator_assignment_unique",
                violation_error_message=_("This indicator is already assigned to this unit."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} → {self.unit}"

    def clean(self) -> None:
        indicator, unit = getattr(self, "indicator", None), getattr(self, "unit", None)
        if indicator and unit:
            programme = indicator.programme
            if not unit.exists_during(programme.first_day, programme.last_day):
                raise ValidationError(
                    {"unit": _("This unit did not exist during the programme's period.")}
                )


class Target(models.Model):
    """The value an indicator should reach by the end of a year, for the city or for one unit."""

    indicator = models.ForeignKey(
        Indicator, models.CASCADE, related_name="targets", verbose_name=_("indicator")
    )
    unit = models.ForeignKey(
        OrgUnit,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="targets",
        verbose_name=_("unit"),
        help_text=_("Empty for the programme-wide target."),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    value = models.DecimalField(_("target"), max_digits=20, decimal_places=4)
    upper_value = models.DecimalField(
        _("upper bound"),
        max_digits=20,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("For a range target such as 7-7.5 %."),
    )

    class Meta:
        ordering = ["indicator", "unit__code", "year"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "year"],
                condition=Q(unit__isnull=True),
                name="target_unique_programme_wide",
                violation_error_message=_("This indicator already has a target for this year."),
            ),
            models.UniqueConstraint(
                fields=["indicator", "unit", "year"],
                condition=Q(unit__isnull=False),
                name="target_unique_per_unit",
                violation_error_message=_(
                    "This indicator already has a target for this unit and year."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.year}: {self.value}"

    def clean(self) -> None:
        errors: dict[str, str | Promise] = {}
        indicator, unit = getattr(self, "indicator", None), getattr(self, "unit", None)
        if indicator and self.year:
            programme = indicator.programme
            if not programme.start_year <= self.year <= programme.end_year:
                errors["year"] = _(
                    "The year must be within the programme's period (%(start)s-%(end)s)."
                ) % {"start": programme.start_year, "end": programme.end_year}
            elif unit and not unit.exists_during(
                dt.date(self.year, 1, 1), dt.date(self.year, 12, 31)
            ):
                errors["unit"] = _("This unit did not exist in %(year)s.") % {"year": self.year}
            if indicator.value_type == Indicator.ValueType.PERCENT and not _is_percentage(
                self.value
            ):
                errors["value"] = _("A percentage must be between 0 and 100.")
        if (
            self.upper_value is not None
            and self.value is not None
            and self.upper_value < self.value
        ):
            errors["upper_value"] = _("The upper bound cannot be below the target.")
        if errors:
            raise ValidationError(errors)


class PlanItemQuerySet(models.QuerySet):
    def involving(self, units) -> "PlanItemQuerySet":
        """Items the units lead, coordinate or implement (units: a unit, ids or a queryset)."""
        if isinstance(units, OrgUnit):
            units = [units.pk]
        involved = PlanItem.objects.filter(
            Q(lead_unit__in=units) | Q(coordinating_units__in=units) | Q(assigned_units__in=units)
        ).values("pk")
        return self.filter(pk__in=involved)


class PlanItem(models.Model):
    """A scheme, project, programme, plan or task that carries out the programme."""

    class Kind(models.TextChoices):
        SCHEME = "de_an", _("Scheme (đề án)")
        PROJECT = "du_an", _("Project (dự án)")
        PROGRAMME = "chuong_trinh", _("Programme (chương trình)")
        PLAN = "ke_hoach", _("Plan (kế hoạch)")
        TASK = "nhiem_vu", _("Task (nhiệm vụ)")

    class State(models.TextChoices):
        PLANNED = "planned", _("Not started")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        SUSPENDED = "suspended", _("Suspended")
        CANCELLED = "cancelled", _("Cancelled")

    programme = models.ForeignKey(
        Programme, models.CASCADE, related_name="plan_items", verbose_name=_("programme")
    )
    parent = models.ForeignKey(
        "self",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("part of"),
    )
    code = models.CharField(_("code"), max_length=20)
    title = models.CharField(_("title"), max_length=500)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    objectives = models.ManyToManyField(
        Objective, blank=True, related_name="plan_items", verbose_name=_("objectives served")
    )
    indicators = models.ManyToManyField(
        Indicator, blank=True, related_name="plan_items", verbose_name=_("indicators served")
    )
    lead_unit = models.ForeignKey(
        OrgUnit, models.PROTECT, related_name="led_plan_items", verbose_name=_("lead unit")
    )
    coordinating_units = models.ManyToManyField(
        OrgUnit,
        blank=True,
        related_name="coordinated_plan_items",
        verbose_name=_("coordinating units"),
    )
    assigned_units = models.ManyToManyField(
        OrgUnit,
        blank=True,
        related_name="assigned_plan_items",
        verbose_name=_("implementing units"),
        help_text=_("Units that carry the item out locally, e.g. every district."),
    )
    responsible_official = models.CharField(_("responsible official"), max_length=200, blank=True)
    expected_product = models.TextField(_("expected product"), blank=True)
    start_date = models.DateField(_("start"))
    deadline = models.DateField(_("deadline"))
    # The first deadline, kept when the deadline is moved (the timeline shows both).
    baseline_deadline = models.DateField(_("original deadline"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=State, default=State.PLANNED)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    source_clause = models.CharField(_("source clause"), max_length=300, blank=True)
    is_illustrative = models.BooleanField(_("illustrative"), default=False)
    # Every write moves the version on, so a save made from an older copy is noticed.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    updated_at = models.DateTimeField(_("last change"), null=True, blank=True, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("changed by"),
    )

    objects = PlanItemQuerySet.as_manager()

    class Meta:
        ordering = ["programme", "code"]
        verbose_name = _("plan item")
        verbose_name_plural = _("plan items")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "code"],
                name="plan_item_code_unique",
                violation_error_message=UNIQUE_CODE,
            ),
            models.CheckConstraint(
                condition=Q(deadline__gte=models.F("start_date")),
                name="plan_item_deadline_after_start",
                violation_error_message=_("The deadline cannot be before the start."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}. {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("plan_item_detail", args=[self.programme.slug, self.code])

    def total_budget(self):
        return sum((b.amount for b in self.budget_lines.all()), start=0)

    def clean(self) -> None:
        errors: dict = {}
        _check_same_programme(self, "parent", errors)
        if self.start_date and self.deadline and self.deadline < self.start_date:
            errors["deadline"] = _("The deadline cannot be before the start.")
        if self.state == self.State.COMPLETED and self.completed_on is None:
            errors["completed_on"] = _("Give the date the item was completed.")
        if self.completed_on and self.start_date and self.completed_on < self.start_date:
            errors["completed_on"] = _("The completion date cannot be before the start.")
        lead = getattr(self, "lead_unit", None)
        if lead and self.start_date and not lead.exists_on(self.start_date):
            errors["lead_unit"] = _("%(unit)s did not exist on %(day)s.") % {
                "unit": lead,
                "day": date_format(self.start_date, "d/m/Y"),
            }
        if errors:
            raise ValidationError(errors)
        _check_tree_cycle(self)

    def update_at_version(self, user, seen: int, **changes) -> bool:
        """Write `changes` only if the stored item is still at version `seen`, moving it to the
        next version with who and when; False, writing nothing, if someone else wrote first.
        One conditional UPDATE, so of two saves from the same version only one can win."""
        now = timezone.now()
        written = PlanItem.objects.filter(pk=self.pk, version=seen).update(
            version=F("version") + 1, updated_at=now, updated_by=user, **changes
        )
        if written:
            self.version, self.updated_at, self.updated_by = seen + 1, now, user
            for name, value in changes.items():
                setattr(self, name, value)
        return bool(written)

    def units_missing_on_start(self, units) -> list[OrgUnit]:
        """Units (for the many-to-many fields) that did not exist when the item started."""
        return [u for u in units if not u.exists_on(self.start_date)]

    def units(self) -> list[OrgUnit]:
        """The lead, coordinating and implementing units, each once."""
        found = {self.lead_unit_id: self.lead_unit}
        for unit in [*self.coordinating_units.all(), *self.assigned_units.all()]:
            found.setdefault(unit.pk, unit)
        return list(found.values())

    def units_ending_before(self, deadline: dt.date, units) -> list[OrgUnit]:
        """Of these units, those that end before `deadline`, so cannot carry the item to it.
        A unit on the stored item that had ended before its stored deadline (a department
        merged in March 2025 while coordinating a 2021-2025 item) stays as the record of who
        took part: it is not judged again when the item changes."""
        past = set()
        if self.pk:
            stored = PlanItem.objects.get(pk=self.pk)
            past = {u.pk for u in stored.units() if u.valid_to and u.valid_to < stored.deadline}
        return [u for u in units if u.valid_to and u.valid_to < deadline and u.pk not in past]


class PlanItemBudget(models.Model):
    class Source(models.TextChoices):
        CITY = "city", _("City budget")
        DISTRICT = "district", _("District budget")
        CENTRAL = "central", _("Central budget")
        ENTERPRISE = "enterprise", _("Enterprises")
        OTHER = "other", _("Other sources")

    plan_item = models.ForeignKey(
        PlanItem, models.CASCADE, related_name="budget_lines", verbose_name=_("plan item")
    )
    source = models.CharField(_("source"), max_length=20, choices=Source)
    amount = models.DecimalField(_("planned amount (million VND)"), max_digits=16, decimal_places=3)

    class Meta:
        ordering = ["plan_item", "source"]
        verbose_name = _("planned budget")
        verbose_name_plural = _("planned budget")
        constraints = [
            models.UniqueConstraint(
                fields=["plan_item", "source"],
                name="plan_item_budget_unique_source",
                violation_error_message=_("This source is already listed for the item."),
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="plan_item_budget_not_negative",
                violation_error_message=_("An amount cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()}: {self.amount}"
