"""Everything that writes posts: an import's batches (decided by archive.importer) and
re-cleaning (derived fields rebuilt from the stored raw body).

A batch is one transaction: posts inserted or rewritten, their tags, their search index
entries, the ledger rows of its files, and whatever follows a rewrite (annotations
re-anchoring, through ``archive.signals.posts_rewritten``). A dry run uses ``DryRun``
instead of ``PostWriter``: the one place where ``--dry-run`` is checked.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone
from taggit.models import Tag

from archive import cleaning, search
from archive.batching import batched
from archive.models import ImportedFile, Post, Source, TaggedPost
from archive.pipeline import Failure, Processed
from archive.signals import FollowerFailed, announce_rewrite
from archive.urlkey import url_key


@dataclass
class Batch:
    """What the importer decided for a group of files; written in one transaction."""

    new: list[Processed] = field(default_factory=list)
    rewritten: list[tuple[int, Processed]] = field(default_factory=list)  # (post id, content)
    unchanged: list[tuple[int, Processed]] = field(default_factory=list)
    moved: dict[int, str] = field(default_factory=dict)  # unchanged post id → its new path
    duplicates: list[Processed] = field(default_factory=list)  # another file has their URL

    def split(self) -> Iterator[tuple[Processed, Batch]]:
        """Each file with a batch of its own: a batch that failed is retried file by file,
        so one bad row fails alone."""
        for item in self.new:
            yield item, Batch(new=[item])
        for pk, item in self.rewritten:
            yield item, Batch(rewritten=[(pk, item)])
        for pk, item in self.unchanged:
            moved = {pk: self.moved[pk]} if pk in self.moved else {}
            yield item, Batch(unchanged=[(pk, item)], moved=moved)
        for item in self.duplicates:
            yield item, Batch(duplicates=[item])

    def counts(self) -> dict[str, int]:
        return {
            "created": len(self.new),
            "updated": len(self.rewritten),
            "unchanged": len(self.unchanged),
        }


def write_error(exc: Exception) -> str:
    """A failed write as the report says it: who failed, and why."""
    return str(exc) if isinstance(exc, FollowerFailed) else f"database: {exc}"


class PostWriter:
    """Writes an import's decisions. ``stats`` maps the path of each file in flight to its
    (size, mtime_ns), which the ledger keeps so unchanged files are not read again."""

    def __init__(self, stats: Mapping[str, tuple[int, int]]):
        self.stats = stats
        self.source_ids: dict[str, int] = {}
        self.tag_ids: dict[str, int] = {}
        self.index_seconds = 0.0  # time in the search index's inserts
        # What followed the rewrites of committed batches, by outcome (annotations found
        # again by each method, or orphaned): posts_rewritten's receivers say.
        self.followed: Counter[str] = Counter()

    def write(self, batch: Batch) -> None:
        # Sources and tags are shared by every post: made outside the batch's transaction.
        self._ensure_sources_and_tags([*batch.new, *(item for _, item in batch.rewritten)])
        with transaction.atomic():
            followed = self._write(batch)
        self.followed.update(followed)  # only once committed: a failed batch is retried

    def _write(self, batch: Batch) -> Counter[str]:
        for pk, path in batch.moved.items():
            Post.objects.filter(pk=pk).update(path=path)
        created = self._insert_posts(batch.new)
        rewritten_ids = [pk for pk, _ in batch.rewritten]
        previous = _texts(rewritten_ids)
        for pk, item in batch.rewritten:
            Post.objects.filter(pk=pk).update(**self.post_fields(item))
        followed = follower_counts(announce_rewrite(Post, rewritten_ids, previous))
        written = created + batch.rewritten
        self._replace_tags(written, previously_tagged=rewritten_ids)
        indexing = time.perf_counter()
        search.index_documents([(pk, item.document) for pk, item in written])
        self.index_seconds += time.perf_counter() - indexing
        imported = [*written, *batch.unchanged]
        self._write_ledger(
            [(item.post, ImportedFile.Status.IMPORTED, pk) for pk, item in imported]
            + [(item.post, ImportedFile.Status.DUPLICATE, None) for item in batch.duplicates]
        )
        # A file that came back brings its post back: not gone any more.
        now = timezone.now()
        Post.objects.filter(pk__in=[pk for pk, _ in imported], gone_at__isnull=False).update(
            gone_at=None, updated_at=now
        )
        return followed

    def record_failure(self, failure: Failure) -> None:
        """A file that could be read but not imported: the ledger remembers it, so every run
        reports it again until it changes."""
        if failure.content_hash:
            self._write_ledger([(failure, ImportedFile.Status.FAILED, None)])

    def restat(self, files: list[tuple[str, int, int]]) -> None:
        """(path, size, mtime_ns) of files found unchanged by their hash: next time their
        stat is enough."""
        if files:
            with transaction.atomic():
                for path, size, mtime_ns in files:
                    ImportedFile.objects.filter(path=path).update(size=size, mtime_ns=mtime_ns)

    def demote(self, paths: Iterable[str]) -> None:
        """Files whose URL a better-ranked file took over in this run."""
        for some in batched(sorted(paths), 500):
            ImportedFile.objects.filter(path__in=some).update(
                status=ImportedFile.Status.DUPLICATE, post=None
            )

    def retire(self, vanished: list[str], claimed: Callable[[Iterable[str]], Mapping]) -> int:
        """Files under an imported folder that the run did not find: the ledger forgets them,
        and a post that no file carries any more is marked gone (never deleted: it stays
        readable with its annotations). ``claimed(urls)`` gives the URLs among ``urls`` that
        a file of this run carries. Returns how many posts went."""
        with transaction.atomic():
            candidates = self._posts_of(vanished)
            ImportedFile.objects.filter(path__in=vanished).delete()
            gone = self._uncarried(candidates, claimed, vanished)
            now = timezone.now()  # updated_at too: cached pages show the change
            Post.objects.filter(pk__in=gone).update(gone_at=now, updated_at=now)
        return len(gone)

    @staticmethod
    def _posts_of(paths: list[str]) -> set[int]:
        rows = list(
            ImportedFile.objects.filter(path__in=paths).values_list("status", "post_id", "path")
        )
        posts = {post_id for _, post_id, _ in rows if post_id is not None}
        # A file that failed after it had made a post no longer points at it: the post still
        # names it. Rare, and only then is the post table searched by path.
        failed = [path for status, _, path in rows if status == ImportedFile.Status.FAILED]
        if failed:
            posts.update(Post.objects.filter(path__in=failed).values_list("id", flat=True))
        return posts

    @staticmethod
    def _uncarried(candidates: set[int], claimed, vanished: list[str]) -> list[int]:
        """The posts among ``candidates``, not gone yet, that no other imported file of the
        ledger carries and no file of this run claims."""
        carried = set(
            ImportedFile.objects.filter(post_id__in=candidates, status=ImportedFile.Status.IMPORTED)
            .exclude(path__in=vanished)
            .values_list("post_id", flat=True)
        )
        urls = dict(
            Post.objects.filter(pk__in=candidates - carried, gone_at__isnull=True).values_list(
                "id", "url"
            )
        )
        still = claimed(urls.values())
        return sorted(pk for pk, url in urls.items() if url not in still)

    def post_fields(self, item: Processed) -> dict:
        post, cleaned = item.post, item.cleaned
        return {
            "title": post.title,
            "author": post.author,
            "published_at": post.published_at,
            "source_id": self.source_ids[post.source_name],
            "raw_front_matter": post.raw_front_matter,
            "raw_body": post.raw_body,
            "body_html": cleaned.body_html,
            "text": cleaned.text,
            "cleaner_version": cleaned.version,
            "path": post.path,
            "content_hash": post.content_hash,
            "updated_at": timezone.now(),  # update() skips auto_now; cached pages key on it
        }

    def _insert_posts(self, items: list[Processed]) -> list[tuple[int, Processed]]:
        """INSERT new posts with executemany: the ORM's per-value work on megabytes of text
        cost as much as SQLite's own writing. Returns (id, item) pairs."""
        if not items:
            return []
        now = timezone.now()
        rows = []
        for item in items:
            fields = self.post_fields(item)
            fields.update(
                url=item.post.url, url_key=url_key(item.post.url), created_at=now, updated_at=now
            )
            rows.append(fields)
        columns = list(rows[0])
        fields = [Post._meta.get_field(c.removesuffix("_id")) for c in columns]
        # Only dates need the backend's adaptation (SQLite stores them as naive UTC text).
        adapt = {
            c: f
            for c, f in zip(columns, fields, strict=True)
            if f.get_internal_type() == "DateTimeField"
        }
        for row in rows:
            for column, model_field in adapt.items():
                row[column] = model_field.get_db_prep_save(row[column], connection)
        quote = connection.ops.quote_name
        # Names come from the model's own metadata, values are parameters.
        sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
            quote(Post._meta.db_table),
            ", ".join(quote(f.column) for f in fields),
            ", ".join(["%s"] * len(columns)),
        )
        with connection.cursor() as cursor:
            cursor.executemany(sql, [[row[c] for c in columns] for row in rows])
        ids = dict(
            Post.objects.filter(url__in=[i.post.url for i in items]).values_list("url", "id")
        )
        return [(ids[item.post.url], item) for item in items]

    def _replace_tags(self, posts: list[tuple[int, Processed]], previously_tagged: list[int]):
        if previously_tagged:
            TaggedPost.objects.filter(content_object_id__in=previously_tagged).delete()
        TaggedPost.objects.bulk_create(
            TaggedPost(content_object_id=pk, tag_id=self.tag_ids[name.casefold()])
            for pk, item in posts
            for name in item.post.tags
        )

    def _ensure_sources_and_tags(self, items: list[Processed]) -> None:
        if not self.source_ids:
            self.source_ids = dict(Source.objects.values_list("name", "id"))
            self.tag_ids = {
                name.casefold(): pk for name, pk in Tag.objects.values_list("name", "id")
            }
        for item in items:
            name = item.post.source_name
            if name not in self.source_ids:
                self.source_ids[name] = _create_source(name).pk
            for tag in item.post.tags:
                if tag.casefold() not in self.tag_ids:
                    self.tag_ids[tag.casefold()] = Tag.objects.create(name=tag).pk

    def _write_ledger(self, entries: list[tuple]) -> None:
        """(parsed post or failure, status, post id) entries, inserted or updated by path."""
        if not entries:
            return
        ImportedFile.objects.bulk_create(
            [
                ImportedFile(
                    path=entry.path,
                    content_hash=entry.content_hash,
                    size=self.stats.get(entry.path, (0, 0))[0],
                    mtime_ns=self.stats.get(entry.path, (0, 0))[1],
                    status=status,
                    url=getattr(entry, "url", ""),
                    post_id=post_id,
                    error=getattr(entry, "error", ""),
                )
                for entry, status, post_id in entries
            ],
            update_conflicts=True,
            unique_fields=["path"],
            update_fields=[
                "content_hash",
                "size",
                "mtime_ns",
                "status",
                "url",
                "post",
                "error",
                "seen_at",
            ],
        )


