"""What the whole app shares: the number counters and the record of forms already sent."""

from django.conf import settings
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
