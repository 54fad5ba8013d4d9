from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from steer.core.backups import BackupError, restore_backup
from steer.core.progress import ProgressBar


class Command(BaseCommand):
    help = (
        "Put back a backup made by `manage.py backup`: the archive is checked against its "
        "checksum and its signature first (made with this installation's secret key, or "
        "--trust-archive), the database must be empty (or --force), the schema is migrated, "
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
        parser.add_argument(
            "--trust-archive",
            action="store_true",
            help="restore an archive this installation did not sign (another installation's, "
            "or one made before backups were signed): only one whose origin you know",
        )

    def handle(self, *args, archive: Path, force: bool, trust_archive: bool, **options):
        if trust_archive:
            self.stdout.write("The archive's signature is not checked (--trust-archive).")
        try:
            result = restore_backup(
                archive,
                force=force,
                trust=trust_archive,
                progress=ProgressBar,
                say=self.stdout.write,
            )
        except BackupError as error:
            raise CommandError(f"{error}\nNothing was restored.") from None
        made = result.manifest.get("created_at", "?")
        engine = result.manifest.get("database", {}).get("engine", "?")
        self.stdout.write(
            f"Restored {archive.name} (made {made} on {engine}): {result.rows:,} rows and "
            f"{result.files:,} files in {result.seconds:.1f} s."
        )
