"""What units report: forms, the values they hold, submissions and their workflow, and the audit."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from steer.programmes.models import UNIQUE_CODE, Indicator, Programme
from steer.reporting.periods import Period, PeriodType, period_name, periods_between
from steer.units.models import OrgUnit

PERIOD_TYPE_CHOICES = [
    (PeriodType.MONTH.value, _("Monthly")),
    (PeriodType.QUARTER.value, _("Quarterly")),
    (PeriodType.HALF.value, _("Six-monthly")),
    (PeriodType.NINE_MONTHS.value, _("Nine months")),
    (PeriodType.YEAR.value, _("Yearly")),
]

# Every figure column: numeric(20, 4).
DIGITS, PLACES = 20, 4


class Breakdown(models.Model):
    """A way to split a value into parts, e.g. high-tech farming models by sector."""

    programme = models.ForeignKey(
        Programme, models.CASCADE, related_name="breakdowns", verbose_name=_("programme")
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["programme", "code"]
        verbose_name = _("breakdown")
        verbose_name_plural = _("breakdowns")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "code"],
                name="breakdown_code_unique",
                violation_error_message=UNIQUE_CODE,
            )
        ]

    def __str__(self) -> str:
        return self.name


class BreakdownOption(models.Model):
    breakdown = models.ForeignKey(
        Breakdown, models.CASCADE, related_name="options", verbose_name=_("breakdown")
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["breakdown", "order", "code"]
        verbose_name = _("breakdown option")
        verbose_name_plural = _("breakdown options")
        constraints = [
            models.UniqueConstraint(
                fields=["breakdown", "code"],
                name="breakdown_option_code_unique",
                violation_error_message=_("This code is already used in the breakdown."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class ReportForm(models.Model):
    """What a programme asks units to report: which indicators, by whom, how often."""

    programme = models.ForeignKey(
        Programme, models.CASCADE, related_name="report_forms", verbose_name=_("programme")
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=300)
    period_type = models.CharField(_("period"), max_length=12, choices=PERIOD_TYPE_CHOICES)
    first_year = models.PositiveSmallIntegerField(_("first year reported"))
    last_year = models.PositiveSmallIntegerField(_("last year reported"))
    units = models.ManyToManyField(
        OrgUnit, related_name="report_forms", verbose_name=_("reporting units")
    )
    instructions = models.TextField(_("instructions"), blank=True)

    class Meta:
        ordering = ["programme", "code"]
        verbose_name = _("report form")
        verbose_name_plural = _("report forms")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "code"],
                name="report_form_code_unique",
                violation_error_message=UNIQUE_CODE,
            )
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("form_status", args=[self.programme.slug, self.code])

    def periods(self) -> list[Period]:
        return periods_between(PeriodType(self.period_type), self.first_year, self.last_year)

    def deadline(self, period: Period):
        return period.deadline(self.programme.report_deadline_days)

    def asks(self, unit: OrgUnit, period: Period) -> bool:
        """Whether this form asks the unit for a report of this period (see `refusal`)."""
        return self.refusal(unit, period) is None

    def refusal(self, unit: OrgUnit, period: Period, *, unit_ids=None) -> str | None:
        """Why this form asks the unit for no report of this period, or None if it asks: the
        period is of the form's kind and years, the unit is one of the form's units, and it
        exists on the period's cut-off end day (`units_expected`). `unit_ids`, the form's
        units if already read, spares a query."""
        if period.type.value != self.period_type or not (
            self.first_year <= period.year <= self.last_year
        ):
            return gettext("form %(form)s is not reported for period %(period)s.") % {
                "form": self.code,
                "period": period_name(period, get_language() or "vi"),
            }
        listed = (
            unit.pk in unit_ids if unit_ids is not None else self.units.filter(pk=unit.pk).exists()
        )
        if not listed:
            return gettext("unit %(unit)s does not report on form %(form)s.") % {
                "unit": unit.code,
                "form": self.code,
            }
        return absence_in(unit, period)

    def units_expected(self, period: Period):
        # A unit dissolved during the window hands its report to its successors.
        return self.units.existing_on(period.cutoff_end)

    def clean(self) -> None:
        programme = getattr(self, "programme", None)
        if programme and self.first_year and self.last_year:
            years = programme.years()
            if self.first_year not in years or self.last_year not in years:
                raise ValidationError(
                    {"first_year": _("The years reported must lie within the programme's years.")}
                )
            if self.last_year < self.first_year:
                raise ValidationError(
                    {"last_year": _("The last year cannot be before the first year.")}
                )


def absence_in(unit: OrgUnit, period: Period) -> str | None:
    """Why the unit has no report of the period, if it did not exist on the period's cut-off
    end day (Decree 09): one dissolved before then hands the period to its successors, one
    formed after then reports from the next period."""
    day = period.cutoff_end
    if unit.exists_on(day):
        return None
    words = {
        "unit": unit.name,
        "day": _dmy(day),
        "period": period_name(period, get_language() or "vi"),
    }
    if unit.valid_to is not None and unit.valid_to < day:
        return gettext(
            "%(unit)s no longer existed on %(day)s, the cut-off end day of period %(period)s: "
            "it ended on %(end)s."
        ) % {**words, "end": _dmy(unit.valid_to)}
    return gettext(
        "%(unit)s did not exist yet on %(day)s, the cut-off end day of period %(period)s: "
        "it began on %(start)s."
    ) % {**words, "start": _dmy(unit.valid_from)}


def _dmy(day) -> str:
    return date_format(day, "d/m/Y")


class FormLine(models.Model):
    """One indicator on a form, with the bounds a reported value must respect."""

    form = models.ForeignKey(
        ReportForm, models.CASCADE, related_name="lines", verbose_name=_("report form")
    )
    indicator = models.ForeignKey(
        Indicator, models.CASCADE, related_name="form_lines", verbose_name=_("indicator")
    )
    breakdown = models.ForeignKey(
        Breakdown,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="form_lines",
        verbose_name=_("breakdown"),
    )
    required = models.BooleanField(_("required"), default=True)
    min_value = models.DecimalField(
        _("smallest value"), null=True, blank=True, max_digits=DIGITS, decimal_places=PLACES
    )
    max_value = models.DecimalField(
        _("largest value"), null=True, blank=True, max_digits=DIGITS, decimal_places=PLACES
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["form", "order", "indicator__code"]
        verbose_name = _("form line")
        verbose_name_plural = _("form lines")
        constraints = [
            models.UniqueConstraint(
                fields=["form", "indicator"],
                name="form_line_unique",
                violation_error_message=_("This indicator is already on the form."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.form.code} / {self.indicator.code}"

    def clean(self) -> None:
        form, indicator = getattr(self, "form", None), getattr(self, "indicator", None)
        if not (form and indicator):
            return
        if indicator.programme_id != form.programme_id:
            raise ValidationError({"indicator": _("This belongs to another programme.")})
        # One form per indicator and period type, so every value belongs to one submission.
        clash = FormLine.objects.filter(
            indicator=indicator, form__period_type=form.period_type
        ).exclude(pk=self.pk)
        if clash.exclude(form=form).exists():
            raise ValidationError(
                {"indicator": _("Another form already collects this indicator for this period.")}
            )
        low, high = self.min_value, self.max_value
        if low is not None and high is not None and low > high:
            raise ValidationError(
                {"max_value": _("The largest value cannot be below the smallest value.")}
            )


class Submission(models.Model):
    """A unit's report on one form for one period, and where it stands in the workflow."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned")
        APPROVED = "approved", _("Approved by the unit head")
        ACCEPTED = "accepted", _("Accepted by the standing agency")

    EDITABLE = (State.DRAFT, State.RETURNED)
    # The states whose values count in the figures.
    COUNTED = (State.APPROVED, State.ACCEPTED)

    form = models.ForeignKey(
        ReportForm, models.CASCADE, related_name="submissions", verbose_name=_("report form")
    )
    unit = models.ForeignKey(
        OrgUnit, models.PROTECT, related_name="submissions", verbose_name=_("unit")
    )
    period = models.CharField(_("period"), max_length=8)
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.DRAFT)
    first_submitted_at = models.DateTimeField(_("first submitted"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    updated_at = models.DateTimeField(_("last change"), auto_now=True)

    class Meta:
        ordering = ["form", "period", "unit__code"]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        constraints = [
            models.UniqueConstraint(
                fields=["form", "unit", "period"],
                name="submission_unique",
                violation_error_message=_("This unit already has a report for this period."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.form.code} {self.period} {self.unit.code}"

    def get_absolute_url(self) -> str:
        return reverse(
            "report_entry",
            args=[self.form.programme.slug, self.form.code, self.period, self.unit.code],
        )

    @property
    def is_editable(self) -> bool:
        return self.state in self.EDITABLE

    @property
    def period_obj(self) -> Period:
        return Period.parse(self.period)


class SubmissionEvent(models.Model):
    """One step of the workflow: who moved the report, from which state to which, and why."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("Submitted")
        RETURN = "return", _("Returned")
        APPROVE = "approve", _("Approved")
        ACCEPT = "accept", _("Accepted")
        REOPEN = "reopen", _("Reopened")

    submission = models.ForeignKey(
        Submission, models.CASCADE, related_name="events", verbose_name=_("submission")
    )
    action = models.CharField(_("action"), max_length=10, choices=Action)
    from_state = models.CharField(_("from"), max_length=10, choices=Submission.State)
    to_state = models.CharField(_("to"), max_length=10, choices=Submission.State)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["submission", "at", "pk"]
        verbose_name = _("workflow step")
        verbose_name_plural = _("workflow steps")

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.at:%d/%m/%Y %H:%M})"


class Quality(models.TextChoices):
    OFFICIAL = "official", _("Official")
    ESTIMATE = "estimate", _("Estimate")


class DataValue(models.Model):
    """The figure a unit reported for an indicator (or one part of it) in a period."""

    submission = models.ForeignKey(
        Submission, models.CASCADE, related_name="values", verbose_name=_("submission")
    )
    indicator = models.ForeignKey(
        Indicator, models.CASCADE, related_name="values", verbose_name=_("indicator")
    )
    unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="values", verbose_name=_("unit"))
    period = models.CharField(_("period"), max_length=8)
    # Empty for the whole value; otherwise the code of a breakdown option.
    option = models.CharField(_("part"), max_length=40, blank=True)
    value = models.DecimalField(_("value"), max_digits=DIGITS, decimal_places=PLACES)
    quality = models.CharField(
        _("status of the figure"), max_length=10, choices=Quality, default=Quality.OFFICIAL
    )
    comment = models.TextField(_("comment"), blank=True)
    updated_at = models.DateTimeField(_("last change"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("changed by")
    )

    class Meta:
        ordering = ["indicator", "unit", "period", "option"]
        verbose_name = _("reported value")
        verbose_name_plural = _("reported values")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "unit", "period", "option"], name="data_value_unique"
            )
        ]
        indexes = [models.Index(fields=["unit", "period"])]

    def __str__(self) -> str:
        part = f" [{self.option}]" if self.option else ""
        return f"{self.indicator.code}{part} {self.unit.code} {self.period}: {self.value}"


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    EXCEL = "excel", _("Excel workbook")
    API = "api", _("API")
    IMPORT = "import", _("File import")


class ValueChange(models.Model):
    """Every change of a reported value, kept for good (the value's history)."""

    indicator = models.ForeignKey(
        Indicator, models.CASCADE, related_name="+", verbose_name=_("indicator")
    )
    unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("unit"))
    period = models.CharField(_("period"), max_length=8)
    option = models.CharField(_("part"), max_length=40, blank=True)
    old_value = models.DecimalField(
        _("old value"), null=True, blank=True, max_digits=DIGITS, decimal_places=PLACES
    )
    new_value = models.DecimalField(
        _("new value"), null=True, blank=True, max_digits=DIGITS, decimal_places=PLACES
    )
    old_comment = models.TextField(_("old comment"), blank=True)
    new_comment = models.TextField(_("new comment"), blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel)
    source = models.CharField(_("source file"), max_length=255, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("value change")
        verbose_name_plural = _("value changes")
        indexes = [models.Index(fields=["indicator", "unit", "period", "option"])]

    def __str__(self) -> str:
        return (
            f"{self.indicator_id} {self.unit_id} {self.period}: {self.old_value} → {self.new_value}"
        )


def evidence_path(instance, filename: str) -> str:
    value = instance.value
    return f"evidence/{value.period}/{value.unit.code}/{filename}"


class Evidence(models.Model):
    """A file that backs a reported value (a decision, a list, a photo of a register)."""

    value = models.ForeignKey(
        DataValue, models.CASCADE, related_name="evidence", verbose_name=_("value")
    )
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=300)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        ordering = ["value", "uploaded_at"]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self) -> str:
        return self.name


class ValidationRule(models.Model):
    """A check between the values of one unit and period, e.g. parts add up to the whole.

    Each side is a sum of indicator codes (CT11 + CT12 + CT13) or of one indicator's parts
    (CT10.trong-trot); numbers are allowed.
    """

    class Operator(models.TextChoices):
        EQ = "==", "="
        LE = "<=", "≤"
        GE = ">=", "≥"
        LT = "<", "<"
        GT = ">", ">"

    class Severity(models.TextChoices):
        BLOCK = "block", _("Blocks submission")
        WARN = "warn", _("Warning")

    programme = models.ForeignKey(
        Programme, models.CASCADE, related_name="validation_rules", verbose_name=_("programme")
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("description"), max_length=300)
    left = models.CharField(_("left side"), max_length=300)
    operator = models.CharField(_("comparison"), max_length=2, choices=Operator)
    right = models.CharField(_("right side"), max_length=300)
    severity = models.CharField(
        _("severity"), max_length=5, choices=Severity, default=Severity.BLOCK
    )

    class Meta:
        ordering = ["programme", "code"]
        verbose_name = _("validation rule")
        verbose_name_plural = _("validation rules")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "code"],
                name="validation_rule_code_unique",
                violation_error_message=UNIQUE_CODE,
            )
        ]

    def __str__(self) -> str:
        return f"{self.left} {self.get_operator_display()} {self.right}"

    def clean(self) -> None:
        from steer.reporting.rules import ExpressionError, parse_expression

        reasons = {
            "empty": _("Enter an expression."),
            "unreadable": _(
                "“%(text)s” cannot be read: use indicator codes (CT15, CT10.trong-trot), "
                "numbers and + or -."
            ),
            "operator": _("Put + or - before “%(text)s”."),
        }
        errors = {}
        for side in ("left", "right"):
            try:
                parse_expression(getattr(self, side))
            except ExpressionError as e:
                errors[side] = reasons[e.kind] % {"text": e.text[:40]}
        if errors:
            raise ValidationError(errors)


