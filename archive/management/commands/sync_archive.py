from django.core.management.base import CommandError

from archive.management.commands.import_posts import ImportCommand, show_details, show_summary
from archive.sync import SyncRefused, sync

# Exit status as import_posts (0 all imported, 2 some files failed, 1 usage error, 3 stopped),
# and 4: the pull was refused, nothing was imported.
EXIT_REFUSED = 4


class SyncRefusedError(CommandError):
    """Status 4. Django prints the class name before the message."""


class Command(ImportCommand):
    help = (
        "Bring the archive up to date with a folder of posts, usually a git checkout: "
        "optionally fast-forward it (--pull), then import what changed (its _posts folder, "
        "or the folder itself). Posts whose files are gone are marked gone, never deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the archive's checkout (or folder of posts)")
        parser.add_argument("--pull", action="store_true", help="git pull --ff-only in PATH first")
        super().add_arguments(parser)

    def handle(self, *args, **options):
        self.check_jobs(options)
        with self.importing() as callbacks:
            try:
                run, report = sync(
                    options["path"], pull_first=options["pull"], jobs=options["jobs"], **callbacks
                )
            except SyncRefused as exc:
                raise SyncRefusedError(str(exc), returncode=EXIT_REFUSED) from exc
        show_details(self, report)
        before, after = run.git_before[:12], run.git_after[:12]
        if options["pull"]:
            pulled = f"{before or '(no commit)'} → {after}" if before != after else "up to date"
            self.stdout.write(f"git pull: {pulled}, at {after}")
        elif after:
            self.stdout.write(f"at commit {after} (not pulled)")
        show_summary(self, report)
