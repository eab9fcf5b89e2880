import json
import sys
from contextlib import contextmanager, nullcontext
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from archive.importer import ImportUsageError, import_paths
from archive.pipeline import WorkersKeepDying
from archive.sync import recorded
from archive.writer import reclean

# Exit status: 0 all imported, 2 some files failed, 1 usage error (bad arguments or paths),
# 3 the run stopped before the end (worker processes kept dying).
EXIT_FAILED_FILES = 2
EXIT_USAGE = 1
EXIT_STOPPED = 3


class SomeFilesFailed(CommandError):
    """Status 2: the run went on without them. Django prints the class name before the
    message, so the name says what happened rather than "CommandError"."""


class ImportStopped(CommandError):
    """Status 3: the run could not go on; its message says why."""


class ImportCommand(BaseCommand):
    """What import_posts and sync_archive share: their exit statuses, --jobs, and a progress
    bar fed by the importer."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)

        def usage_error(message):  # argparse would exit 2, which here means "files failed"
            parser.print_usage(sys.stderr)
            sys.stderr.write(f"{parser.prog}: error: {message}\n")
            sys.exit(EXIT_USAGE)

        parser.error = usage_error
        return parser

    def add_arguments(self, parser):
        parser.add_argument(
            "--jobs", type=int, default=None, help="worker processes (default: cores)"
        )

    @staticmethod
    def check_jobs(options) -> None:
        if options["jobs"] is not None and options["jobs"] < 1:
            raise CommandError("--jobs must be at least 1", returncode=EXIT_USAGE)

    @staticmethod
    @contextmanager
    def importing():
        """The callbacks ``import_paths`` takes (``progress``, ``on_discovered``), drawing a
        bar on a terminal; the importer's refusals become the command's exit statuses."""
        tqdm.monitor_interval = 0  # no monitor thread: the importer forks worker processes
        with tqdm(unit="post", disable=None, file=sys.stderr, leave=False) as bar:

            def discovered(total):
                bar.total = total
                bar.refresh()

            try:
                yield {"progress": bar.update, "on_discovered": discovered}
            except ImportUsageError as exc:
                raise CommandError(str(exc), returncode=EXIT_USAGE) from exc
            except WorkersKeepDying as exc:
                raise ImportStopped(str(exc), returncode=EXIT_STOPPED) from exc


class Command(ImportCommand):
    help = "Import Jekyll posts (files, or folders searched recursively) into the archive."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="post files or folders")
        parser.add_argument("--report", metavar="FILE", help="write a JSON report to FILE")
        parser.add_argument(
            "--dry-run", action="store_true", help="parse everything, write nothing"
        )
        parser.add_argument("--force", action="store_true", help="re-read files even if unchanged")
        super().add_arguments(parser)
        parser.add_argument(
            "--reclean", action="store_true", help="also re-clean posts cleaned by an older cleaner"
        )

    def handle(self, *args, **options):
        self.check_jobs(options)
        report_path = Path(options["report"]) if options["report"] else None
        if report_path and not report_path.parent.is_dir():
            raise CommandError(
                f"--report: folder {report_path.parent} does not exist", returncode=EXIT_USAGE
            )
        with (
            self.importing() as callbacks,
            _recorded_unless(options["dry_run"], options["paths"]) as run,
        ):
            report = import_paths(
                options["paths"],
                dry_run=options["dry_run"],
                force=options["force"],
                jobs=options["jobs"],
                **callbacks,
            )
            if run:
                run.record(report)

        show_details(self, report)
        if options["reclean"] and not options["dry_run"]:
            recleaned = reclean()
            for failure in recleaned.failed:
                self.stderr.write(
                    self.style.ERROR(f"re-clean failed: post {failure['post']}: {failure['error']}")
                )
            self.stdout.write(f"re-cleaned {recleaned.recleaned} posts")
        if report_path:
            report_path.write_text(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        show_summary(self, report)


def _recorded_unless(dry_run: bool, paths: list[str]):
    """The run as an ImportRun (archive.sync), unless a dry run: that writes nothing."""
    return nullcontext() if dry_run else recorded("import_posts", paths)


def show_details(command: BaseCommand, report) -> None:
    """Warnings, duplicates and failures, on stderr (sync_archive says them the same way)."""
    out, style = command.stderr, command.style
    for warning in report.warnings:
        out.write(style.WARNING(f"warning: {warning['path']}: {warning['message']}"))
    for dup in report.duplicates:
        out.write(f"duplicate: {dup['url']} in {', '.join(dup['paths'])}")
    for failure in report.failed:
        out.write(style.ERROR(f"failed: {failure['path']}: {failure['error']}"))


def show_summary(command: BaseCommand, report) -> None:
    """The summary line, coloured by what happened; raises SomeFilesFailed (status 2) when
    files failed."""
    summary, style = report.summary(), command.style
    command.stdout.write(
        style.ERROR(summary)
        if report.failed
        else style.WARNING(summary)
        if report.warnings
        else style.SUCCESS(summary)
    )
    if report.failed:
        raise SomeFilesFailed(
            f"{len(report.failed)} of {report.files} files could not be imported: they are "
            f"named above, after 'failed:'. Every other file was imported.",
            returncode=EXIT_FAILED_FILES,
        )
