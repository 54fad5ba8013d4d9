"""Typed access to a form's fields whose choices or queryset are set for each request."""

from django import forms


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField), name
    return field


def model_choice_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField), name
    return field


class ChoiceWithLegacyField(forms.ChoiceField):
    """A choice that also takes the values of older links (`legacy`), without offering them: a
    bookmark made before the choices changed still filters instead of being refused."""

    def __init__(self, *args: object, legacy: tuple[str, ...] = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.legacy = legacy

    def valid_value(self, value: str) -> bool:
        return value in self.legacy or super().valid_value(value)
