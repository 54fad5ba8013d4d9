"""The one way values get written: entries are checked, compared with what is stored, then written.

Every channel (the web form, the Excel workbook, CSV and DHIS2 files, the command line, the API)
turns its input into `Entry` rows and calls `plan_entries` (for a preview) or `write_entries`.
Any problem refuses the whole batch: nothing is written.
"""

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from steer.accounts.access import access_for
from steer.core.bulk import insert_rows, prepared
from steer.core.templatetags.steer import num
from steer.programmes.models import Indicator, Programme
from steer.reporting.checks import refresh_violations, value_checker
from steer.reporting.models import (
    BreakdownOption,
    DataValue,
    FormLine,
    Quality,
    ReportForm,
    Submission,
    ValueChange,
)
from steer.reporting.periods import Period, PeriodError
from steer.reporting.safety import spreadsheet_error
from steer.units.models import OrgUnit

MAX_PROBLEMS = 200
TOTAL_OPTIONS = {"", "default", "total"}
QUALITY_WORDS = {
    "": Quality.OFFICIAL,
    "official": Quality.OFFICIAL,
    "chính thức": Quality.OFFICIAL,
    "estimate": Quality.ESTIMATE,
    "ước tính": Quality.ESTIMATE,
}


@dataclass
class Entry:
    """One incoming value, with where it came from (a cell, a line) for messages."""

    where: str
    unit: str
    period: str
    indicator: str
    option: str
    value: object
    quality: str = ""
    comment: str | None = None  # None keeps the stored comment
    # The value_version of the figure the editor saw when the form was opened; None: no guard.
    version: str | None = None


