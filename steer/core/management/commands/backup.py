from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from steer.core.backups import BackupError, create_backup
from steer.core.progress import ProgressBar


class Command(BaseCommand):
    help = (
        "Write one archive of the database's rows and the uploaded files (var/backups/ by "
        "default), with its sha256 checksum beside it: restore it with `manage.py restore`."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            help="the archive (a name ending in .tar.gz) or a folder to write it in "
            "(default: var/backups/)",
        )

    def handle(self, *args, output: Path | None = None, **options):
        try:
            backup = create_backup(output, progress=ProgressBar)
        except BackupError as error:
            raise CommandError(str(error)) from None
        for name in backup.missing_files:
            self.stderr.write(f"Missing under MEDIA_ROOT, so not in the archive: {name}")
        self.stdout.write(
            f"{backup.path}: {backup.rows:,} rows, {backup.files:,} files "
            f"({backup.file_bytes / 1e6:.1f} MB), archive {backup.size / 1e6:.1f} MB, "
            f"in {backup.seconds:.1f} s.\nChecksum: {backup.checksum_path}"
        )
