"""The one write path of documents: templates, drafts and the files made from them."""

import datetime as dt
import io
import logging
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from dataclasses import fields as dataclass_fields

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from docxtpl import DocxTemplate

from steer.accounts.access import access_for
from steer.accounts.models import User
from steer.core import conflicts, processes, uploads
from steer.core.conflicts import Fields, Plain, plain
from steer.core.models import Event
from steer.core.numbering import allocate, hold
from steer.core.services import record
from steer.documents import content, fields, layout, sandbox
from steer.documents.models import DocumentTemplate, Draft, Kind, Output, Style
from steer.documents.render import (
    ConversionFailed,
    Progress,
    TemplateProblem,
    office,
    render_docx,
    sweep_folders,
    to_pdf,
)
from steer.programmes.models import Programme
from steer.steering.models import Inspection
from steer.units.models import OrgUnit

MAX_TEMPLATE_BYTES = 10 * 1024 * 1024
TEMPLATE_TYPES = (".docx",)
# A file waiting this long was taken by no worker (none runs).
STALE_AFTER = 15 * 60
# A file whose maker gave no sign of life for this long was cut off, wherever it ran (its steps,
# and LibreOffice's wait every few seconds, are signs of life).
HEARTBEAT_LOST = 120
# Made by the worker and interrupted: made again once, then failed (docs/documents.md).
MAX_ATTEMPTS = 2
logger = logging.getLogger(__name__)


class DocumentError(Exception):
    """A request that cannot be carried out; the message is for the user."""


def _require(allowed: bool) -> None:
    """Refuse (PermissionDenied, as the pages do) a write the permission rule does not allow."""
    if not allowed:
        raise PermissionDenied(_("You may not see or change this."))


def _require_drafting(user: User, draft: Draft) -> None:
    _require(access_for(user).can_draft(draft.programme, draft.kind, draft.unit_id))


# -- templates ------------------------------------------------------------------------------


def current_template(layout_name: str, style: str) -> DocumentTemplate | None:
    """The uploaded template in use, or None: the built-in one (always the current release's,
    built from steer.documents.layout)."""
    return DocumentTemplate.objects.filter(layout=layout_name, style=style, is_current=True).first()


def template_content(template: DocumentTemplate | None, layout_name: str, style: str) -> bytes:
    if template is None:
        return layout.build(layout_name, style)
    return bytes(template.content)


def template_content_of(upload: UploadedFile) -> bytes:
    """An uploaded template's content, once `uploads.accept` found it a Word file of sane size
    without macros (judged by its content before python-docx unpacks it)."""
    try:
        uploads.accept(upload, kinds=TEMPLATE_TYPES, max_bytes=MAX_TEMPLATE_BYTES)
    except uploads.UnsafeUpload as error:
        if error.code in ("mismatch", "damaged"):
            raise DocumentError(_("This is not a Word file (.docx).")) from None
        raise DocumentError(str(error)) from None
    data: bytes = upload.read()
    return data


def check_template(data: bytes, layout_name: str) -> None:
    """Refuse a Word file (one `template_content_of` took) that is not a template steer can
    fill, saying why."""
    try:
        document = DocxTemplate(io.BytesIO(data))
        sandbox.check(document, layout_name)
    except sandbox.Refusal as refusal:
        raise DocumentError(refusal_message(refusal)) from None
    except Exception as error:  # python-docx raises several kinds on a file that is not .docx
        raise DocumentError(_("This is not a Word file (.docx).")) from error


REASONS = {
    "name": gettext_lazy("this document has no field of that name (its fields: %(known)s)"),
    "field": gettext_lazy("this document has no such field"),
    "call": gettext_lazy("a template may not call functions or methods"),
    "filter": gettext_lazy("this filter is not allowed (allowed: %(filters)s)"),
    "filter_arguments": gettext_lazy(
        "this filter takes fewer arguments, and each must be plain text or a number"
    ),
    "test": gettext_lazy("this test is not allowed"),
    "statement": gettext_lazy("only for, if, with and set may be used"),
    "operator": gettext_lazy("this operator is not allowed"),
    "expression": gettext_lazy("this kind of expression is not allowed"),
    "loop": gettext_lazy("a loop goes over a list of the document, with one name for its items"),
    "nesting": gettext_lazy("loops may be nested at most %(most)s deep"),
    "loops": gettext_lazy("a part of the template may hold at most %(most)s loops"),
    "depth": gettext_lazy("fields are nested too deeply"),
    "syntax": gettext_lazy("the field cannot be read"),
    "link": gettext_lazy(
        "the template links to a file or address outside itself; insert pictures and other "
        "content into the document instead of linking them"
    ),
}
PARTS = {
    "body": gettext_lazy("the body"),
    "header": gettext_lazy("a page header"),
    "footer": gettext_lazy("a page footer"),
    "footnotes": gettext_lazy("the footnotes"),
    "property": gettext_lazy("the file's properties (File > Info)"),
    "file": gettext_lazy("the file"),
}


