"""Text written to CSV or Excel: what a spreadsheet would run as a formula (it starts with
= + - @) is neutralised, and given back as written when the file comes in again."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value):
    """Text a spreadsheet will show as text, never run: a leading ' where it could be a formula.

    Text that already starts with ' before such a character gets one more, so `plain_text`
    gives back exactly what was written."""
    if isinstance(value, str) and value.lstrip("'").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def plain_text(value):
    """The text `safe_text` was given: a file exported and uploaded again changes nothing."""
    if isinstance(value, str) and value[:1] == "'" and value.lstrip("'").startswith(FORMULA_STARTS):
        return value[1:]
    return value
