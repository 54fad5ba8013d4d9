"""Documents drafted from the data: the Word templates (versioned), the drafts officials edit,
and the files made from them (kept with who made them and from which data).

Files are kept in the database, not on disk: a file is written in the same transaction as the
row that describes it, so a crash never leaves one without the other, and a database backup
holds them all.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from steer.programmes.models import Programme
from steer.reporting.labels import period_label
from steer.reporting.periods import Period
from steer.steering.models import Inspection
from steer.units.models import OrgUnit

USER = settings.AUTH_USER_MODEL


class Kind(models.TextChoices):
    SYNTHESIS = "synthesis", _("Programme report for a period")
    UNIT_REPORT = "unit_report", _("Unit's periodic report")
    MIDTERM = "midterm", _("Mid-term review")
    FINAL = "final", _("Final review")
    INSPECTION_NOTICE = "inspection_notice", _("Notice of an inspection's conclusions")


class Style(models.TextChoices):
    STATE = "state", _("State body (Decree 30/2020/NĐ-CP)")
    PARTY = "party", _("Party body (Guidance 36-HD/VPTW)")


class Layout(models.TextChoices):
    """What a template lays out; the mid-term and final reviews share one."""

    SYNTHESIS = "synthesis", _("Programme report for a period")
    UNIT_REPORT = "unit_report", _("Unit's periodic report")
    REVIEW = "review", _("Mid-term or final review")
    INSPECTION_NOTICE = "inspection_notice", _("Notice of an inspection's conclusions")


class DocumentTemplate(models.Model):
    layout = models.CharField(_("document"), max_length=20, choices=Layout)
    style = models.CharField(_("format"), max_length=10, choices=Style)
    version = models.PositiveIntegerField(_("version"))
    content = models.BinaryField(_("Word file"))
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        USER, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("by")
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    is_current = models.BooleanField(_("in use"), default=False)

    class Meta:
        ordering = ["layout", "style", "-version"]
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")
        constraints = [
            models.UniqueConstraint(
                fields=["layout", "style", "version"], name="template_version_unique"
            ),
            models.UniqueConstraint(
                fields=["layout", "style"],
                condition=models.Q(is_current=True),
                name="template_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_layout_display()}, {self.get_style_display()}, v{self.version}"

    @property
    def file_name(self) -> str:
        return f"mau-{self.layout}-{self.style}-v{self.version}.docx"


class Draft(models.Model):
    """A document being drafted: its header and the text the official edits."""

    programme = models.ForeignKey(
        Programme, models.CASCADE, related_name="drafts", verbose_name=_("programme")
    )
    kind = models.CharField(_("document"), max_length=20, choices=Kind)
    style = models.CharField(_("format"), max_length=10, choices=Style)
    period = models.CharField(_("period"), max_length=8, blank=True)
    unit = models.ForeignKey(
        OrgUnit, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("unit")
    )
    inspection = models.ForeignKey(
        Inspection,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="drafts",
        verbose_name=_("inspection"),
    )
    superior = models.CharField(_("superior body"), max_length=200, blank=True)
    issuer = models.CharField(_("issuing body"), max_length=200)
    number = models.CharField(_("number and symbol"), max_length=60)
    place = models.CharField(_("place"), max_length=60)
    dated = models.DateField(_("date"))
    title = models.TextField(_("title (summary line)"))
    signer_title = models.TextField(_("signature: authority and position"))
    signer_name = models.CharField(_("signer"), max_length=120, blank=True)
    recipients = models.TextField(_("recipients"))
    texts = models.JSONField(_("text"), default=dict)
    data_digest = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(USER, models.PROTECT, related_name="+", verbose_name=_("by"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_by = models.ForeignKey(
        USER, models.PROTECT, related_name="+", verbose_name=_("last changed by")
    )
    updated_at = models.DateTimeField(_("last change"), default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        verbose_name = _("draft document")
        verbose_name_plural = _("draft documents")

    def __str__(self) -> str:
        return " ".join(self.title.split())

    def get_absolute_url(self) -> str:
        return reverse("draft_detail", args=[self.programme.slug, self.pk])

    @property
    def period_text(self) -> str:
        return period_label(Period.parse(self.period), capital=True) if self.period else "—"

    @property
    def layout(self) -> str:
        return "review" if self.kind in (Kind.MIDTERM, Kind.FINAL) else self.kind


class Output(models.Model):
    """A file made from a draft: the Word file, and the PDF when asked for and possible."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Being made")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    draft = models.ForeignKey(
        Draft, models.CASCADE, related_name="outputs", verbose_name=_("draft document")
    )
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    want_pdf = models.BooleanField(_("PDF too"), default=False)
    docx = models.BinaryField(_("Word file"), null=True, blank=True)
    pdf = models.BinaryField(_("PDF file"), null=True, blank=True)
    pdf_problem = models.CharField(_("why there is no PDF"), max_length=300, blank=True)
    error = models.TextField(_("error"), blank=True)
    # None: the built-in template of the release that made the file.
    template = models.ForeignKey(
        DocumentTemplate,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("template"),
    )
    data_digest = models.CharField(_("data fingerprint"), max_length=64, blank=True)
    # Who is making it (steer.core.processes.me()) and its last sign of life: how a file left
    # unfinished by a killed process is recognised and made again or failed (services.sweep).
    runner = models.CharField(_("made by process"), max_length=120, blank=True)
    heartbeat = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    background = models.BooleanField(_("made by the background worker"), default=False)
    data_as_of = models.CharField(_("latest approval included"), max_length=40, blank=True)
    made_by = models.ForeignKey(USER, models.PROTECT, related_name="+", verbose_name=_("by"))
    made_at = models.DateTimeField(_("asked for"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    seconds = models.FloatField(_("seconds"), null=True, blank=True)

    class Meta:
        ordering = ["-made_at", "-pk"]
        verbose_name = _("document file")
        verbose_name_plural = _("document files")

    def __str__(self) -> str:
        return f"{self.draft} ({self.made_at:%d/%m/%Y %H:%M})"

    def file_stem(self) -> str:
        draft = self.draft
        parts = [draft.kind, draft.programme.slug, draft.period or str(draft.pk)]
        if draft.unit is not None:
            parts.append(draft.unit.code)
        return "-".join(parts) + f"-{self.pk}"
