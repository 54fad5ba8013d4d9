"""Reads for reporting: the rows of one report, and where every unit stands on a form."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.formats import get_format

from steer.core.numbers import number_text
from steer.programmes.models import Indicator, Target
from steer.reporting.checks import bounds
from steer.reporting.imports import NO_VALUE, value_version
from steer.reporting.models import DataValue, FormLine, ReportForm, Submission, absence_in
from steer.reporting.periods import Period


@dataclass
class ReportRow:
    line: FormLine
    option: str  # "" for the whole value
    option_name: str
    stored: DataValue | None
    previous: Decimal | None
    target: Decimal | None
    low: Decimal | None
    high: Decimal | None

    @property
    def indicator(self) -> Indicator:
        return self.line.indicator

    @property
    def key(self) -> str:
        return f"{self.indicator.code}|{self.option}" if self.option else self.indicator.code

    @property
    def field(self) -> str:
        return "v-" + self.key.replace("|", "--")

    @property
    def typed(self) -> str:
        """The stored figure as a field holds it: the language's decimal mark and no grouping,
        so a figure saved untouched reads back as the same number (1.250 would read as 1,25)."""
        if self.stored is None:
            return ""
        marks = str.maketrans({",": "", ".": get_format("DECIMAL_SEPARATOR")})
        return number_text(self.stored.value, None, marks)

    @property
    def version(self) -> str:
        """The token of the stored figure, sent back on save to notice a change made meanwhile."""
        stored = self.stored
        if stored is None:
            return NO_VALUE
        return value_version(stored.value, stored.quality, stored.comment)


def report_rows(form: ReportForm, unit, period: Period) -> list[ReportRow]:
    lines = list(
        form.lines.select_related("indicator", "breakdown").prefetch_related("breakdown__options")
    )
    indicator_ids = [line.indicator_id for line in lines]
    previous_code = period.previous().code
    stored, previous = {}, {}
    values = DataValue.objects.filter(
        unit=unit, indicator_id__in=indicator_ids, period__in=[period.code, previous_code]
    )
    for value in values:
        target = stored if value.period == period.code else previous
        target[(value.indicator_id, value.option)] = value
    targets = {}
    # A unit's own target, else the programme-wide one where it applies to each unit (a rate);
    # a city total summed over units (2,500 OCOP products) is no single unit's target.
    shared = Q(unit__isnull=True) & ~Q(indicator__unit_aggregation=Indicator.UnitAggregation.SUM)
    for target in Target.objects.filter(
        Q(unit=unit) | shared, indicator_id__in=indicator_ids, year=period.year
    ):
        if target.unit_id or target.indicator_id not in targets:
            targets[target.indicator_id] = target.value
    rows = []
    for line in lines:
        low, high = bounds(line)
        parts = [("", "")]
        if line.breakdown_id:
            parts += [(o.code, o.name) for o in line.breakdown.options.all()]
        for code, name in parts:
            before = previous.get((line.indicator_id, code))
            rows.append(
                ReportRow(
                    line=line,
                    option=code,
                    option_name=name,
                    stored=stored.get((line.indicator_id, code)),
                    previous=before.value if before else None,
                    target=targets.get(line.indicator_id) if not code else None,
                    low=low,
                    high=high,
                )
            )
    return rows


@dataclass
class UnitStatus:
    unit: object
    submission: Submission | None
    status: str  # on_time, late, missing, overdue
    blocking: int
    warnings: int


def form_status(form: ReportForm, period: Period, units, today: dt.date | None = None):
    """Each expected unit's report for the period: on time, late, not yet due, or overdue."""
    today = today or timezone.localdate()
    deadline = form.deadline(period)
    expected = list(form.units_expected(period).filter(pk__in=units).order_by("code"))
    submissions = {
        s.unit_id: s
        for s in Submission.objects.filter(form=form, period=period.code, unit__in=expected)
    }
    counts = {}
    for s in (
        Submission.objects.filter(form=form, period=period.code)
        .annotate(
            blocking=Count("violations", filter=Q(violations__severity="block")),
            warnings=Count("violations", filter=Q(violations__severity="warn")),
        )
        .values("unit_id", "blocking", "warnings")
    ):
        counts[s["unit_id"]] = (s["blocking"], s["warnings"])
    rows = []
    for unit in expected:
        s = submissions.get(unit.pk)
        if s is not None and s.first_submitted_at is not None:
            on_time = timezone.localtime(s.first_submitted_at).date() <= deadline
            status = "on_time" if on_time else "late"
        else:
            status = "overdue" if today > deadline else "missing"
        blocking, warnings = counts.get(unit.pk, (0, 0))
        rows.append(UnitStatus(unit, s, status, blocking, warnings))
    return deadline, rows


def reports_of_absent_units() -> list[tuple[Submission, str]]:
    """Stored reports of a unit for a period it did not exist in, with the reason. Entry
    refuses them and the figures ignore them; these came before the rule, or round it."""
    rows = (
        Submission.objects.filter(
            Q(unit__valid_from__isnull=False) | Q(unit__valid_to__isnull=False)
        )
        .select_related("form__programme", "unit")
        .annotate(value_count=Count("values"))
        .order_by("form__programme__slug", "form__code", "period", "unit__code")
    )
    found = []
    for submission in rows:
        reason = absence_in(submission.unit, submission.period_obj)
        if reason:
            found.append((submission, reason))
    return found
