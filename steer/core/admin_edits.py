"""The back office's forms behave like the app's: a change form refuses to overwrite what
someone else saved since it was opened (steer.core.conflicts), naming who and when and
listing each field with their value and yours, the main form and its inline rows alike; an
add form sent twice adds once (steer.core.once).

The comparison is made on the form data as a browser posts it back: the form carries the
values it showed (`_seen`, signed), the save compares them with the same form built on the
record as stored now (read locked), and with what was posted. Inline rows are compared by
their key, not their position, so a row added or removed meanwhile is named, not mistaken
for another.
"""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.http import HttpResponseRedirect, QueryDict
from django.utils.choices import flatten_choices
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext as _

from steer.core import conflicts, once

SEEN = "_seen"


def _clean(values) -> list[str]:
    """Posted strings as forms clean them: without edge spaces, empty ones and CR line ends."""
    cleaned = (str(v).replace("\r\n", "\n").strip() for v in values)
    return sorted(v for v in cleaned if v)


def _as_posted(bound: forms.BoundField) -> list[str]:
    value = bound.value()
    if value is None or value is False:
        return []
    if value is True:
        return ["on"]
    if isinstance(value, list | tuple):
        return _clean(value)
    if isinstance(value, str | int):
        return _clean([value])
    return _clean([bound.field.widget.format_value(value)])


class FormValues:
    """The values of a change form and its inline rows, keyed `field` for the main form and
    `prefix[key].field` for an inline row; labels and readable values for the message."""

    def __init__(self, form, formsets):
        self.form, self.formsets = form, formsets
        # key: (field, the inline row it is on or None); labels are made only for a message
        self.fields: dict[str, tuple[forms.Field, forms.ModelForm | None]] = {}
        for name, field in form.fields.items():
            if not field.disabled:
                self.fields[name] = (field, None)
        for formset in formsets:
            for row in formset.initial_forms:
                for name, field in row.fields.items():
                    if not field.disabled and name != formset.model._meta.pk.name:
                        self.fields[self.row_key(formset, row.instance.pk, name)] = (field, row)

    @staticmethod
    def row_key(formset, pk, name: str) -> str:
        return f"{formset.prefix}[{pk}].{name}"

    def stored(self) -> dict[str, list[str]]:
        values = {name: _as_posted(self.form[name]) for name in self.form.fields}
        for formset in self.formsets:
            for row in formset.initial_forms:
                for name in row.fields:
                    key = self.row_key(formset, row.instance.pk, name)
                    if key in self.fields:
                        values[key] = _as_posted(row[name])
        return {key: value for key, value in values.items() if key in self.fields}

    def posted(self, data) -> dict[str, list[str]]:
        values = {name: _clean(data.getlist(name)) for name in self.form.fields}
        for formset in self.formsets:
            pk_name = formset.model._meta.pk.name
            for index in range(_count(data, formset)):
                pk = data.get(f"{formset.prefix}-{index}-{pk_name}")
                if pk:
                    for name in formset.empty_form.fields:
                        key = self.row_key(formset, pk, name)
                        values[key] = _clean(data.getlist(f"{formset.prefix}-{index}-{name}"))
        return values

    def label(self, key: str) -> str:
        if key in self.fields:
            field, row = self.fields[key]
            label = capfirst(str(field.label or key))
            if row is None:
                return label
            return f"{capfirst(row.instance._meta.verbose_name)} “{row.instance}”: {label}"
        prefix, _sep, name = key.partition("].")  # a row removed meanwhile
        removed = _("a row removed")
        return f"{prefix.split('[')[0]} ({removed}): {name}"

    def show(self, key: str, values) -> str:
        if not values:
            return "–"
        field = self.fields.get(key, (None, None))[0]
        if isinstance(field, forms.ModelChoiceField):
            queryset = field.queryset
            try:  # what was posted may be no key at all
                found = (
                    list(queryset.filter(**{f"{field.to_field_name or 'pk'}__in": values}))
                    if queryset is not None
                    else []
                )
            except (ValueError, TypeError, ValidationError):
                found = []
            return ", ".join(field.label_from_instance(o) for o in found) or ", ".join(values)
        if isinstance(field, forms.BooleanField):
            return str(_("yes"))
        if isinstance(field, forms.ChoiceField):
            # django-stubs types ChoiceField.choices as what may be assigned to it (callables,
            # enums); read, it is the normalised (key, label) pairs flatten_choices takes.
            flat: Iterable[tuple[Any, Any]] = flatten_choices(field.choices)  # type: ignore[arg-type]
            choices: dict[str, object] = {str(key): label for key, label in flat}
            return ", ".join(str(choices.get(v, v)) for v in values)
        if isinstance(field, forms.DecimalField | forms.FloatField | forms.DateField):
            try:
                return conflicts.shown_as_text(field.to_python(values[0]))
            except ValidationError:
                pass
        return Truncator(", ".join(values)).chars(200)


def _count(data, formset) -> int:
    try:
        return min(int(data.get(f"{formset.prefix}-TOTAL_FORMS", 0)), 1000)
    except ValueError:
        return 0


