"""What a Word template may read: the fields of the context `content.context` fills it with, per
layout, and the filters and tests it may apply to them. docs/documents.md lists them ("the
documented fields"); a test checks that the context content.py builds has exactly these fields.

A field is one of: a value (TEXT), a chart (IMAGE, or nothing), a list of paragraphs (LINES), a
record (a dict of fields), a list of records ([record]) or the drafted text (Sections).

Pure: no Django.
"""

import re
from dataclasses import dataclass

TEXT = "text"  # a value: text, or a number already written the Vietnamese way
IMAGE = "image"  # a chart, or nothing when there is no data for it: test it with {% if %}
LINES = [TEXT]  # paragraphs, one per line the official typed


@dataclass(frozen=True)
class Sections:
    """The drafted text, section by section: each a list of paragraphs (LINES). `names` are read
    as texts.intro; the numbered ones as texts["objective:12"] (prefix, a colon, a number)."""

    names: tuple[str, ...]
    numbered: tuple[str, ...] = ()

    def has(self, key: str) -> bool:
        prefix, colon, number = key.partition(":")
        if colon:
            return prefix in self.numbered and re.fullmatch(r"[0-9]{1,9}", number) is not None
        return key in self.names


def record(*names: str, **fields) -> dict:
    """A record whose fields are values, except those given with their own kind."""
    return {**dict.fromkeys(names, TEXT), **fields}


DOC = record(
    "superior",
    "issuer",
    "number",
    "place_date",
    "type_name",
    "signer_name",
    "reference",
    title=LINES,
    signer_title=LINES,
    recipients=LINES,
)
INDICATOR_TABLE = record(
    "target_heading",
    "actual_heading",
    "previous_heading",
    "final_heading",
    rows=[record("n", "code", "name", "unit", "target", "actual", "previous", "final", "status")],
)
PLAN_ROW = record("n", "code", "title", "lead", "deadline", "deadline_day", "percent", "status")
DIRECTIVE_ROW = record("n", "number", "content", "given_on", "assignees", "deadline", "state")
RECOMMENDATION_ROW = record(
    "n", "unit", "content", "addressed_to", "bottleneck", "state", "response", "open"
)
PROGRAMME_SECTIONS = ("intro", "implementation", "limitations", "directions", "recommendations")


def _programme(sections: Sections) -> dict:
    """The synthesis and the reviews: the programme as a whole."""
    return {
        "doc": DOC,
        "texts": sections,
        "tables": {
            "plan_status": [record("n", "status", "count")],
            "reporting": [
                record("n", "form", "code", "expected", "submitted", "on_time", "approved", "rate")
            ],
            "directives": [DIRECTIVE_ROW],
            "recommendations": [RECOMMENDATION_ROW],
        },
        "charts": {"plan": IMAGE, "objectives": IMAGE},
        "objectives": [
            record(
                "heading",
                "code",
                "table_number",
                text=LINES,
                table=INDICATOR_TABLE,
                chart=IMAGE,
            )
        ],
        "numbering": record(
            "directions",
            "recommendations",
            "reporting_table",
            "plan_status_table",
            "directives_table",
            "recommendations_table",
        ),
        "annex": {
            "indicators": INDICATOR_TABLE,
            "plan_items": [PLAN_ROW],
            "budget": [record("n", "title", "city", "district", "other", "planned", "disbursed")],
            "by_unit": [
                record(
                    "caption",
                    "target_heading",
                    "actual_heading",
                    "previous_heading",
                    rows=[record("n", "unit", "target", "actual", "previous", "status")],
                )
            ],
            "reporting": [
                record("caption", rows=[record("n", "unit", "submitted", "timeliness", "state")])
            ],
        },
    }


# Per layout (steer.documents.models.Layout): what its template may read.
CONTEXTS = {
    "synthesis": _programme(Sections(PROGRAMME_SECTIONS, numbered=("objective",))),
    "review": _programme(Sections((*PROGRAMME_SECTIONS, "lessons"), numbered=("objective",))),
    "unit_report": {
        "doc": DOC,
        "texts": Sections(
            (
                "intro",
                "implementation",
                "results",
                "limitations",
                "directions",
                "recommendations",
            )
        ),
        "tables": {"plan_items": [PLAN_ROW], "indicators": INDICATOR_TABLE},
        "charts": {"status": IMAGE},
        "annex": {},
    },
    "inspection_notice": {
        "doc": DOC,
        "texts": Sections(
            ("intro", "conclusion", "requests", "recommendations"), numbered=("visit",)
        ),
        "tables": {
            "team": [record("n", "name", "position", "role")],
            "directives": [DIRECTIVE_ROW],
        },
        "charts": {},
        "annex": {},
        "visits": [record("heading", text=LINES)],
    },
}

# Inside {% for %}: what `loop` offers (its methods, loop.cycle() and loop.changed(), are calls).
LOOP = record("index", "index0", "revindex", "revindex0", "first", "last", "length")

# Filters a template may apply, with how many arguments each takes at most. Each argument must be
# a plain value ("—", 80): no filter reaches an attribute by name (attr, map, selectattr, sort,
# groupby, join's second argument), formats a string (format) or grows text without bound
# (center, indent, replace, wordwrap).
FILTERS = {
    "capitalize": 0,
    "d": 2,
    "default": 2,
    "e": 0,
    "escape": 0,
    "first": 0,
    "float": 1,
    "int": 1,
    "join": 1,
    "last": 0,
    "length": 0,
    "count": 0,
    "lower": 0,
    "round": 2,
    "string": 0,
    "title": 0,
    "trim": 0,
    "truncate": 3,
    "upper": 0,
    "wordcount": 0,
}
# Tests ({% if x is defined %}): they only look at a value.
TESTS = frozenset(
    {
        "boolean",
        "defined",
        "divisibleby",
        "eq",
        "equalto",
        "even",
        "false",
        "float",
        "ge",
        "gt",
        "in",
        "integer",
        "iterable",
        "le",
        "lower",
        "lt",
        "mapping",
        "ne",
        "none",
        "number",
        "odd",
        "sameas",
        "sequence",
        "string",
        "true",
        "undefined",
        "upper",
        "==",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
    }
)
