"""Pure checks on reported values: rule expressions and the robust outlier test.

An expression is a sum of terms separated by + or -: indicator codes (CT11), one part of an
indicator (CT10.trong-trot) or numbers (100). Values come in as a mapping from
(indicator code, option code) to Decimal, with option "" for the whole value.
"""

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from statistics import median

# Iglewicz and Hoaglin's cut-off: |M| > 3.5 marks a likely outlier.
OUTLIER_THRESHOLD = 3.5
MIN_SAMPLE = 5
# A count that changes by fewer than this many is never an unusual jump, whatever its score:
# when most units report no change the score of a change of 2 runs into the tens (29 -> 31),
# and a commune's few more models or products is ordinary news, not a typing slip.
COUNT_CHANGE_FLOOR = 10

_TERM = re.compile(r"\s*([+-])?\s*(?:(\d+(?:\.\d+)?)|([A-Za-z][\w]*)(?:\.([\w-]+))?)\s*")


class ExpressionError(ValueError):
    """Why an expression cannot be read: `kind` (empty, unreadable, operator) and the text at
    fault, for the caller to word in the user's language."""

    def __init__(self, kind: str, text: str = ""):
        super().__init__(f"{kind}: {text}")
        self.kind, self.text = kind, text


@dataclass(frozen=True)
class Term:
    sign: int
    number: Decimal | None = None
    indicator: str = ""
    option: str = ""


def parse_expression(text: str) -> tuple[Term, ...]:
    text = text.strip()
    if not text:
        raise ExpressionError("empty")
    terms: list[Term] = []
    pos = 0
    while pos < len(text):
        match = _TERM.match(text, pos)
        if not match or match.end() == pos:
            raise ExpressionError("unreadable", text[pos:])
        sign_text, number, code, option = match.groups()
        if terms and not sign_text:
            raise ExpressionError("operator", text[match.start() :].strip())
        sign = -1 if sign_text == "-" else 1
        if number is not None:
            terms.append(Term(sign, number=Decimal(number)))
        else:
            terms.append(Term(sign, indicator=code.upper(), option=option or ""))
        pos = match.end()
    return tuple(terms)


def indicators_in(terms: Sequence[Term]) -> set[str]:
    return {t.indicator for t in terms if t.indicator}


def evaluate(terms: Sequence[Term], values: Mapping[tuple[str, str], Decimal]) -> Decimal | None:
    """The sum, or None when a value it needs has not been reported."""
    total = Decimal(0)
    for term in terms:
        if term.number is not None:
            total += term.sign * term.number
            continue
        value = values.get((term.indicator, term.option))
        if value is None:
            return None
        total += term.sign * value
    return total


COMPARE: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "==": lambda a, b: a == b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
}


def compare(left: Decimal, operator: str, right: Decimal) -> bool:
    return COMPARE[operator](left, right)


def modified_z_scores(sample: Sequence[float]) -> list[float] | None:
    """Iglewicz-Hoaglin modified z-scores, or None when the sample cannot tell.

    With a median absolute deviation of zero (most values equal) the mean absolute deviation
    stands in, scaled as IBM SPSS does; when both are zero nothing is unusual.
    """
    if len(sample) < MIN_SAMPLE:
        return None
    centre = median(sample)
    deviations = [abs(x - centre) for x in sample]
    mad = median(deviations)
    if mad > 0:
        return [0.6745 * (x - centre) / mad for x in sample]
    mean_ad = sum(deviations) / len(deviations)
    if mean_ad == 0:
        return [0.0 for _ in sample]
    return [(x - centre) / (1.253314 * mean_ad) for x in sample]


def is_outlier(score: float) -> bool:
    return abs(score) > OUTLIER_THRESHOLD


def is_unusual_change(score: float, change: float, *, count: bool) -> bool:
    """Whether a change since the previous period is worth a warning: its modified z-score
    beyond the cut-off and, for a count (a whole-number indicator), a change of at least
    COUNT_CHANGE_FLOOR. So 29 -> 31 and 47 -> 52 pass however still the other units stand,
    while a certification round adding 64 products is still flagged."""
    if count and abs(change) < COUNT_CHANGE_FLOOR:
        return False
    return is_outlier(score)
