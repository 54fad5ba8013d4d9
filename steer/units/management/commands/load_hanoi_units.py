from django.core.management.base import BaseCommand

from steer.units.hanoi import load_hanoi_units


class Command(BaseCommand):
    help = "Create or update Hanoi's organisation units (2021-2025 districts, 2025 communes) and lineage."

    def handle(self, *args, **options):
        counts = load_hanoi_units()
        self.stdout.write(f"{counts['units']} units, {counts['lineage']} lineage links.")
