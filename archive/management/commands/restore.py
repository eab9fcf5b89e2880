"""Replace the database's contents with a backup that `manage.py backup` wrote."""

from django.core.management.base import BaseCommand, CommandError

from config import backup


class Command(BaseCommand):
    help = (
        "Restore a backup written by `manage.py backup`, all of it or nothing. A database "
        "that already holds posts, annotations, users or tokens is replaced only with --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the backup file")
        parser.add_argument(
            "--force", action="store_true", help="replace a database that already holds data"
        )

    def handle(self, *args, **options):
        try:
            restored = backup.restore(options["path"], force=options["force"])
        except backup.BackupError as exc:
            raise CommandError(f"{type(exc).__name__}: {exc}") from exc
        self.stdout.write(restored.summary())
        if restored.unapplied_migrations:
            missing = restored.unapplied_migrations
            self.stdout.write(
                self.style.WARNING(
                    f"the backup predates {backup.plural(len(missing), 'migration')} of this "
                    f"code ({', '.join(missing)}): run manage.py migrate"
                )
            )