class DryRun(PostWriter):
    """Reads nothing more and writes nothing: what a dry run's import would have written."""

    def write(self, batch: Batch) -> None:
        pass

    def record_failure(self, failure: Failure) -> None:
        pass

    def restat(self, files: list[tuple[str, int, int]]) -> None:
        pass

    def demote(self, paths: Iterable[str]) -> None:
        pass

    def retire(self, vanished: list[str], claimed: Callable[[Iterable[str]], Mapping]) -> int:
        return len(self._uncarried(self._posts_of(vanished), claimed, vanished))


def _create_source(name: str) -> Source:
    base = Source.slug_for(name)[:110]
    slug, n = base, 1
    while Source.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return Source.objects.create(name=name, slug=slug)


def follower_counts(responses: list) -> Counter[str]:
    """The counts that ``posts_rewritten``'s receivers returned, added up by outcome; a
    receiver that returns anything else counts nothing."""
    counts: Counter[str] = Counter()
    for _, response in responses:
        if isinstance(response, Mapping):
            counts.update({k: v for k, v in response.items() if isinstance(v, int)})
    return counts


def _texts(post_ids: list[int]) -> dict[int, str]:
    """The current text of posts about to be rewritten (annotations follow it to the new)."""
    if not post_ids:
        return {}
    return dict(Post.objects.filter(pk__in=post_ids).values_list("id", "text"))


