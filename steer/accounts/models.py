"""People, the unit they belong to and the roles they hold."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from steer.units.models import OrgUnit


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    STANDING_AGENCY = "standing_agency", _("Standing agency")
    STEERING_COMMITTEE = "steering_committee", _("Steering committee member")
    UNIT_REPORTER = "unit_reporter", _("Unit reporter")
    UNIT_HEAD = "unit_head", _("Unit head")
    INSPECTOR = "inspector", _("Inspector")
    VIEWER = "viewer", _("Viewer")


class User(AbstractUser):
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    position = models.CharField(_("position"), max_length=200, blank=True)
    unit = models.ForeignKey(
        OrgUnit,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("unit"),
    )
    # Demo accounts have published passwords: they may sign in only while DEMO_MODE is on.
    is_demo = models.BooleanField(_("demo account"), default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username


class RoleGrant(models.Model):
    """A role held by a user, for one programme or (programme empty) for all of them."""

    user = models.ForeignKey(
        User, models.CASCADE, related_name="role_grants", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=30, choices=Role)
    programme = models.ForeignKey(
        "programmes.Programme",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="role_grants",
        verbose_name=_("programme"),
        help_text=_("Empty: the role applies to every programme."),
    )

    class Meta:
        ordering = ["user", "role"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "programme"],
                name="role_grant_unique",
                violation_error_message=_("The user already holds this role."),
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(programme__isnull=True),
                name="role_grant_unique_all_programmes",
                violation_error_message=_("The user already holds this role."),
            ),
        ]

    def __str__(self) -> str:
        scope = self.programme.symbol if self.programme is not None else _("all programmes")
        return f"{self.get_role_display()} ({scope})"


class SignInFailure(models.Model):
    """A failed sign-in: the sign-in throttle counts these (steer.accounts.throttle).

    In the database, not in memory, because the app runs as several processes."""

    username = models.CharField(_("username entered"), max_length=150)
    address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["at"]
        verbose_name = _("failed sign-in")
        verbose_name_plural = _("failed sign-ins")
        indexes = [
            models.Index(fields=["username", "at"], name="signin_failure_username"),
            models.Index(fields=["address", "at"], name="signin_failure_address"),
        ]

    def __str__(self) -> str:
        return f"{self.username} {self.address or ''} {self.at:%Y-%m-%d %H:%M:%S}"
