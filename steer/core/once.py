"""Forms that create or move something act once per page shown, however often they are sent.

The form carries a one-time token (`{% once_field %}`). The first POST with it records the
token in the same transaction as what it writes; a second POST with the same token (a double
click, a reload, a second tab) writes nothing and leads where the first did, with the same
message. Two POSTs at the same moment: on PostgreSQL the second waits on the unique index until
the first commits and then finds it; SQLite runs one write transaction at a time. A POST without
a token (an old page, a script) acts as before, unprotected.
"""

import datetime as dt
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from steer.core.models import SentForm

FIELD = "once"
KEPT = dt.timedelta(days=2)  # long after any double click or reload
_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_token() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class Outcome:
    """What a sent form did: where it leads and what it says. `response`, if given, is shown
    the first time instead of the redirect and message (a page that shows something only
    once); the form sent again leads to `url` with the message."""

    url: str
    message: str = ""
    level: int = messages.SUCCESS
    response: HttpResponse | None = None


def token_of(request) -> str | None:
    token = request.POST.get(FIELD, "")
    return token if _SHAPE.fullmatch(token) else None


def run(request, act: Callable[[], "Outcome | HttpResponse"]) -> HttpResponse:
    """Do `act` unless this form was already sent. `act` writes and returns its Outcome, or
    returns a response without writing (a form with errors: the token stays unused); a refusal
    it raises undoes everything, the token's record included."""
    token = token_of(request)
    if token is None or not request.user.is_authenticated:
        return _finish(request, act())
    with transaction.atomic():
        earlier = _claim(request.user, token)
        if earlier is not None:
            url = earlier.url or request.get_full_path()
            return _finish(request, Outcome(url, earlier.message, earlier.level))
        done = act()
        if not isinstance(done, Outcome):
            transaction.set_rollback(True)
            return done
        SentForm.objects.filter(user=request.user, token=token).update(
            url=done.url[:500], message=done.message, level=done.level
        )
    return _finish(request, done)


def _claim(user, token: str) -> SentForm | None:
    """Record the token, or return the record of the form already sent with it."""
    SentForm.objects.filter(user=user, sent_at__lt=timezone.now() - KEPT).delete()
    try:
        with transaction.atomic():  # a duplicate must not spoil the caller's transaction
            SentForm.objects.create(user=user, token=token)
    except IntegrityError:
        return SentForm.objects.get(user=user, token=token)
    return None


def _finish(request, done) -> HttpResponse:
    if not isinstance(done, Outcome):
        return done
    if done.response is not None:
        return done.response
    if done.message:
        messages.add_message(request, done.level, done.message)
    return redirect(done.url)