def refusal_message(refusal: sandbox.Refusal) -> str:
    """Why a template cannot be used and where, in the user's words."""
    known = sorted(fields.CONTEXTS.get(refusal.layout, {}))
    why: str = REASONS[refusal.reason] % {
        "known": ", ".join(known),
        "filters": ", ".join(sorted(fields.FILTERS)),
        "most": sandbox.MAX_LOOP_NESTING if refusal.reason == "nesting" else sandbox.MAX_LOOPS,
    }
    where = str(PARTS[refusal.part.partition(":")[0]])
    if refusal.line and not refusal.part.startswith("property"):
        where = _("%(part)s, around paragraph %(line)s") % {
            "part": where,
            "line": max(refusal.line - 1, 1),
        }
    if refusal.excerpt:
        where = f"{where}: “{refusal.excerpt}”"
    return _("The template cannot be used: “%(shown)s”: %(why)s. Where: %(where)s.") % {
        "shown": refusal.shown or "…",
        "why": why,
        "where": where,
    }


def template_scope(layout_name: str, style: str) -> str:
    """The counter of a template's versions; its lock queues every change of the version in use
    (one at a time may hold the "in use" mark: template_one_current)."""
    return f"template:{layout_name}:{style}"


@transaction.atomic
def upload_template(
    *, user: User, layout_name: str, style: str, upload: UploadedFile, note: str
) -> DocumentTemplate:
    """The next version of a template, put in use, once the file is found a template steer can
    fill (DocumentError says why not)."""
    _require(access_for(user).can_manage_templates())
    data = template_content_of(upload)
    check_template(data, layout_name)
    rows = DocumentTemplate.objects.filter(layout=layout_name, style=style)
    # The counter's lock also queues two uploads of the same template, so the second puts the
    # first out of use rather than both being "in use".
    version = allocate(
        scope=template_scope(layout_name, style),
        used=lambda: rows.aggregate(v=Max("version"))["v"],
    )
    rows.filter(is_current=True).update(is_current=False)
    template = DocumentTemplate.objects.create(
        layout=layout_name,
        style=style,
        version=version,
        content=data,
        note=note,
        uploaded_by=user,
        is_current=True,
    )
    record(template, user, Event.Action.TEMPLATE_UPLOADED, to_state=IN_USE, note=note)
    return template


IN_USE = "in_use"  # an Event's state of a template version


@transaction.atomic
def use_template(
    *, user: User, layout_name: str, style: str, template: DocumentTemplate | None
) -> None:
    """Put a version back in use; None: the built-in template."""
    _require(access_for(user).can_manage_templates())
    # Queued behind another choice or upload of this template: otherwise each puts out of use
    # only the version it saw in use, and the second "in use" mark breaks template_one_current.
    hold(scope=template_scope(layout_name, style))
    in_use = DocumentTemplate.objects.filter(layout=layout_name, style=style, is_current=True)
    retired = [version for version in in_use.only("pk") if version != template]
    in_use.update(is_current=False)
    for version in retired:
        record(version, user, Event.Action.TEMPLATE_CHOSEN, from_state=IN_USE)
    if template is not None:
        template.is_current = True
        template.save(update_fields=["is_current"])
        record(template, user, Event.Action.TEMPLATE_CHOSEN, to_state=IN_USE)


# -- drafts ---------------------------------------------------------------------------------


def default_style(programme: Programme, kind: str) -> str:
    if kind != Kind.UNIT_REPORT and content.is_party_programme(programme):
        return Style.PARTY
    return Style.STATE


@transaction.atomic
def new_draft(
    *,
    user: User,
    programme: Programme,
    kind: str,
    period: str = "",
    unit: OrgUnit | None = None,
    inspection: Inspection | None = None,
    style: str | None = None,
) -> Draft:
    """A draft written from the data: its header as such documents say it, its text drafted
    from the facts gathered now."""
    _require(access_for(user).can_draft(programme, kind, unit.pk if unit else None))
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
    record(draft, user, Event.Action.DRAFTED)
    return draft


@dataclass(frozen=True)
class DraftHeader:
    """The header and signature block of a draft, as the official edits them."""

    superior: str
    issuer: str
    number: str
    place: str
    dated: dt.date
    title: str
    signer_title: str
    signer_name: str
    recipients: str


