import re
from functools import cached_property
from urllib.parse import urlsplit

from django.db import models
from django.db.models.functions import Substr
from django.urls import Resolver404, resolve, reverse
from django.utils.text import slugify
from taggit.managers import TaggableManager
from taggit.models import TaggedItemBase

from archive.chinese import language_of
from archive.urlkey import url_key

EXCERPT_CHARS = 400
SHORT_POST_CHARS = 80  # visible characters, below which a post is a teaser or empty
_CJK_CHAR = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?")


class Source(models.Model):
    """Where posts come from: the generator's category (日本経済新聞, iYouPort, ...)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=120, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @staticmethod
    def slug_for(name: str) -> str:
        return slugify(name, allow_unicode=True) or "source"


class TaggedPost(TaggedItemBase):
    # A direct foreign key instead of taggit's generic relation: plain joins, real constraints.
    content_object = models.ForeignKey("Post", on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["content_object", "tag"], name="unique_post_tag")
        ]


class PostQuerySet(models.QuerySet):
    def for_list(self):
        """What list pages show: no raw or body fields, but the start of the text for an
        excerpt; source and tags in two queries."""
        return (
            self.select_related("source")
            .prefetch_related("tags")
            .defer("raw_front_matter", "raw_body", "body_html", "text")
            .annotate(text_start=Substr("text", 1, EXCERPT_CHARS))
        )

    def with_text(self):
        """Load ``text`` too (search excerpts are cut around a match, anywhere in it)."""
        return self.defer(None).defer("raw_front_matter", "raw_body", "body_html")

    def for_reader(self):
        return (
            self.select_related("source")
            .prefetch_related("tags")
            .defer("raw_front_matter", "raw_body")
        )

    def filtered(self, *, source=None, tag=None, year=None, month=None):
        """The list's filters; each one is optional."""
        posts = self
        if source:
            posts = posts.filter(source__slug=source)
        if tag:
            posts = posts.filter(tags__slug=tag)
        if year:
            posts = posts.filter(published_at__year=year)
            if month:
                posts = posts.filter(published_at__month=month)
        return posts

    def find(self, reference: int | str, *, host: str = ""):
        """The post named by ``reference``: its id, its article URL (as written, or written
        another way: ``archive.urlkey``), or its reader URL on this site (``/posts/12/``, or
        on ``host``); None when there is none."""
        if isinstance(reference, int) and not isinstance(reference, bool):
            return self.filter(pk=reference).first()
        if not isinstance(reference, str) or not reference:
            return None
        post = self.filter(url=reference).first()
        if post is None and (pk := _reader_url_id(reference, host)):
            post = self.filter(pk=pk).first()
        if post is None:  # written another way: http, www., utm_… (archive.urlkey)
            post = self.filter(url_key=url_key(reference)).order_by("id").first()
        return post

    def neighbours(self, post):
        """(previous, next) post of the same source in reading order (older, newer)."""
        if post.published_at is None:
            return None, None
        same_source = self.filter(source_id=post.source_id).only("id", "title")
        return (
            _adjacent(same_source, post, "lt", ["-published_at", "-id"]),
            _adjacent(same_source, post, "gt", ["published_at", "id"]),
        )


def _reader_url_id(url: str, host: str) -> int | None:
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != host:
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    return match.kwargs["pk"] if match.view_name == "archive:post_detail" else None


def _adjacent(posts, post, direction: str, order: list[str]):
    """The first post before (``lt``) or after (``gt``) ``post`` by date, then id."""
    return (
        posts.filter(
            models.Q(**{f"published_at__{direction}": post.published_at})
            | models.Q(published_at=post.published_at, **{f"id__{direction}": post.id})
        )
        .order_by(*order)
        .first()
    )


