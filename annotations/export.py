"""Notes out of Pizhu: Markdown (per post, zipped, combined, bilingual) and W3C JSON-LD,
made by one ``render`` for the notebook's downloads and the ``export_notes`` command.
(Coming back in is ``annotations.restore``.)

The Markdown is made for Obsidian and Logseq: YAML front matter, the title as H1, the
reader's own tags of the post (``my_tags`` in the front matter, and as #tags under the
title), the page notes (notes on the whole article, no quote), then each annotation in
reading order: the quote as a blockquote (paragraph breaks kept), the note as written, a
translation labelled with its language, #tags, the colour's name, and a stable block id
(``^pizhu-12``) with a link back to the passage. A post with own tags and no notes gets a
file too. Whatever the title, quote or note
holds cannot break that structure: front matter is written by PyYAML, quotes are escaped,
and notes (Markdown already) are fenced off from what follows them.

Everything here is a function of the notes alone, so the same notes give byte-identical
files: ``exported`` is the time of the newest change among them, not the clock, and zip
entries carry that time too.

A person's export holds their notes on articles, never their replies: a reply means little
without the note it answers, and a restore would skip it. Replies go out with their notes in
a group's export (``group_markdown``, ``group_jsonld``): every note the reader may read in
the group with its author, and its thread of replies nested under it.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import yaml

from annotations import jsonld, notebook, own_tags, readwise
from annotations.models import Annotation, Colour, Kind, State, with_tag_names
from archive.cleaning import block_starts
from archive.models import Post, TaggedPost
from archive.tidy import CELL_TAGS

COLOUR_NAMES = {colour.value: colour.label.split(" ", 1)[1] for colour in Colour}
ORPHANS_HEADING = "## 未定位 Orphaned"
PAGE_NOTES_HEADING = "## 页面笔记 Page notes"
MAX_FILENAME_BYTES = 200  # under any file system's 255, with room for a zip's folder
PASSAGES_HEADING = "## 段落笔记 Passage notes"
OWN_TAGS_LABEL = "我的标签 My tags:"
_NEVER = datetime(1980, 1, 1, tzinfo=UTC)  # the earliest time a zip entry can carry


@dataclass
class PostNotes:
    """One post, the annotations exported from it (page notes first, then in reading
    order), and the reader's own tags of it (a post may have tags and no annotations)."""

    post: Post
    annotations: list[Annotation]
    my_tags: own_tags.PostTags | None = None

    @property
    def page_notes(self) -> list[Annotation]:
        return [a for a in self.annotations if a.is_page_note]

    @property
    def passages(self) -> list[Annotation]:
        return [a for a in self.annotations if not a.is_page_note]

    @property
    def my_tag_names(self) -> list[str]:
        return self.my_tags.names if self.my_tags else []

    @property
    def last_change(self) -> datetime:
        """The newest annotation's change; a post with only tags has the time its reading
        state began (nothing moves it but the tags themselves being made)."""
        if self.annotations:
            return max(a.modified_at for a in self.annotations)
        return self.my_tags.since if self.my_tags else _NEVER


def group_by_post(
    annotations: Iterable[Annotation],
    *,
    tags: dict[int, own_tags.PostTags] | None = None,
    tagged_posts: Iterable[Post] = (),
) -> list[PostNotes]:
    """Annotations (with ``post`` loaded) grouped by post, posts in a stable order; ``tags``
    (post id → own tags) go with their posts, and ``tagged_posts`` are exported for their
    tags alone."""
    tags = tags or {}
    groups: dict[int, PostNotes] = {}
    for annotation in annotations:
        groups.setdefault(annotation.post_id, PostNotes(annotation.post, [])).annotations.append(
            annotation
        )
    for post in tagged_posts:
        groups.setdefault(post.pk, PostNotes(post, []))
    for post_id, group in groups.items():
        group.annotations.sort(key=notebook.reading_order)
        group.my_tags = tags.get(post_id)
    return sorted(
        (g for g in groups.values() if g.annotations or g.my_tags),
        key=lambda g: (g.post.published_at or datetime.min.replace(tzinfo=UTC), g.post.pk),
    )


