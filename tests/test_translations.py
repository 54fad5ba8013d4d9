"""The Vietnamese catalogue is complete and the compiled file matches it."""

import ast
import gettext
import re
from pathlib import Path

from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "steer" / "locale"


def po_entries(path: Path) -> list[tuple[str, str, bool]]:
    """(msgid, first msgstr, fuzzy) for every entry but the header; a msgid with a context
    is given as gettext keys it, "context\x04msgid"."""
    entries, text = [], path.read_text(encoding="utf-8")
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        fields: dict[str, str] = {}
        current = None
        for line in lines:
            match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[0\])?) "(.*)"$', line)
            if match:
                current = match.group(1).replace("[0]", "")
                fields[current] = match.group(2)
            elif line.startswith('"') and current:
                fields[current] += line[1:-1]
        if fields.get("msgid"):
            msgid = fields["msgid"]
            if "msgctxt" in fields:
                msgid = f"{fields['msgctxt']}\x04{msgid}"
            entries.append((msgid, fields.get("msgstr", ""), fuzzy))
    return entries


def unescape(text: str) -> str:
    """A .po string's text as gettext reads it: its escapes (\\n, \\", \\\\, …) are those of a
    Python string literal, and the letters around them stay as they are."""
    return ast.literal_eval(f'"{text}"')


def test_escapes_in_a_catalogue_string_are_read_beside_vietnamese_letters():
    assert unescape(r"Dòng một\nDòng \"hai\" của Đống Đa") == 'Dòng một\nDòng "hai" của Đống Đa'
    assert unescape(r"C:\\Tệp\tđính kèm") == "C:\\Tệp\tđính kèm"
    assert unescape("Không có dấu gạch chéo") == "Không có dấu gạch chéo"


def test_every_message_has_a_vietnamese_translation():
    entries = po_entries(LOCALE / "vi" / "LC_MESSAGES" / "django.po")
    assert len(entries) > 200
    assert [msgid for msgid, msgstr, _ in entries if not msgstr] == []
    assert [msgid for msgid, _, fuzzy in entries if fuzzy] == []


def test_the_compiled_catalogue_matches_the_source():
    with open(LOCALE / "vi" / "LC_MESSAGES" / "django.mo", "rb") as f:
        compiled = gettext.GNUTranslations(f)
    for msgid, msgstr, _ in po_entries(LOCALE / "vi" / "LC_MESSAGES" / "django.po"):
        msgid, msgstr = unescape(msgid), unescape(msgstr)
        got = compiled._catalog.get(msgid) or compiled._catalog.get((msgid, 0))
        assert got == msgstr, f"{msgid!r}: run `make messages` to recompile"
