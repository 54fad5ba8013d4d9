"""Two people editing the same record: the second save is refused when the first changed what
the form shows, naming who and when and listing, field by field, their value and yours.
Nothing is overwritten and nothing typed is lost: the form comes back with the values stored
now in the fields the editor left alone and what they typed in the others, and saving it
again then writes on purpose.

The form carries the values it showed, signed (`seen`), so the check needs no version column
and notices only changes to what this form edits: two people editing different parts of a
record do not stop each other unless one form holds both parts. The write reads the record
locked (select_for_update), so of two saves at the same moment the second waits and then
sees the first. A save without the token (an old page, a script) is not guarded.
"""

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol, TypeAlias

from django import forms
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.db import models
from django.http import QueryDict
from django.utils import timezone
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext as _

from steer.core.templatetags.steer import num

SALT = "steer.core.conflicts"
FIELD = "seen"  # the form field that carries the signed values

# A value as JSON holds it (see `plain`).
Plain: TypeAlias = str | int | float | bool | list["Plain"] | None
# Who changed a record last (a user, or None when unknown) and when.
LastChange: TypeAlias = tuple[Any, dt.datetime | None]


def plain(value: object) -> Plain:
    """A value as JSON data, the same however it was read (a form's cleaned data, a model):
    empty is None, a record its key, a set of records their sorted keys."""
    if value is None or value == "":
        return None
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.date):  # a datetime too
        return value.isoformat()
    if isinstance(value, str):  # as forms clean it: no edge spaces, a textarea's line ends
        return value.replace("\r\n", "\n").strip() or None
    if isinstance(value, Iterable):
        return sorted((plain(v) for v in value), key=str)
    return str(value)


def sign(values: Mapping[str, object]) -> str:
    return signing.dumps(values, salt=SALT, compress=True)


def unsign(token: str | None) -> dict[str, Any] | None:
    """The values a form showed; None (no guard) without a token or with a forged one, which
    is no worse than leaving the token out."""
    if not token:
        return None
    try:
        values = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    return values if isinstance(values, dict) else None


def shown_as_text(value: object) -> str:
    """A value as people read it: numbers the Vietnamese way, days as dd/mm/yyyy."""
    if value in (None, "", []):
        return "–"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        try:
            return num(value)
        except (ArithmeticError, TypeError, ValueError):  # a typed 1e999999999, as typed
            return Truncator(str(value)).chars(40)
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return Truncator(str(value)).chars(200)


class Fields:
    """Fields of one model that a form edits: their values as plain data, their labels and
    how a value reads. `extra` labels names that are not model fields (a draft's texts)."""

    def __init__(
        self, model: type[models.Model], names: Iterable[str], extra: dict[str, str] | None = None
    ):
        self.model, self.names, self.extra = model, list(names), extra or {}

    def _field(self, name: str) -> models.Field[Any, Any]:
        field = self.model._meta.get_field(name)
        assert isinstance(field, models.Field)  # the names are the model's own fields
        return field

    def values(self, obj: models.Model) -> dict[str, Plain]:
        values = {}
        for name in self.names:
            field = self._field(name)
            if field.many_to_many:
                values[name] = plain(getattr(obj, name).values_list("pk", flat=True))
            else:
                values[name] = plain(getattr(obj, field.attname))
        return values

    def label(self, name: str) -> str:
        if name in self.extra:
            return str(self.extra[name])
        field, _dot, part = name.partition(".")  # a part of a field, e.g. texts.intro
        label = capfirst(str(self._field(field).verbose_name))
        return f"{label} ({part})" if part else label

    def show(self, name: str, value: object) -> str:
        if name not in self.names or value in (None, "", []):
            return shown_as_text(value)
        field = self._field(name)
        if field.is_relation:
            keys = value if isinstance(value, list) else [value]
            related = field.related_model
            assert related is not None and not isinstance(related, str)  # resolved when loaded
            return ", ".join(map(str, related._default_manager.filter(pk__in=keys))) or "–"
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        value = field.to_python(value)
        if isinstance(value, bool):
            return str(_("yes") if value else _("no"))
        return shown_as_text(value)


class Labels(Protocol):
    """What a conflict's message needs of the fields compared: each one's label, and a value
    of it as people read it (`Fields`, the back office's `FormValues`)."""

    def label(self, name: str) -> str: ...

    def show(self, name: str, value: Any) -> str: ...


@dataclass(frozen=True)
class Change:
    label: str
    theirs: str
    yours: str


