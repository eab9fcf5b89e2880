"""Export a user's notes as Markdown or W3C JSON-LD."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from annotations import export
from annotations.models import Annotation


class Command(BaseCommand):
    help = (
        "Export a user's own notes. --format markdown writes one .md per post into a folder, "
        "a .zip of them (--out notes.zip), or one combined file (--out notes.md); "
        "--format jsonld writes a W3C AnnotationCollection."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="whose notes (username)")
        parser.add_argument("--post", type=int, help="only this post (id)")
        parser.add_argument("--tag", help="only annotations with this tag")
        parser.add_argument("--format", choices=("markdown", "jsonld"), required=True)
        parser.add_argument("--out", required=True, help="file (.md, .zip, .jsonld) or folder")
        parser.add_argument(
            "--base-url", default=settings.PIZHU_BASE_URL, help="for links back to passages"
        )

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"--user: no user named {options['user']!r}")
        annotations = Annotation.objects.owned_by(user).alive()
        if options["post"]:
            annotations = annotations.filter(post_id=options["post"])
        if options["tag"]:
            annotations = annotations.filter(tags__name__iexact=options["tag"])
        groups = export.notes_for_export(user, annotations)
        out, base_url = Path(options["out"]), options["base_url"].rstrip("/")
        if options["format"] == "jsonld":
            out.write_text(export.dumps_jsonld(export.jsonld_collection(groups, base_url=base_url)))
        elif out.suffix == ".zip":
            out.write_bytes(export.zip_markdown(groups, base_url=base_url))
        elif out.suffix == ".md":
            text = (
                export.post_markdown(groups[0], base_url=base_url)
                if len(groups) == 1
                else export.combined_markdown(groups, base_url=base_url)
            )
            out.write_text(text)
        else:
            out.mkdir(parents=True, exist_ok=True)
            for group in groups:
                name = export.safe_filename(
                    group.post.title, group.post.pk, group.post.published_at
                )
                (out / name).write_text(export.post_markdown(group, base_url=base_url))
        count = sum(len(g.annotations) for g in groups)
        self.stdout.write(f"{count} annotations from {len(groups)} posts → {out}")
