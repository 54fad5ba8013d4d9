"""Who must be told what: a notification per user, shown in the menu and on their page."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """Something a user should know: an item assigned to their unit, returned, answered or
    overdue."""

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned")
        RETURNED = "returned", _("Returned")
        OVERDUE = "overdue", _("Overdue")
        ANSWERED = "answered", _("Answered")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    text = models.CharField(_("text"), max_length=500)
    url = models.CharField(_("link"), max_length=300, blank=True)
    key = models.CharField(max_length=100, blank=True)  # e.g. overdue:directive:12, sent once
    created_at = models.DateTimeField(_("at"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        db_table = "steering_notification"  # the table it was made in, when steering held it
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], condition=~Q(key=""), name="notification_once"
            )
        ]

    def __str__(self) -> str:
        return self.text
