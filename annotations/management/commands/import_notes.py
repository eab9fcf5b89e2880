"""Import a file of notes for a user (Pizhu's JSON-LD, a Hypothesis export or a Readwise CSV,
told apart by its contents), anchoring each one again in today's text."""

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from annotations.incoming import Refused
from annotations.restore import Stopped, import_file, place_of, read_file


class Command(BaseCommand):
    help = (
        "Import notes from a file: Pizhu's W3C JSON-LD (export_notes --format jsonld), the "
        "Hypothesis client's JSON export, or Readwise's CSV export (the format is detected)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="whose notes they become (username)")
        parser.add_argument("file", help="a .jsonld, Hypothesis .json or Readwise .csv file")
        parser.add_argument("--report", help="write the full report as JSON to this file")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"--user: no user named {options['user']!r}")
        path = Path(options["file"])
        try:
            report = import_file(user, read_file(path))
        except Refused as refused:
            raise CommandError(f"{path}: {refused}; nothing was imported") from refused
        except Stopped as stopped:
            self._write(stopped.report, options["report"])
            raise CommandError(f"{path}: {stopped}") from stopped
        self._write(report, options["report"])

    def _write(self, report, report_path) -> None:
        self.stdout.write(report.summary())
        for missing in report.missing_posts:
            reason = f": {missing['reason']}" if missing.get("reason") else ""
            self.stderr.write(
                f"  {place_of(missing)}: post not in the archive: {missing['source'] or '—'}"
                f"{_titled(missing)} ({_what(missing)}){reason}"
            )
        for orphan in report.orphaned:
            self.stderr.write(
                f"  {place_of(orphan)}: orphaned (text not found): {orphan['exact']!r}"
            )
        for invalid in report.invalid:
            problems = "; ".join(
                f"{e['field'] or 'item'}: {e['message']}" for e in invalid["errors"]
            )
            self.stderr.write(f"  {place_of(invalid)}: invalid: {problems}")
        for skipped in report.skipped:
            self.stderr.write(f"  {place_of(skipped)}: skipped: {skipped['reason']}")
        if report_path:
            Path(report_path).write_text(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))


def _titled(item: dict) -> str:
    return f" “{item['title']}”" if item.get("title") else ""


def _what(item: dict) -> str:
    """What a report entry held: a passage's quote, a page note's start, or own tags."""
    if "own_tags" in item:
        return "own tags: " + ", ".join(item["own_tags"])
    if "page_note" in item:
        return f"page note: {item['page_note']!r}"
    return repr(item["exact"])
