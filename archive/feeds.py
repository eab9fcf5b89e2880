"""Atom feeds of new posts: all of them, one source, one tag, or a search (the search page's
query and filters, newest first rather than ranked: a feed reader wants what is new).

Django's syndication framework writes the XML. An entry links to the reader page (its id
too: stable for as long as the post's id is), carries the excerpt as its summary (plain
text, escaped for Atom's ``type="html"``: the raw HTML never leaves), the source and the
tags as categories. Only list fields are read (``Post.objects.for_list``: no bodies), in a
fixed number of queries; a feed is cached like the pages (``archive.pagecache``) until the
archive changes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlencode

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from taggit.models import Tag

from archive import search
from archive.browse import Filters
from archive.models import Post, Source
from archive.pagecache import archive_stamp, cached_page
from archive.search_text import Query

FEED_ENTRIES = 50
ATOM_CONTENT_TYPE = "application/atom+xml; charset=utf-8"
# The search feed reads what the search page reads, less the reader's own (page, shelf,
# script): a feed is the same for everyone.
SEARCH_FEED_PARAMS = ("q", "source", "tag", "year", "month")
SITE_NAME = "批注 Pizhu"


@dataclass(frozen=True)
class Selection:
    """Which posts a feed holds: the list's filters and perhaps a search query."""

    filters: Filters
    raw_query: str = ""
    labels: tuple[str, ...] = ()  # what the feed is of, as the list names its filters
    feed_url: str = ""  # with the search's query, which the framework's default drops

    @property
    def query(self) -> Query | None:
        return Query.parse(self.raw_query) if self.raw_query else None

    def posts(self):
        posts = self.filters.apply(Post.objects.all())
        if self.raw_query:
            query = self.query
            if not query:  # only punctuation: the search page finds nothing either
                return Post.objects.none()
            posts = posts.filter(id__in=search.matching_ids(query))
        # The list's order (newest first), its fields (no bodies), its two queries.
        return posts.for_list()[:FEED_ENTRIES]

    def page_url(self) -> str:
        """The page that shows the same posts."""
        params = self.filters.as_params()
        if self.raw_query:
            return reverse("archive:search") + "?" + urlencode({"q": self.raw_query, **params})
        return reverse("archive:post_list") + ("?" + urlencode(params) if params else "")


class PostsFeed(Feed):
    feed_type = Atom1Feed
    author_name = SITE_NAME

    def __init__(self, selection_of):
        # selection_of(request, **url kwargs) → Selection; raises Http404 for what is not there.
        # Nothing of a request is kept on the feed: one instance serves every thread.
        self.selection_of = selection_of

    def get_object(self, request, **kwargs) -> Selection:
        return replace(self.selection_of(request, **kwargs), feed_url=request.get_full_path())

    def title(self, selection: Selection) -> str:
        what = " · ".join(selection.labels) or "文章 Posts"
        return f"{what} — {SITE_NAME}"

    def subtitle(self, selection: Selection) -> str:
        return f"最新 {FEED_ENTRIES} 篇 The newest {FEED_ENTRIES} posts"

    def link(self, selection: Selection) -> str:
        return selection.page_url()

    def feed_url(self, selection: Selection) -> str:
        return selection.feed_url

    def items(self, selection: Selection):
        return selection.posts()

    def item_title(self, post: Post) -> str:
        return post.title  # Atom's title is text: the generator escapes it, once

    def item_description(self, post: Post) -> str:
        # Atom1Feed writes the summary as type="html": escape the plain text, so that a title
        # or excerpt holding "<script>" shows as those characters, never as markup.
        return escape(post.excerpt)

    def item_link(self, post: Post) -> str:
        return post.get_absolute_url()

    def item_author_name(self, post: Post) -> str:
        return post.author or post.source.name

    def item_pubdate(self, post: Post):
        return post.published_at

    def item_updateddate(self, post: Post):
        return post.updated_at  # Atom requires it: the last import or re-clean of the post

    def item_categories(self, post: Post) -> list[str]:
        return [post.source.name, *(tag.name for tag in post.shown_tags())]


def _everything(request) -> Selection:
    return Selection(Filters())


def _source(request, slug: str) -> Selection:
    source = get_object_or_404(Source.objects.only("name"), slug=slug)
    return Selection(Filters(source=slug), labels=(source.name,))


def _tag(request, slug: str) -> Selection:
    tag = get_object_or_404(Tag.objects.only("name"), slug=slug)
    return Selection(Filters(tag=slug), labels=("#" + tag.name,))


def _search(request) -> Selection:
    filters = Filters.from_query(request.GET)  # never a shelf: feeds are not anyone's
    raw_query = (request.GET.get("q") or "").strip()
    labels = [label for label, _ in filters.chosen(request.GET)]
    if raw_query:
        labels.insert(0, f"搜索 Search “{raw_query}”")
    return Selection(filters, raw_query, tuple(labels))


def _serve(feed: PostsFeed, request, params=(), **kwargs):
    # The host and scheme are in the key: the entries' links are absolute.
    response = cached_page(
        request,
        archive_stamp(),
        lambda: feed(request, **kwargs),
        request.get_host(),
        request.scheme,
        params=params,
    )
    response["Content-Type"] = ATOM_CONTENT_TYPE  # a page from the cache comes back as bytes
    return response


_all_posts_feed = PostsFeed(_everything)
_source_feed = PostsFeed(_source)
_tag_feed = PostsFeed(_tag)
_search_feed = PostsFeed(_search)


def posts_feed(request):
    return _serve(_all_posts_feed, request)


def source_feed(request, slug: str):
    return _serve(_source_feed, request, slug=slug)


def tag_feed(request, slug: str):
    return _serve(_tag_feed, request, slug=slug)


def search_feed(request):
    return _serve(_search_feed, request, params=SEARCH_FEED_PARAMS)
