"""Several people at the same moment: each in its own thread and database connection, so
their transactions really overlap (PostgreSQL; SQLite runs one writer at a time)."""

import threading

import pytest
from django.db import connection

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks: SQLite runs one writer at a time"
)


def in_threads(jobs, timeout=30):
    """Run each job in its own thread and connection (autocommit: what it writes is committed
    and must be removed by the test); their results in order, or the first error raised."""
    results, errors = [None] * len(jobs), []

    def run(index, job):
        try:
            results[index] = job()
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not errors, errors
    return results
