"""The one write path of documents: templates, drafts and the files made from them."""

import io
import time

import jinja2
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from docxtpl import DocxTemplate

from steer.core import conflicts, uploads
from steer.core.conflicts import Fields, plain
from steer.core.numbering import allocate
from steer.documents import content, layout
from steer.documents.models import DocumentTemplate, Draft, Kind, Output, Style
from steer.documents.render import (
    ConversionFailed,
    TemplateProblem,
    office,
    render_docx,
    to_pdf,
)

# What a template may read: anything else is a misspelt name.
CONTEXT_NAMES = {"doc", "texts", "tables", "charts", "annex", "objectives", "visits", "numbering"}
MAX_TEMPLATE_BYTES = 10 * 1024 * 1024
# A file still "being made" after this long was cut off (the worker stopped).
STALE_AFTER = 15 * 60


class DocumentError(Exception):
    """A request that cannot be carried out; the message is for the user."""


# -- templates ------------------------------------------------------------------------------


def current_template(layout_name: str, style: str) -> DocumentTemplate | None:
    """The uploaded template in use, or None: the built-in one (always the current release's,
    built from steer.documents.layout)."""
    return DocumentTemplate.objects.filter(layout=layout_name, style=style, is_current=True).first()


def template_content(template: DocumentTemplate | None, layout_name: str, style: str) -> bytes:
    if template is None:
        return layout.build(layout_name, style)
    return bytes(template.content)


def check_template(data: bytes) -> None:
    """Refuse a file that is not a Word template steer can fill, saying why."""
    if len(data) > MAX_TEMPLATE_BYTES:
        raise DocumentError(_("The file is larger than 10 MB."))
    # By its content before python-docx unpacks it: a Word archive of sane size, no macros.
    if not data.startswith(uploads.ZIP):
        raise DocumentError(_("This is not a Word file (.docx)."))
    try:
        uploads.check_office_archive(io.BytesIO(data), _("The template"), ".docx")
    except uploads.UnsafeUpload as error:
        if error.code in ("mismatch", "damaged"):
            raise DocumentError(_("This is not a Word file (.docx).")) from None
        raise DocumentError(str(error)) from None
    try:
        document = DocxTemplate(io.BytesIO(data))
        names = document.get_undeclared_template_variables(jinja2.Environment())
    except jinja2.TemplateSyntaxError as error:
        raise DocumentError(
            _("The template has a mistake in a field (line %(line)s of its text): %(message)s")
            % {"line": error.lineno, "message": error.message}
        ) from error
    except Exception as error:  # python-docx raises several kinds on a file that is not .docx
        raise DocumentError(_("This is not a Word file (.docx).")) from error
    unknown = sorted(set(names) - CONTEXT_NAMES)
    if unknown:
        raise DocumentError(
            _("The template uses names steer does not know: %(names)s. Known names: %(known)s.")
            % {"names": ", ".join(unknown), "known": ", ".join(sorted(CONTEXT_NAMES))}
        )


@transaction.atomic
def upload_template(layout_name, style, data: bytes, note: str, user) -> DocumentTemplate:
    check_template(data)
    rows = DocumentTemplate.objects.filter(layout=layout_name, style=style)
    # The counter's lock also queues two uploads of the same template, so the second puts the
    # first out of use rather than both being "in use".
    version = allocate(
        scope=f"template:{layout_name}:{style}",
        used=lambda: rows.aggregate(v=Max("version"))["v"],
    )
    rows.filter(is_current=True).update(is_current=False)
    return DocumentTemplate.objects.create(
        layout=layout_name,
        style=style,
        version=version,
        content=data,
        note=note,
        uploaded_by=user,
        is_current=True,
    )


@transaction.atomic
def use_template(layout_name: str, style: str, template: DocumentTemplate | None) -> None:
    """Put a version back in use; None: the built-in template."""
    DocumentTemplate.objects.filter(layout=layout_name, style=style, is_current=True).update(
        is_current=False
    )
    if template is not None:
        template.is_current = True
        template.save(update_fields=["is_current"])


# -- drafts ---------------------------------------------------------------------------------


def default_style(programme, kind: str) -> str:
    if kind != Kind.UNIT_REPORT and content.is_party_programme(programme):
        return Style.PARTY
    return Style.STATE


@transaction.atomic
def new_draft(programme, kind, user, *, period="", unit=None, inspection=None, style=None):
    style = style or default_style(programme, kind)
    header = content.header_defaults(programme, kind, style, unit, inspection, period)
    draft = Draft(
        programme=programme,
        kind=kind,
        style=style,
        period=period,
        unit=unit,
        inspection=inspection,
        dated=timezone.localdate(),
        created_by=user,
        updated_by=user,
        **header,
    )
    facts = content.gather(draft)
    draft.texts = content.draft_texts(draft, facts)
    draft.data_digest = facts.digest()
    draft.save()
    return draft


HEADER = [
    "superior",
    "issuer",
    "number",
    "place",
    "dated",
    "title",
    "signer_title",
    "signer_name",
    "recipients",
]


def draft_fields(headings: dict[str, str] | None = None) -> Fields:
    """What the draft's page edits: the header and each text (labelled by its heading)."""
    return Fields(
        Draft, HEADER, {f"texts.{key}": heading for key, heading in (headings or {}).items()}
    )


