"""Telling people: any app's service calls `notify` in its own transaction."""

from collections.abc import Iterable

from django.utils import timezone

from steer.accounts.models import User
from steer.notifications.models import Notification
from steer.units.models import OrgUnit


def notify(*, units: Iterable[OrgUnit], kind: str, text: str, url: str, key: str = "") -> int:
    """Tell the active members of these units (and of no other). With a key, only once each."""
    users = list(
        User.objects.filter(unit__in=list(units), is_active=True).values_list("pk", flat=True)
    )
    if key:
        told = set(
            Notification.objects.filter(user__in=users, key=key).values_list("user", flat=True)
        )
        users = [u for u in users if u not in told]
    # With a key, one told meanwhile (two overdue runs at once) is skipped on notification_once;
    # the count may then include them.
    Notification.objects.bulk_create(
        (Notification(user_id=u, kind=kind, text=text[:500], url=url, key=key) for u in users),
        ignore_conflicts=bool(key),
    )
    return len(users)


def mark_notifications_read(*, user: User) -> int:
    """Mark every unread notification of the user as read (a user reads only their own)."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
