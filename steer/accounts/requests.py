"""A request as steer's middleware leaves it, typed: its signed-in user, its htmx details."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from steer.accounts.models import User


class HtmxHttpRequest(HttpRequest):
    """A request that went through django-htmx's middleware (every request of the site)."""

    htmx: HtmxDetails


def signed_in(request: HttpRequest) -> User:
    """The user of a request that passed login_required (or the API's token check): an
    account, never the anonymous user."""
    user = request.user
    assert isinstance(user, User), "a view for signed-in users only"
    return user
