import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from steer.demo.documents import load_documents
from steer.demo.loader import DefinitionError, load_programme
from steer.demo.rankings import load_rankings
from steer.demo.reports import DATA as REPORTS_DATA
from steer.demo.reports import load_reports
from steer.demo.steering import load_steering
from steer.demo.users import DEMO_PASSWORD, load_demo_users
from steer.units.hanoi import load_hanoi_units

DATA = Path(__file__).resolve().parents[2] / "data" / "programme07.json"


class Command(BaseCommand):
    help = (
        "Load the Programme 07-CTr/TU demo: Hanoi's units, the programme, one user per role, "
        "its report forms and five years of reported figures."
    )

    def handle(self, *args, **options):
        if not settings.DEMO_MODE:
            raise CommandError(
                "The demo has public passwords: run it with STEER_DEMO=1 (make demo does)."
            )
        counts = load_hanoi_units()
        try:
            programme = load_programme(json.loads(DATA.read_text(encoding="utf-8")))
        except DefinitionError as e:
            raise CommandError(f"{DATA.name}: {e}") from None
        users = load_demo_users(programme)
        try:
            reports = load_reports(programme)
        except DefinitionError as e:
            raise CommandError(f"{REPORTS_DATA.name}: {e}") from None
        self.stdout.write(
            f"Loaded {counts['units']} units, programme {programme.symbol} "
            f"({programme.indicators.count()} indicators, "
            f"{programme.plan_items.count()} plan items)."
        )
        states = ", ".join(f"{n} {state}" for state, n in reports["submissions"].items() if n)
        self.stdout.write(
            f"Reports: {reports['forms']} forms, {reports['values']} values, "
            f"submissions: {states or 'none'}"
            + ("." if reports["generated"] else " (figures already there, kept).")
        )
        steering = load_steering(programme)
        self.stdout.write(
            f"Steering: {steering['directives']} directives ({steering['overdue']} overdue), "
            f"{steering['inspections']} inspection, {steering['recommendations']} recommendations."
        )
        self.stdout.write(f"Rankings: {load_rankings(programme)} frameworks.")
        self.stdout.write(f"Documents: {load_documents(programme)} drafts.")
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
        for user in users:
            self.stdout.write(f"  {user.username:<16} {user.role.label}")
