import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import Http404, HttpResponse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext as _

from steer.core.params import CONTROL, BadParameter


class LanguageMiddleware(MiddlewareMixin):
    """Vietnamese unless the user chose otherwise.

    Django's LocaleMiddleware would follow the browser's Accept-Language, and many office
    machines run English browsers; the users still expect Vietnamese. Only the language the
    user picked (the language cookie set by /i18n/setlang/) overrides the default.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _ in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language

    def process_response(self, request, response):
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"
# The activity stamp is written at most this often, not on every request.
STAMP_EVERY = 60


def start_session_clock(sender, request, user, **kwargs):
    """On signing in (the user_logged_in signal): the 8 hours start now."""
    if request is None or not hasattr(request, "session"):
        return
    now = int(time.time())
    request.session[SIGNED_IN_AT] = now
    request.session[SEEN_AT] = now


class SessionExpiryMiddleware:
    """Signs the user out 8 hours after signing in (SESSION_COOKIE_AGE) or after
    SESSION_IDLE_TIMEOUT seconds without a request, whichever comes first.

    The session's own expiry cannot do both: it moves on whenever the session is saved."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            expired = self._expired(request.session)
            if expired:
                logout(request)
                messages.info(request, expired)
                if request.headers.get("HX-Request") == "true":
                    # A fragment would be swapped for the sign-in page: reload the page instead.
                    response = HttpResponse(status=204)
                    response["HX-Refresh"] = "true"
                    return response
        return self.get_response(request)

    def _expired(self, session) -> str | None:
        now = int(time.time())
        signed_in = session.setdefault(SIGNED_IN_AT, now)
        seen = session.get(SEEN_AT, now)
        if now - signed_in >= settings.SESSION_COOKIE_AGE:
            return _("Your session ended %(hours)s hours after you signed in. Sign in again.") % {
                "hours": settings.SESSION_COOKIE_AGE // 3600
            }
        if now - seen >= settings.SESSION_IDLE_TIMEOUT:
            return _(
                "You were signed out after %(minutes)s minutes without activity. Sign in again."
            ) % {"minutes": settings.SESSION_IDLE_TIMEOUT // 60}
        if SEEN_AT not in session or now - seen >= STAMP_EVERY:
            session[SEEN_AT] = now
        return None


class NoStoreMiddleware:
    """Cache-Control: private, no-store on every response whose view did not choose its own
    caching: pages, htmx fragments, exports, downloads and the API hold data for the one who
    asked, which no shared proxy may keep, nor a browser on an office's shared computer.

    Static files are answered by WhiteNoise before this middleware, with their long public
    caching; the chart library's view (the same for everyone) sets its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response


class ControlCharacterMiddleware:
    """An address whose path holds a control character (%00, a line break) names no page: a
    404 before any view looks its code up; a NUL in a query parameter (key or value) is refused
    with a 400, whoever reads it, Django's admin included. PostgreSQL refuses a NUL in a query:
    it was a server error. Other query values are judged by their readers
    (steer.core.params). The API is left to its schemas, which refuse these with its JSON
    errors (steer.api.schemas)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/api/"):
            return self.get_response(request)
        if CONTROL.search(request.path):
            raise Http404
        if "\x00" in "".join(key + "".join(values) for key, values in request.GET.lists()):
            raise BadParameter(_("The address holds a NUL character, which no page takes."))
        return self.get_response(request)