def notes_for_export(user, annotations=None, *, tagged=None) -> list[PostNotes]:
    """The user's own, live annotations (never anyone else's), ready to export, with their
    own tags of those posts. ``tagged`` (reading states of ``user``) names the posts also
    exported for their own tags alone; by default every tagged post when ``annotations``
    is not given (everything), none when it is (a filter on notes)."""
    if annotations is None:
        annotations = Annotation.objects.owned_by(user).alive()
        tagged = own_tags.tagged_states(user) if tagged is None else tagged
    queryset = (
        annotations.filter(user=user, deleted_at__isnull=True)
        .notes()
        .select_related("user", "post", "post__source")
    )
    annotations = with_tag_names(queryset.defer("post__raw_body", "post__raw_front_matter"))
    posts = {}
    for annotation in annotations:  # one Post object per post, shared by its annotations
        annotation.post = posts.setdefault(annotation.post_id, annotation.post)
    tagged_posts = []
    if tagged is not None:
        only_tagged = set(tagged.filter(user=user).values_list("post_id", flat=True)) - set(posts)
        # Nothing is quoted from these: their texts stay in the database.
        tagged_posts = list(
            Post.objects.filter(pk__in=only_tagged)
            .select_related("source")
            .defer("raw_body", "raw_front_matter", "body_html", "text")
        )
    with_tag_names([*posts.values(), *tagged_posts], through=TaggedPost)
    tags = own_tags.of_posts(user, [*posts, *(post.pk for post in tagged_posts)])
    return group_by_post(annotations, tags=tags, tagged_posts=tagged_posts)


# --- escaping ------------------------------------------------------------------------------

# Characters with a meaning somewhere in CommonMark, Obsidian or Logseq inline syntax:
# emphasis, code, links and wiki links, HTML, tables, tags, math, highlights, comments,
# block references. Escaped with a backslash wherever they occur in quoted text.
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>|#$~=%^&{}])")
# Line starts that would become a list, a heading, a quote, a rule or a setext underline.
_LINE_START = re.compile(r"^(\s*)(?:([-+>])|(\d+)([.)])(?=\s|$))")


def _escape_line_start(match: re.Match) -> str:
    indent, marker, number, delimiter = match.groups()
    return f"{indent}\\{marker}" if marker else f"{indent}{number}\\{delimiter}"


def escape_markdown(text: str) -> str:
    """``text`` as literal Markdown text: every line renders as itself."""
    lines = []
    for line in text.split("\n"):
        line = _INLINE_SPECIAL.sub(r"\\\1", line)
        line = _LINE_START.sub(_escape_line_start, line)
        lines.append(line)
    return "\n".join(lines)


def _clean_lines(text: str) -> list[str]:
    """Lines with trailing spaces and layout indentation removed (scraped text is full of
    them, and four leading spaces would make a code block)."""
    return [" ".join(line.split()) for line in text.replace("\r", "\n").split("\n")]


CELL_SEPARATOR = " · "


def quote_paragraphs(post: Post, annotation: Annotation) -> list[str]:
    """The quote split where the article's paragraphs (and line breaks) break, each one on
    one line, with the cells of a table row kept apart. Within a paragraph, whitespace is
    what the browser shows: one space, however the page's source was wrapped (a sentence
    with two links stays one paragraph)."""
    if annotation.is_page_note:
        return []  # no passage: nothing of the text is quoted
    start, end = annotation.start, annotation.end
    blocks, cells = _starts(post)
    breaks = [(at - start, _BLOCK_BREAK) for at in blocks if start < at < end]
    breaks += [
        (at - start, CELL_SEPARATOR) for at in cells if start < at < end and at not in blocks
    ]
    text, last = [], 0
    for at, separator in sorted(breaks):
        text += [annotation.exact[last:at], separator]
        last = at
    text.append(annotation.exact[last:])
    paragraphs = [" ".join(piece.split()) for piece in "".join(text).split(_BLOCK_BREAK)]
    return [p for p in paragraphs if p] or [annotation.exact.strip()]


