"""Back up the whole database (posts, users, tokens, annotations) to one file."""

from django.core.management.base import BaseCommand, CommandError

from config import backup


class Command(BaseCommand):
    help = (
        "Write a consistent backup of the database, safe while the server runs: a SQLite "
        "file (online backup API) or a pg_dump custom-format file."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the backup file to write")
        parser.add_argument(
            "--overwrite", action="store_true", help="replace the file if it exists"
        )

    def handle(self, *args, **options):
        try:
            written = backup.backup(options["path"], overwrite=options["overwrite"])
        except backup.BackupError as exc:
            raise CommandError(f"{type(exc).__name__}: {exc}") from exc
        self.stdout.write(written.summary())
