"""Validation of reported values: one value alone, and a submission's values together.

A value that breaks its type or bounds is refused before anything is written. The rules over
several values (required, parts and whole, comparisons, unusual jumps) are recorded as violations
of the submission each time its values change; blocking ones stop it from being submitted.
"""

import bisect
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from statistics import median

from django.db import transaction
from django.utils.translation import gettext as _

from steer.core.templatetags.steer import num
from steer.programmes.models import Indicator
from steer.reporting import rules
from steer.reporting.models import DataValue, FormLine, Submission, ValidationRule, Violation
from steer.reporting.periods import Period

ZERO = Decimal(0)
HUNDRED = Decimal(100)


def bounds(line: FormLine) -> tuple[Decimal | None, Decimal | None]:
    """The smallest and largest value a line accepts: counts and amounts are never negative."""
    low = line.min_value if line.min_value is not None else ZERO
    high = line.max_value
    if high is None and line.indicator.value_type == Indicator.ValueType.PERCENT:
        high = HUNDRED
    return low, high


def value_problem(line: FormLine, value: Decimal) -> str | None:
    """Why a value cannot be stored on this line, or None."""
    indicator = line.indicator
    if indicator.value_type == Indicator.ValueType.INTEGER and value != value.to_integral_value():
        return _("%(code)s must be a whole number.") % {"code": indicator.code}
    low, high = bounds(line)
    if low is not None and value < low:
        if low == 0:
            return _("%(code)s cannot be negative.") % {"code": indicator.code}
        return _("%(code)s cannot be below %(low)s.") % {"code": indicator.code, "low": num(low)}
    if high is not None and value > high:
        if indicator.value_type == Indicator.ValueType.PERCENT and high == HUNDRED:
            return _("%(code)s is a percentage: it cannot exceed 100.") % {"code": indicator.code}
        return _("%(code)s cannot exceed %(high)s.") % {"code": indicator.code, "high": num(high)}
    return None


def value_checker(line: FormLine) -> Callable[[Decimal], str | None]:
    """`value_problem` for the values of one line, its bounds worked out once."""
    integer = line.indicator.value_type == Indicator.ValueType.INTEGER
    low, high = bounds(line)

    def check(value: Decimal) -> str | None:
        if (
            (not integer or value == value.to_integral_value())
            and (low is None or value >= low)
            and (high is None or value <= high)
        ):
            return None
        return value_problem(line, value)

    return check


def _lines_by_form(form_ids) -> dict[int, list[FormLine]]:
    lines = defaultdict(list)
    query = FormLine.objects.filter(form_id__in=form_ids).select_related("indicator", "breakdown")
    for line in query.prefetch_related("breakdown__options"):
        lines[line.form_id].append(line)
    return lines


@transaction.atomic
def refresh_violations(submission_ids) -> None:
    """Recompute the violations of these submissions from their current values."""
    submissions = list(
        Submission.objects.filter(pk__in=submission_ids).select_related("form__programme")
    )
    if not submissions:
        return
    lines = _lines_by_form({s.form_id for s in submissions})
    programme_ids = {s.form.programme_id for s in submissions}
    rule_list = []
    for rule in ValidationRule.objects.filter(programme_id__in=programme_ids):
        left, right = rules.parse_expression(rule.left), rules.parse_expression(rule.right)
        rule_list.append(
            (rule, left, right, rules.indicators_in(left) | rules.indicators_in(right))
        )
    indicator_ids = {line.indicator_id for form_lines in lines.values() for line in form_lines}
    rule_codes = set().union(*(names for *_parts, names in rule_list))
    if rule_codes:
        indicator_ids |= set(
            Indicator.objects.filter(
                programme_id__in=programme_ids, code__in=rule_codes
            ).values_list("pk", flat=True)
        )
    # Every unit's values of these indicators: the outlier test compares units with each other.
    # Each submission's own values are picked out in the same pass (not one scan per submission).
    by_indicator_period: dict[tuple[str, str], dict[int, Decimal]] = defaultdict(dict)
    by_report: dict[tuple[int, str], dict[tuple[str, str], Decimal]] = {
        (s.unit_id, s.period): {} for s in submissions
    }
    rows = DataValue.objects.filter(indicator_id__in=indicator_ids, option="").values_list(
        "unit_id", "period", "indicator__code", "value"
    )
    for unit_id, period, code, value in rows:
        by_indicator_period[(code, period)][unit_id] = value
        mine = by_report.get((unit_id, period))
        if mine is not None:
            mine[(code, "")] = value
    parts = DataValue.objects.filter(
        indicator_id__in=indicator_ids,
        unit_id__in={s.unit_id for s in submissions},
        period__in={s.period for s in submissions},
    ).exclude(option="")
    for unit_id, period, code, option, value in parts.values_list(
        "unit_id", "period", "indicator__code", "option", "value"
    ):
        mine = by_report.get((unit_id, period))
        if mine is not None:
            mine[(code, option)] = value
    jumps = _JumpScores(by_indicator_period)

    found: list[Violation] = []
    for submission in submissions:
        found.extend(
            _violations(
                submission,
                lines[submission.form_id],
                rule_list,
                by_report[(submission.unit_id, submission.period)],
                jumps,
            )
        )
    Violation.objects.filter(submission_id__in=[s.pk for s in submissions]).delete()
    Violation.objects.bulk_create(found)


