from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from steer.core.widgets import DayInput
from steer.programmes.models import PlanItem, PlanItemQuerySet, Programme
from steer.units.models import OrgUnit


class PlanItemFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    unit = forms.ModelChoiceField(
        label=_("Unit"), queryset=OrgUnit.objects.none(), required=False, empty_label=_("All")
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    deadline_from = forms.DateField(label=_("Deadline from"), required=False, widget=DayInput())
    deadline_to = forms.DateField(label=_("Deadline to"), required=False, widget=DayInput())

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit, kind = self.fields["unit"], self.fields["kind"]
        assert isinstance(unit, forms.ModelChoiceField) and isinstance(kind, forms.ChoiceField)
        unit.queryset = units
        kind.choices = [("", _("All")), *PlanItem.Kind.choices]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        first, last = data.get("deadline_from"), data.get("deadline_to")
        if first and last and last < first:
            self.add_error("deadline_to", _("The end of the range cannot be before its start."))
        return data

    def apply(self, items: PlanItemQuerySet) -> PlanItemQuerySet:
        data = self.cleaned_data
        if data.get("q"):
            items = items.filter(title__icontains=data["q"]) | items.filter(code__iexact=data["q"])
        if unit := data.get("unit"):
            items = items.involving(unit)
        if data.get("kind"):
            items = items.filter(kind=data["kind"])
        if data.get("deadline_from"):
            items = items.filter(deadline__gte=data["deadline_from"])
        if data.get("deadline_to"):
            items = items.filter(deadline__lte=data["deadline_to"])
        return items


class ProgrammeCopyForm(forms.ModelForm):
    include_targets = forms.BooleanField(label=_("Copy the targets"), required=False, initial=False)
    include_plan_items = forms.BooleanField(
        label=_("Copy the plan items"), required=False, initial=False
    )

    class Meta:
        model = Programme
        fields = [
            "symbol",
            "number",
            "slug",
            "title",
            "issuing_body",
            "issued_on",
            "start_year",
            "end_year",
            "standing_agency",
            "source_document",
            "summary",
        ]
        widgets = {"issued_on": DayInput()}

    def __init__(self, *args: Any, source: Programme, **kwargs: Any) -> None:
        self.source = source
        super().__init__(*args, **kwargs)
        agency = self.fields["standing_agency"]
        assert isinstance(agency, forms.ModelChoiceField)
        agency.queryset = OrgUnit.objects.filter(unit_type__level__lte=2).exclude(
            unit_type__code__in=["urban_district", "rural_district", "town"]
        )
