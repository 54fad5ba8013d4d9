"""Export reported values as CSV, an Excel table, or DHIS2 dataValueSets (JSON or CSV)."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from steer.programmes.models import Programme
from steer.reporting.formats import WRITERS
from steer.reporting.models import DataValue


class Command(BaseCommand):
    help = "Write the reported values of a programme to a file (or standard output)."

    def add_arguments(self, parser):
        parser.add_argument("--programme", default="07-ctr-tu", help="programme short name")
        parser.add_argument("--format", choices=sorted(WRITERS), default="csv")
        parser.add_argument("--form", help="only this report form (code)")
        parser.add_argument("--period", help="only this period (e.g. 2024S1)")
        parser.add_argument("--unit", help="only this unit (code)")
        parser.add_argument("--output", "-o", type=Path, help="file to write; default stdout")

    def handle(self, *args, **o):
        programme = Programme.objects.filter(slug=o["programme"]).first()
        if programme is None:
            raise CommandError(f"no programme {o['programme']!r}")
        values = DataValue.objects.filter(indicator__programme=programme)
        if o["form"]:
            values = values.filter(submission__form__code=o["form"])
        if o["period"]:
            values = values.filter(period=o["period"].upper())
        if o["unit"]:
            values = values.filter(unit__code=o["unit"])
        writer = WRITERS[o["format"]][0]
        data = writer(values)
        if o["output"]:
            o["output"].write_bytes(data)
            self.stderr.write(f"{values.count()} values written to {o['output']}")
        elif o["format"] == "xlsx":
            raise CommandError("give --output for an Excel file")
        else:
            sys.stdout.buffer.write(data)
