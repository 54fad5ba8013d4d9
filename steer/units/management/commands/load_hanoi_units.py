from django.core.management.base import BaseCommand

from steer.units.hanoi import load_hanoi_units


class Command(BaseCommand):
    help = "Create or update Hanoi's units (districts to 2025, communes from 2025) and lineage."

    def handle(self, *args, **options):
        counts = load_hanoi_units()
        self.stdout.write(f"{counts['units']} units, {counts['lineage']} lineage links.")
