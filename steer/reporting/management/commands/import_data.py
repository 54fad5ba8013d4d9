"""Import reported values from a file: the report workbook, a value table, or DHIS2 JSON/CSV."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from steer.accounts.models import User
from steer.programmes.models import Programme
from steer.reporting.formats import channel_of, read_upload
from steer.reporting.imports import Rejected, plan_entries
from steer.reporting.safety import UnsafeFile
from steer.reporting.values import write_values


class Command(BaseCommand):
    help = "Check a file of reported values and write them all, or nothing if any is wrong."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--programme", default="07-ctr-tu", help="programme short name")
        parser.add_argument("--user", required=True, help="username the changes are recorded as")
        parser.add_argument("--dry-run", action="store_true", help="check and count only")

    def handle(self, *args, file: Path, programme: str, user: str, dry_run: bool, **options):
        try:
            data = file.read_bytes()
        except OSError as e:
            raise CommandError(f"cannot read {file}: {e.strerror}") from None
        found = Programme.objects.filter(slug=programme).first()
        if found is None:
            raise CommandError(f"no programme {programme!r}")
        person = User.objects.filter(username=user, is_active=True).first()
        if person is None:
            raise CommandError(f"no active user {user!r}")
        try:
            entries, only, problems = read_upload(found, data)
        except UnsafeFile as e:
            raise CommandError(str(e)) from None
        if problems:
            raise CommandError(self._listing(problems))
        try:
            if dry_run:
                plan = plan_entries(found, entries, person, only=only)
                if plan.problems:
                    raise Rejected(plan.problems)
            else:
                plan = write_values(
                    programme=found,
                    entries=entries,
                    user=person,
                    channel=channel_of(data),
                    source=file.name,
                    only=only,
                )
        except Rejected as e:
            raise CommandError(self._listing(e.problems)) from None
        counts = plan.counts()
        verb = "would write" if dry_run else "written"
        self.stdout.write(
            f"{file.name}: {len(entries)} values read; {verb}: {counts['new']} new, "
            f"{counts['changed']} changed, {counts['removed']} removed; "
            f"{counts['unchanged']} unchanged"
        )

    @staticmethod
    def _listing(problems) -> str:
        lines = [str(p) for p in problems[:50]]
        if len(problems) > 50:
            lines.append(f"… and {len(problems) - 50} more")
        return "nothing was written:\n  " + "\n  ".join(lines)