def draft_values(draft: Draft) -> dict:
    texts = {f"texts.{key}": plain(text) for key, text in draft.texts.items()}
    return draft_fields().values(draft) | texts


def _check_draft(draft: Draft, seen, posted: dict, headings, prefix="") -> None:
    """Lock the draft and refuse if someone else changed what the page showed (`seen`), or
    the part of it whose names start with `prefix`."""
    Draft.objects.select_for_update().filter(pk=draft.pk).exists()
    draft.refresh_from_db()
    now = {name: value for name, value in draft_values(draft).items() if name.startswith(prefix)}
    if seen is not None:
        seen = {name: value for name, value in seen.items() if name.startswith(prefix)}
    conflicts.check(
        seen=seen,
        now=now,
        posted=posted,
        fields=draft_fields(headings),
        last=lambda: conflicts.last_change(draft),
    )


@transaction.atomic
def redraft(draft: Draft, user, *, seen: dict | None = None, headings=None) -> None:
    """Write the text again from today's data (the official's changes to it are replaced).
    `seen`: the draft as the page showed it; a text changed meanwhile, nothing is rewritten."""
    _check_draft(draft, seen, {}, headings, prefix="texts.")
    facts = content.gather(draft)
    draft.texts = content.draft_texts(draft, facts)
    draft.data_digest = facts.digest()
    draft.updated_by, draft.updated_at = user, timezone.now()
    draft.save()


@transaction.atomic
def save_draft(
    draft: Draft,
    header: dict,
    texts: dict,
    user,
    *,
    seen: dict | None = None,
    headings: dict[str, str] | None = None,
) -> None:
    """Save the official's header and text. `seen`: the draft as the page showed it
    (steer.core.conflicts); changed meanwhile by someone else, nothing is saved."""
    posted = {name: plain(value) for name, value in header.items()}
    posted |= {f"texts.{key}": plain(text) for key, text in texts.items()}
    _check_draft(draft, seen, posted, headings)
    for name, value in header.items():
        setattr(draft, name, value)
    draft.texts = {**draft.texts, **texts}
    draft.updated_by, draft.updated_at = user, timezone.now()
    draft.save()


# -- files ----------------------------------------------------------------------------------


def new_output(draft: Draft, user, *, want_pdf: bool) -> Output:
    """The row for a file to be made from the draft with its current template."""
    template = current_template(draft.layout, draft.style)
    return Output.objects.create(draft=draft, template=template, made_by=user, want_pdf=want_pdf)


def request_output(draft: Draft, user, *, want_pdf: bool) -> Output:
    """Queue the making of the draft's file; the worker makes it (tasks.make_document)."""
    from steer.documents.tasks import make_document

    output = new_output(draft, user, want_pdf=want_pdf)
    transaction.on_commit(lambda: make_document.enqueue(output.pk))
    return output


def _progress(output_id: int, also=None):
    def report(percent: int, step: str) -> None:
        Output.objects.filter(pk=output_id).update(progress=min(percent, 99))
        if also is not None:
            also(percent, step)

    return report


def make_output(output_id: int, on_progress=None) -> Output:
    """Make the file: read the data, fill the template, print the PDF. Written in one go at the
    end, so that a crash leaves the output "being made" and no half file."""
    output = Output.objects.select_related("draft__programme", "template").get(pk=output_id)
    if output.state == Output.State.DONE:
        return output
    started = time.perf_counter()
    Output.objects.filter(pk=output_id).update(state=Output.State.RUNNING, progress=5)
    report = _progress(output_id, on_progress)
    draft = output.draft
    try:
        facts = content.gather(draft)
        report(10, "data")
        template = template_content(output.template, draft.layout, draft.style)
        docx = render_docx(template, content.context(draft, facts), report)
    except TemplateProblem as problem:
        return _failed(output, _template_message(str(problem)))
    pdf, pdf_problem = None, ""
    if output.want_pdf:
        if office() is None:
            pdf_problem = str(NO_OFFICE)
        else:
            report(85, "pdf")
            try:
                pdf = to_pdf(docx)
            except ConversionFailed as error:
                pdf_problem = _("LibreOffice could not print the PDF (%(why)s).") % {"why": error}
    with transaction.atomic():
        output.docx, output.pdf, output.pdf_problem = docx, pdf, pdf_problem
        output.data_digest = facts.digest()
        output.data_as_of = facts.latest_approval
        output.state, output.progress = Output.State.DONE, 100
        output.finished_at = timezone.now()
        output.seconds = time.perf_counter() - started
        output.save()
    return output


NO_OFFICE = gettext_lazy(
    "LibreOffice is not installed on the server, so no PDF can be made; the Word file is ready."
)


def _template_message(code: str) -> str:
    kind, _sep, detail = code.partition(":")
    if kind == "undefined":
        return _("The template asks for something the data does not have: %(detail)s") % {
            "detail": detail
        }
    if kind == "syntax":
        return _("The template has a mistake in a field: %(detail)s") % {"detail": detail}
    return _("The template is not a Word file (.docx).")


def _failed(output: Output, message: str) -> Output:
    output.state, output.error = Output.State.FAILED, message
    output.finished_at = timezone.now()
    output.save(update_fields=["state", "error", "finished_at"])
    return output


def is_stale(output: Output) -> bool:
    if output.state not in (Output.State.QUEUED, Output.State.RUNNING):
        return False
    return (timezone.now() - output.made_at).total_seconds() > STALE_AFTER