HEADER = [field.name for field in dataclass_fields(DraftHeader)]


def draft_fields(headings: dict[str, str] | None = None) -> Fields:
    """What the draft's page edits: the header and each text (labelled by its heading)."""
    return Fields(
        Draft, HEADER, {f"texts.{key}": heading for key, heading in (headings or {}).items()}
    )


def draft_values(draft: Draft) -> dict[str, Plain]:
    texts = {f"texts.{key}": plain(text) for key, text in draft.texts.items()}
    return draft_fields().values(draft) | texts


def _check_draft(
    draft: Draft,
    seen: Mapping[str, object] | None,
    posted: Mapping[str, object],
    headings: dict[str, str] | None,
    prefix: str = "",
) -> None:
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
def redraft(
    *,
    user: User,
    draft: Draft,
    seen: Mapping[str, object] | None = None,
    headings: dict[str, str] | None = None,
) -> None:
    """Write the text again from today's data (the official's changes to it are replaced).
    `seen`: the draft as the page showed it; a text changed meanwhile, nothing is rewritten."""
    _require_drafting(user, draft)
    _check_draft(draft, seen, {}, headings, prefix="texts.")
    facts = content.gather(draft)
    draft.texts = content.draft_texts(draft, facts)
    draft.data_digest = facts.digest()
    draft.updated_by, draft.updated_at = user, timezone.now()
    draft.save()
    record(draft, user, Event.Action.REDRAFTED)


@transaction.atomic
def save_draft(
    *,
    user: User,
    draft: Draft,
    header: DraftHeader,
    texts: dict[str, str],
    seen: Mapping[str, object] | None = None,
    headings: dict[str, str] | None = None,
) -> None:
    """Save the official's header and text. `seen`: the draft as the page showed it
    (steer.core.conflicts); changed meanwhile by someone else, nothing is saved."""
    _require_drafting(user, draft)
    values = asdict(header)
    posted = {name: plain(value) for name, value in values.items()}
    posted |= {f"texts.{key}": plain(text) for key, text in texts.items()}
    _check_draft(draft, seen, posted, headings)
    for name, value in values.items():
        setattr(draft, name, value)
    draft.texts = {**draft.texts, **texts}
    draft.updated_by, draft.updated_at = user, timezone.now()
    draft.save()
    record(draft, user, Event.Action.EDITED)


# -- files ----------------------------------------------------------------------------------


def new_output(*, user: User, draft: Draft, want_pdf: bool, background: bool = False) -> Output:
    """The row for a file to be made from the draft with its current template; first, what
    killed processes left behind is dealt with (sweep)."""
    _require_drafting(user, draft)
    sweep()
    template = current_template(draft.layout, draft.style)
    with transaction.atomic():
        output = Output.objects.create(
            draft=draft, template=template, made_by=user, want_pdf=want_pdf, background=background
        )
        record(draft, user, Event.Action.FILE_REQUESTED, note="pdf" if want_pdf else "docx")
    return output


def request_output(*, user: User, draft: Draft, want_pdf: bool) -> Output:
    """Queue the making of the draft's file; the worker makes it (tasks.make_document)."""
    output = new_output(user=user, draft=draft, want_pdf=want_pdf, background=True)
    _enqueue(output.pk)
    return output


def _enqueue(output_id: int) -> None:
    from steer.documents.tasks import make_document

    transaction.on_commit(lambda: make_document.enqueue(output_id))


def _progress(output_id: int, runner: str, also: Progress | None = None) -> Progress:
    def report(percent: int, step: str) -> None:
        # Each step is also a sign of life (see is_interrupted).
        Output.objects.filter(pk=output_id, runner=runner).update(
            progress=min(percent, 99), heartbeat=timezone.now()
        )
        if also is not None:
            also(percent, step)

    return report


def make_output(*, output_id: int, on_progress: Progress | None = None) -> Output:
    """Make the file: read the data, fill the template, print the PDF. Written in one go at the
    end, so that a crash leaves the output "being made" and no half file. Only a waiting output
    is made, by one process, which it records (see sweep)."""
    runner = processes.me()
    claimed = Output.objects.filter(pk=output_id, state=Output.State.QUEUED).update(
        state=Output.State.RUNNING,
        progress=5,
        runner=runner,
        heartbeat=timezone.now(),
        attempts=F("attempts") + 1,
    )
    output = Output.objects.select_related("draft__programme", "template").get(pk=output_id)
    if not claimed:
        return output  # made, failed, or being made by another process
    try:
        return _make(output, runner, _progress(output_id, runner, on_progress))
    except Exception:
        # A bug or a broken file must not leave the output "being made" nor stop the worker.
        logger.exception("Document file %s could not be made", output_id)
        return _failed(output, str(SERVER_ERROR))


