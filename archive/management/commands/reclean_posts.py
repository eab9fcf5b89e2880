from django.core.management.base import BaseCommand

from archive.cleaning import CLEANER_VERSION
from archive.importer import reclean


class Command(BaseCommand):
    help = "Recompute body_html and text from each post's stored raw body (no files needed)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", help="re-clean every post, not only outdated ones"
        )

    def handle(self, *args, **options):
        count = reclean(only_outdated=not options["all"])
        self.stdout.write(f"re-cleaned {count} posts with cleaner version {CLEANER_VERSION}")
