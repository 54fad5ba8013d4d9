import datetime as dt
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.core import signing
from django.db import models
from django.forms.utils import ErrorDict
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext_lazy as _

from steer.accounts.access import access_for
from steer.core.admin_rules import ProgrammeContentAdmin, ProgrammeContentInline
from steer.core.admin_site import site
from steer.core.templatetags.steer import num
from steer.programmes.models import (
    Indicator,
    IndicatorAssignment,
    IndicatorGroup,
    Objective,
    PlanItem,
    PlanItemBudget,
    Programme,
    SteeringMember,
    Target,
)
from steer.units.models import OrgUnit


class SteeringMemberInline(ProgrammeContentInline, admin.TabularInline):
    model = SteeringMember
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(Programme, site=site)
class ProgrammeAdmin(ProgrammeContentAdmin):
    programme_path = "pk"
    list_display = ["symbol", "title", "start_year", "end_year", "standing_agency"]
    search_fields = ["symbol", "title"]
    autocomplete_fields = ["standing_agency"]
    prepopulated_fields = {"slug": ["symbol"]}
    inlines = [SteeringMemberInline]

    def _programme(self, obj):
        return obj

    def has_add_permission(self, request, obj=None):
        return access_for(request.user).can_create_programme()


@admin.register(Objective, site=site)
class ObjectiveAdmin(ProgrammeContentAdmin):
    list_display = ["code", "title", "programme", "parent", "is_illustrative"]
    list_filter = ["programme"]
    search_fields = ["code", "title"]


@admin.register(IndicatorGroup, site=site)
class IndicatorGroupAdmin(ProgrammeContentAdmin):
    list_display = ["code", "name", "objective", "programme"]
    list_filter = ["programme"]
    search_fields = ["code", "name"]


class TargetInline(ProgrammeContentInline, admin.TabularInline):
    model = Target
    extra = 0
    autocomplete_fields = ["unit"]


class AssignmentInline(ProgrammeContentInline, admin.TabularInline):
    model = IndicatorAssignment
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(Indicator, site=site)
class IndicatorAdmin(ProgrammeContentAdmin):
    list_display = ["code", "name", "group", "unit_of_measure", "direction", "unit_aggregation"]
    list_filter = ["programme", "group", "value_type", "direction", "is_illustrative"]
    search_fields = ["code", "name"]
    inlines = [TargetInline, AssignmentInline]
    list_select_related = ["group"]


class BudgetInline(ProgrammeContentInline, admin.TabularInline):
    model = PlanItemBudget
    extra = 0


SNAPSHOT_SALT = "steer.programmes.admin.plan-item-snapshot"


def _snapshot(item: PlanItem, names) -> dict:
    """The item's stored values of the form's fields (and its budget), as plain data."""
    values = {}
    for name in names:
        field = PlanItem._meta.get_field(name)
        if field.many_to_many:
            values[name] = sorted(getattr(item, name).values_list("pk", flat=True))
        elif field.is_relation:
            values[name] = getattr(item, field.attname)
        else:
            values[name] = field.value_to_string(item)
    budget = item.budget_lines.values_list("source", "amount")
    values["budget"] = sorted([source, str(amount)] for source, amount in budget)
    return values


def _shown(name: str, raw) -> str:
    if raw in (None, "", []):
        return "–"
    if name == "budget":
        sources = dict(PlanItemBudget.Source.choices)
        return ", ".join(f"{sources.get(s, s)}: {num(a)}" for s, a in raw)
    field = PlanItem._meta.get_field(name)
    if field.many_to_many:
        return ", ".join(str(o) for o in field.related_model.objects.filter(pk__in=raw)) or "–"
    if field.is_relation:
        return str(field.related_model.objects.filter(pk=raw).first() or raw)
    if field.choices:
        return str(dict(field.flatchoices).get(raw, raw))
    value = field.to_python(raw)
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(field, models.TextField):
        return Truncator(value).chars(200)
    return str(value)


def _label(name: str) -> str:
    if name == "budget":
        return capfirst(PlanItemBudget._meta.verbose_name_plural)
    return capfirst(PlanItem._meta.get_field(name).verbose_name)


def _model_fields(form_class) -> list[str]:
    names = {f.name for f in PlanItem._meta.get_fields()}
    return [name for name in form_class.base_fields if name in names]


def edit_conflict(current: PlanItem, seen_version, seen_values: str) -> str | None:
    """Why a save made from version `seen_version` (values as signed into the form) would
    overwrite someone else's change, or None. A version moved on by changes to none of the
    form's values is no conflict."""
    if seen_version in (None, "") or str(current.version) == str(seen_version):
        return None
    try:
        seen = signing.loads(seen_values, salt=SNAPSHOT_SALT)
    except signing.BadSignature:
        seen = None
    if seen is not None:
        fields = {f.name for f in PlanItem._meta.get_fields()}
        now = _snapshot(current, [n for n in seen if n in fields])
        changes = [
            f"{_label(n)}: {_shown(n, seen.get(n))} → {_shown(n, now[n])}"
            for n in now
            if seen.get(n) != now[n]
        ]
        if not changes:
            return None
    who = str(current.updated_by or _("another user"))
    when = (
        timezone.localtime(current.updated_at).strftime("%d/%m/%Y %H:%M")
        if current.updated_at
        else "?"
    )
    if seen is None:
        text = _("%(who)s changed this item at %(when)s.") % {"who": who, "when": when}
    else:
        text = _("%(who)s changed this item at %(when)s: %(changes)s.") % {
            "who": who,
            "when": when,
            "changes": "; ".join(changes),
        }
    redo = _("Nothing was saved; the form now shows the current values: redo your change.")
    return f"{text} {redo}"