class Violation(models.Model):
    """A rule a submission breaks, as found when its values last changed."""

    class Kind(models.TextChoices):
        REQUIRED = "required", _("Missing value")
        PARTS = "parts", _("Parts do not add up")
        RULE = "rule", _("Rule")
        OUTLIER = "outlier", _("Unusual jump")

    submission = models.ForeignKey(
        Submission, models.CASCADE, related_name="violations", verbose_name=_("submission")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    severity = models.CharField(_("severity"), max_length=5, choices=ValidationRule.Severity)
    indicator = models.ForeignKey(
        Indicator, models.CASCADE, null=True, blank=True, related_name="+"
    )
    rule = models.ForeignKey(
        ValidationRule, models.CASCADE, null=True, blank=True, related_name="violations"
    )
    params = models.JSONField(default=dict)

    class Meta:
        ordering = ["submission", "severity", "pk"]
        verbose_name = _("rule violation")
        verbose_name_plural = _("rule violations")

    def __str__(self) -> str:
        return f"{self.submission_id}: {self.kind}"


class ImportBatch(models.Model):
    """An uploaded file between preview and confirmation; kept afterwards as the record."""

    class State(models.TextChoices):
        PREVIEWED = "previewed", _("Awaiting confirmation")
        APPLIED = "applied", _("Written")
        CANCELLED = "cancelled", _("Cancelled")

    programme = models.ForeignKey(
        Programme, models.CASCADE, related_name="imports", verbose_name=_("programme")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("by")
    )
    file_name = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField(_("content"))
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.PREVIEWED)
    summary = models.JSONField(_("summary"), default=dict)
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    applied_at = models.DateTimeField(_("written"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return self.file_name


class Reminder(models.Model):
    """A reminder the standing agency sent to a unit that has not reported."""

    form = models.ForeignKey(ReportForm, models.CASCADE, related_name="reminders")
    unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    period = models.CharField(_("period"), max_length=8)
    text = models.TextField(_("text"))
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")

    def __str__(self) -> str:
        return f"{self.unit_id} {self.period}"
