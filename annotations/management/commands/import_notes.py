"""Import a W3C JSON-LD file of notes for a user, anchoring each one again."""

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from annotations.jsonld import loads
from annotations.restore import restore_jsonld
from annotations.values import Invalid


class Command(BaseCommand):
    help = "Restore annotations from a W3C JSON-LD file (as export_notes --format jsonld writes)."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="whose notes they become (username)")
        parser.add_argument("file", help="the .jsonld file")
        parser.add_argument("--report", help="write the full report as JSON to this file")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"--user: no user named {options['user']!r}")
        path = Path(options["file"])
        try:
            data = loads(path.read_bytes())
            with transaction.atomic():
                report = restore_jsonld(user, data)
        except Invalid as invalid:
            raise CommandError(f"{path}: {invalid}") from invalid
        except (OSError, ValueError) as exc:
            raise CommandError(f"{path}: {exc}") from exc
        self.stdout.write(report.summary())
        for missing in report.missing_posts:
            self.stderr.write(
                f"  post not in the archive: {missing['source']} ({missing['exact']!r})"
            )
        for orphan in report.orphaned:
            self.stderr.write(f"  orphaned (text not found): {orphan['exact']!r}")
        for invalid in report.invalid:
            self.stderr.write(f"  item {invalid['item']} invalid: {invalid['errors']}")
        if options["report"]:
            Path(options["report"]).write_text(
                json.dumps(report.as_dict(), ensure_ascii=False, indent=2)
            )
