"""Recompute the pre-aggregated figures of one programme or all of them from approved data."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from steer.assessment.aggregates import rebuild
from steer.programmes.models import Programme


def progress_bar(label: str, stream=sys.stderr):
    """A progress callback drawing `label [#####     ] done/total` on one terminal line."""

    def draw(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        stream.write(f"\r{label} [{'#' * filled}{' ' * (width - filled)}] {done}/{total}")
        if done >= total:
            stream.write("\n")
        stream.flush()

    return draw


class Command(BaseCommand):
    help = "Recompute the pre-aggregated figures (dashboards read them) from approved reports."

    def add_arguments(self, parser):
        parser.add_argument("--programme", help="the programme's short name (default: all)")

    def handle(self, *args, programme=None, **options):
        programmes = Programme.objects.order_by("slug")
        if programme:
            programmes = programmes.filter(slug=programme)
            if not programmes:
                raise CommandError(f"No programme with the short name {programme!r}.")
        for p in programmes:
            started = time.perf_counter()
            rows = rebuild(p, progress=progress_bar(p.symbol))
            seconds = time.perf_counter() - started
            self.stdout.write(f"{p.symbol}: {rows} figures in {seconds:.1f} s")
