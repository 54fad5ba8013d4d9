"""Documents: drafting a report or notice from the data, editing its text, making the Word and
PDF files in the background, and the Word templates' versions."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from steer.accounts.access import access_for
from steer.core import conflicts, once
from steer.core.conflicts import EditConflict, EditForm
from steer.core.files import attachment_header
from steer.core.forms import form_field
from steer.core.widgets import DayInput
from steer.documents import content, layout, services
from steer.documents.models import DocumentTemplate, Draft, Kind, Layout, Output, Style
from steer.documents.permissions import readable_drafts
from steer.documents.render import office
from steer.programmes.selectors import viewable_programme
from steer.reporting.labels import period_label
from steer.reporting.periods import Period
from steer.steering.models import Inspection
from steer.steering.permissions import visible_inspections
from steer.units.models import OrgUnit

CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


# -- forms ----------------------------------------------------------------------------------


class NewDraftForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Document"))
    period = forms.ChoiceField(
        label=gettext_lazy("Period"),
        required=False,
        help_text=gettext_lazy("For a review: the last year it covers."),
    )
    unit = forms.ModelChoiceField(
        OrgUnit.objects.none(), label=gettext_lazy("Unit"), required=False
    )
    inspection = forms.ModelChoiceField(
        Inspection.objects.none(), label=gettext_lazy("Inspection"), required=False
    )
    style = forms.ChoiceField(
        label=gettext_lazy("Format"),
        required=False,
        choices=[("", gettext_lazy("As usual for the programme")), *Style.choices],
    )

    def __init__(self, *args, programme, access, **kwargs):
        super().__init__(*args, **kwargs)
        self.programme, self.access = programme, access
        kinds = [
            (k, label)
            for k, label in Kind.choices
            if k == Kind.UNIT_REPORT or access.can_draft(programme, k)
        ]
        form_field(self, "kind", forms.ChoiceField).choices = kinds
        periods = []
        for year in programme.years():
            for code in (f"{year}S1", f"{year}S2", str(year)):
                periods.append((code, period_label(Period.parse(code), capital=True)))
        form_field(self, "period", forms.ChoiceField).choices = [("", "—"), *periods]
        units = access.report_units(programme).order_by("name")
        form_field(self, "unit", forms.ModelChoiceField).queryset = units
        inspections = visible_inspections(access, programme).order_by("-start")
        form_field(self, "inspection", forms.ModelChoiceField).queryset = inspections

    def clean(self):
        data = super().clean()
        assert data is not None  # Form.clean gives the cleaned data
        kind, period = data.get("kind"), data.get("period")
        if kind in (Kind.SYNTHESIS, Kind.UNIT_REPORT, Kind.MIDTERM, Kind.FINAL) and not period:
            self.add_error("period", _("Choose the period the document reports on."))
        if kind in (Kind.MIDTERM, Kind.FINAL) and period and not period.isdigit():
            self.add_error("period", _("A review covers whole years: choose a year."))
        if kind == Kind.UNIT_REPORT:
            unit = data.get("unit")
            if unit is None:
                self.add_error("unit", _("Choose the unit that reports."))
            elif not self.access.can_draft(self.programme, kind, unit.pk):
                self.add_error("unit", _("You may not draft this unit's report."))
        if kind == Kind.INSPECTION_NOTICE and data.get("inspection") is None:
            self.add_error("inspection", _("Choose the inspection."))
        return data


class HeaderForm(EditForm, forms.ModelForm):
    """The draft's header; its token (`seen`) covers the texts too, which the same page sends."""

    class Meta:
        model = Draft
        fields = services.HEADER
        widgets = {
            "dated": DayInput(),
            "title": forms.Textarea(attrs={"rows": 2}),
            "signer_title": forms.Textarea(attrs={"rows": 2}),
            "recipients": forms.Textarea(attrs={"rows": 4}),
        }


class TextsForm(forms.Form):
    def __init__(self, *args, sections, texts, **kwargs):
        super().__init__(*args, **kwargs)
        self.keys = {}
        for i, (key, heading) in enumerate(sections):
            name = f"text_{i}"
            self.keys[name] = key
            self.fields[name] = forms.CharField(
                label=heading,
                required=False,
                initial=texts.get(key, ""),
                widget=forms.Textarea(attrs={"rows": 6}),
            )

    def texts(self) -> dict[str, str]:
        return {key: self.cleaned_data[name].strip() for name, key in self.keys.items()}

    def value_name(self, name: str) -> str:
        """The name of a field's value in the draft's values (services.draft_values)."""
        return f"texts.{self.keys.get(name, name)}"


