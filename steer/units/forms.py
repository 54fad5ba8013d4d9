from django import forms
from django.utils.translation import gettext_lazy as _

from steer.core.widgets import DayInput
from steer.units.models import OrgUnit, UnitGroup, UnitType


class _LabelledWithValidity:
    """A unit is offered with its code and the days it existed, so a user choosing a unit for
    a date sees at once whether it existed then."""

    def label_from_instance(self, unit: OrgUnit) -> str:
        if unit.valid_from or unit.valid_to:
            return f"{unit.name} ({unit.code}; {unit.validity_label()})"
        return f"{unit.name} ({unit.code})"


class UnitChoiceField(_LabelledWithValidity, forms.ModelChoiceField):
    pass


class UnitsChoiceField(_LabelledWithValidity, forms.ModelMultipleChoiceField):
    pass


class UnitFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    unit_type = forms.ModelChoiceField(
        label=_("Unit type"), queryset=UnitType.objects.all(), required=False, empty_label=_("All")
    )
    group = forms.ModelChoiceField(
        label=_("Group"), queryset=UnitGroup.objects.all(), required=False, empty_label=_("All")
    )
    on = forms.DateField(label=_("Existing on"), required=False, widget=DayInput())

    def apply(self, units):
        data = self.cleaned_data
        if data.get("q"):
            units = units.filter(name__icontains=data["q"]) | units.filter(code=data["q"])
        if data.get("unit_type"):
            units = units.filter(unit_type=data["unit_type"])
        if data.get("group"):
            units = units.filter(groups=data["group"])
        if data.get("on"):
            units = units.existing_on(data["on"])
        return units
