"""The annotations API: JSON in W3C Web Annotation shapes (annotations.jsonld).

Thin: authentication is accounts.api_auth's (session with CSRF, or a personal token),
shapes are jsonld's, writes are services'. Another user's private annotation is a 404
whatever the method; a shared one can be read, not written (403). Writes honour
``If-Match`` (412 when stale).
"""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token

from accounts.api_auth import api_view, error
from annotations import services
from annotations.jsonld import CONTEXT, annotation_to_jsonld, loads, parse
from annotations.models import Annotation, Kind, State, with_tag_names
from annotations.values import Invalid
from config.ids import parse_id


class TooLarge(Exception):
    """A request body over ``PIZHU_API_MAX_BODY_BYTES`` (413), refused unread."""


def json_body(request):
    """The request's JSON (``jsonld.loads``); ``TooLarge`` when it declares more bytes than
    PIZHU_API_MAX_BODY_BYTES, before any is read."""
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        declared = 0
    if declared > settings.PIZHU_API_MAX_BODY_BYTES:
        raise TooLarge
    return loads(request.body or b"null")


def _expected_version(request, annotation: Annotation) -> int | HttpResponse | None:
    """The version named by If-Match, None without one, or a 412 response."""
    wanted = request.headers.get("If-Match")
    if wanted is None or wanted.strip() == "*":
        return None
    if annotation.etag not in [tag.strip().removeprefix("W/") for tag in wanted.split(",")]:
        response = error(412, "the annotation changed since you loaded it; reload and retry")
        response["ETag"] = annotation.etag
        return response
    return annotation.version


def _one(request, annotation: Annotation, status: int = 200) -> JsonResponse:
    data = annotation_to_jsonld(annotation, base_url=_base_url(request))
    response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})
    response["ETag"] = annotation.etag
    response["Content-Type"] = "application/ld+json; charset=utf-8"
    return response


def _base_url(request) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _get_visible(request, pk) -> Annotation | None:
    """The annotation if this user may see it, else None (a 404: its existence is private)."""
    found = with_tag_names(Annotation.objects.visible_to(request.user).for_api().filter(pk=pk))
    return found[0] if found else None


def _list_filters(params, user) -> dict:
    """The list's query parameters checked, as ``AnnotationQuerySet.filtered`` takes them."""
    errors, filters = [], {}
    if post := params.get("post"):
        if (post_id := parse_id(post)) is not None:
            filters["post"] = post_id
        else:
            errors.append({"field": "post", "message": "must be a post id"})
    if (kind := params.get("kind")) and kind not in Kind.values:
        errors.append({"field": "kind", "message": f"must be one of {', '.join(Kind.values)}"})
    if (state := params.get("state")) and state not in State.values:
        errors.append({"field": "state", "message": "must be anchored or orphaned"})
    if errors:
        raise Invalid(errors)
    filters.update(kind=kind, state=state, tag=params.get("tag"), text=params.get("text"))
    if params.get("mine") == "1":
        filters["user"] = user
    return filters


@api_view(("GET", "POST"))
def annotations(request):
    try:
        if request.method == "POST":
            changes = parse(json_body(request), partial=False)
            annotation = services.create(request.user, changes, host=request.get_host())
            response = _one(request, annotation, status=201)
            response["Location"] = f"/api/annotations/{annotation.pk}"
            return response
        filters = _list_filters(request.GET, request.user)
    except Invalid as invalid:
        return error(400, "invalid annotation", invalid.errors)
    except TooLarge:
        return error(413, f"the body is over {settings.PIZHU_API_MAX_BODY_BYTES} bytes")
    annotations = (
        Annotation.objects.visible_to(request.user).for_api().filtered(**filters).in_reading_order()
    )
    page = Paginator(annotations, settings.PIZHU_API_PAGE_SIZE).get_page(request.GET.get("page"))
    base = _base_url(request)
    data = {
        "@context": CONTEXT,
        "type": "AnnotationPage",
        "partOf": {"type": "AnnotationCollection", "total": page.paginator.count},
        "startIndex": page.start_index() - 1 if page.paginator.count else 0,
        "items": [annotation_to_jsonld(a, base_url=base) for a in with_tag_names(page.object_list)],
    }
    if page.has_next():
        query = request.GET.copy()
        query["page"] = page.next_page_number()
        data["next"] = f"{base}{request.path}?{query.urlencode()}"
    get_token(request)  # the reader's scripts take their CSRF token from the cookie this sets
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


@api_view(("GET", "PUT", "PATCH", "DELETE"))
def annotation(request, pk: int):
    annotation = _get_visible(request, pk)
    if annotation is None:
        return error(404, "no such annotation")
    if request.method == "GET":
        if request.headers.get("If-None-Match") == annotation.etag:
            response = HttpResponse(status=304)
            response["ETag"] = annotation.etag
            return response
        return _one(request, annotation)
    if annotation.user_id != request.user.pk:
        return error(403, "only its author can change an annotation")
    expected = _expected_version(request, annotation)
    if isinstance(expected, HttpResponse):
        return expected
    try:
        if request.method == "DELETE":
            services.delete(annotation, expected_version=expected)
            response = HttpResponse(status=204)
            response["ETag"] = annotation.etag
            return response
        changes = parse(json_body(request), partial=request.method == "PATCH")
        services.update(annotation, changes, expected_version=expected, host=request.get_host())
    except Invalid as invalid:
        return error(400, "invalid annotation", invalid.errors)
    except TooLarge:
        return error(413, f"the body is over {settings.PIZHU_API_MAX_BODY_BYTES} bytes")
    except services.Conflict:
        return error(412, "the annotation changed since you loaded it; reload and retry")
    return _one(request, annotation)


@api_view(("POST",))
def restore(request, pk: int):
    """Undo a delete."""
    annotation = Annotation.objects.owned_by(request.user).filter(pk=pk).first()
    if annotation is None:
        return error(404, "no such annotation")
    if annotation.deleted_at is not None:
        services.undelete(annotation)
    return _one(request, _get_visible(request, pk))