class EditCheckedAdmin(admin.ModelAdmin):
    """The base of every back-office screen: conflict-checked change forms, add forms once."""

    change_form_template = "admin/steer/change_form.html"

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and request.method == "POST":
            # Locked until the save commits (PostgreSQL): a second save of the record waits
            # here, then compares with what the first one wrote.
            obj = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
        return obj

    def form_values(self, request, obj) -> FormValues:
        """The change form and its inlines, unbound, on the record as stored."""
        form = self.get_form(request, obj, change=True)(instance=obj)
        formsets = []
        prefixes: dict[str, int] = {}
        for FormSet, inline in self.get_formsets_with_inlines(request, obj):
            prefix = FormSet.get_default_prefix()  # as ModelAdmin._create_formsets names them
            prefixes[prefix] = prefixes.get(prefix, 0) + 1
            if prefixes[prefix] != 1 or not prefix:
                prefix = f"{prefix}-{prefixes[prefix]}"
            formsets.append(
                FormSet(instance=obj, prefix=prefix, queryset=inline.get_queryset(request))
            )
        return FormValues(form, formsets)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and change and self.has_change_permission(request, obj):
            # After a refused save: the token of the values it was refused against.
            token = request.POST.get(SEEN) if request.method == "POST" else None
            context["edit_seen"] = token or conflicts.sign(self.form_values(request, obj).stored())
        return super().render_change_form(request, context, add, change, form_url, obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        parent = super().changeform_view
        if request.method != "POST":
            return parent(request, object_id, form_url, extra_context)
        if object_id is None or "_saveasnew" in request.POST:
            return once.run(request, lambda: _added(parent(request, object_id, form_url)))
        with transaction.atomic(using=router.db_for_write(self.model)):
            obj = self.get_object(request, unquote(object_id))
            if obj is not None and self.has_change_permission(request, obj):
                self._check(request, obj)
            return parent(request, object_id, form_url, extra_context)

    def _check(self, request, obj) -> None:
        seen = conflicts.unsign(request.POST.get(SEEN))
        if seen is None:
            return
        values = self.form_values(request, obj)
        now = values.stored()
        try:
            conflicts.check(
                seen=seen,
                now=now,
                posted=values.posted(request.POST),
                fields=values,
                last=lambda: conflicts.last_change(obj),
            )
        except conflicts.EditConflict as conflict:
            request.POST = _reshown(request.POST, values, now, conflict)
            request.edit_conflict = conflict

    def get_form(self, request, obj=None, change=False, **kwargs):
        # By name: UserAdmin.get_form takes no `change` in its place.
        form = super().get_form(request, obj, change=change, **kwargs)
        conflict = getattr(request, "edit_conflict", None)
        if conflict is None:
            return form
        return type("Refused", (_Refused, form), {"edit_conflict": conflict})


class _Refused(forms.BaseForm):
    """Put before a change form refused for an edit conflict: the form shows the conflict's
    message, and the posted values are not checked against the record (they would overwrite
    it)."""

    edit_conflict: conflicts.EditConflict

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        self.add_error(None, self.edit_conflict.message)
        return data

    def _post_clean(self) -> None:
        pass


def _reshown(
    data: QueryDict, values: FormValues, now: dict[str, list[str]], conflict: conflicts.EditConflict
) -> QueryDict:
    """The posted data with the stored values where the editor left a field alone, and the
    token of the stored values. An inline whose rows changed meanwhile shows them as stored."""
    data = data.copy()
    for name in values.form.fields:
        if name in conflict.stored:
            conflicts.put(data, values.form[name], values.form[name].value())
    for formset in values.formsets:
        pk_name = formset.model._meta.pk.name
        stored_rows = [str(row.instance.pk) for row in formset.initial_forms]
        posted_rows = [
            data.get(f"{formset.prefix}-{i}-{pk_name}") for i in range(_count(data, formset))
        ]
        if [pk for pk in posted_rows if pk] != stored_rows:
            for key in [k for k in data if k.startswith(f"{formset.prefix}-")]:
                del data[key]
            _put_unbound(data, formset)
            continue
        for row in formset.initial_forms:  # in the same order as posted, as checked above
            for name in row.fields:
                if FormValues.row_key(formset, row.instance.pk, name) in conflict.stored:
                    conflicts.put(data, row[name], row[name].value())
    data[SEEN] = conflicts.sign(now)
    return data


def _put_unbound(data, formset) -> None:
    for name, value in formset.management_form.initial.items():
        data[formset.management_form.add_prefix(name)] = str(value)
    for row in formset.initial_forms:
        for name in row.fields:
            conflicts.put(data, row[name], row[name].value())


def _added(response):
    """An add form's result: saved when it leads on (a redirect), else shown again."""
    if not isinstance(response, HttpResponseRedirect):
        return response
    return once.Outcome(
        response.url,
        _("This form was already sent: what it added is saved, nothing was added again."),
        response=response,
    )
