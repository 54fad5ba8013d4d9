"""The sign-in throttle: too many failed sign-ins lock an account, or a computer, for a while.

Only failures are recorded (SignInFailure), so any number of people may sign in from one
address. An account is locked SIGNIN_LOCK seconds after SIGNIN_FAILURES_PER_USERNAME failures
within SIGNIN_WINDOW, even for the right password; an address is refused while it has
SIGNIN_FAILURES_PER_ADDRESS failures within SIGNIN_WINDOW, whatever the usernames. A successful
sign-in clears the username's failures.
"""

import ipaddress
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _

from steer.accounts.models import SignInFailure

# Failures are kept this long (for the record), then purged when a new one comes.
KEEP = timedelta(days=30)


def client_address(request) -> str | None:
    """The client's address: REMOTE_ADDR, or the header a trusted proxy puts it in."""
    if request is None:
        return None
    candidates = []
    if settings.CLIENT_IP_HEADER:
        key = "HTTP_" + settings.CLIENT_IP_HEADER.upper().replace("-", "_")
        # X-Forwarded-For may be a list: the proxy appends the address it saw last.
        candidates.append(request.META.get(key, "").split(",")[-1].strip())
    candidates.append(request.META.get("REMOTE_ADDR", ""))
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None


def locked_until(username: str, now: datetime | None = None) -> datetime | None:
    """When the account's lock ends, or None if it is not locked."""
    now = now or timezone.now()
    window = timedelta(seconds=settings.SIGNIN_WINDOW)
    lock = timedelta(seconds=settings.SIGNIN_LOCK)
    failures = SignInFailure.objects.filter(username=username, at__gte=now - window - lock)
    times = list(failures.order_by("at").values_list("at", flat=True))
    until: datetime | None = None
    run: list[datetime] = []
    for at in times:
        if until is not None and at < until:
            continue  # a failure during a lock (two processes at once) does not count again
        run = [t for t in run if at - t < window] + [at]
        if len(run) >= settings.SIGNIN_FAILURES_PER_USERNAME:
            until, run = at + lock, []
    return until if until is not None and until > now else None


def address_blocked(address: str | None, now: datetime | None = None) -> bool:
    if not address:
        return False
    since = (now or timezone.now()) - timedelta(seconds=settings.SIGNIN_WINDOW)
    failures = SignInFailure.objects.filter(address=address, at__gte=since)
    return failures.count() >= settings.SIGNIN_FAILURES_PER_ADDRESS


def refusal(username: str, address: str | None) -> str | None:
    """Why a sign-in is refused before the password is even checked, or None."""
    now = timezone.now()
    if until := locked_until(username, now):
        minutes = max(1, round((until - now).total_seconds() / 60))
        return _(
            "Too many failed sign-ins: this account is locked until %(time)s (in about "
            "%(minutes)s minutes). Try again then, or ask the administrator to check the account."
        ) % {"time": time_format(timezone.localtime(until), "H:i"), "minutes": minutes}
    if address_blocked(address, now):
        return _(
            "Too many failed sign-ins from this computer. Wait %(minutes)s minutes and try again."
        ) % {"minutes": settings.SIGNIN_WINDOW // 60}
    return None


def record_failure(username: str, address: str | None) -> None:
    now = timezone.now()
    SignInFailure.objects.filter(at__lt=now - KEEP).delete()
    SignInFailure.objects.create(username=username[:150], address=address, at=now)


def clear(username: str) -> None:
    failures = SignInFailure.objects.filter(username=username)
    # Almost every sign-in has none: a read, not a write transaction, for those.
    if failures.exists():
        failures.delete()