def _make(output: Output, runner: str, report: Progress) -> Output:
    started = time.perf_counter()
    draft = output.draft
    try:
        facts = content.gather(draft)
        report(10, "data")
        template = template_content(output.template, draft.layout, draft.style)
        docx = render_docx(template, content.context(draft, facts), report, layout=draft.layout)
    except sandbox.Refusal as refusal:
        return _failed(output, refusal_message(refusal))
    except TemplateProblem as problem:
        return _failed(output, _template_message(str(problem)))
    pdf, pdf_problem = None, ""
    if output.want_pdf:
        if office() is None:
            pdf_problem = str(NO_OFFICE)
        else:
            report(85, "pdf")
            try:
                pdf = to_pdf(docx, on_wait=lambda: report(85, "pdf"))
            except ConversionFailed as error:
                pdf_problem = _("LibreOffice could not print the PDF (%(why)s).") % {"why": error}
    Output.objects.filter(pk=output.pk, state=Output.State.RUNNING, runner=runner).update(
        docx=docx,
        pdf=pdf,
        pdf_problem=pdf_problem,
        data_digest=facts.digest(),
        data_as_of=facts.latest_approval,
        state=Output.State.DONE,
        progress=100,
        finished_at=timezone.now(),
        seconds=time.perf_counter() - started,
    )
    output.refresh_from_db()
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
    if kind == "security":
        return _(
            "The template tried to reach something outside the document's fields, and was "
            "stopped: %(detail)s"
        ) % {"detail": detail}
    if kind == "too_large":
        return _("The template makes a document too large to be made.")
    return _("The template is not a Word file (.docx).")


SERVER_ERROR = gettext_lazy(
    "The file could not be made because of an error on the server (it is written in the log)."
)
INTERRUPTED = gettext_lazy(
    "Making the file was interrupted: the process making it stopped. Ask for it again."
)
INTERRUPTED_AGAIN = gettext_lazy(
    "Making the file was interrupted twice: the background worker stopped while making it, "
    "and it is not tried a third time. Ask for it again."
)


def _failed(output: Output, message: str) -> Output:
    Output.objects.filter(pk=output.pk, state=Output.State.RUNNING, runner=output.runner).update(
        state=Output.State.FAILED, error=message, finished_at=timezone.now()
    )
    output.refresh_from_db()
    return output


# -- files whose maker was killed ------------------------------------------------------------


def is_interrupted(output: Output) -> bool:
    """Whether an unfinished output will never be finished by the process that took it: that
    process is gone (seen at once on its own host, by its id) or gave no sign of life for
    HEARTBEAT_LOST. A waiting output no worker took within STALE_AFTER counts too (no worker
    runs)."""
    if output.state == Output.State.QUEUED:  # since it was asked for, or queued again
        return _age(output.heartbeat or output.made_at) > STALE_AFTER
    if output.state != Output.State.RUNNING:
        return False
    if output.runner and processes.alive(output.runner) is False:
        return True
    if output.heartbeat is None:  # taken before steer recorded signs of life
        return _age(output.made_at) > STALE_AFTER
    return _age(output.heartbeat) > HEARTBEAT_LOST


def will_resume(output: Output) -> bool:
    """An interrupted output the worker makes again when it (re)starts."""
    return output.background and output.attempts < MAX_ATTEMPTS


def _age(moment: dt.datetime) -> float:
    return (timezone.now() - moment).total_seconds()


def sweep() -> None:
    """Deal with what killed processes left: an output the worker was making is queued again
    (once: MAX_ATTEMPTS), any other interrupted output fails with the reason; the temporary
    folders of their PDF conversions go. Run when a worker starts and when a file is asked for.
    Each change is conditional on the row being as read, so two sweeps at once do it once."""
    sweep_folders()
    for output in Output.objects.filter(state=Output.State.RUNNING).only(
        "state", "runner", "heartbeat", "made_at", "background", "attempts"
    ):
        if not is_interrupted(output):
            continue
        same = Output.objects.filter(pk=output.pk, state=output.state, runner=output.runner)
        if will_resume(output):
            queued = {"progress": 0, "runner": "", "heartbeat": timezone.now()}
            if same.update(state=Output.State.QUEUED, **queued):
                _enqueue(output.pk)
        else:
            message = INTERRUPTED_AGAIN if output.background else INTERRUPTED
            same.update(state=Output.State.FAILED, error=str(message), finished_at=timezone.now())
