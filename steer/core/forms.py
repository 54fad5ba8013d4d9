"""Small helpers for Django forms."""

from typing import TypeVar

from django import forms

FieldT = TypeVar("FieldT", bound=forms.Field)


def form_field(form: forms.BaseForm, name: str, kind: type[FieldT]) -> FieldT:
    """A form's field of this kind, to set what only that kind has (a ChoiceField's choices, a
    ModelChoiceField's queryset): `form.fields` holds them as plain fields."""
    field = form.fields[name]
    assert isinstance(field, kind), f"{name} is a {type(field).__name__}, not a {kind.__name__}"
    return field