_BLOCK_BREAK = "\x00"  # never in a post's text: cleaning drops NUL bytes


def _starts(post: Post) -> tuple[set[int], list[int]]:
    """Where the post's blocks and table cells begin in its text (worked out once a post)."""
    cached = getattr(post, "_starts", None)
    if cached is None:
        blocks = set(block_starts(post.body_html))
        cached = post._starts = (blocks, block_starts(post.body_html, CELL_TAGS))
    return cached


def blockquote(paragraphs: list[str]) -> str:
    return "\n>\n".join(f"> {escape_markdown(p)}" for p in paragraphs)


def tag_name(tag: str) -> str:
    """A tag as Obsidian and Logseq read ``#tag``: no spaces or punctuation, not only digits."""
    name = re.sub(r"[\s]+", "_", tag.strip())
    name = "".join(c for c in name if c in "_-/" or unicodedata.category(c)[0] in "LNM")
    if not name or name.isdigit():
        name = f"tag_{name}"
    return name


def safe_filename(title: str, post_id: int, published: datetime | None) -> str:
    """``2024-01-02-标题-12.md``: no path separators or reserved characters, bounded length
    (in bytes: file systems allow 255 a name, and a Chinese character takes 3), unique by
    the post id."""
    name = unicodedata.normalize("NFC", title)
    name = re.sub(r'[\\/:*?"<>|#^\[\]\x00-\x1f\x7f]+', " ", name)
    name = re.sub(r"\s+", "-", name.strip()).strip(".-") or "post"
    name = name[:80].rstrip(".-")
    date = published.strftime("%Y-%m-%d-") if published else ""
    suffix = f"-{post_id}.md"
    while len(f"{date}{name}{suffix}".encode()) > MAX_FILENAME_BYTES:
        name = name[:-1].rstrip(".-")
    return f"{date}{name or 'post'}{suffix}"


# --- Markdown --------------------------------------------------------------------------------


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def front_matter(group: PostNotes) -> str:
    post = group.post
    data = {
        "title": post.title,
        "author": post.author or None,
        "source": post.source.name,
        "url": post.url,
        "published": post.published_at.astimezone(UTC).isoformat() if post.published_at else None,
        "exported": _stamp(group.last_change),
        "tags": sorted(getattr(post, "tag_names", [])),
        # The reader's own tags, apart from the archive's: exactly as written (a Dataview
        # query finds them), and as #tags under the title, which Obsidian and Logseq index.
        "my_tags": group.my_tag_names,
    }
    data = {key: value for key, value in data.items() if value not in (None, [])}
    dumped = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1_000_000)
    return f"---\n{dumped}---\n"


def own_tags_line(group: PostNotes) -> str:
    names = dict.fromkeys(f"#{tag_name(tag)}" for tag in group.my_tag_names)
    return f"{OWN_TAGS_LABEL} {' '.join(names)}"


def annotation_markdown(
    group: PostNotes, annotation: Annotation, *, base_url: str, byline: Iterable[str] = ()
) -> str:
    """The quote, the note, then a line of what else there is to say (``byline`` first: a
    group's export names the author there)."""
    paragraphs = quote_paragraphs(group.post, annotation)
    parts = [blockquote(paragraphs)] if paragraphs else []  # a page note quotes nothing
    note = annotation.body.strip("\n")
    if note and annotation.kind == Kind.TRANSLATION:
        label = f"**译文 Translation ({annotation.language or 'und'}):**"
        parts.append(f"{label}\n\n{_fenced_note(note)}")  # apart: a note's --- is its own
    elif note:
        parts.append(_fenced_note(note))
    meta = [*byline, *(f"#{tag_name(tag)}" for tag in sorted(annotation.tag_names))]
    meta.append(COLOUR_NAMES.get(annotation.colour, annotation.colour))
    if annotation.state == State.ORPHANED:
        meta.append("orphaned")
    link = f"{base_url}{annotation.get_absolute_url()}"
    meta.append(f"[↗]({link}) ^pizhu-{annotation.pk}")
    parts.append(" · ".join(meta))
    return "\n\n".join(parts)