# --- re-cleaning -------------------------------------------------------------------------------


@dataclass
class RecleanReport:
    recleaned: int = 0
    failed: list[dict] = field(default_factory=list)  # {"post": id, "error": ...}


def reclean(*, only_outdated: bool = True, batch_size: int = 200) -> RecleanReport:
    """Recompute body_html and text from raw_body with the current cleaner, a transaction per
    ``batch_size`` posts; a batch that fails is retried post by post, so one post whose
    re-clean cannot be written (or followed) keeps its old text alone."""
    posts = Post.objects.all()
    if only_outdated:
        posts = posts.exclude(cleaner_version=cleaning.CLEANER_VERSION)
    report = RecleanReport()
    for ids in batched(list(posts.order_by("id").values_list("id", flat=True)), batch_size):
        try:
            with transaction.atomic():
                _reclean(ids)
            report.recleaned += len(ids)
        except Exception:
            for pk in ids:
                try:
                    with transaction.atomic():
                        _reclean([pk])
                    report.recleaned += 1
                except Exception as exc:
                    report.failed.append({"post": pk, "error": write_error(exc)})
    return report


def _reclean(ids: list[int]) -> None:
    documents, previous = [], {}
    rows = Post.objects.filter(id__in=ids).values_list(
        "id", "raw_body", "title", "author", "url", "text"
    )
    for pk, raw_body, title, author, url, text in rows:
        previous[pk] = text
        cleaned = cleaning.clean(raw_body, title=title, url=url)
        Post.objects.filter(pk=pk).update(
            body_html=cleaned.body_html,
            text=cleaned.text,
            cleaner_version=cleaned.version,
            updated_at=timezone.now(),  # update() skips auto_now; cached pages key on it
        )
        documents.append((pk, search.document_type().of(title, author, cleaned.text)))
    search.index_documents(documents)
    announce_rewrite(Post, [pk for pk, _ in documents], previous)
