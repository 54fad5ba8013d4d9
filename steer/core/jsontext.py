"""JSON that people send (an uploaded file, an API request body), read without a server error.

Python's reader fails on such text in ways that are not a JSONDecodeError: bytes that are not
UTF-8, a number of thousands of digits (Python refuses to convert it) and nesting deeper than the
interpreter's stack (RecursionError). And it accepts what no database stores: a NUL character or
half of a UTF-16 pair (\\u0000, \\ud800) in a string. Each gets its own message.
"""

import json
import re

from django.utils.translation import gettext as _

# The escapes that could give a character no database stores; most documents hold none.
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


class BadJson(ValueError):
    pass


def load_json(data: bytes):
    """The document `data` holds; raises BadJson with the reason, in the user's language."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadJson(_("The JSON text is not in UTF-8; save it as UTF-8.")) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as e:
        raise BadJson(
            _("The JSON text is not valid at line %(line)s, column %(column)s.")
            % {"line": e.lineno, "column": e.colno}
        ) from None
    except RecursionError:
        raise BadJson(_("The JSON text is nested too deeply to be read.")) from None
    except ValueError:  # Python's limit on the digits of an integer it converts
        raise BadJson(_("The JSON text holds a number with too many digits to be read.")) from None
    if _SUSPECT_ESCAPE.search(text) and not _storable(document):
        raise BadJson(
            _(
                "The JSON text holds a character that cannot be stored: a NUL character, or "
                "half of a UTF-16 surrogate pair."
            )
        )
    return document


def _storable(document) -> bool:
    """Whether every string, key or value, is text a database stores. Without recursion: the
    document may be nested as deep as the reader allowed."""
    pending = [document]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                return False
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
    return True
