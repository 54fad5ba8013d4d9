"""Entries in: what every channel makes of its input, and their check against what is stored.

Every channel (the web form, the Excel workbook, CSV and DHIS2 files, the command line, the API)
turns its input into `Entry` rows (the files through `formats`). `plan_entries` checks them all and
compares them with the stored figures: a preview or a dry run stops there, and
`values.write_values`, the one write path, writes the plan. Any problem refuses the whole batch.
"""

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _

from steer.accounts.access import access_for
from steer.accounts.models import User
from steer.core.templatetags.steer import num
from steer.programmes.models import Indicator, Programme
from steer.reporting.checks import value_checker
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

# The report a batch is restricted to (a workbook, the web form): form, unit and period code.
Only = tuple[ReportForm, OrgUnit, str]
ReportKey = tuple[int, int, str]  # form, unit, period code
ValueKey = tuple[int, int, str, str]  # indicator, unit, period code, option
Stored = tuple[int, Decimal, str, str]  # a stored figure: pk, value, quality, comment

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


def value_version(value: Decimal | None, quality: str = "", comment: str = "") -> str:
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
    old: Stored | None
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


def parse_number(raw: object) -> Decimal | None:
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


def _bounded(number: Decimal, raw: object, text: str) -> Decimal:
    """The figure in plain form (12.5, 1000, never 1.2E+3 or -0), if the columns hold it exactly.
    Worked out from the digits alone: arithmetic on 1e999999999 would overflow."""
    if "e" not in text and "E" not in text:  # 95.6 or 1250.0 as typed: its digits are the text's
        whole, _dot, part = text.lstrip("+-").partition(".")
        part = part.rstrip("0")
        if len(part) <= MAX_PLACES and len(whole) + len(part) <= MAX_DIGITS:
            return number if number else Decimal(0)
    _sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # a letter only for NaN and infinity, refused before
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


def _too_long(raw: object) -> str:
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
        # The codes of each breakdown's parts, by breakdown.
        self.options: dict[int | None, set[str]] = defaultdict(set)
        for breakdown_id, code in BreakdownOption.objects.filter(
            breakdown__programme=programme
        ).values_list("breakdown_id", "code"):
            self.options[breakdown_id].add(code)
        self.form_units: dict[int, set[int]] = defaultdict(set)
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
        self.stored: dict[ValueKey, Stored] = {}
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


def plan_entries(
    programme: Programme, entries: list[Entry], user: User, *, only: Only | None = None
) -> Plan:
    """Check every entry and compare it with what is stored. `only` = (form, unit, period code)
    restricts the batch to one report, as a workbook or a web form is."""
    plan = Plan(programme)
    if not entries:
        plan.problems.append(Problem("", _("The file holds no values.")))
        return plan
    checker = _Checker(plan, entries, user, only)
    for entry in entries:
        checker.check(entry)
    return plan


# Where an entry's figure goes: its unit, indicator, period, the period's code and form line.
# Plain tuples here and below: a named tuple's making costs more than the rest of a check.
_Place = tuple[OrgUnit, Indicator, Period, str, FormLine]
_Figure = tuple[Decimal | None, str, str]  # an entry's figure as it would be stored, as `Stored`