def value_version(value, quality="", comment="") -> str:
    """A short token of a stored figure (value, status, comment); a missing figure has its own.
    An editor sends back the token of what they saw, so a change made meanwhile is noticed."""
    if value is None:
        text = repr((None, "", ""))
    else:
        number = format(Decimal(value).normalize(), "f")
        text = repr((number, str(quality or ""), (comment or "").strip()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


NO_VALUE = value_version(None)


@dataclass(frozen=True)
class Problem:
    where: str
    message: str
    # Someone else changed the value meanwhile (the API answers 409 when only these remain).
    conflict: bool = False
    # The user may not enter this unit's figures (the API answers 403 when only these remain).
    forbidden: bool = False

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class Rejected(Exception):
    """The batch cannot be written; `problems` says where and why."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems[:5]))
        self.problems = problems


@dataclass
class Change:
    kind: str  # new, changed, unchanged, removed
    where: str
    indicator: Indicator
    unit: OrgUnit
    period: str
    option: str
    form_id: int
    old: tuple | None  # (pk, value, quality, comment)
    value: Decimal | None
    quality: str
    comment: str


@dataclass
class Plan:
    programme: Programme
    changes: list[Change] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("new", "changed", "unchanged", "removed"), 0)
        for change in self.changes:
            counts[change.kind] += 1
        return counts

    @property
    def writes(self) -> list[Change]:
        return [c for c in self.changes if c.kind != "unchanged"]

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for c in self.writes:
            old = c.old[1:] if c.old else None
            digest.update(
                repr((c.kind, c.indicator.pk, c.unit.pk, c.period, c.option, old, c.value)).encode()
            )
            digest.update(repr((c.quality, c.comment)).encode())
        return digest.hexdigest()


_INFINITIES = (float("inf"), float("-inf"))
# PostgreSQL keeps a figure as numeric(20, 4) and SQLite as a REAL of 15 significant digits: a
# figure of at most 15 digits, at most 4 of them decimals, is stored identically by both.
MAX_DIGITS = 15
MAX_PLACES = DataValue._meta.get_field("value").decimal_places
# Longer text cannot be such a figure, however it is written; it is not parsed at all.
MAX_NUMBER_TEXT = 60


def parse_number(raw) -> Decimal | None:
    """A number from a cell or a text field; None for empty. Raises ValueError with the reason."""
    if isinstance(raw, float):  # a workbook's number: the common case, checked first
        if raw != raw:
            raise ValueError(_("not a number"))
        if raw in _INFINITIES:
            raise ValueError(_too_long(raw))
        text = repr(raw)
        return _bounded(Decimal(text), raw, text)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise ValueError(_("a yes/no value is not a number"))
    if isinstance(raw, dt.date | dt.time | dt.timedelta):
        raise ValueError(_("the cell holds a date, not a number"))
    if isinstance(raw, int):
        return _bounded(Decimal(raw), raw, "e")
    text = str(raw).strip().replace("\u00a0", "").replace(" ", "")
    error = text[:1] == "#" and spreadsheet_error(text)
    if error:
        raise ValueError(
            _("%(error)s is a spreadsheet error, not a figure; correct it and enter the figure")
            % {"error": error}
        )
    if len(text) > MAX_NUMBER_TEXT:
        raise ValueError(_too_long(raw))
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")  # Vietnamese decimal comma: 62,86
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(_("“%(text)s” is not a number") % {"text": str(raw)[:40]}) from None
    if not number.is_finite():
        raise ValueError(_("not a number"))
    return _bounded(number, raw, text)


def _bounded(number: Decimal, raw, text: str) -> Decimal:
    """The figure in plain form (12.5, 1000, never 1.2E+3 or -0), if the columns hold it exactly.
    Worked out from the digits alone: arithmetic on 1e999999999 would overflow."""
    if "e" not in text and "E" not in text:  # 95.6 or 1250.0 as typed: its digits are the text's
        whole, _dot, part = text.lstrip("+-").partition(".")
        part = part.rstrip("0")
        if len(part) <= MAX_PLACES and len(whole) + len(part) <= MAX_DIGITS:
            return number if number else Decimal(0)
    _sign, digits, exponent = number.as_tuple()
    end = len(digits)
    while exponent < 0 and end > 1 and digits[end - 1] == 0:  # 12.50 has one decimal
        end -= 1
        exponent += 1
    places = max(0, -exponent)
    if places > MAX_PLACES or max(0, end + exponent) + places > MAX_DIGITS:
        raise ValueError(_too_long(raw))
    if not any(digits):
        return Decimal(0)
    return number.quantize(Decimal(1).scaleb(-places))


def _too_long(raw) -> str:
    # str() of an int of thousands of digits is refused by Python itself; a Decimal's is not.
    text = str(Decimal(raw) if isinstance(raw, int) else raw)
    return _(
        "“%(text)s” cannot be stored: a figure has at most %(digits)s digits, at most "
        "%(places)s of them after the decimal mark"
    ) % {
        "text": text if len(text) <= 40 else text[:39] + "…",
        "digits": MAX_DIGITS,
        "places": MAX_PLACES,
    }


class _Catalogue:
    """The programme's forms, lines, units and stored values, loaded once per batch."""

    def __init__(self, programme: Programme, entries: list[Entry]):
        self.indicators = {i.code: i for i in programme.indicators.all()}
        self.lines: dict[tuple[str, str], FormLine] = {}
        for line in FormLine.objects.filter(form__programme=programme).select_related(
            "indicator", "form"
        ):
            self.lines[(line.indicator.code, line.form.period_type)] = line
        options = defaultdict(set)
        for breakdown_id, code in BreakdownOption.objects.filter(
            breakdown__programme=programme
        ).values_list("breakdown_id", "code"):
            options[breakdown_id].add(code)
        for line in self.lines.values():
            line.option_codes = options.get(line.breakdown_id, set())
        self.form_units = defaultdict(set)
        for form_id, unit_id in ReportForm.units.through.objects.filter(
            reportform__programme=programme
        ).values_list("reportform_id", "orgunit_id"):
            self.form_units[form_id].add(unit_id)
        unit_codes = {e.unit.strip() for e in entries}
        self.units = {u.code: u for u in OrgUnit.objects.filter(code__in=unit_codes)}
        period_codes = {e.period.strip().upper() for e in entries}
        # Both are keyed by their unique fields, so they are read in no particular order.
        self.submissions = {
            (s.form_id, s.unit_id, s.period): s
            for s in Submission.objects.filter(
                form__programme=programme,
                unit__in=self.units.values(),
                period__in=period_codes,
            ).order_by()
        }
        self.stored = {}
        rows = (
            DataValue.objects.filter(
                indicator__programme=programme,
                unit__in=self.units.values(),
                period__in=period_codes,
            )
            .order_by()
            .values_list(
                "pk", "indicator_id", "unit_id", "period", "option", "value", "quality", "comment"
            )
        )
        for pk, indicator_id, unit_id, period, option, value, quality, comment in rows:
            self.stored[(indicator_id, unit_id, period, option)] = (pk, value, quality, comment)


def plan_entries(programme: Programme, entries: list[Entry], user, *, only=None) -> Plan:
    """Check every entry and compare it with what is stored. `only` = (form, unit, period code)
    restricts the batch to one report, as a workbook or a web form is."""
    plan = Plan(programme)
    problems = plan.problems

    def problem(where: str, message: str, conflict: bool = False, forbidden=False) -> None:
        if len(problems) < MAX_PROBLEMS:
            problems.append(Problem(where, message, conflict, forbidden))

    if not entries:
        problem("", _("The file holds no values."))
        return plan
    access = access_for(user)
    cat = _Catalogue(programme, entries)
    refused_units: set[str] = set()
    locked: set[tuple] = set()
    periods: dict[str, tuple[Period, str] | tuple[None, None]] = {}
    seen: dict[tuple, str] = {}
    # Worked out once per unit and per line rather than for each of (up to) 500,000 entries.
    may_enter: dict[int, bool] = {}
    # Why a form asks a unit for no report of a period (None: it asks), by report.
    refusals: dict[tuple, str | None] = {}
    value_checks: dict[int, Callable[[Decimal], str | None]] = {}
    for entry in entries:
        where = entry.where
        unit = cat.units.get(entry.unit.strip())
        if unit is None:
            problem(where, _("unknown unit code “%(code)s”.") % {"code": entry.unit})
            continue
        indicator = cat.indicators.get(entry.indicator.strip().upper())
        if indicator is None:
            problem(
                where,
                _("unknown indicator code “%(code)s” in this programme.")
                % {"code": entry.indicator},
            )
            continue
        code = entry.period.strip().upper()
        if code not in periods:
            try:
                parsed = Period.parse(code)
                periods[code] = (parsed, parsed.type.value)
            except PeriodError:
                periods[code] = (None, None)
        period, period_type = periods[code]
        if period is None:
            problem(where, _("“%(code)s” is not a reporting period.") % {"code": entry.period})
            continue
        line = cat.lines.get((indicator.code, period_type))
        if line is None:
            problem(
                where,
                _("no form collects %(indicator)s for period %(period)s.")
                % {"indicator": indicator.code, "period": code},
            )
            continue
        form = line.form
        form_pk, unit_pk = form.pk, unit.pk
        if only is not None and (form_pk, unit_pk, code) != (only[0].pk, only[1].pk, only[2]):
            problem(where, _("this value does not belong to the report being entered."))
            continue
        report = (form_pk, unit_pk, code)
        if report not in refusals:
            refusals[report] = form.refusal(unit, period, unit_ids=cat.form_units[form_pk])
        if refusals[report]:
            problem(where, refusals[report])
            continue
        allowed = may_enter.get(unit_pk)
        if allowed is None:
            allowed = may_enter[unit_pk] = access.can_enter_values(programme, unit_pk)
        if not allowed:
            if unit.code not in refused_units:
                refused_units.add(unit.code)
                problem(
                    where,
                    _("you may not enter figures for %(unit)s.") % {"unit": unit.name},
                    forbidden=True,
                )
            continue
        option = entry.option.strip()
        if option.lower() in TOTAL_OPTIONS:
            option = ""
        if option and option not in line.option_codes:
            problem(
                where,
                _("“%(option)s” is not a part of %(indicator)s.")
                % {"option": entry.option, "indicator": indicator.code},
            )
            continue
        key = (indicator.pk, unit_pk, code, option)
        if key in seen:
            problem(
                where,
                _("the same value appears twice (also at %(other)s).") % {"other": seen[key]},
            )
            continue
        seen[key] = where
        try:
            value = parse_number(entry.value)
        except ValueError as e:
            problem(where, _("%(code)s: %(reason)s.") % {"code": indicator.code, "reason": e})
            continue
        if value is not None:
            check = value_checks.get(line.pk)
            if check is None:
                check = value_checks[line.pk] = value_checker(line)
            reason = check(value)
            if reason:
                problem(where, reason)
                continue
        quality = QUALITY_WORDS.get(str(entry.quality or "").strip().lower())
        if quality is None:
            problem(
                where,
                _("“%(text)s” is not a status of a figure (official or estimate).")
                % {"text": entry.quality},
            )
            continue
        old = cat.stored.get(key)
        comment = entry.comment if entry.comment is not None else (old[3] if old else "")
        comment = (comment or "").strip()
        if len(comment) > 2000:
            problem(where, _("the comment is longer than 2000 characters."))
            continue
        if "\x00" in comment:  # PostgreSQL stores no NUL character in text
            problem(where, _("the comment holds a NUL character."))
            continue
        if entry.version is not None:
            stored_version = value_version(*old[1:]) if old else NO_VALUE
            typed_version = value_version(value, quality, comment)
            if entry.version != stored_version and typed_version != stored_version:
                if typed_version == entry.version:
                    # Left as the editor saw it: the newer figure someone else stored stands.
                    continue
                problem(where, _conflict(key, old, entry.version, value), conflict=True)
                continue
        if old is None:
            kind = "new" if value is not None else None
        elif value is None:
            kind = "removed"
        elif (old[1], old[2], old[3]) == (value, quality, comment):
            kind = "unchanged"
        else:
            kind = "changed"
        if kind is None:
            continue
        if kind != "unchanged":
            submission = cat.submissions.get((form_pk, unit_pk, code))
            if submission is not None and not submission.is_editable:
                # Re-sending the figures a locked report already holds is harmless; changing is not.
                lock = (form_pk, unit_pk, code)
                if lock not in locked:
                    locked.add(lock)
                    problem(
                        where,
                        _(
                            "the report of %(unit)s for %(period)s is %(state)s and locked; "
                            "it must be returned before its figures can change."
                        )
                        % {
                            "unit": unit.name,
                            "period": code,
                            "state": submission.get_state_display().lower(),
                        },
                    )
                continue
        plan.changes.append(
            Change(
                kind, where, indicator, unit, code, option, form_pk, old, value, quality, comment
            )
        )
    return plan


def _figure(value) -> str:
    return num(value) if value is not None else _("no figure")


def _comment(text: str) -> str:
    text = (text or "").strip()
    if not text:
        return _("no comment")
    return f"“{text if len(text) <= 200 else text[:199] + '…'}”"


def _conflict(key: tuple, old: tuple | None, seen: str, typed: Decimal | None) -> str:
    """Who changed a figure the editor was changing too, and what they changed (the figure, its
    status or its comment), from its history."""
    indicator_id, unit_id, period, option = key
    changes = list(
        ValueChange.objects.filter(
            indicator_id=indicator_id, unit_id=unit_id, period=period, option=option
        )
        .select_related("user")
        .order_by("-at", "-pk")[:50]
    )
    # The history keeps no status of a figure, so each status is tried for the state before a
    # change; failing a match, the editor most likely saw the state before the latest change,
    # whose status is then unknown.
    latest = changes[0] if changes else None
    seen_state = (latest.old_value, None, latest.old_comment) if latest else (None, None, "")
    for change in changes:
        status = next(
            (
                q
                for q in Quality.values
                if seen == value_version(change.old_value, q, change.old_comment)
            ),
            None,
        )
        if status is not None:
            seen_state = (change.old_value, status, change.old_comment)
            break
    seen_value, seen_status, seen_comment = seen_state
    value, status, comment = old[1:] if old else (None, "", "")
    figure_changed = seen_value != value
    comment_changed = (seen_comment or "").strip() != (comment or "").strip()
    status_changed = (
        seen_status != status if seen_status else not (figure_changed or comment_changed)
    )
    if latest:
        who = str(latest.user)
        when = timezone.localtime(latest.at).strftime("%d/%m/%Y %H:%M")
    else:
        who, when = _("another user"), "?"
    facts = {
        "who": who,
        "when": when,
        "theirs": _figure(value),
        "seen": _figure(seen_value),
        "typed": _figure(typed),
        "comment": _comment(comment),
        "seen_comment": _comment(seen_comment),
        "status": Quality(status).label if status else "",
    }
    if figure_changed:
        text = _(
            "%(who)s changed this figure at %(when)s, to %(theirs)s, while you were editing it "
            "(you saw %(seen)s). Your figure %(typed)s was not saved; check theirs and save "
            "again to replace it."
        )
    elif comment_changed:
        text = _(
            "%(who)s changed the comment on this figure at %(when)s, to %(comment)s, while you "
            "were editing it (you saw %(seen_comment)s). Your change was not saved; check "
            "theirs and save again to replace it."
        )
    else:
        text = _(
            "%(who)s changed the status of this figure at %(when)s, to “%(status)s”, while you "
            "were editing it. Your change was not saved; check theirs and save again to "
            "replace it."
        )
    text %= facts
    if figure_changed and comment_changed:
        text += " " + _("Their comment: %(comment)s.") % facts
    if status_changed and (figure_changed or comment_changed) and status:
        text += " " + _("Status of the figure: %(status)s.") % facts
    return text


@transaction.atomic
def write_entries(
    programme: Programme,
    entries: list[Entry],
    user,
    *,
    channel: str,
    source: str = "",
    only=None,
    expect_fingerprint: str | None = None,
) -> Plan:
    """Plan and write in one transaction; raises Rejected and writes nothing on any problem."""
    # Lock the programme row first so two writers of the same programme queue up (PostgreSQL).
    # NO KEY UPDATE: writers still queue, but rows that merely refer to the programme (previews,
    # notifications, submissions) can be inserted meanwhile.
    Programme.objects.select_for_update(no_key=True).filter(pk=programme.pk).exists()
    plan = plan_entries(programme, entries, user, only=only)
    if plan.problems:
        raise Rejected(plan.problems)
    if expect_fingerprint is not None and plan.fingerprint() != expect_fingerprint:
        raise Rejected(
            [
                Problem(
                    "",
                    _(
                        "The stored figures changed after the preview was made. "
                        "Upload the file again to see the new preview."
                    ),
                )
            ]
        )
    _write(plan, user, channel, source)
    return plan


def _submission_ids(keys: set[tuple[int, int, str]]) -> dict[tuple[int, int, str], int]:
    """The reports of these (form, unit, period) keys that exist, by key."""
    found = Submission.objects.filter(
        form_id__in={k[0] for k in keys},
        unit_id__in={k[1] for k in keys},
        period__in={k[2] for k in keys},
    ).values_list("pk", "form_id", "unit_id", "period")
    return {(f, u, p): pk for pk, f, u, p in found if (f, u, p) in keys}


def _write(plan: Plan, user, channel: str, source: str) -> None:
    writes = plan.writes
    if not writes:
        return
    now = timezone.now()
    keys = {(c.form_id, c.unit.pk, c.period) for c in writes}
    submission_ids = _submission_ids(keys)
    missing = [
        Submission(form_id=f, unit_id=u, period=p) for f, u, p in keys - submission_ids.keys()
    ]
    if missing:
        # The programme lock does not hold back the report page, which starts a report of its
        # own (submission_for): one it started meanwhile is taken, not met on submission_unique.
        Submission.objects.bulk_create(missing, ignore_conflicts=True)
        submission_ids = _submission_ids(keys)
    user_id = user.pk
    updated_at = prepared(DataValue, "updated_at", now)
    at = prepared(ValueChange, "at", now)
    source = source[:255]
    upserts, removed, history = [], [], []
    for c in writes:
        indicator_id, unit_id, period, old = c.indicator.pk, c.unit.pk, c.period, c.old
        if c.kind == "removed":
            removed.append(old[0])
        else:
            upserts.append(
                (
                    submission_ids[(c.form_id, unit_id, period)],
                    indicator_id,
                    unit_id,
                    period,
                    c.option,
                    c.value,
                    c.quality,
                    c.comment,
                    updated_at,
                    user_id,
                )
            )
        history.append(
            (
                indicator_id,
                unit_id,
                period,
                c.option,
                old[1] if old else None,
                c.value,
                old[3] if old else "",
                c.comment,
                user_id,
                at,
                channel,
                source,
            )
        )
    insert_rows(
        DataValue,
        (
            "submission",
            "indicator",
            "unit",
            "period",
            "option",
            "value",
            "quality",
            "comment",
            "updated_at",
            "updated_by",
        ),
        upserts,
        update_conflicts=True,
        unique_fields=("indicator", "unit", "period", "option"),
        update_fields=("submission", "value", "quality", "comment", "updated_at", "updated_by"),
    )
    if removed:
        DataValue.objects.filter(pk__in=removed).delete()
    insert_rows(
        ValueChange,
        (
            "indicator",
            "unit",
            "period",
            "option",
            "old_value",
            "new_value",
            "old_comment",
            "new_comment",
            "user",
            "at",
            "channel",
            "source",
        ),
        history,
    )
    touched = [submission_ids[k] for k in keys]
    Submission.objects.filter(pk__in=touched).update(updated_at=now)
    refresh_violations(touched)