class Post(models.Model):
    title = models.CharField(max_length=500)
    author = models.CharField(max_length=300, blank=True)
    # The source URL is the natural key: re-import finds the row by it, so its id survives.
    url = models.URLField(max_length=2000, unique=True)
    # The URL as other tools may have written it (archive.urlkey): notes imported from
    # Hypothesis or Readwise find their post by it.
    url_key = models.CharField(max_length=2000, blank=True, db_index=True, editable=False)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="posts")
    tags = TaggableManager(through=TaggedPost, blank=True)

    # Verbatim input: nothing is ever lost, everything below is derived from it.
    raw_front_matter = models.TextField()
    raw_body = models.TextField()

    # Derived by archive.cleaning at cleaner_version; rebuild with `manage.py reclean_posts`.
    body_html = models.TextField(blank=True)
    text = models.TextField(blank=True)
    cleaner_version = models.PositiveSmallIntegerField(default=0)

    path = models.CharField(max_length=1000, help_text="The file this post was last read from.")
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of that file's bytes.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)  # archive.pagecache
    # When its file left the archive: still here and readable, its notes kept; cleared
    # if the file comes back.
    gone_at = models.DateTimeField(null=True, blank=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["source", "-published_at"], name="post_source_date"),
            # What arrived in a source since a reader's last visit (library.shelves).
            models.Index(fields=["source", "created_at"], name="post_source_arrived"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.url_key = url_key(self.url)  # the importer writes it itself (archive.writer)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("archive:post_detail", args=[self.pk])

    @property
    def excerpt(self) -> str:
        start = getattr(self, "text_start", None)
        text = start if start is not None else self.text[:EXCERPT_CHARS]
        text = " ".join(text.split())
        return text[:140] + ("…" if len(text) > 140 else "")

    def shown_tags(self) -> list:
        """The tags, but not one that only repeats the source's name (iYouPort · [iYouPort])."""
        source = self.source.name.casefold()
        return [tag for tag in self.tags.all() if tag.name.casefold() != source]

    @cached_property
    def language(self) -> str:
        """``en``, ``zh-Hans`` or ``zh-Hant``, by script (archive.chinese.language_of): the
        reader sets it on the article, and CSS picks the fonts and the line breaking."""
        start = getattr(self, "text_start", None)
        return language_of(self.title + "\n" + (start if start is not None else self.text))

    @property
    def is_short(self) -> bool:
        """Too little text for an article: the archive holds a teaser, or nothing."""
        return len("".join(self.text.split())) < SHORT_POST_CHARS

    @property
    def reading_minutes(self) -> int:
        """About 400 Chinese characters or 220 English words a minute."""
        cjk = len(_CJK_CHAR.findall(self.text))
        words = len(_LATIN_WORD.findall(self.text))
        return max(1, round(cjk / 400 + words / 220))


class ImportedFile(models.Model):
    """The importer's ledger: what it last saw at each path, so unchanged files cost a hash.

    It also remembers duplicates (files whose URL another file won) and failures, so every
    run reports the whole archive, not only what changed.
    """

    class Status(models.TextChoices):
        IMPORTED = "imported"
        DUPLICATE = "duplicate"
        FAILED = "failed"

    path = models.CharField(max_length=1000, unique=True)
    content_hash = models.CharField(max_length=64)
    # With an unchanged size and modification time the file is not even read again.
    size = models.BigIntegerField(default=0)
    mtime_ns = models.BigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices)
    url = models.URLField(max_length=2000, blank=True)
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.SET_NULL)
    error = models.TextField(blank=True)
    seen_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return self.path


class ImportRun(models.Model):
    """One run of ``sync_archive`` or ``import_posts``: what it found changed, and what failed.

    Made when the run starts (a run that died shows as still running) and filled in when it
    ends; the admin lists them, read-only."""

    class Status(models.TextChoices):
        RUNNING = "running", "running (or stopped)"
        OK = "ok", "ok"
        SOME_FILES_FAILED = "partial", "done, some files failed"
        FAILED = "failed", "refused or stopped"

    # Enough to see what went wrong; the count in ``failed`` is always the whole.
    MAX_FAILURES_KEPT = 1000

    command = models.CharField(max_length=30)
    root = models.TextField(help_text="The folders or files imported.")
    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    git_before = models.CharField(max_length=64, blank=True)
    git_after = models.CharField(max_length=64, blank=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    gone = models.PositiveIntegerField(default=0)
    reanchored = models.PositiveIntegerField(default=0)
    orphaned = models.PositiveIntegerField(default=0)
    failures = models.JSONField(default=list, blank=True, help_text="[{path, reason}]")
    error = models.TextField(blank=True, help_text="Why the whole run failed, if it did.")
    summary = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"{self.command} {self.root} at {self.started_at:%Y-%m-%d %H:%M}"

    def record(self, report) -> None:
        """Take the counts and failures of an ``archive.importer.ImportReport``."""
        for name in ("created", "updated", "unchanged", "gone", "reanchored", "orphaned"):
            setattr(self, name, getattr(report, name))
        self.duplicates = len(report.duplicates)
        self.failed = len(report.failed)
        self.failures = [
            {"path": failure["path"], "reason": failure["error"]}
            for failure in report.failed[: self.MAX_FAILURES_KEPT]
        ]
        self.summary = report.summary()
        # The run did its work: files that failed are named, the rest imported.
        self.status = self.Status.SOME_FILES_FAILED if report.failed else self.Status.OK
