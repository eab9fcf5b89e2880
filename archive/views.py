from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from archive import search
from archive.browse import Filters, archive_facets
from archive.chinese import convert
from archive.models import Post
from archive.pagecache import archive_stamp, cached_page, post_stamp
from archive.rendering import SCRIPTS, render_body
from archive.search_text import Query, fold
from config.routers import reads_from_replica
from library import shelves

SCRIPT_COOKIE = "pizhu_script"


def _script(request) -> str:
    """The script the reader chose (a cookie set on the reader page), for every page."""
    script = request.GET.get("script") or request.COOKIES.get(SCRIPT_COOKIE) or "orig"
    return script if script in SCRIPTS else "orig"


# The query parameters each page reads: its cache key, and all its templates see.
LIST_PARAMS = ("source", "tag", "year", "month", "state", "page", "script")
SEARCH_PARAMS = ("q", *LIST_PARAMS)
READER_PARAMS = ("script",)


@reads_from_replica  # with DATABASE_REPLICA_URL, the archive is read there
def post_list(request):
    script, user = _script(request), request.user
    # Before the stamp: a visit that makes a source's new posts old changes the page. Posts
    # that arrived after ``new_since`` (the visit before) are marked 新 New on it.
    new_since = shelves.visit(user, request.GET.get("source") or "")
    stamp = archive_stamp()
    return cached_page(
        request,
        stamp,
        lambda: _post_list(request, stamp, script, new_since),
        script,
        shelves.stamp(user),  # the reader's marks, shelf and visits; "" when anonymous
        params=LIST_PARAMS,
    )


def _post_list(request, stamp, script, new_since=None):
    user = request.user
    filters = Filters.from_query(request.GET, signed_in=user.is_authenticated)
    mine = shelves.narrow(Post.objects.all(), user, filters)
    posts = filters.apply(mine.for_list())
    paginator = Paginator(posts, settings.PIZHU_POSTS_PER_PAGE)
    paginator.count = shelves.count(posts, filters, user)  # a cached_property: set, not counted
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = shelves.mark(page.object_list, user, new_since=new_since)
    found_facets = shelves.list_facets(filters, user, stamp, within=mine)
    found_facets = shelves.with_new_counts(found_facets, user)  # "+N new" per source
    home = user.is_authenticated and not filters and page.number == 1
    return render(
        request,
        "archive/post_list.html",
        {
            "page": page,
            "filters": filters,
            "chosen": filters.chosen(request.GET),
            "facets": found_facets,
            "new_total": shelves.total_new(found_facets.sources),  # on the folded summary
            "shelf": shelves.on_shelf(user) if home else [],
            "mine": shelves.choices(user),
            "script": script,
        },
    )


@reads_from_replica
def search_view(request):
    stamp, script = archive_stamp(), _script(request)
    return cached_page(
        request,
        stamp,
        lambda: _search(request, stamp, script),
        script,
        shelves.stamp(request.user),
        params=SEARCH_PARAMS,
    )


def _search(request, stamp, script):
    user = request.user
    raw_query = (request.GET.get("q") or "").strip()
    filters = Filters.from_query(request.GET, signed_in=user.is_authenticated)
    query = Query.parse(raw_query)
    context = {
        "filters": filters,
        "chosen": filters.chosen(request.GET),
        "q": raw_query,
        "searching": True,
        "script": script,
        "mine": shelves.choices(user),
    }
    if raw_query and not query:
        context["nothing_to_search"] = True
    if query:
        mine = shelves.narrow(Post.objects.all(), user, filters, searching=True)
        results = search.RankedSearch(query, filters.apply(mine))
        page = Paginator(results, settings.PIZHU_POSTS_PER_PAGE).get_page(request.GET.get("page"))
        page.object_list = shelves.mark(page.object_list, user)
        context["page"] = page
        context["count_capped"] = results.capped  # "20000+": counting stopped there
        if results.count() <= search.COUNT_FILTERS_AT_MOST and not results.capped:
            matching = search.matching_ids(query)
            context["facets"] = shelves.list_facets(
                filters, user, stamp, within=mine, matching=matching
            )
        else:  # a single common character: counting every filter costs more than it tells
            context["facets"] = archive_facets(filters, stamp)
            context["facets_uncounted"] = True
        if not results.count():
            context["suggestions"] = suggestions(raw_query, filters)
            context.pop("facets")  # counts of nothing: empty headings
    return render(request, "archive/post_list.html", context)


def suggestions(raw_query: str, filters: Filters) -> list[tuple[str, str]]:
    """(label, query string) of searches to try after one found nothing: without the
    filters, each word alone, the other script where it folds differently."""
    found = []
    if filters:
        found.append(("不限筛选 without filters", urlencode({"q": raw_query})))
    keep = filters.as_params()
    words = Query.words_of(raw_query)
    if len(words) > 1:
        found += [(word, urlencode({**keep, "q": word})) for word in words]
    elif len(words) == 1 and len(words[0]) >= 4 and not words[0].isascii():
        # One long run of characters (火星殖民): its halves may each be in the archive.
        half = len(words[0]) // 2
        for part in (words[0][:half], words[0][half:]):
            found.append((part, urlencode({**keep, "q": part})))
    for script in ("hans", "hant"):
        converted = convert(raw_query, script)
        if fold(converted) != fold(raw_query):
            found.append((converted, urlencode({**keep, "q": converted})))
    return found


@reads_from_replica
def post_detail(request, pk):
    script = _script(request)
    stamp = post_stamp(pk)
    if stamp is None:
        raise Http404("No such post")
    response = cached_page(
        request, stamp, lambda: _post_detail(request, pk, script), script, params=READER_PARAMS
    )
    if request.GET.get("script") == script:  # a choice made on the page sticks
        response.set_cookie(
            SCRIPT_COOKIE,
            script,
            max_age=365 * 86400,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,  # HTTPS only, as the session cookie
            httponly=True,  # read by the server only
        )
    return response


def _post_detail(request, pk, script):
    post = get_object_or_404(Post.objects.for_reader(), pk=pk)
    older, newer = Post.objects.neighbours(post)
    return render(
        request,
        "archive/post_detail.html",
        {
            "post": post,
            "body": render_body(post.body_html, script=script, images=settings.PIZHU_REMOTE_IMAGES),
            "script": script,
            "older": older,
            "newer": newer,
        },
    )
