"""Making, checking and revoking personal access tokens."""

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.utils import timezone

from steer.api.models import AccessToken

PREFIX = "steer_"
LIFETIMES = (30, 90, 365)  # days a user may choose
TOUCH_EVERY = dt.timedelta(minutes=1)


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(user, name: str, scope: str, days: int) -> tuple[AccessToken, str]:
    """A new token; the plain token is returned once and never stored."""
    token = PREFIX + secrets.token_urlsafe(32)
    row = AccessToken.objects.create(
        user=user,
        name=name,
        digest=digest_of(token),
        prefix=token[: len(PREFIX) + 6],
        scope=scope,
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    return row, token


def user_of(token: str):
    """The token's row and its user, or None for an unknown, expired or revoked token, or an
    account that may not sign in (inactive; demo accounts outside demo mode)."""
    if not token.startswith(PREFIX):
        return None
    row = (
        AccessToken.objects.select_related("user", "user__unit")
        .filter(digest=digest_of(token))
        .first()
    )
    if row is None or not row.is_active:
        return None
    user = row.user
    if not user.is_active or (user.is_demo and not settings.DEMO_MODE):
        return None
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at > TOUCH_EVERY:
        AccessToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row


def revoke(user, pk: int) -> bool:
    return bool(
        AccessToken.objects.filter(user=user, pk=pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    )
