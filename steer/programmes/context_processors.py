from django.conf import settings

from steer.accounts.access import access_for
from steer.notifications.selectors import unread_count
from steer.programmes.permissions import visible_programmes


def site(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"demo_mode": settings.DEMO_MODE}
    access = access_for(user)
    return {
        "demo_mode": settings.DEMO_MODE,
        "access": access,
        "nav_programmes": list(visible_programmes(access).only("slug", "symbol")),
        "unread_notifications": unread_count(user),
    }
