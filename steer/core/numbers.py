"""Numbers written for people: rounded half up, grouped, with the language's marks.
Pure: used by the templates (with the active language's separators) and by drafted documents
(always the Vietnamese way: 1.234,5)."""

from decimal import ROUND_HALF_UP, Decimal

VIETNAMESE = str.maketrans({",": ".", ".": ","})


def number_text(
    value: Decimal | float | str, decimals: int | str | None, separators: dict[int, str]
) -> str:
    """`value` with `decimals` places (None: as many as it has, trailing zeros dropped),
    rounded half up as officials round, grouped by thousands; `separators` is a str.translate
    table from Python's marks (",", ".") to the language's."""
    value = Decimal(str(value))
    if decimals is None:
        normalized = value.normalize()
        decimals = max(0, -normalized.as_tuple().exponent)
    value = value.quantize(Decimal(1).scaleb(-int(decimals)), rounding=ROUND_HALF_UP)
    text = format(value, f",.{int(decimals)}f")
    if text in ("-0", "0") or text.startswith("-0.") and not text.strip("-0."):
        text = text.lstrip("-")
    return text.translate(separators)


def vietnamese(value: Decimal | float | str, decimals: int | None = None) -> str:
    """62,86; 1.234; 1.234,5 (decimals=None: at most 2 places, trailing zeros dropped)."""
    if decimals is None:
        value = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return number_text(value, decimals, VIETNAMESE)
