"""Create the demo account ``make run`` prints, so a newcomer can annotate at once."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "pizhu-demo"  # noqa: S105 (a known password, only ever made with DEBUG on)


class Command(BaseCommand):
    help = "Create the demo account (an existing one is left as it is); only with DEBUG on."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("The demo account has a published password: only with DEBUG=1.")
        user, created = get_user_model().objects.get_or_create(username=DEMO_USERNAME)
        if created:  # only then: setting it again on every `make run` signs everyone out
            user.set_password(DEMO_PASSWORD)
            user.save()
        self.stdout.write(
            f"Demo account {'created' if created else 'ready'}: sign in as "
            f"{DEMO_USERNAME} / {DEMO_PASSWORD} (or sign up for your own)."
        )
