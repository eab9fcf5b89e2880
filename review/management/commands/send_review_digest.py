"""Mail each reader who asked for it today's review set (at most once a day): from cron."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from review.digest import send_digests


class Command(BaseCommand):
    help = "Mail today's review cards to the readers who opted in (once a day each)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url",
            default=settings.PIZHU_BASE_URL,
            help="where the links in the mail point (default: PIZHU_BASE_URL)",
        )

    def handle(self, *args, **options):
        base_url = options["base_url"].rstrip("/")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise CommandError(f"--base-url must be an http(s) URL, got {base_url!r}")
        report = send_digests(base_url)
        for username, reason in report.failed:
            self.stderr.write(self.style.ERROR(f"{username}: not sent: {reason}"))
        self.stdout.write(
            f"sent {len(report.sent)}, already sent today {report.already}, "
            f"nothing to review {report.nothing}, no email address {report.no_email}, "
            f"failed {len(report.failed)}"
        )
        if report.failed:
            raise CommandError(f"{len(report.failed)} digests could not be sent: named above")