def _violations(submission, form_lines, rule_list, mine, jumps):
    """The violations of one submission; `mine` maps (code, option) to its values."""
    unit, period = submission.unit_id, submission.period
    block, warn = ValidationRule.Severity.BLOCK, ValidationRule.Severity.WARN
    out = []
    codes_on_form = set()
    for line in form_lines:
        code = line.indicator.code
        codes_on_form.add(code)
        total = mine.get((code, ""))
        if total is None:
            if line.required:
                out.append(
                    Violation(
                        submission=submission,
                        kind=Violation.Kind.REQUIRED,
                        severity=block,
                        indicator=line.indicator,
                    )
                )
            continue
        if line.breakdown_id:
            options = [o.code for o in line.breakdown.options.all()]
            reported = [mine[(code, o)] for o in options if (code, o) in mine]
            complete = len(reported) == len(options)
            parts_sum = sum(reported, ZERO)
            if reported and ((complete and parts_sum != total) or parts_sum > total):
                out.append(
                    Violation(
                        submission=submission,
                        kind=Violation.Kind.PARTS,
                        severity=block,
                        indicator=line.indicator,
                        params={"total": str(total), "parts": str(parts_sum)},
                    )
                )
        jump = jumps.score(code, unit, period)
        count = line.indicator.value_type == Indicator.ValueType.INTEGER
        if jump is not None and rules.is_unusual_change(
            jump.score, float(total - jump.previous), count=count
        ):
            out.append(
                Violation(
                    submission=submission,
                    kind=Violation.Kind.OUTLIER,
                    severity=warn,
                    indicator=line.indicator,
                    params={
                        "value": str(total),
                        "previous": str(jump.previous),
                        "score": jump.score,
                        "typical": jump.typical,
                        "against": jump.against,
                    },
                )
            )
    for rule, left, right, names in rule_list:
        if rule.programme_id != submission.form.programme_id:
            continue
        if not names & codes_on_form:
            continue
        a, b = rules.evaluate(left, mine), rules.evaluate(right, mine)
        if a is None or b is None or rules.compare(a, rule.operator, b):
            continue
        out.append(
            Violation(
                submission=submission,
                kind=Violation.Kind.RULE,
                severity=rule.severity,
                rule=rule,
                params={"left": str(a), "right": str(b)},
            )
        )
    return out


@dataclass(frozen=True)
class Jump:
    """A unit's change scored: the value before it, and what it was compared with ("units":
    the other units' changes in the period, "own": the unit's earlier changes) and their median
    change, which the warning names instead of the score."""

    score: float
    previous: Decimal
    typical: float
    against: str