def _fenced_note(note: str) -> str:
    """A note as written, kept from swallowing what follows it: an unclosed code fence is
    closed (everything after the note is separated from it by a blank line anyway, which
    ends any other block it could have left open)."""
    lines = note.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    fences = sum(1 for line in lines if line.lstrip().startswith(("```", "~~~")))
    if fences % 2:
        lines.append("```")
    return "\n".join(lines).strip("\n")


def post_markdown(group: PostNotes, *, base_url: str, with_front_matter: bool = True) -> str:
    """The title, my own tags, the page notes, then the passages in reading order (the
    orphans last). Headings part page notes from passages only when a post has both kinds."""
    anchored = [a for a in group.passages if a.state == State.ANCHORED]
    orphaned = [a for a in group.passages if a.state != State.ANCHORED]
    sections = [f"# {escape_markdown(' '.join(group.post.title.split()))}"]
    if group.my_tag_names:
        sections.append(own_tags_line(group))
    if group.page_notes:
        sections.append(PAGE_NOTES_HEADING)
        sections += [annotation_markdown(group, a, base_url=base_url) for a in group.page_notes]
        if anchored:
            sections.append(PASSAGES_HEADING)
    sections += [annotation_markdown(group, a, base_url=base_url) for a in anchored]
    if orphaned:
        sections.append(ORPHANS_HEADING)
        sections += [annotation_markdown(group, a, base_url=base_url) for a in orphaned]
    body = "\n\n".join(sections) + "\n"
    return (front_matter(group) + "\n" + body) if with_front_matter else body


def combined_markdown(groups: list[PostNotes], *, base_url: str) -> str:
    """Every post's notes in one file: one front matter for the export, then each post."""
    if not groups:
        return "---\nposts: 0\n---\n"
    exported = _stamp(max(g.last_change for g in groups))
    head = yaml.safe_dump(
        {"exported": exported, "posts": len(groups)}, allow_unicode=True, sort_keys=False
    )
    parts = []
    for group in groups:
        post = group.post
        meta = [f"- 来源 Source: {escape_markdown(post.source.name)}", f"- <{post.url}>"]
        if post.published_at:
            meta.insert(1, f"- 发布 Published: {post.published_at.astimezone(UTC).date()}")
        body = post_markdown(group, base_url=base_url, with_front_matter=False)
        title, rest = body.split("\n", 1)
        parts.append(f"{title}\n\n" + "\n".join(meta) + "\n" + rest)
    return f"---\n{head}---\n\n" + "\n".join(parts)


def bilingual_markdown(group: PostNotes, *, base_url: str) -> str:
    """The post's translations beside their passages: a two-column table."""
    rows = ["| 原文 Passage | 译文 Translation |", "| --- | --- |"]
    for annotation in group.annotations:
        if annotation.kind != Kind.TRANSLATION or annotation.is_page_note:
            continue
        passage = "<br><br>".join(
            escape_markdown(p) for p in quote_paragraphs(group.post, annotation)
        )
        lines = [line for line in _clean_lines(annotation.body) if line]
        translation = "<br>".join(escape_markdown(line) for line in lines)
        language = escape_markdown(annotation.language or "und")
        link = f"{base_url}{annotation.get_absolute_url()}"
        rows.append(f"| {passage} | ({language}) {translation} [↗]({link}) |")
    title = f"# {escape_markdown(' '.join(group.post.title.split()))}"
    return f"{front_matter(group)}\n{title}\n\n" + "\n".join(rows) + "\n"


def markdown_files(groups: list[PostNotes], *, base_url: str) -> list[tuple[str, str]]:
    """(file name, Markdown) for each post: what a zip or a folder export holds."""
    return [(_post_filename(g), post_markdown(g, base_url=base_url)) for g in groups]


