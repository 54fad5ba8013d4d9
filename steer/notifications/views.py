from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from steer.accounts.requests import signed_in
from steer.notifications.selectors import notifications_of
from steer.notifications.services import mark_notifications_read


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    user = signed_in(request)
    if request.method == "POST":
        mark_notifications_read(user=user)
        messages.success(request, _("All notifications are marked as read."))
        return redirect("notifications")
    shown = notifications_of(user=user)
    return render(
        request,
        "notifications/notifications.html",
        {"notifications": shown.latest, "unread": shown.unread},
    )
