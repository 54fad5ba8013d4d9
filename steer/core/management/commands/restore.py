from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from steer.core.backups import BackupError, restore_backup
from steer.core.progress import ProgressBar


class Command(BaseCommand):
    help = (
        "Put back a backup made by `manage.py backup`: the archive is checked against its "
        "checksum first, the database must be empty (or --force), the schema is migrated, "
        "every row loaded in one transaction and the files put back under MEDIA_ROOT."
    )
    # The database may not have its tables yet: the restore makes them.
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="the .tar.gz written by `manage.py backup`")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace what the database and MEDIA_ROOT hold with the archive's",
        )

    def handle(self, *args, archive: Path, force: bool, **options):
        try:
            result = restore_backup(
                archive, force=force, progress=ProgressBar, say=self.stdout.write
            )
        except BackupError as error:
            raise CommandError(f"{error}\nNothing was restored.") from None
        made = result.manifest.get("created_at", "?")
        engine = result.manifest.get("database", {}).get("engine", "?")
        self.stdout.write(
            f"Restored {archive.name} (made {made} on {engine}): {result.rows:,} rows and "
            f"{result.files:,} files in {result.seconds:.1f} s."
        )
