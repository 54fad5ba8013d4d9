"""Steering the work: plan-item progress, inspections, directives, recommendations, their files.
Who changed what is `steer.core.models.Event`; who must be told, `steer.notifications`."""

from pathlib import Path

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from steer.programmes.models import PlanItem, Programme
from steer.units.models import OrgUnit

USER = settings.AUTH_USER_MODEL


def attachment_path(instance, filename: str) -> str:
    return f"steering/{instance.content_type.model}/{instance.object_id}/{Path(filename).name}"


class Attachment(models.Model):
    """Evidence: a file behind a progress report, a directive's closure, an inspection record."""

    content_type = models.ForeignKey(ContentType, models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_by = models.ForeignKey(
        USER, models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="attachment_subject")]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self) -> str:
        return self.name


class Confidence(models.TextChoices):
    """Delivery confidence, as the UK's Infrastructure and Projects Authority rates projects."""

    GREEN = "green", _("Green")
    AMBER_GREEN = "amber_green", _("Amber-green")
    AMBER = "amber", _("Amber")
    AMBER_RED = "amber_red", _("Amber-red")
    RED = "red", _("Red")


class ProgressReport(models.Model):
    """The lead unit's report on a plan item for a period: progress, product, money, confidence."""

    plan_item = models.ForeignKey(
        PlanItem, models.CASCADE, related_name="progress_reports", verbose_name=_("plan item")
    )
    period = models.CharField(_("period"), max_length=10)
    percent = models.DecimalField(
        _("progress (%)"),
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    done = models.TextField(_("what was done"))
    product = models.TextField(_("product delivered"), blank=True)
    budget_disbursed = models.DecimalField(
        _("budget disbursed (million VND)"),
        max_digits=16,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    confidence = models.CharField(_("delivery confidence"), max_length=12, choices=Confidence)
    rationale = models.TextField(_("reason for the rating"))
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    reported_by = models.ForeignKey(
        USER, models.PROTECT, related_name="+", verbose_name=_("reported by")
    )
    reported_at = models.DateTimeField(_("reported"), default=timezone.now)
    is_illustrative = models.BooleanField(_("illustrative"), default=False)
    attachments = GenericRelation(Attachment)

    class Meta:
        ordering = ["plan_item", "reported_at", "pk"]
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__gte=0) & Q(percent__lte=100),
                name="progress_percent_range",
                violation_error_message=_("Progress is a percentage from 0 to 100."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan_item.code} {self.period}: {self.percent}%"


class DeadlineChange(models.Model):
    """A plan item's deadline moved: the first deadline stays on the item as its baseline."""

    plan_item = models.ForeignKey(
        PlanItem, models.CASCADE, related_name="deadline_changes", verbose_name=_("plan item")
    )
    old_deadline = models.DateField(_("previous deadline"))
    new_deadline = models.DateField(_("new deadline"))
    reason = models.TextField(_("reason"))
    decided_by = models.CharField(_("decided by (document)"), max_length=300, blank=True)
    changed_by = models.ForeignKey(USER, models.PROTECT, related_name="+", verbose_name=_("by"))
    changed_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["plan_item", "changed_at", "pk"]
        verbose_name = _("deadline change")
        verbose_name_plural = _("deadline changes")

    def __str__(self) -> str:
        return f"{self.plan_item.code}: {self.old_deadline:%d/%m/%Y} → {self.new_deadline:%d/%m/%Y}"


class Meeting(models.Model):
    """A steering committee meeting or working session whose conclusions give directives."""

    class Kind(models.TextChoices):
        STEERING_MEETING = "steering_meeting", _("Steering committee meeting")
        WORKING_SESSION = "working_session", _("Working session")

    programme = models.ForeignKey(
        Programme, models.CASCADE, related_name="meetings", verbose_name=_("programme")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    title = models.CharField(_("title"), max_length=500)
    held_on = models.DateField(_("held on"))
    chaired_by = models.CharField(_("chaired by"), max_length=300)
    document_number = models.CharField(_("conclusion document"), max_length=200, blank=True)
    is_illustrative = models.BooleanField(_("illustrative"), default=False)

    class Meta:
        ordering = ["programme", "-held_on"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")

    def __str__(self) -> str:
        return f"{self.title} ({self.held_on:%d/%m/%Y})"


class Inspection(models.Model):
    """An inspection: the plan (team, units, dates, purpose and scope), the visits' findings per
    unit, the conclusion and the directives it gives."""

    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")
        VISITED = "visited", _("Visited")
        CONCLUDED = "concluded", _("Concluded")

    programme = models.ForeignKey(
        Programme, models.CASCADE, related_name="inspections", verbose_name=_("programme")
    )
    number = models.CharField(_("team number"), max_length=20)
    title = models.CharField(_("title"), max_length=500)
    purpose = models.TextField(_("purpose"))
    scope = models.TextField(_("scope"), blank=True)
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.PLANNED)
    conclusion = models.TextField(_("conclusion"), blank=True)
    concluded_on = models.DateField(_("concluded on"), null=True, blank=True)
    conclusion_document = models.CharField(_("conclusion document"), max_length=200, blank=True)
    is_illustrative = models.BooleanField(_("illustrative"), default=False)
    attachments = GenericRelation(Attachment)

    class Meta:
        ordering = ["programme", "-start", "number"]
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gte=models.F("start")),
                name="inspection_end_after_start",
                violation_error_message=_("The last day cannot be before the first."),
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("inspection_detail", args=[self.programme.slug, self.pk])


class InspectionMember(models.Model):
    class Role(models.TextChoices):
        HEAD = "head", _("Head of the team")
        DEPUTY = "deputy", pgettext_lazy("inspection team", "Deputy head")
        MEMBER = "member", _("Member")

    inspection = models.ForeignKey(
        Inspection, models.CASCADE, related_name="members", verbose_name=_("inspection")
    )
    name = models.CharField(_("name"), max_length=150)
    position = models.CharField(_("position"), max_length=300, blank=True)
    role = models.CharField(_("role in the team"), max_length=10, choices=Role)
    user = models.ForeignKey(
        USER, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("account")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["inspection", "order", "pk"]
        verbose_name = _("team member")
        verbose_name_plural = _("team members")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"


class InspectionVisit(models.Model):
    """One inspected unit: what it handed over and what the team found there."""

    inspection = models.ForeignKey(
        Inspection, models.CASCADE, related_name="visits", verbose_name=_("inspection")
    )
    unit = models.ForeignKey(
        OrgUnit, models.PROTECT, related_name="inspection_visits", verbose_name=_("unit")
    )
    visited_on = models.DateField(_("visited on"), null=True, blank=True)
    documents_received = models.TextField(_("documents received"), blank=True)
    results = models.TextField(_("results"), blank=True)
    limitations = models.TextField(_("limitations"), blank=True)
    causes = models.TextField(_("causes"), blank=True)

    class Meta:
        ordering = ["inspection", "visited_on", "unit__code"]
        verbose_name = _("inspected unit")
        verbose_name_plural = _("inspected units")
        constraints = [
            models.UniqueConstraint(
                fields=["inspection", "unit"],
                name="inspection_visit_unique_unit",
                violation_error_message=_("This unit is already on the inspection."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.inspection.number}: {self.unit}"


class Directive(models.Model):
    """A directive (ý kiến chỉ đạo, kết luận) to units, followed until it is closed."""

    class Source(models.TextChoices):
        INSPECTION = "inspection", _("Inspection")
        STEERING_MEETING = "steering_meeting", _("Steering committee meeting")
        WORKING_SESSION = "working_session", _("Working session")
        DOCUMENT = "document", _("Document")

    class State(models.TextChoices):
        NEW = "new", _("New")
        IN_PROGRESS = "in_progress", _("In progress")
        REPORTED_DONE = "reported_done", _("Reported done")
        DONE = "done", _("Done")

    OPEN = (State.NEW, State.IN_PROGRESS, State.REPORTED_DONE)

    programme = models.ForeignKey(
        Programme, models.CASCADE, related_name="directives", verbose_name=_("programme")
    )
    number = models.PositiveIntegerField(_("number"))
    content = models.TextField(_("content"))
    given_by = models.CharField(_("given by"), max_length=300)
    given_on = models.DateField(_("given on"))
    source = models.CharField(pgettext_lazy("directive", "source"), max_length=20, choices=Source)
    meeting = models.ForeignKey(
        Meeting,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="directives",
        verbose_name=_("meeting"),
    )
    inspection = models.ForeignKey(
        Inspection,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="directives",
        verbose_name=_("inspection"),
    )
    document_number = models.CharField(_("document number"), max_length=200, blank=True)
    assignees = models.ManyToManyField(
        OrgUnit, related_name="directives", verbose_name=_("assigned units")
    )
    deadline = models.DateField(_("deadline"))
    state = models.CharField(_("state"), max_length=15, choices=State, default=State.NEW)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closure_note = models.TextField(_("closure"), blank=True)
    accepted_by = models.ForeignKey(
        USER,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    created_by = models.ForeignKey(
        USER, models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)
    is_illustrative = models.BooleanField(_("illustrative"), default=False)
    attachments = GenericRelation(Attachment)

    class Meta:
        ordering = ["programme", "-given_on", "number"]
        verbose_name = _("directive")
        verbose_name_plural = _("directives")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "number"],
                name="directive_number_unique",
                violation_error_message=_("This number is already used."),
            ),
            models.CheckConstraint(
                condition=Q(deadline__gte=models.F("given_on")),
                name="directive_deadline_after_given",
                violation_error_message=_("The deadline cannot be before the directive."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}. {self.content[:80]}"

    def get_absolute_url(self) -> str:
        return reverse("directive_detail", args=[self.programme.slug, self.number])

    @property
    def code(self) -> str:
        return f"CĐ-{self.number:03d}"

    def is_overdue(self, day=None) -> bool:
        day = day or timezone.localdate()
        return self.state != self.State.DONE and self.deadline < day


class DirectiveUpdate(models.Model):
    """An assignee's progress report on a directive."""

    directive = models.ForeignKey(
        Directive, models.CASCADE, related_name="updates", verbose_name=_("directive")
    )
    unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("unit"))
    text = models.TextField(_("progress"))
    reported_by = models.ForeignKey(
        USER, models.PROTECT, related_name="+", verbose_name=_("reported by")
    )
    reported_at = models.DateTimeField(_("reported"), default=timezone.now)
    is_illustrative = models.BooleanField(_("illustrative"), default=False)

    class Meta:
        ordering = ["directive", "reported_at", "pk"]
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")

    def __str__(self) -> str:
        return f"{self.directive.code} {self.unit.code} {self.reported_at:%d/%m/%Y}"


class Synthesis(models.Model):
    """The standing agency's synthesis for the city of the open recommendations, as a batch."""

    programme = models.ForeignKey(
        Programme, models.CASCADE, related_name="syntheses", verbose_name=_("programme")
    )
    title = models.CharField(_("title"), max_length=300)
    prepared_on = models.DateField(_("prepared on"))
    note = models.TextField(_("summary"), blank=True)
    prepared_by = models.ForeignKey(
        USER, models.PROTECT, related_name="+", verbose_name=_("prepared by")
    )

    class Meta:
        ordering = ["programme", "-prepared_on", "-pk"]
        verbose_name = _("synthesis")
        verbose_name_plural = _("syntheses")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("synthesis_detail", args=[self.programme.slug, self.pk])


class Recommendation(models.Model):
    """A unit's recommendation, proposal or bottleneck (kiến nghị, đề xuất, điểm nghẽn)."""

    class Channel(models.TextChoices):
        REPORT = "report", _("In a report")
        INSPECTION = "inspection", _("At an inspection")
        DIRECT = "direct", _("Directly")

    class Category(models.TextChoices):
        POLICY = "policy", _("Mechanisms and policies")
        FINANCE = "finance", _("Finance")
        PERSONNEL = "personnel", _("Personnel")
        PROCEDURES_IT = "procedures_it", _("Procedures and IT systems")
        COORDINATION = "coordination", _("Coordination")
        OTHER = "other", _("Other")

    class State(models.TextChoices):
        NEW = "new", _("New")
        ROUTED = "routed", _("Synthesised and forwarded")
        ANSWERED = "answered", _("Answered")
        CLOSED = "closed", _("Closed")

    OPEN = (State.NEW, State.ROUTED)

    programme = models.ForeignKey(
        Programme, models.CASCADE, related_name="recommendations", verbose_name=_("programme")
    )
    number = models.PositiveIntegerField(_("number"))
    unit = models.ForeignKey(
        OrgUnit, models.PROTECT, related_name="recommendations", verbose_name=_("raised by")
    )
    raised_on = models.DateField(_("raised on"))
    channel = models.CharField(_("raised"), max_length=12, choices=Channel)
    inspection = models.ForeignKey(
        Inspection,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="recommendations",
        verbose_name=_("inspection"),
    )
    category = models.CharField(_("category"), max_length=15, choices=Category)
    content = models.TextField(_("content"))
    addressed_to = models.CharField(_("addressed to"), max_length=300)
    is_bottleneck = models.BooleanField(_("bottleneck"), default=False)
    synthesis_note = models.TextField(_("standing agency's assessment"), blank=True)
    routed_to = models.CharField(_("forwarded to"), max_length=300, blank=True)
    synthesis = models.ForeignKey(
        Synthesis,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="recommendations",
        verbose_name=_("synthesis"),
    )
    response = models.TextField(_("response"), blank=True)
    responded_on = models.DateField(_("answered on"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.NEW)
    created_by = models.ForeignKey(
        USER, models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    is_illustrative = models.BooleanField(_("illustrative"), default=False)

    class Meta:
        ordering = ["programme", "-raised_on", "number"]
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "number"],
                name="recommendation_number_unique",
                violation_error_message=_("This number is already used."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.code}. {self.content[:80]}"

    def get_absolute_url(self) -> str:
        return reverse("recommendation_detail", args=[self.programme.slug, self.number])

    @property
    def code(self) -> str:
        return f"KN-{self.number:03d}"