class PlanItemAdminForm(forms.ModelForm):
    # The version and values the form was opened with, to notice a save by someone else since.
    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    seen_values = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = PlanItem
        exclude: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conflict = None
        self.base_version = self.instance.version
        if self.instance.pk and not self.is_bound:
            self.initial["seen_version"] = self.instance.version
            self.initial["seen_values"] = signing.dumps(
                _snapshot(self.instance, _model_fields(type(self))),
                salt=SNAPSHOT_SALT,
                compress=True,
            )

    def clean(self):
        data = super().clean()
        if self.instance.pk:
            current = PlanItem.objects.select_related("updated_by").get(pk=self.instance.pk)
            self.base_version = current.version
            self.conflict = edit_conflict(
                current,
                self.data.get(self.add_prefix("seen_version")),
                self.data.get(self.add_prefix("seen_values"), ""),
            )
            if self.conflict:
                self._errors = ErrorDict()
                self.add_error(None, self.conflict)
                self._show(current)
                return data
        start, deadline = data.get("start_date"), data.get("deadline")
        if start:
            for field in ("coordinating_units", "assigned_units"):
                missing = [u for u in data.get(field) or [] if not u.exists_on(start)]
                if missing:
                    self.add_error(
                        field,
                        _("These units did not exist on %(day)s: %(units)s.")
                        % {
                            "day": date_format(start, "d/m/Y"),
                            "units": ", ".join(str(u) for u in missing),
                        },
                    )
        if deadline:
            # Work is given to units that exist until its deadline (the lead's start is the
            # model's own check).
            for field in ("lead_unit", "coordinating_units", "assigned_units"):
                chosen = data.get(field)
                units = [chosen] if isinstance(chosen, OrgUnit) else list(chosen or [])
                early = self.instance.units_ending_before(deadline, units)
                if early:
                    self.add_error(
                        field,
                        _("These units end before the deadline %(day)s: %(units)s.")
                        % {
                            "day": date_format(deadline, "d/m/Y"),
                            "units": ", ".join(u.named_with_validity() for u in early),
                        },
                    )
        return data

    def _post_clean(self):
        if self.conflict:  # the posted values are not checked against an item they would overwrite
            return
        super()._post_clean()

    def _show(self, current: PlanItem) -> None:
        """Put the stored values (and fresh tokens) in the fields instead of the posted ones."""
        fresh = type(self)(instance=current)
        data = self.data.copy()
        for name, field in fresh.fields.items():
            key, value = fresh.add_prefix(name), fresh[name].value()
            if value is None or value is False:
                data.pop(key, None)
            elif value is True:
                data[key] = "on"
            elif isinstance(value, list | tuple):
                data.setlist(key, [str(v) for v in value])
            elif isinstance(value, dt.date | Decimal):
                data[key] = field.widget.format_value(value)
            else:
                data[key] = str(value)
        self.data = data


@admin.register(PlanItem, site=site)
class PlanItemAdmin(ProgrammeContentAdmin):
    form = PlanItemAdminForm
    list_display = ["code", "title", "kind", "lead_unit", "deadline", "state"]
    list_filter = ["programme", "kind", "state"]
    search_fields = ["code", "title"]
    autocomplete_fields = ["lead_unit", "coordinating_units", "assigned_units", "parent"]
    filter_horizontal = ["objectives", "indicators"]
    inlines = [BudgetInline]
    list_select_related = ["lead_unit"]

    def get_object(self, request, object_id, from_field=None):
        item = super().get_object(request, object_id, from_field)
        if item is not None and request.method == "POST":
            # Locked until the save commits (PostgreSQL): a second save of the item waits here,
            # then reads the first one's version and is refused.
            item = PlanItem.objects.select_for_update().get(pk=item.pk)
        return item

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if "data" in kwargs and obj.pk:
            post = request.POST
            if edit_conflict(obj, post.get("seen_version"), post.get("seen_values", "")):
                # A refused save shows the budget as stored now, like the rest of the form.
                del kwargs["data"], kwargs["files"]
        return kwargs

    def save_model(self, request, obj, form, change):
        if not change:
            obj.updated_by, obj.updated_at = request.user, timezone.now()
        elif not obj.update_at_version(request.user, form.base_version):
            # Cannot happen while get_object's lock holds; refusing beats overwriting regardless.
            raise RuntimeError(f"Plan item {obj.pk} was written by someone else during the save.")
        super().save_model(request, obj, form, change)
