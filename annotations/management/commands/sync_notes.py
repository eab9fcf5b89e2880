"""Keep a folder of an Obsidian vault in step with a user's notes (annotations.obsidian)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from annotations import obsidian

EXIT_USAGE, EXIT_SKIPPED = 1, 2


class Command(BaseCommand):
    help = (
        "Write one Markdown file per annotated post into VAULT/FOLDER, rewriting only files "
        "whose notes changed; text written outside Pizhu's block is kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="whose notes (username)")
        parser.add_argument("--vault", required=True, help="the Obsidian vault (a folder)")
        parser.add_argument(
            "--folder",
            default=obsidian.DEFAULT_FOLDER,
            help=f"folder inside the vault (default {obsidian.DEFAULT_FOLDER})",
        )
        parser.add_argument(
            "--base-url", default=settings.PIZHU_BASE_URL, help="for links back to passages"
        )

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"--user: no user named {options['user']!r}", returncode=EXIT_USAGE)
        try:
            report = obsidian.sync(
                user,
                options["vault"],
                options["folder"],
                base_url=options["base_url"].rstrip("/"),
            )
        except obsidian.SyncError as exc:
            raise CommandError(str(exc), returncode=EXIT_USAGE) from exc
        if options["verbosity"] > 1:
            for path in report.written:
                self.stdout.write(f"  written: {path}")
        for skipped in report.skipped:
            self.stderr.write(f"  skipped: {skipped.path}: {skipped.reason}")
        self.stdout.write(report.summary())
        if report.skipped:
            raise CommandError(
                f"{len(report.skipped)} files skipped: they are named above with the reason",
                returncode=EXIT_SKIPPED,
            )
