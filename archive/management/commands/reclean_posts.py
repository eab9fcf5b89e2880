from django.core.management.base import BaseCommand, CommandError

from archive.cleaning import CLEANER_VERSION
from archive.writer import reclean

EXIT_FAILED_POSTS = 2  # as import_posts: some posts failed, the others were re-cleaned


class Command(BaseCommand):
    help = "Recompute body_html and text from each post's stored raw body (no files needed)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", help="re-clean every post, not only outdated ones"
        )

    def handle(self, *args, **options):
        report = reclean(only_outdated=not options["all"])
        for failure in report.failed:
            self.stderr.write(
                self.style.ERROR(f"failed: post {failure['post']}: {failure['error']}")
            )
        self.stdout.write(
            f"re-cleaned {report.recleaned} posts with cleaner version {CLEANER_VERSION}"
        )
        if report.failed:
            raise CommandError(f"{len(report.failed)} posts failed", returncode=EXIT_FAILED_POSTS)