class _Checker:
    """Checks entries one at a time into a plan: its changes, or its problems. What holds for
    many entries (a unit's right, a report's refusal, a line's bounds) is worked out once rather
    than for each of (up to) 500,000 entries."""

    def __init__(self, plan: Plan, entries: list[Entry], user: User, only: Only | None):
        self.plan = plan
        self.cat = _Catalogue(plan.programme, entries)
        self.access = access_for(user)
        self.only = None if only is None else (only[0].pk, only[1].pk, only[2])
        self.periods: dict[str, tuple[Period, str] | None] = {}
        self.refusals: dict[ReportKey, str | None] = {}
        self.may_enter: dict[int, bool] = {}
        self.value_checks: dict[int, Callable[[Decimal], str | None]] = {}
        self.seen: dict[ValueKey, str] = {}
        self.refused_units: set[str] = set()
        self.locked: set[ReportKey] = set()

    def problem(
        self, where: str, message: str, *, conflict: bool = False, forbidden: bool = False
    ) -> None:
        if len(self.plan.problems) < MAX_PROBLEMS:
            self.plan.problems.append(Problem(where, message, conflict, forbidden))

    def check(self, entry: Entry) -> None:
        where = entry.where
        place = self._place(entry)
        if place is None:
            return
        unit, indicator, period, code, line = place
        report = (line.form_id, unit.pk, code)
        if not self._admitted(where, unit, line.form, period, report):
            return
        option = self._option(entry, indicator, line)
        if option is None:
            return
        key = (indicator.pk, report[1], code, option)
        if key in self.seen:
            self.problem(
                where,
                _("the same value appears twice (also at %(other)s).") % {"other": self.seen[key]},
            )
            return
        self.seen[key] = where
        old = self.cat.stored.get(key)
        figure = self._figure(entry, indicator, line, old)
        if figure is None or not self._as_seen(entry, key, old, figure):
            return
        kind = _kind(old, figure)
        if kind is None or (kind != "unchanged" and self._locked(where, unit, report)):
            return
        self.plan.changes.append(
            Change(kind, where, indicator, unit, code, option, report[0], old, *figure)
        )

    def _place(self, entry: Entry) -> _Place | None:
        """The unit, indicator, period and form line the entry names, if all exist."""
        where = entry.where
        unit = self.cat.units.get(entry.unit.strip())
        if unit is None:
            self.problem(where, _("unknown unit code “%(code)s”.") % {"code": entry.unit})
            return None
        indicator = self.cat.indicators.get(entry.indicator.strip().upper())
        if indicator is None:
            self.problem(
                where,
                _("unknown indicator code “%(code)s” in this programme.")
                % {"code": entry.indicator},
            )
            return None
        code = entry.period.strip().upper()
        if code not in self.periods:
            try:
                parsed = Period.parse(code)
                self.periods[code] = (parsed, parsed.type.value)
            except PeriodError:
                self.periods[code] = None
        period = self.periods[code]
        if period is None:
            self.problem(where, _("“%(code)s” is not a reporting period.") % {"code": entry.period})
            return None
        line = self.cat.lines.get((indicator.code, period[1]))
        if line is None:
            self.problem(
                where,
                _("no form collects %(indicator)s for period %(period)s.")
                % {"indicator": indicator.code, "period": code},
            )
            return None
        return unit, indicator, period[0], code, line

    def _admitted(
        self, where: str, unit: OrgUnit, form: ReportForm, period: Period, report: ReportKey
    ) -> bool:
        """Whether the report is the one being entered, is asked for, and the user may enter
        the unit's figures."""
        if self.only is not None and report != self.only:
            self.problem(where, _("this value does not belong to the report being entered."))
            return False
        if report not in self.refusals:
            self.refusals[report] = form.refusal(
                unit, period, unit_ids=self.cat.form_units[report[0]]
            )
        refusal = self.refusals[report]
        if refusal:
            self.problem(where, refusal)
            return False
        unit_pk = report[1]
        allowed = self.may_enter.get(unit_pk)
        if allowed is None:
            allowed = self.may_enter[unit_pk] = self.access.can_enter_values(
                self.plan.programme, unit_pk
            )
        if not allowed and unit.code not in self.refused_units:
            self.refused_units.add(unit.code)
            self.problem(
                where,
                _("you may not enter figures for %(unit)s.") % {"unit": unit.name},
                forbidden=True,
            )
        return allowed

    def _option(self, entry: Entry, indicator: Indicator, line: FormLine) -> str | None:
        """The part of the indicator the entry is for ("" for the whole), if the form has it."""
        option = entry.option.strip()
        if option.lower() in TOTAL_OPTIONS:
            return ""
        if option not in self.cat.options.get(line.breakdown_id, ()):
            self.problem(
                entry.where,
                _("“%(option)s” is not a part of %(indicator)s.")
                % {"option": entry.option, "indicator": indicator.code},
            )
            return None
        return option

    def _figure(
        self, entry: Entry, indicator: Indicator, line: FormLine, old: Stored | None
    ) -> _Figure | None:
        """The entry's figure, its status and comment, if each is one that may be stored."""
        where = entry.where
        try:
            value = parse_number(entry.value)
        except ValueError as e:
            self.problem(where, _("%(code)s: %(reason)s.") % {"code": indicator.code, "reason": e})
            return None
        if value is not None:
            check = self.value_checks.get(line.pk)
            if check is None:
                check = self.value_checks[line.pk] = value_checker(line)
            reason = check(value)
            if reason:
                self.problem(where, reason)
                return None
        quality = QUALITY_WORDS.get(str(entry.quality or "").strip().lower())
        if quality is None:
            self.problem(
                where,
                _("“%(text)s” is not a status of a figure (official or estimate).")
                % {"text": entry.quality},
            )
            return None
        comment = entry.comment if entry.comment is not None else (old[3] if old else "")
        comment = (comment or "").strip()
        if len(comment) > 2000:
            self.problem(where, _("the comment is longer than 2000 characters."))
            return None
        if "\x00" in comment:  # PostgreSQL stores no NUL character in text
            self.problem(where, _("the comment holds a NUL character."))
            return None
        return value, quality, comment

    def _as_seen(self, entry: Entry, key: ValueKey, old: Stored | None, figure: _Figure) -> bool:
        """Whether the stored figure is still the one the editor saw (or is what they typed):
        if someone else changed it meanwhile, the entry is left out, as a conflict unless the
        editor left it as they saw it."""
        if entry.version is None:
            return True
        stored_version = value_version(*old[1:]) if old else NO_VALUE
        typed_version = value_version(*figure)
        if entry.version == stored_version or typed_version == stored_version:
            return True
        if typed_version != entry.version:
            self.problem(entry.where, _conflict(key, old, entry.version, figure[0]), conflict=True)
        # Else it was left as the editor saw it: the newer figure someone else stored stands.
        return False

    def _locked(self, where: str, unit: OrgUnit, report: ReportKey) -> bool:
        """Whether the report is locked (approved or accepted): re-sending the figures it already
        holds is harmless, changing them is not."""
        submission = self.cat.submissions.get(report)
        if submission is None or submission.is_editable:
            return False
        if report not in self.locked:
            self.locked.add(report)
            self.problem(
                where,
                _(
                    "the report of %(unit)s for %(period)s is %(state)s and locked; "
                    "it must be returned before its figures can change."
                )
                % {
                    "unit": unit.name,
                    "period": report[2],
                    "state": submission.get_state_display().lower(),
                },
            )
        return True


def _kind(old: Stored | None, figure: _Figure) -> str | None:
    """What writing the figure does to the stored one: new, removed, unchanged or changed
    (None: nothing stored and nothing to store)."""
    if old is None:
        return "new" if figure[0] is not None else None
    if figure[0] is None:
        return "removed"
    if (old[1], old[2], old[3]) == figure:
        return "unchanged"
    return "changed"


def _figure(value: Decimal | None) -> str:
    return num(value) if value is not None else _("no figure")


def _comment(text: str) -> str:
    text = (text or "").strip()
    if not text:
        return _("no comment")
    return f"“{text if len(text) <= 200 else text[:199] + '…'}”"


def _conflict(key: ValueKey, old: Stored | None, seen: str, typed: Decimal | None) -> str:
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
    seen_state: tuple[Decimal | None, str | None, str] = (
        (latest.old_value, None, latest.old_comment) if latest else (None, None, "")
    )
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
