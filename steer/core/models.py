"""What the whole app shares: the number counters, the record of forms already sent and the
history of who changed what (Event)."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Counter(models.Model):
    """The last number given in a scope (a programme's directives, a body's register for a
    year…); its row is locked while a number is taken, so two people never get the same one."""

    scope = models.CharField(_("scope"), max_length=100)
    year = models.PositiveSmallIntegerField(_("year"), default=0)  # 0: numbers never restart
    last = models.PositiveIntegerField(_("last number given"), default=0)

    class Meta:
        verbose_name = _("number counter")
        verbose_name_plural = _("number counters")
        constraints = [
            models.UniqueConstraint(fields=["scope", "year"], name="counter_unique_scope_year")
        ]

    def __str__(self) -> str:
        return (
            f"{self.scope}/{self.year}: {self.last}" if self.year else f"{self.scope}: {self.last}"
        )


class SentForm(models.Model):
    """A form sent with its one-time token, and where it led: sent again (a double click, a
    reload), it changes nothing and leads there again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    token = models.CharField(max_length=64)
    url = models.CharField(max_length=500, blank=True)
    message = models.TextField(blank=True)
    level = models.PositiveSmallIntegerField(default=25)  # django.contrib.messages.SUCCESS
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("sent form")
        verbose_name_plural = _("sent forms")
        constraints = [
            models.UniqueConstraint(fields=["user", "token"], name="sent_form_unique_token")
        ]
        indexes = [models.Index(fields=["user", "sent_at"], name="sent_form_user_time")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.token}"


class Event(models.Model):
    """One change of a record (a directive, an inspection, a figure's evidence, an import…): who,
    when, from what state to what, and why. The vocabulary is `Action` (docs/audit.md)."""

    class Action(models.TextChoices):
        """Every change recorded (docs/audit.md): of a plan item, a directive, an inspection, a
        recommendation and a synthesis of recommendations; reminders, evidence files and imports
        of figures; documents' drafts and templates."""

        PROGRESS = "progress", _("Progress reported")
        DEADLINE = "deadline", _("Deadline moved")
        GIVEN = "given", _("Directive given")
        REPORTED = "reported", _("Progress reported")
        CLOSED = "closed", _("Closed")
        RETURNED = "returned", _("Returned")
        PLANNED = "planned", _("Planned")
        FINDINGS = "findings", _("Findings recorded")
        CONCLUDED = "concluded", _("Concluded")
        RAISED = "raised", _("Raised")
        ROUTED = "routed", _("Assessed and forwarded")
        ANSWERED = "answered", _("Answered")
        SYNTHESISED = "synthesised", _("Synthesised")
        # Reporting's writes (reporting.services).
        REMINDED = "reminded", _("Reminded to report")
        IMPORT = "import", _("File import")
        # Files attached on their own (evidence of a figure, an inspection's minutes).
        ATTACHED = "attached", _("Files attached")
        # Of a document (documents.services): a draft, the file asked of it, a template version.
        DRAFTED = "drafted", _("Drafted from the data")
        REDRAFTED = "redrafted", _("Written again from the data")
        EDITED = "edited", _("Draft edited")
        FILE_REQUESTED = "file_requested", _("File requested")
        TEMPLATE_UPLOADED = "template_uploaded", _("Template uploaded")
        TEMPLATE_CHOSEN = "template_chosen", _("Template put in or out of use")

    content_type = models.ForeignKey(ContentType, models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    action = models.CharField(_("action"), max_length=30, choices=Action)
    from_state = models.CharField(_("from"), max_length=30, blank=True)
    to_state = models.CharField(_("to"), max_length=30, blank=True)
    note = models.TextField(_("note"), blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        db_table = "steering_event"  # the table it was made in, when steering held it
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="event_subject")]
        verbose_name = _("change record")
        verbose_name_plural = _("change records")

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.at:%d/%m/%Y %H:%M})"

    @property
    def from_label(self) -> str:
        return self._state_label(self.from_state)

    @property
    def to_label(self) -> str:
        return self._state_label(self.to_state)

    def _state_label(self, code: str) -> str:
        """The label of a state of the subject's kind; a code it does not know (a date, for a
        moved deadline) as it is."""
        model = ContentType.objects.get_for_id(self.content_type_id).model_class()
        try:
            field = model._meta.get_field("state") if model else None
        except FieldDoesNotExist:
            return code
        choices = getattr(field, "flatchoices", None) or []
        return str(dict(choices).get(code, code))