class TemplateUploadForm(forms.Form):
    layout = forms.ChoiceField(label=gettext_lazy("Document"), choices=Layout.choices)
    style = forms.ChoiceField(label=gettext_lazy("Format"), choices=Style.choices)
    file = forms.FileField(label=gettext_lazy("Word file (.docx)"))
    note = forms.CharField(label=gettext_lazy("What changed"), max_length=300, required=False)


# -- drafts ---------------------------------------------------------------------------------


def _draft(request, slug, pk) -> tuple:
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    draft = get_object_or_404(readable_drafts(access, programme), pk=pk)
    return programme, access, draft


@login_required
def draft_list(request, slug):
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    drafts = readable_drafts(access, programme).select_related("unit", "updated_by")
    form = NewDraftForm(programme=programme, access=access)
    if request.method == "POST":
        form = NewDraftForm(request.POST, programme=programme, access=access)
        if form.is_valid():
            data = form.cleaned_data
            kind = data["kind"]
            unit = data["unit"] if kind == Kind.UNIT_REPORT else None
            access.require(access.can_draft(programme, kind, unit.pk if unit else None))

            def draft_it() -> once.Outcome:
                draft = services.new_draft(
                    user=request.user,
                    programme=programme,
                    kind=kind,
                    period=data["period"] if kind != Kind.INSPECTION_NOTICE else "",
                    unit=unit,
                    inspection=data["inspection"] if kind == Kind.INSPECTION_NOTICE else None,
                    style=data["style"] or None,
                )
                return once.Outcome(
                    draft.get_absolute_url(),
                    _("The draft is written from the data; read and edit it."),
                )

            return once.run(request, draft_it)
    return render(
        request,
        "documents/draft_list.html",
        {"programme": programme, "drafts": drafts, "form": form},
    )


def _draft_forms(draft: Draft, sections, data=None) -> tuple[HeaderForm, TextsForm]:
    header = HeaderForm(data, instance=draft, shown=services.draft_values(draft))
    return header, TextsForm(data, sections=sections, texts=draft.texts)


def _save(request, draft: Draft, header: HeaderForm, texts: TextsForm, action, sections):
    services.save_draft(
        user=request.user,
        draft=draft,
        header=services.DraftHeader(
            **{name: header.cleaned_data[name] for name in services.HEADER}
        ),
        texts=texts.texts(),
        seen=header.seen(),
        headings=dict(sections),
    )
    if action in ("docx", "pdf"):
        services.request_output(user=request.user, draft=draft, want_pdf=action == "pdf")
        return once.Outcome(
            draft.get_absolute_url(), _("The file is being made; it appears below.")
        )
    return once.Outcome(draft.get_absolute_url(), _("The draft is saved."))


@login_required
def draft_detail(request, slug, pk):
    programme, access, draft = _draft(request, slug, pk)
    may_edit = access.can_draft(programme, draft.kind, draft.unit_id)
    action = request.POST.get("action", "save")
    if request.method == "POST":
        access.require(may_edit)
        if action == "redraft":

            def redraft() -> once.Outcome:
                seen = conflicts.unsign(request.POST.get(conflicts.FIELD))
                services.redraft(user=request.user, draft=draft, seen=seen)
                return once.Outcome(
                    draft.get_absolute_url(), _("The text was written again from today's data.")
                )

            try:
                return once.run(request, redraft)
            except EditConflict as conflict:
                draft.refresh_from_db()
                messages.error(request, conflict.message)
    facts = content.gather(draft)
    sections = content.text_sections(draft, facts)
    header, texts = _draft_forms(draft, sections)
    if request.method == "POST" and action != "redraft":
        header, texts = _draft_forms(draft, sections, request.POST)
        if header.is_valid() and texts.is_valid():
            try:
                return once.run(
                    request, lambda: _save(request, draft, header, texts, action, sections)
                )
            except EditConflict as conflict:
                draft.refresh_from_db()
                stored_header, stored_texts = _draft_forms(draft, sections)
                header.refuse(conflict, stored_header)
                conflicts.show_stored(texts, stored_texts, conflict.stored, texts.value_name)
    return render(
        request,
        "documents/draft_detail.html",
        {
            "programme": programme,
            "draft": draft,
            "header": header,
            "texts": texts,
            "may_edit": may_edit,
            "data_changed": draft.data_digest != facts.digest(),
            "office": office() is not None,
            **_outputs_context(draft),
        },
    )


