from django.core.management.base import BaseCommand

from steer.steering.services import notify_overdue


class Command(BaseCommand):
    help = (
        "Tell the assigned units' members of every overdue directive (once per directive). "
        "Run it daily, e.g. from cron."
    )

    def handle(self, *args, **options):
        made = notify_overdue()
        self.stdout.write(f"{made} notifications sent.")
