from dataclasses import dataclass

from steer.accounts.models import User
from steer.notifications.models import Notification


@dataclass(frozen=True)
class Notifications:
    latest: list[Notification]
    unread: int


def notifications_of(*, user: User, shown: int = 200) -> Notifications:
    rows = Notification.objects.filter(user=user)
    return Notifications(
        latest=list(rows[:shown]), unread=rows.filter(read_at__isnull=True).count()
    )


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