def _outputs_context(draft) -> dict:
    # The files are in the database: the list, polled every second, asks only if a PDF is there.
    outputs = list(
        draft.outputs.select_related("made_by", "template")
        .defer("docx", "pdf", "template__content")
        .annotate(has_pdf=ExpressionWrapper(Q(pdf__isnull=False), output_field=BooleanField()))
    )
    for output in outputs:
        output.interrupted = services.is_interrupted(output)
        output.resumes = output.interrupted and services.will_resume(output)
        # Stored as ISO (what the fingerprint was taken with); shown the local way.
        output.as_of = parse_datetime(output.data_as_of) if output.data_as_of else None
    busy = any(
        o.state in (Output.State.QUEUED, Output.State.RUNNING) and not o.interrupted
        for o in outputs
    )
    return {"outputs": outputs, "busy": busy}


@login_required
@require_safe
def draft_outputs(request, slug, pk):
    """The list of files, polled by the page while one is being made."""
    _programme, _access, draft = _draft(request, slug, pk)
    return render(request, "documents/_outputs.html", {"draft": draft, **_outputs_context(draft)})


@login_required
@require_safe
def output_file(request, slug, pk, fmt):
    programme = viewable_programme(request, slug)
    access = access_for(request.user)
    output = get_object_or_404(
        Output.objects.select_related("draft__programme", "draft__unit"),
        pk=pk,
        draft__in=readable_drafts(access, programme),
    )
    data = output.docx if fmt == "docx" else output.pdf if fmt == "pdf" else None
    if data is None:
        raise Http404
    response = HttpResponse(bytes(data), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = attachment_header(f"{output.file_stem()}.{fmt}")
    return response


# -- templates ------------------------------------------------------------------------------


@login_required
def template_list(request):
    access = access_for(request.user)
    access.require(access.can_manage_templates())
    form = TemplateUploadForm()
    if request.method == "POST":
        form = TemplateUploadForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data

            def upload() -> once.Outcome:
                template = services.upload_template(
                    user=request.user,
                    layout_name=data["layout"],
                    style=data["style"],
                    upload=data["file"],
                    note=data["note"],
                )
                return once.Outcome(
                    reverse("document_templates"),
                    _("Version %(version)s is now in use.") % {"version": template.version},
                )

            try:
                return once.run(request, upload)
            except services.DocumentError as error:
                form.add_error("file", str(error))
    rows = []
    stored = list(DocumentTemplate.objects.select_related("uploaded_by").defer("content"))
    for layout_name, layout_label in Layout.choices:
        for style, style_label in Style.choices:
            versions = [t for t in stored if t.layout == layout_name and t.style == style]
            rows.append(
                {
                    "layout": layout_name,
                    "style": style,
                    "label": f"{layout_label} · {style_label}",
                    "versions": versions,
                    "builtin_current": not any(t.is_current for t in versions),
                }
            )
    return render(request, "documents/template_list.html", {"rows": rows, "form": form})


@login_required
@require_POST
def template_use(request, layout_name, style, version):
    access = access_for(request.user)
    access.require(access.can_manage_templates())
    if layout_name not in layout.KINDS or style not in Style.values:
        raise Http404
    template = None
    if version:
        template = get_object_or_404(
            DocumentTemplate, layout=layout_name, style=style, version=version
        )
    services.use_template(
        user=request.user, layout_name=layout_name, style=style, template=template
    )
    messages.success(request, _("The template in use was changed."))
    return redirect(reverse("document_templates"))


@login_required
@require_safe
def template_file(request, layout_name, style, version):
    access = access_for(request.user)
    access.require(access.can_manage_templates())
    if layout_name not in layout.KINDS or style not in Style.values:
        raise Http404
    if version:
        template = get_object_or_404(
            DocumentTemplate, layout=layout_name, style=style, version=version
        )
        data, name = bytes(template.content), template.file_name
    else:
        data, name = layout.build(layout_name, style), f"mau-{layout_name}-{style}-goc.docx"
    response = HttpResponse(data, content_type=CONTENT_TYPES["docx"])
    response["Content-Disposition"] = attachment_header(name)
    return response
