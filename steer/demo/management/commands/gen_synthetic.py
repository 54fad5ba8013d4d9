import time

from django.core.management.base import BaseCommand, CommandError

from steer.demo.synthetic import (
    AGENCY_USERNAME,
    DEFAULT_DENSITY,
    HEAD_USERNAME,
    SLUG,
    Spec,
    SyntheticError,
    generate,
)


class Command(BaseCommand):
    help = (
        "Generate a programme at national scale for benchmarks (by default about 3,400 units, "
        "200 indicators, 60 months, 10.1 million values), apart from any other data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--units", type=int, default=3400, help="units in the tree")
        parser.add_argument("--indicators", type=int, default=200)
        parser.add_argument("--months", type=int, default=60, help="months from January 2021")
        parser.add_argument(
            "--density",
            type=float,
            default=DEFAULT_DENSITY,
            help=f"share of the indicators each commune reports (default {DEFAULT_DENSITY})",
        )
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--replace",
            action="store_true",
            help="delete the synthetic programme and units first, if they exist",
        )
        parser.add_argument(
            "--no-aggregate",
            action="store_true",
            help="do not rebuild the pre-aggregated figures afterwards",
        )

    def handle(self, *args, **options):
        try:
            spec = Spec(
                units=options["units"],
                indicators=options["indicators"],
                months=options["months"],
                density=options["density"],
                seed=options["seed"],
            )
        except SyntheticError as e:
            raise CommandError(str(e)) from None
        years = spec.years
        self.stdout.write(
            f"Generating {SLUG}: {spec.units:,} units ({spec.provinces} provinces, "
            f"{spec.districts:,} districts, {spec.communes:,} communes), "
            f"{spec.indicators} indicators, {spec.months} months ({years[0]}-{years[-1]}), "
            f"{spec.per_commune} indicators per commune: {spec.values:,} values."
        )
        start = time.perf_counter()
        try:
            result = generate(
                spec,
                replace=options["replace"],
                aggregate=not options["no_aggregate"],
                bars=options["verbosity"] > 0,
            )
        except SyntheticError as e:
            raise CommandError(str(e)) from None
        total = time.perf_counter() - start
        s = result.seconds
        if "delete" in s:
            self.stdout.write(f"Deleted the previous synthetic programme in {s['delete']:.1f} s.")
        self.stdout.write(
            f"Units: {result.units:,} ({result.communes:,} reporting). "
            f"Reports: {result.submissions:,} ({result.pending} left in draft or submitted). "
            f"Setup {s['setup']:.1f} s."
        )
        rate = result.values / s["values"] if s["values"] else 0
        self.stdout.write(
            f"Values written: {result.values:,} in {s['values']:.1f} s ({rate:,.0f} a second)."
        )
        if result.figures is not None:
            self.stdout.write(
                f"Rebuild of the figures: {s['rebuild']:.1f} s, {result.figures:,} Figure rows."
            )
        else:
            self.stdout.write("Figures not rebuilt (--no-aggregate).")
        self.stdout.write(
            f"Done in {total:.1f} s. Programme /p/{SLUG}/; benchmark login {AGENCY_USERNAME} "
            f"(standing agency), approvals by {HEAD_USERNAME} (no passwords: set one with "
            "`manage.py changepassword` to sign in from a browser)."
        )
