"""Reads for reporting: the rows of one report, where every unit stands on a form, and the
pages built from them."""

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from steer.accounts.access import Access
from steer.core.numbers import number_text
from steer.programmes.models import Indicator, Programme, Target
from steer.reporting import workflow
from steer.reporting.checks import bounds, violation_text
from steer.reporting.imports import NO_VALUE, Problem, parse_number, value_version
from steer.reporting.labels import period_label, reminder_text
from steer.reporting.models import (
    DataValue,
    FormLine,
    Reminder,
    ReportForm,
    Submission,
    SubmissionEvent,
    Violation,
    absence_in,
)
from steer.reporting.periods import Period
from steer.units.models import OrgUnit

STATUS_LABELS: dict[str, Promise] = {
    "on_time": gettext_lazy("On time"),
    "late": gettext_lazy("Late"),
    "missing": gettext_lazy("Not yet due"),
    "overdue": gettext_lazy("Overdue"),
}


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
    # A refused save: the problems of this row, and what the editor typed (None: show what is
    # stored).
    problems: list[str] = dataclasses.field(default_factory=list)
    posted: str | None = None
    posted_quality: str | None = None
    posted_comment: str | None = None

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
    def where(self) -> str:
        """How the row's entry and its problems are named."""
        return f"{self.indicator.code}{' – ' + self.option_name if self.option else ''}"

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


def report_rows(form: ReportForm, unit: OrgUnit, period: Period) -> list[ReportRow]:
    lines = list(
        form.lines.select_related("indicator", "breakdown").prefetch_related("breakdown__options")
    )
    indicator_ids = [line.indicator_id for line in lines]
    previous_code = period.previous().code
    stored: dict[tuple[int, str], DataValue] = {}
    previous: dict[tuple[int, str], DataValue] = {}
    values = DataValue.objects.filter(
        unit=unit, indicator_id__in=indicator_ids, period__in=[period.code, previous_code]
    )
    for value in values:
        of_period = stored if value.period == period.code else previous
        of_period[(value.indicator_id, value.option)] = value
    targets: dict[int, Decimal] = {}
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
        if line.breakdown is not None:
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
    unit: OrgUnit
    submission: Submission | None
    status: str  # on_time, late, missing, overdue
    blocking: int
    warnings: int
    reminded: dt.datetime | None = None  # when it was last reminded, on the form's page

    @property
    def label(self) -> Promise:
        return STATUS_LABELS[self.status]


def form_status(
    form: ReportForm, period: Period, units: QuerySet[OrgUnit], today: dt.date | None = None
) -> tuple[dt.date, list[UnitStatus]]:
    """Each expected unit's report for the period: on time, late, not yet due, or overdue."""
    today = today or timezone.localdate()
    deadline = form.deadline(period)
    expected = list(form.units_expected(period).filter(pk__in=units).order_by("code"))
    submissions = {
        s.unit_id: s
        for s in Submission.objects.filter(form=form, period=period.code, unit__in=expected)
    }
    counts = {}
    for counted in (
        Submission.objects.filter(form=form, period=period.code)
        .annotate(
            blocking=Count("violations", filter=Q(violations__severity="block")),
            warnings=Count("violations", filter=Q(violations__severity="warn")),
        )
        .values("unit_id", "blocking", "warnings")
    ):
        counts[counted["unit_id"]] = (counted["blocking"], counted["warnings"])
    rows = []
    for unit in expected:
        submission = submissions.get(unit.pk)
        if submission is not None and submission.first_submitted_at is not None:
            on_time = timezone.localtime(submission.first_submitted_at).date() <= deadline
            status = "on_time" if on_time else "late"
        else:
            status = "overdue" if today > deadline else "missing"
        blocking, warnings = counts.get(unit.pk, (0, 0))
        rows.append(UnitStatus(unit, submission, status, blocking, warnings))
    return deadline, rows


@dataclass(frozen=True)
class FormStatusPage:
    """Where every unit the user may see stands on a form in a period, and the reminders."""

    programme: Programme
    form: ReportForm
    period: Period
    period_label: str
    periods: list[tuple[Period, str]]
    deadline: dt.date
    rows: list[UnitStatus]
    counts: dict[str, int]
    expected: int
    overdue: list[tuple[UnitStatus, str]]  # with the text of its reminder
    can_remind: bool
    violations: list[tuple[Violation, str]]


