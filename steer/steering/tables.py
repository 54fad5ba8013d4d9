"""The steering records as tables, shown on more than one page."""

import datetime as dt
from collections.abc import Iterable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from steer.core.tables import Column, Table
from steer.programmes.models import PlanItem
from steer.steering.models import Directive

# Plan items that no longer count as open work.
DONE_STATES = (PlanItem.State.COMPLETED, PlanItem.State.CANCELLED)

WITHIN = "within"
OVERDUE = "overdue"
DONE = "done"

# A directive's status, in the words of the cards that count them: each directive in one.
DIRECTIVE_LABELS = {
    WITHIN: gettext_lazy("Open, within the deadline"),
    OVERDUE: gettext_lazy("Overdue"),
    DONE: gettext_lazy("Done"),
}


def directive_part(directive: Directive, today: dt.date) -> str:
    """Which of WITHIN, OVERDUE, DONE the directive is in: overdue is computed, never typed."""
    if directive.state == Directive.State.DONE:
        return DONE
    return OVERDUE if directive.is_overdue(today) else WITHIN


def directive_status(directive: Directive, today: dt.date) -> dict:
    """The status people read, the word of the card that counts the directive."""
    part = directive_part(directive, today)
    return {"code": part, "label": DIRECTIVE_LABELS[part]}


def directive_counts(directives: Iterable[Directive], today: dt.date) -> dict[str, int]:
    """The directives split so that each is counted once: open within the deadline, overdue,
    done; `total` is their sum."""
    counts = dict.fromkeys(DIRECTIVE_LABELS, 0)
    for d in directives:
        counts[directive_part(d, today)] += 1
    return {**counts, "total": sum(counts.values())}


def directive_table(name: str, title: str, directives, today) -> Table:
    rows = [
        {
            "code": d.code,
            "url": d.get_absolute_url(),
            "content": d.content,
            "source": d.get_source_display(),
            "given_on": d.given_on,
            "given_by": d.given_by,
            "assignees": "; ".join(str(u) for u in d.assignees.all()),
            "deadline": d.deadline,
            "status": directive_status(d, today),
            "closed_on": d.closed_on,
        }
        for d in directives
    ]
    return Table(
        name,
        title,
        [
            Column("code", _("Code"), link="url"),
            Column("content", _("Directive"), link="url"),
            Column("source", pgettext("directive", "Source")),
            Column("given_on", _("Given on"), "date"),
            Column("given_by", _("Given by"), on_page=False),
            Column("assignees", _("Assigned units")),
            Column("deadline", _("Deadline"), "date"),
            Column("status", _("Status"), "status"),
            Column("closed_on", _("Closed on"), "date", on_page=False),
        ],
        rows,
    )