class EditConflict(Exception):
    """A save refused because someone else changed the record after the form was shown.
    `stored`: the fields the editor left alone that changed meanwhile (to show as stored)."""

    def __init__(
        self, *, who: object, when: dt.datetime | None, changes: list[Change], stored: set[str]
    ):
        self.who, self.when, self.changes, self.stored = who, when, changes, stored
        super().__init__(self.message)

    @property
    def message(self) -> str:
        lines = "; ".join(
            _("%(field)s: theirs “%(theirs)s”, yours “%(yours)s”")
            % {"field": c.label, "theirs": c.theirs, "yours": c.yours}
            for c in self.changes
        )
        when = timezone.localtime(self.when).strftime("%d/%m/%Y %H:%M") if self.when else "?"
        return _(
            "%(who)s changed this at %(when)s since you opened it: %(changes)s. Nothing was "
            "saved; the form now shows their values, and yours where you changed something: "
            "check them and save again."
        ) % {"who": self.who or _("another user"), "when": when, "changes": lines}


def check(
    *,
    seen: Mapping[str, object] | None,
    now: Mapping[str, object],
    posted: Mapping[str, object],
    fields: Labels,
    last: Callable[[], LastChange],
) -> None:
    """Raise EditConflict if a value changed since the form showed `seen` and the editor sends
    another value for it (their own, or the old one left as it was). The same value from
    both is no conflict. `last()`: who changed the record last and when."""
    if seen is None:
        return
    names = [*now, *(n for n in seen if n not in now)]  # a value gone meanwhile too
    changed = [n for n in names if seen.get(n) != now.get(n)]
    yours = {n: posted.get(n, seen.get(n)) for n in changed}
    clashing = [n for n in changed if yours[n] != now.get(n)]
    if not clashing:
        return
    who, when = last()
    raise EditConflict(
        who=who,
        when=when,
        changes=[
            Change(fields.label(n), fields.show(n, now.get(n)), fields.show(n, yours[n]))
            for n in clashing
        ],
        stored={n for n in changed if yours[n] == seen.get(n)},
    )


def last_change(obj: models.Model, *also: LastChange) -> LastChange:
    """Who changed `obj` last and when: the latest of its own updated_by/updated_at, the back
    office's log of it and the (user, time) pairs given (a steering record's events)."""
    found: list[tuple[Any, dt.datetime]] = [(who, at) for who, at in also if at]
    updated_at = getattr(obj, "updated_at", None)
    if updated_at:
        found.append((getattr(obj, "updated_by", None), updated_at))
    logged = (
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
        )
        .select_related("user")
        .order_by("-action_time")
        .first()
    )
    if logged is not None:
        found.append((logged.user, logged.action_time))
    return max(found, key=lambda pair: pair[1]) if found else (None, None)


def put(data: QueryDict, bound: forms.BoundField, value: object) -> None:
    """Write a field's value into form data (a mutable QueryDict) as a browser would post it."""
    key = bound.html_name
    if value is None or value is False:
        data.pop(key, None)
    elif value is True:
        data[key] = "on"
    elif isinstance(value, list | tuple):
        data.setlist(key, [str(v) for v in value])
    elif isinstance(value, dt.date | Decimal):
        data[key] = bound.field.widget.format_value(value)
    else:
        data[key] = str(value)


def show_stored(
    form: forms.BaseForm,
    stored: forms.BaseForm,
    names: set[str],
    name_of: Callable[[str], str] | None = None,
) -> None:
    """Put the values of `stored` (the same form, unbound, on the record as it is now) into
    the fields of `form` whose names (as `name_of` maps them) are in `names`, and its token."""
    name_of = name_of or (lambda field_name: field_name)
    assert isinstance(form.data, QueryDict)  # a form refused after a POST holds what was posted
    data = form.data.copy()
    for name in form.fields:
        if name == FIELD or name_of(name) in names:
            put(data, form[name], stored[name].value())
    form.data = data


class EditForm(forms.BaseForm):
    """Mixin for a form that edits a record others may edit too: it carries the values it
    shows (`shown`, plain data) signed in the hidden field `seen`."""

    def __init__(self, *args: Any, shown: Mapping[str, object] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields[FIELD] = forms.CharField(widget=forms.HiddenInput, required=False)
        if shown is not None:
            self.initial[FIELD] = sign(shown)

    def seen(self) -> dict[str, Any] | None:
        return unsign(self.data.get(self.add_prefix(FIELD)))

    def edited(self) -> dict[str, Any]:
        """The cleaned values of the record's fields (without the token)."""
        return {name: value for name, value in self.cleaned_data.items() if name != FIELD}

    def refuse(
        self,
        conflict: EditConflict,
        stored: forms.BaseForm,
        name_of: Callable[[str], str] | None = None,
    ) -> None:
        """Show the refusal: its message as the form's error, the stored values in the fields
        the editor left alone, what they typed in the others."""
        show_stored(self, stored, conflict.stored, name_of)
        self.add_error(None, conflict.message)
