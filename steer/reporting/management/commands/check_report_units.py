"""List the reports stored for a unit in a period it did not exist in."""

from django.core.management.base import BaseCommand, CommandError

from steer.reporting.selectors import reports_of_absent_units


class Command(BaseCommand):
    help = (
        "List the reports (and how many figures each holds) stored for a unit in a period in "
        "which it did not exist on the cut-off end day; fails if there is any. Entry refuses "
        "such reports and the dashboards ignore their figures, but the exports still carry "
        "them: they came before the rule, or a unit's dates were corrected after it reported."
    )

    def handle(self, *args, **options):
        found = reports_of_absent_units()
        for submission, reason, value_count in found:
            self.stdout.write(
                f"{submission.form.programme.slug} {submission.form.code} {submission.period} "
                f"{submission.unit.code} ({submission.get_state_display()}, "
                f"{value_count} figures): {reason}"
            )
        if found:
            raise CommandError(f"reports of units in periods they did not exist in: {len(found)}")
        self.stdout.write("Every stored report is of a unit that existed in its period.")
