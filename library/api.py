"""The reading-state API: ``/api/posts/<id>/state`` and ``/api/posts/?state=…``.

Authentication, CSRF and rate limits are ``accounts.api_auth``'s, as for annotations. A
state is only ever its user's: the views read ``request.user``'s and nobody else's, so there
is no other user's state to refuse.
"""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.middleware.csrf import get_token

from accounts.api_auth import api_view, error
from annotations.api import TooLarge, json_body
from annotations.jsonld import loads
from annotations.models import with_tag_names
from annotations.values import Invalid
from archive.models import Post
from library import state
from library.models import ReadingState, Shelf, TaggedReadingState

POSTS_PER_PAGE = 50


def _json(data, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


@api_view(("GET", "PUT", "PATCH", "POST"))
def post_state(request, pk: int):
    """GET the state (defaults when never opened); PUT replaces it, PATCH changes the fields
    given. POST is PATCH for ``navigator.sendBeacon`` (the reader leaving the page), which
    can send neither a header nor another method: a form with ``csrfmiddlewaretoken`` and
    the PATCH body as ``json``."""
    length = state.text_length(pk)
    if length is None:
        return error(404, "no such post")
    if request.method == "GET":
        get_token(request)  # the reader's scripts take their CSRF token from the cookie this sets
        return _json(state.to_json(state.get(request.user, pk)))
    try:
        if request.method == "POST":
            data = loads(request.POST.get("json") or "null")
        else:
            data = json_body(request)
        changes = state.parse(data, partial=request.method != "PUT", post_id=pk, text_length=length)
    except Invalid as invalid:
        return error(400, "invalid reading state", invalid.errors)
    except TooLarge:
        return error(413, f"the body is over {settings.PIZHU_API_MAX_BODY_BYTES} bytes")
    return _json(state.to_json(state.change(request.user, pk, changes)))


@api_view(("GET",))
def posts(request):
    """The user's posts on one shelf (``?state=``), newest first, each with its state;
    without ``state``: every post not archived."""
    shelf = request.GET.get("state") or ""
    if shelf and shelf not in Shelf.values:
        return error(
            400,
            "invalid filter",
            [{"field": "state", "message": f"must be one of {', '.join(Shelf.values)}"}],
        )
    found = state.posts_in(Post.objects.select_related("source"), request.user, shelf)
    found = found.only("id", "title", "url", "published_at", "source__name", "source__slug")
    page = Paginator(found, POSTS_PER_PAGE).get_page(request.GET.get("page"))
    posts = list(page.object_list)
    states = state.states_of(request.user, [post.pk for post in posts])
    with_tag_names(states.values(), through=TaggedReadingState)
    base = f"{request.scheme}://{request.get_host()}"
    items = []
    for post in posts:
        found_state = states.get(post.pk)
        if found_state is None:
            found_state = ReadingState(user=request.user, post_id=post.pk)
            found_state.tag_names = []
        items.append(
            {
                "id": post.pk,
                "title": post.title,
                "url": post.url,
                "reader": f"{base}{post.get_absolute_url()}",
                "source": post.source.name,
                "published": post.published_at.isoformat() if post.published_at else None,
                "state": state.to_json(found_state),
            }
        )
    data = {"count": page.paginator.count, "page": page.number, "items": items}
    if page.has_next():
        query = request.GET.copy()
        query["page"] = page.next_page_number()
        data["next"] = f"{base}{request.path}?{query.urlencode()}"
    return _json(data)
