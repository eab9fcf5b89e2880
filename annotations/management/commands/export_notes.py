"""Export a user's notes as Markdown or W3C JSON-LD."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from annotations import export, own_tags
from annotations.models import Annotation


class Command(BaseCommand):
    help = (
        "Export a user's own notes. --format markdown writes one .md per post into a folder, "
        "a .zip of them (--out notes.zip), or one combined file (--out notes.md); "
        "--format jsonld writes a W3C AnnotationCollection, --format csv Readwise's CSV."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="whose notes (username)")
        parser.add_argument("--post", type=int, help="only this post (id)")
        parser.add_argument("--tag", help="only annotations with this tag")
        parser.add_argument("--format", choices=("markdown", "jsonld", "csv"), required=True)
        parser.add_argument(
            "--out", required=True, help="file (.md, .zip, .jsonld, .csv) or folder"
        )
        parser.add_argument(
            "--base-url", default=settings.PIZHU_BASE_URL, help="for links back to passages"
        )

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"--user: no user named {options['user']!r}")
        annotations = Annotation.objects.owned_by(user).alive()
        annotations = annotations.filtered(post=options["post"], tag=options["tag"])
        # Posts with my own tags and no notes go too, but not when notes with a tag are asked.
        tagged = None if options["tag"] else own_tags.tagged_states(user)
        if tagged is not None and options["post"]:
            tagged = tagged.filter(post_id=options["post"])
        groups = export.notes_for_export(user, annotations, tagged=tagged)
        out, base_url = Path(options["out"]), options["base_url"].rstrip("/")
        if options["format"] == "markdown" and out.suffix not in (".md", ".zip"):
            out.mkdir(parents=True, exist_ok=True)
            for name, text in export.markdown_files(groups, base_url=base_url):
                (out / name).write_text(text, encoding="utf-8")
        else:
            fmt = options["format"]
            fmt = out.suffix.removeprefix(".") if fmt == "markdown" else fmt
            # One .md holds a post's own notes when they are one post's, asked for or not.
            out.write_bytes(export.render(fmt, groups, base_url=base_url, one_post=True).content)
        count = sum(len(g.annotations) for g in groups)
        self.stdout.write(f"{count} annotations from {len(groups)} posts → {out}")
