from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from archive import search
from archive.browse import Filters, archive_facets, facets
from archive.models import Post
from archive.pagecache import archive_stamp, cached_page, post_stamp
from archive.rendering import SCRIPTS, render_body
from archive.search_text import Query

SCRIPT_COOKIE = "pizhu_script"


def post_list(request):
    return cached_page(request, archive_stamp(), lambda: _post_list(request))


def _post_list(request):
    filters = Filters.from_query(request.GET)
    posts = filters.apply(Post.objects.for_list())
    page = Paginator(posts, settings.PIZHU_POSTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "archive/post_list.html",
        {"page": page, "filters": filters, "facets": facets(filters)},
    )


def search_view(request):
    stamp = archive_stamp()
    return cached_page(request, stamp, lambda: _search(request, stamp))


def _search(request, stamp):
    raw_query = (request.GET.get("q") or "").strip()
    filters = Filters.from_query(request.GET)
    query = Query.parse(raw_query)
    context = {"filters": filters, "q": raw_query, "searching": True}
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
    return render(request, "archive/post_list.html", context)


def post_detail(request, pk):
    script = request.GET.get("script") or request.COOKIES.get(SCRIPT_COOKIE) or "orig"
    if script not in SCRIPTS:
        script = "orig"
    stamp = post_stamp(pk)
    if stamp is None:
        raise Http404("No such post")
    response = cached_page(request, stamp, lambda: _post_detail(request, pk, script), script)
    if request.GET.get("script") == script:  # a choice made on the page sticks
        response.set_cookie(SCRIPT_COOKIE, script, max_age=365 * 86400, samesite="Lax")
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
