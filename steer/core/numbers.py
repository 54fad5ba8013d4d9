"""Numbers written for people: rounded half up, grouped, with the language's marks.
Pure: used by the templates (with the active language's separators) and by drafted documents
(always the Vietnamese way: 1.234,5)."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

VIETNAMESE = str.maketrans({",": ".", ".": ","})
# Digits before the decimal mark written out; a larger number (a runaway forecast) is written
# 1,23E+45. And at most this many after it.
MAX_DIGITS = 30
MAX_DECIMALS = 20


def number_text(
    value: object,
    decimals: int | str | None,
    separators: dict[int, str],
    *,
    trim: bool = False,
) -> str:
    """`value` with `decimals` places (None: as many as it has, at most MAX_DECIMALS), rounded
    half up as officials round, grouped by thousands; `trim` drops trailing zeros after
    rounding (as None does). `separators` is a str.translate table from Python's marks (",",
    ".") to the language's. Not a number: "–"; infinite: "∞"; not numeric at all: as given."""
    number = _decimal(value)
    if number is None:
        return str(value)
    if number.is_nan():
        return "–"
    if number.is_infinite():
        return "-∞" if number < 0 else "∞"
    if number.adjusted() >= MAX_DIGITS:
        return _scientific(number).translate(separators)
    if decimals is None:
        decimals, trim = MAX_DECIMALS, True
    places = max(0, min(int(decimals), MAX_DECIMALS))
    if number.adjusted() < -places - 1:  # 1e-999999999: rounds to zero, and faster so
        number = Decimal(0)
    with localcontext(prec=MAX_DIGITS + MAX_DECIMALS + 2):
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = format(number, f",.{places}f")
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", "0") or text.startswith("-0.") and not text.strip("-0."):
        text = text.lstrip("-")
    return text.translate(separators)


def _decimal(value: object) -> Decimal | None:
    if isinstance(value, Decimal):
        return value
    try:
        # An int as is (str() refuses one of 5,000 digits), a float by its shortest digits.
        return Decimal(value) if isinstance(value, int) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _scientific(number: Decimal) -> str:
    mantissa, exponent = format(number, ".2E").split("E")
    return f"{mantissa.rstrip('0').rstrip('.')}E{exponent}"


def vietnamese(value: object, decimals: int | None = None) -> str:
    """62,86; 1.234; 1.234,5 (decimals=None: at most 2 places, trailing zeros dropped)."""
    if decimals is None:
        return number_text(value, 2, VIETNAMESE, trim=True)
    return number_text(value, decimals, VIETNAMESE)


# What a figure measures, as Indicator.value_type says it, and "money" for amounts of money.
COUNT = "integer"
MONEY = "money"
# A rate or a measured decimal keeps this many places at most (trailing zeros dropped).
RATE_DECIMALS = 2


def figure(value: object, value_type: str, separators: dict[int, str] = VIETNAMESE) -> str:
    """A figure written by what it measures, the one way every page, chart, export and document
    writes it: a count whole (614, never 614,33: an estimate of a count is a count), money
    whole and grouped by thousands (1.234.567), a rate or any other measure with at most two
    decimals (62,86; 7,5)."""
    if value_type in (COUNT, MONEY):
        return number_text(value, 0, separators)
    return number_text(value, RATE_DECIMALS, separators, trim=True)


def is_count(value_type: str) -> bool:
    return value_type == COUNT


def figure_value(value: float | None, value_type: str) -> float | int | None:
    """The figure as tables, exports and charts hold it: rounded half up as `figure` writes it
    (a count to a whole number, an int), so a page and its download say the same."""
    if value is None:
        return None
    number = _decimal(value)
    if number is None or not number.is_finite():
        return value
    if value_type in (COUNT, MONEY):
        return int(number.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return float(number.quantize(Decimal(1).scaleb(-RATE_DECIMALS), rounding=ROUND_HALF_UP))
