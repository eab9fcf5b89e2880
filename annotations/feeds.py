"""An Atom feed of my notes: my own live annotations, the last changed first, at a private
URL (``/feeds/notes/pzf_…/``, ``accounts.models.FeedToken``) a feed reader can poll without
signing in. A key that is unknown, revoked or made before the password last changed is a
404, as is any other URL: nobody learns whose feed a key was. The key holds 256 bits from
an HMAC: guessing one is hopeless, so the URL is not rate-limited.

Each entry: the passage (quoted, escaped) and the note's sanitized ``body_html``, a link
to the passage in the reader, its tags as categories. Read with the post's title only (no
bodies), in a fixed number of queries whatever the number of notes.
"""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.http import Http404
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape, linebreaks

from accounts.models import FeedToken
from annotations.models import Annotation, Kind, with_tag_names
from archive.feeds import ATOM_CONTENT_TYPE, FEED_ENTRIES, SITE_NAME

QUOTE_IN_TITLE = 60  # characters of the passage in an entry's title
_FIELDS = (
    "post",
    "post__title",
    "kind",
    "body_html",
    "language",
    "exact",
    "start",
    "end",
    "created_at",
    "modified_at",
)


class AtomWithContent(Atom1Feed):
    """Atom1Feed plus each entry's ``<content type="html">`` (the framework writes only a
    summary), through the generator's own element writer."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.addQuickElement("content", item["content"], {"type": "html"})


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text[:limit] + ("…" if len(text) > limit else "")


def entry_title(annotation: Annotation) -> str:
    """``笔记 Note: “the passage…” · the post's title``; a page note names only the post."""
    kind = annotation.get_kind_display()
    if annotation.is_page_note:
        return f"页面笔记 Page note · {annotation.post.title}"
    return f"{kind}: “{_short(annotation.exact, QUOTE_IN_TITLE)}” · {annotation.post.title}"


def entry_content(annotation: Annotation) -> str:
    """HTML: the passage, escaped (it is the post's plain text), then the note as stored
    (``body_html``, sanitized when it was written); a translation carries its language."""
    parts = []
    if not annotation.is_page_note:
        parts.append(f"<blockquote>{linebreaks(annotation.exact, autoescape=True)}</blockquote>")
    if annotation.body_html:
        if annotation.kind == Kind.TRANSLATION and annotation.language:
            lang = escape(annotation.language)
            parts.append(f'<div lang="{lang}">{annotation.body_html}</div>')
        else:
            parts.append(annotation.body_html)
    return "\n".join(parts)


class NotesFeed(Feed):
    feed_type = AtomWithContent

    def get_object(self, request, key: str):
        user = FeedToken.objects.user_for(key)
        if user is None:
            raise Http404("No such feed")
        return user

    def title(self, user) -> str:
        return f"{user.get_username()} 的笔记 Notes — {SITE_NAME}"

    def subtitle(self, user) -> str:
        return f"最近改过的 {FEED_ENTRIES} 条 The {FEED_ENTRIES} last changed"

    def link(self, user) -> str:
        return reverse("notebook")

    def author_name(self, user) -> str:
        return user.get_username()

    def items(self, user):
        annotations = (
            Annotation.objects.owned_by(user)
            .alive()
            .notes()  # a reply is read in its thread, not as a note on the page
            .select_related("post")
            .only(*_FIELDS)
            .order_by("-modified_at", "-id")[:FEED_ENTRIES]
        )
        return with_tag_names(annotations)

    def item_title(self, annotation: Annotation) -> str:
        return entry_title(annotation)  # Atom's title is text: the generator escapes it

    def item_description(self, annotation: Annotation):
        return None  # the content says it all

    def item_link(self, annotation: Annotation) -> str:
        return annotation.get_absolute_url()  # the passage: /posts/12/#annotation-34

    def item_pubdate(self, annotation: Annotation):
        return annotation.created_at

    def item_updateddate(self, annotation: Annotation):
        return annotation.modified_at

    def item_categories(self, annotation: Annotation) -> list[str]:
        return annotation.tag_names

    def item_extra_kwargs(self, annotation: Annotation) -> dict:
        return {"content": entry_content(annotation)}


_notes_feed = NotesFeed()


def notes_feed(request, key: str):
    response = _notes_feed(request, key)
    response["Content-Type"] = ATOM_CONTENT_TYPE
    # Private notes: no shared cache keeps them, no search engine lists the URL.
    patch_cache_control(response, private=True)
    response["X-Robots-Tag"] = "noindex"
    return response