def zip_markdown(groups: list[PostNotes], *, base_url: str, combined: bool = False) -> bytes:
    """One ``.md`` per post (and ``all-notes.md`` when asked), byte-identical for the same
    notes: fixed order, and every entry dated by the newest change."""
    buffer = io.BytesIO()
    stamp = max(g.last_change for g in groups) if groups else _NEVER
    date_time = max(stamp, _NEVER).astimezone(UTC).timetuple()[:6]
    files = markdown_files(groups, base_url=base_url)
    if combined:
        files.append(("all-notes.md", combined_markdown(groups, base_url=base_url)))
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, text.encode())
    return buffer.getvalue()


# --- JSON-LD ---------------------------------------------------------------------------------


def jsonld_collection(groups: list[PostNotes], *, base_url: str) -> dict:
    """Every annotation, and each post's own tags as a tagging annotation of the whole
    article (``own_tags.to_jsonld``), first in its post."""
    collection = jsonld.collection([], base_url=base_url)
    items = collection["first"]["items"]
    for group in groups:
        if group.my_tags:
            items.append(own_tags.to_jsonld(group.post, group.my_tags, base_url=base_url))
        items += [jsonld.annotation_to_jsonld(a, base_url=base_url) for a in group.annotations]
    collection["total"] = len(items)
    return collection


