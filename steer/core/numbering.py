"""Numbers given one after another in a scope: directives and recommendations per programme,
template versions, and later a body's outgoing register, restarting each year. The same counter
row also queues writers that must not overlap in its scope (`hold`)."""

from collections.abc import Callable

from django.db import transaction

from steer.core.models import Counter


def hold(*, scope: str, year: int = 0) -> Counter:
    """The counter of `scope` (in `year`), locked until the caller's transaction ends (outside
    one, Django refuses the lock): a second caller waits here, then reads what the first one
    committed."""
    rows = Counter.objects.select_for_update().filter(scope=scope, year=year)
    counter = rows.first()
    if counter is None:
        # Made race-free on both databases: of two first callers, one inserts and the other
        # does nothing (on PostgreSQL after waiting for the first to commit), then both lock it.
        Counter.objects.bulk_create([Counter(scope=scope, year=year)], ignore_conflicts=True)
        counter = rows.get()
    return counter


@transaction.atomic
def allocate(*, scope: str, year: int = 0, used: Callable[[], int | None] = lambda: 0) -> int:
    """The next number of `scope` (in `year`, 0 for numbers that never restart): one more than
    both the last one given and `used()`, the highest already on a record (rows written before
    the counter existed, or by a loader). The counter stays locked until the caller's
    transaction ends, so a second caller waits and then takes the following number."""
    counter = hold(scope=scope, year=year)
    number = max(counter.last, used() or 0) + 1
    Counter.objects.filter(pk=counter.pk).update(last=number)
    return number