def form_status_page(
    *, access: Access, programme: Programme, form: ReportForm, period: Period
) -> FormStatusPage:
    deadline, rows = form_status(form, period, access.report_units(programme))
    reminded = dict(
        Reminder.objects.filter(form=form, period=period.code).values_list("unit_id", "sent_at")
    )
    for row in rows:
        row.reminded = reminded.get(row.unit.pk)
    violations = []
    if rows:
        violations = [
            (v, violation_text(v))
            for v in Violation.objects.filter(
                submission__form=form,
                submission__period=period.code,
                submission__unit__in=[r.unit for r in rows],
            ).select_related("submission__unit", "indicator", "rule")
        ]
    return FormStatusPage(
        programme=programme,
        form=form,
        period=period,
        period_label=period_label(period),
        periods=[(p, period_label(p, capital=True)) for p in form.periods()],
        deadline=deadline,
        rows=rows,
        counts={key: sum(1 for r in rows if r.status == key) for key in STATUS_LABELS},
        expected=len(rows),
        overdue=[
            (r, reminder_text(form, period, deadline, r.unit))
            for r in rows
            if r.status == "overdue"
        ],
        can_remind=access.can_accept(programme),
        violations=violations,
    )


@dataclass(frozen=True)
class ReportEntryPage:
    """One unit's report for a period: its figures to enter or read, and its workflow."""

    programme: Programme
    form: ReportForm
    period: Period
    period_label: str
    deadline: dt.date
    unit: OrgUnit
    submission: Submission | None
    rows: list[ReportRow]
    editable: bool
    can_submit: bool
    problems: list[Problem]  # of a save refused
    violations: list[tuple[Violation, str]]
    events: list[SubmissionEvent]
    actions: list[str]  # the workflow steps the user may take, submitting aside


def report_entry_page(
    *,
    access: Access,
    programme: Programme,
    form: ReportForm,
    unit: OrgUnit,
    period: Period,
    problems: list[Problem],
    sent: Mapping[str, str],
) -> ReportEntryPage:
    """The page of a report; after a refused save (`problems`), each row the editor changed
    shows what they typed (`sent`, the form as sent), the others what is stored now."""
    submission = Submission.objects.filter(form=form, unit=unit, period=period.code).first()
    rows = report_rows(form, unit, period)
    if problems:
        _show_refused(rows, problems, sent)
    editable = (submission is None or submission.is_editable) and access.can_enter_values(
        programme, unit.pk
    )
    violations: list[tuple[Violation, str]] = []
    events: list[SubmissionEvent] = []
    allowed: list[str] = [workflow.Action.SUBMIT]
    if submission:
        violations = [
            (v, violation_text(v))
            for v in submission.violations.select_related("indicator", "rule")
        ]
        events = list(submission.events.select_related("user"))
        allowed = workflow.allowed_actions(submission, access.user)
    return ReportEntryPage(
        programme=programme,
        form=form,
        period=period,
        period_label=period_label(period),
        deadline=form.deadline(period),
        unit=unit,
        submission=submission,
        rows=rows,
        editable=editable,
        can_submit=editable and workflow.Action.SUBMIT in allowed,
        problems=problems,
        violations=violations,
        events=events,
        actions=[a for a in allowed if a != workflow.Action.SUBMIT],
    )


def _show_refused(rows: list[ReportRow], problems: list[Problem], sent: Mapping[str, str]) -> None:
    """Each row's problems, and what the editor typed where they changed the row: a row left
    as the page showed it shows what is stored now, so a figure changed meanwhile is not sent
    back stale."""
    at_field: dict[str, list[str]] = {}
    for p in problems:
        at_field.setdefault(p.where, []).append(p.message)
    for row in rows:
        row.problems = at_field.get(row.where, [])
        if not _untouched(sent, row):
            row.posted = sent.get(row.field, "")
            row.posted_quality = sent.get(row.field + "-q")
            row.posted_comment = sent.get(row.field + "-c")


def _untouched(sent: Mapping[str, str], row: ReportRow) -> bool:
    """Whether the editor left the row as the page showed it (the figure of the token sent)."""
    try:
        value = parse_number(sent.get(row.field, ""))
    except ValueError:
        return False
    quality = sent.get(row.field + "-q", "")
    shown = value_version(value, quality, sent.get(row.field + "-c", ""))
    return shown == sent.get(row.field + "-v")


class AbsentReport(NamedTuple):
    submission: Submission
    reason: str  # why the unit did not exist in the period
    value_count: int  # the figures it holds


def reports_of_absent_units() -> list[AbsentReport]:
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
            found.append(AbsentReport(submission, reason, submission.value_count))
    return found