def dumps_jsonld(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


# --- one renderer for the views and the command ------------------------------------------------

FORMATS = ("md", "bilingual", "zip", "jsonld", "csv")
_TYPES = {
    "csv": ("text/csv; charset=utf-8", ".csv"),
    "md": ("text/markdown; charset=utf-8", ".md"),
    "bilingual": ("text/markdown; charset=utf-8", ".md"),
    "zip": ("application/zip", ".zip"),
    "jsonld": ("application/ld+json; charset=utf-8", ".jsonld"),
}
COLLECTION_NAME = "pizhu-notes"


class ExportError(ValueError):
    """An export that cannot be made from these notes (a bilingual file of several posts)."""


@dataclass(frozen=True)
class Rendered:
    filename: str
    content_type: str
    content: bytes


def render(
    fmt: str,
    groups: list[PostNotes],
    *,
    base_url: str,
    one_post: bool = False,
    combined: bool = False,
) -> Rendered:
    """The notes of ``groups`` as a file: ``md`` (one post's own file when ``one_post`` and
    they are one post's, else every post combined), ``bilingual`` (one post's translations
    beside their passages), ``zip`` (a file per post, and ``all-notes.md`` when
    ``combined``), ``jsonld`` (a W3C AnnotationCollection) or ``csv`` (Readwise's shape)."""
    single = groups[0] if one_post and len(groups) == 1 else None
    if fmt == "zip":
        name = COLLECTION_NAME + ("-with-all-notes" if combined else "")
        content = zip_markdown(groups, base_url=base_url, combined=combined)
    elif fmt == "jsonld":
        collection = jsonld_collection(groups, base_url=base_url)
        name, content = COLLECTION_NAME, dumps_jsonld(collection).encode()
    elif fmt == "csv":
        name, content = COLLECTION_NAME, readwise_csv(groups, base_url=base_url).encode()
    elif fmt == "bilingual":
        if single is None:
            raise ExportError("a bilingual export is made for one post")
        name = _post_filename(single).removesuffix(".md") + "-bilingual"
        content = bilingual_markdown(single, base_url=base_url).encode()
    elif fmt == "md" and single is not None:
        name = _post_filename(single).removesuffix(".md")
        content = post_markdown(single, base_url=base_url).encode()
    elif fmt == "md":
        name, content = COLLECTION_NAME, combined_markdown(groups, base_url=base_url).encode()
    else:
        raise ExportError(f"no such format: {fmt!r} (one of {', '.join(FORMATS)})")
    content_type, suffix = _TYPES[fmt]
    return Rendered(name + suffix, content_type, content)


def readwise_csv(groups: list[PostNotes], *, base_url: str) -> str:
    """The passages in Readwise's CSV shape (``annotations.readwise``: a spreadsheet opens it,
    Readwise and Pizhu import it): one row a passage, the post's own tags as Document tags,
    its article URL in a column of its own. Page notes have no passage to be a highlight of,
    and are left to the Markdown and JSON-LD exports."""
    rows = []
    for group in groups:
        post = group.post
        document_tags = ", ".join(group.my_tag_names)
        for annotation in group.passages:
            rows.append([
                annotation.exact, post.title, post.author, "", annotation.body,
                annotation.colour, ", ".join(getattr(annotation, "tag_names", [])), "offset",
                annotation.start, _stamp(annotation.created_at), document_tags, post.url,
            ])  # fmt: skip
    return readwise.to_csv(rows)


def _post_filename(group: PostNotes) -> str:
    return safe_filename(group.post.title, group.post.pk, group.post.published_at)


# --- a group's notes ---------------------------------------------------------------------------

GROUP_COLLECTION_NAME = "pizhu-group"
GROUP_FORMATS = {
    "md": ("text/markdown; charset=utf-8", ".md"),
    "json": ("application/ld+json; charset=utf-8", ".jsonld"),
}
MISSING_NOTE = "*原批注已删除或不再可见。The note replied to was deleted or is no longer shown.*"
REPLIES_LABEL = "回复 Replies:"
HIDDEN_MARK = "已隐藏 hidden"


def group_notes_for_export(user, group, filters) -> list[notebook.GroupPostEntry]:
    """The notes of ``group`` that ``user`` may read and ``filters``
    (``notebook.GroupNotebookFilters``) pick, each with the replies ``user`` may read under
    it, grouped by post (posts in a stable order); with no filter on notes, also the
    replies whose note is missing. A fixed number of queries whatever the numbers."""
    orphans = notebook.group_orphan_replies(user, group, filters)
    notes = with_tag_names(
        notebook.group_notes(user, group, filters)
        .with_reply_counts()
        .select_related("user", "post", "post__source")
        .defer("post__raw_body", "post__raw_front_matter", "search_text", "user__password")
    )
    posts: dict[int, Post] = {}
    for note in notes:  # one Post object per post, shared by its notes and replies
        note.post = posts.setdefault(note.post_id, note.post)
        note.group = group
    post_ids = set(posts)
    if orphans is not None:
        post_ids |= set(orphans.order_by().values_list("post_id", flat=True).distinct())
    threads = notebook.threads_by_post(user, group, notes, post_ids, orphans=orphans is not None)
    if missing := post_ids - set(posts):  # only replies there: nothing of the text is quoted
        posts.update(
            (post.pk, post)
            for post in Post.objects.filter(pk__in=missing)
            .select_related("source")
            .defer("raw_body", "raw_front_matter", "body_html", "text")
        )
    entries = []
    for pk, post_threads in threads.items():
        if not post_threads:
            continue
        for thread in post_threads:
            for reply, _ in thread.replies:
                reply.post, reply.group = posts[pk], group
        entries.append(notebook.GroupPostEntry(posts[pk], post_threads))
    return sorted(
        entries,
        key=lambda e: (e.post.published_at or datetime.min.replace(tzinfo=UTC), e.post.pk),
    )


def _everything(entries: list[notebook.GroupPostEntry]) -> list[Annotation]:
    """Every note and reply of ``entries``, each note followed by its thread."""
    found = []
    for entry in entries:
        for thread in entry.threads:
            if thread.note is not None:
                found.append(thread.note)
            found += [reply for reply, _ in thread.replies]
    return found


def _byline(annotation: Annotation) -> list[str]:
    """The author first, then whether a moderator hid it (only a moderator or its author
    reads a hidden note: annotations.access)."""
    line = [f"— {escape_markdown(annotation.user.get_username())}"]
    if annotation.hidden_at is not None:
        line.append(HIDDEN_MARK)
    return line


def reply_markdown(reply: Annotation, depth: int, *, base_url: str) -> str:
    """A reply as a list item, nested ``depth`` deep: its note as written, then its author,
    day and block id. Every line is indented under its item, so a reply's own Markdown
    (paragraphs, lists, code) stays inside it."""
    indent = "  " * depth
    meta = [*_byline(reply), _stamp(reply.created_at)[:10]]
    meta += [f"#{tag_name(tag)}" for tag in sorted(getattr(reply, "tag_names", []))]
    meta.append(f"[↗]({base_url}{reply.get_absolute_url()}) ^pizhu-{reply.pk}")
    first, *rest = _fenced_note(reply.body.strip()).split("\n")
    rest += ["", " · ".join(meta)]
    lines = [
        f"{indent[:-2]}- {first}",
        *(f"{indent}{line}" if line.strip() else "" for line in rest),
    ]
    return "\n".join(lines)


def thread_markdown(post: Post, thread: notebook.Thread, *, base_url: str) -> str:
    if thread.note is not None:
        head = annotation_markdown(
            PostNotes(post, []), thread.note, base_url=base_url, byline=_byline(thread.note)
        )
    else:
        head = MISSING_NOTE
    if not thread.replies:
        return head
    replies = "\n\n".join(
        reply_markdown(reply, depth, base_url=base_url) for reply, depth in thread.replies
    )
    return f"{head}\n\n{REPLIES_LABEL}\n\n{replies}"


def group_markdown(group, entries: list[notebook.GroupPostEntry], *, base_url: str) -> str:
    """A group's notes in one file: front matter naming the group, a heading with its name,
    then each post (title, source, day, URL) with its page notes, its passages in reading
    order and the replies left under missing notes, each note with its author and its
    replies nested under it."""
    everything = _everything(entries)
    data = {
        "group": group.name,
        "exported": _stamp(max(a.modified_at for a in everything)) if everything else None,
        "posts": len(entries),
        "notes": sum(len(entry.notes) for entry in entries),
        "replies": sum(1 for a in everything if a.is_reply),
    }
    data = {key: value for key, value in data.items() if value is not None}
    head = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1_000_000)
    sections = [f"# 小组笔记 Group notes: {escape_markdown(' '.join(group.name.split()))}"]
    if description := "\n".join(_clean_lines(group.description)).strip():
        sections.append(escape_markdown(description))
    for entry in entries:
        post = entry.post
        meta = [f"- 来源 Source: {escape_markdown(post.source.name)}", f"- <{post.url}>"]
        if post.published_at:
            meta.insert(1, f"- 发布 Published: {post.published_at.astimezone(UTC).date()}")
        sections.append(f"## {escape_markdown(' '.join(post.title.split()))}")
        sections.append("\n".join(meta))
        page = [t for t in entry.threads if t.note is not None and t.note.is_page_note]
        rest = [t for t in entry.threads if t not in page]
        if page:
            sections.append(f"#{PAGE_NOTES_HEADING}")  # one level down: under the post's
            sections += [thread_markdown(post, t, base_url=base_url) for t in page]
            if rest:
                sections.append(f"#{PASSAGES_HEADING}")
        sections += [thread_markdown(post, t, base_url=base_url) for t in rest]
    if not entries:
        sections.append("没有笔记。No notes.")
    return f"---\n{head}---\n\n" + "\n\n".join(sections) + "\n"


def group_jsonld(group, entries: list[notebook.GroupPostEntry], *, base_url: str) -> dict:
    """A W3C AnnotationCollection of the group's notes, each followed by its replies
    (motivation ``replying``, target: the IRI of the annotation answered)."""
    return jsonld.collection(
        _everything(entries), base_url=base_url, label=f"Pizhu group: {group.name}"
    )


def render_group(fmt: str, group, entries, *, base_url: str) -> Rendered:
    """A group's notes as a file: ``md`` (Markdown) or ``json`` (W3C JSON-LD)."""
    if fmt == "md":
        content = group_markdown(group, entries, base_url=base_url)
    elif fmt == "json":
        content = dumps_jsonld(group_jsonld(group, entries, base_url=base_url))
    else:
        raise ExportError(f"no such format: {fmt!r} (one of {', '.join(GROUP_FORMATS)})")
    content_type, suffix = GROUP_FORMATS[fmt]
    name = safe_filename(group.name, group.pk, None).removesuffix(".md")
    return Rendered(f"{GROUP_COLLECTION_NAME}-{name}{suffix}", content_type, content.encode())
