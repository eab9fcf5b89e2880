from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from archive import search
from archive.browse import Filters, archive_facets, facets
from archive.chinese import convert
from archive.models import Post
from archive.pagecache import archive_stamp, cached_page, post_stamp
from archive.rendering import SCRIPTS, render_body
from archive.search_text import Query, fold

SCRIPT_COOKIE = "pizhu_script"


def _script(request) -> str:
    """The script the reader chose (a cookie set on the reader page), for every page."""
    script = request.GET.get("script") or request.COOKIES.get(SCRIPT_COOKIE) or "orig"
    return script if script in SCRIPTS else "orig"


# The query parameters each page reads: its cache key, and all its templates see.
LIST_PARAMS = ("source", "tag", "year", "month", "page", "script")
SEARCH_PARAMS = ("q", *LIST_PARAMS)
READER_PARAMS = ("script",)


def post_list(request):
    script = _script(request)
    return cached_page(
        request, archive_stamp(), lambda: _post_list(request, script), script, params=LIST_PARAMS
    )


def _post_list(request, script):
    filters = Filters.from_query(request.GET)
    posts = filters.apply(Post.objects.for_list())
    page = Paginator(posts, settings.PIZHU_POSTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "archive/post_list.html",
        {
            "page": page,
            "filters": filters,
            "chosen": filters.chosen(request.GET),
            "facets": facets(filters),
            "script": script,
        },
    )


def search_view(request):
    stamp, script = archive_stamp(), _script(request)
    return cached_page(
        request, stamp, lambda: _search(request, stamp, script), script, params=SEARCH_PARAMS
    )


def _search(request, stamp, script):
    raw_query = (request.GET.get("q") or "").strip()
    filters = Filters.from_query(request.GET)
    query = Query.parse(raw_query)
    context = {
        "filters": filters,
        "chosen": filters.chosen(request.GET),
        "q": raw_query,
        "searching": True,
        "script": script,
    }
    if raw_query and not query:
        context["nothing_to_search"] = True
    if query:
        results = search.RankedSearch(query, filters.apply(Post.objects.all()))
        context["page"] = Paginator(results, settings.PIZHU_POSTS_PER_PAGE).get_page(
            request.GET.get("page")
        )
        if results.count() <= search.COUNT_FILTERS_AT_MOST:
            context["facets"] = facets(filters, matching=search.matching_ids(query))
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