class _JumpScores:
    """The modified z-score of a unit's change since the previous period, and that value.

    A change is compared with the other units' changes in the same period when enough units
    report, else with the unit's own earlier changes. The units' changes in one indicator and
    period, and their scores, are the same whichever unit asks, so they are worked out once.
    """

    def __init__(self, by_indicator_period):
        self.by_indicator_period = by_indicator_period
        self.samples: dict[tuple[str, str], tuple] = {}

    def score(self, code: str, unit_id: int, period_code: str) -> Jump | None:
        sample = self.samples.get((code, period_code))
        if sample is None:
            sample = self.samples[(code, period_code)] = self._sample(code, period_code)
        period, now, before, scores, ordered = sample
        if unit_id not in now or unit_id not in before:
            return None
        if scores is None:  # too few units: the unit's own history decides
            history = _own_history(code, unit_id, period, self.by_indicator_period)
            own = rules.modified_z_scores(history)
            if own is None:
                return None
            return Jump(round(own[0], 2), before[unit_id], median(history[1:]), "own")
        change = float(now[unit_id] - before[unit_id])
        others = _median_without(ordered, change)
        return Jump(round(scores[change], 2), before[unit_id], others, "units")

    def _sample(self, code: str, period_code: str):
        period = Period.parse(period_code)
        now = self.by_indicator_period.get((code, period.code), {})
        before = self.by_indicator_period.get((code, period.previous().code), {})
        jumps = [float(now[u] - before[u]) for u in now if u in before]
        scores = rules.modified_z_scores(jumps)
        # Equal changes have equal scores, so a change's own value finds its score.
        return (
            period,
            now,
            before,
            None if scores is None else dict(zip(jumps, scores, strict=True)),
            sorted(jumps),
        )


def _median_without(ordered: list[float], value: float) -> float:
    """The median of the sorted values with one occurrence of `value` left out, without copying
    them: every unit asks, so a copy per unit would cost the square of the units."""
    skip = bisect.bisect_left(ordered, value)
    rest = len(ordered) - 1

    def at(rank: int) -> float:
        return ordered[rank if rank < skip else rank + 1]

    if rest % 2:
        return at(rest // 2)
    return (at(rest // 2 - 1) + at(rest // 2)) / 2


def _own_history(code, unit_id, period: Period, by_indicator_period) -> list[float]:
    """The unit's changes from this period backwards, as long as it reported without a gap."""
    jumps, current = [], period
    for _step in range(60):
        earlier = current.previous()
        a = by_indicator_period.get((code, current.code), {}).get(unit_id)
        b = by_indicator_period.get((code, earlier.code), {}).get(unit_id)
        if a is None or b is None:
            break
        jumps.append(float(a - b))
        current = earlier
    return jumps


def violation_text(violation: Violation) -> str:
    p = violation.params
    code = violation.indicator.code if violation.indicator is not None else ""
    kind = Violation.Kind
    if violation.kind == kind.REQUIRED:
        return _("%(code)s has not been reported.") % {"code": code}
    if violation.kind == kind.PARTS:
        return _("%(code)s: the parts add up to %(parts)s but the total is %(total)s.") % {
            "code": code,
            "parts": num(p["parts"]),
            "total": num(p["total"]),
        }
    if violation.kind == kind.OUTLIER:
        return _jump_text(code, p)
    rule = violation.rule
    assert rule is not None  # the other kinds name no rule; a rule's removal removes these
    return _("%(name)s: %(left)s %(operator)s %(right)s does not hold (%(a)s against %(b)s).") % {
        "name": rule.name,
        "left": rule.left,
        "operator": rule.get_operator_display(),
        "right": rule.right,
        "a": num(p["left"]),
        "b": num(p["right"]),
    }


def _jump_text(code: str, p: dict) -> str:
    """An unusual change in plain words: the two values, the change in percent, and what it
    was compared with (a warning recorded before these were kept names the values only)."""
    value, previous = Decimal(p["value"]), Decimal(p["previous"])
    figures = {"code": code, "value": num(value), "previous": num(previous)}
    if previous:
        figures["percent"] = num(abs(value - previous) / abs(previous) * HUNDRED, 0)
        if value >= previous:
            text = (
                _(
                    "%(code)s: up from %(previous)s to %(value)s (+%(percent)s %%) "
                    "on the previous period"
                )
                % figures
            )
        else:
            text = (
                _(
                    "%(code)s: down from %(previous)s to %(value)s (-%(percent)s %%) "
                    "on the previous period"
                )
                % figures
            )
    else:
        text = _("%(code)s: %(value)s after 0 in the previous period") % figures
    if "typical" not in p:
        return text + "."
    typical = {"typical": ("+" if p["typical"] > 0 else "") + num(round(p["typical"], 1))}
    if p.get("against") == "own":
        return text + "; " + _("the unit's own earlier changes were about %(typical)s.") % typical
    return text + "; " + _("the other units changed by about %(typical)s.") % typical
