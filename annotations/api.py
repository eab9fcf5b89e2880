"""The annotations API: JSON in W3C Web Annotation shapes (annotations.jsonld).

Thin: authentication is accounts.api_auth's (session with CSRF, or a personal token),
who may do what is annotations.access's (every read and write goes through it), shapes are
jsonld's, writes are services'. An annotation someone may not read is a 404 whatever the
method (its existence is private); one they may read but not change, a 403. Writes honour
``If-Match`` (412 when stale).

- ``GET /api/annotations/``: what I may read, filtered by ``post``, ``kind``, ``state``,
  ``tag``, ``text``, ``mine=1``, ``user`` (a username), ``group`` (an id), ``visibility``
  (private, group, everyone) and ``parent`` (an annotation's id: its replies); notes and
  replies alike, each with ``pizhu.replies``;
- ``POST /api/annotations/``: a new annotation; with ``"motivation": "replying"`` and the
  ``target`` an annotation's ``id``, a reply, which takes that annotation's audience;
- ``GET``, ``PUT``, ``PATCH``, ``DELETE /api/annotations/<id>``; ``POST …/restore`` (undo a
  delete, its author only);
- ``POST …/hide`` and ``DELETE …/hide``: a moderator hides a note from its group (or, for
  notes to everyone, the instance's staff) and shows it again;
- ``POST …/flag`` ``{"reason": …}``: a reader reports a note to its moderators (201, or 200
  when they had flagged it already: the reason is replaced).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token

from accounts.api_auth import api_view, error
from annotations import access, services
from annotations.jsonld import CONTEXT, annotation_iri, annotation_to_jsonld, loads, parse
from annotations.models import Annotation, Flag, Kind, State, Visibility, with_tag_names
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


def _loaded():
    """What the API reads of an annotation: its JSON-LD's fields and its reply count."""
    return Annotation.objects.for_api().with_reply_counts()


def _get(request, pk, action: str = access.READ) -> Annotation:
    """Annotation ``pk`` if this user may do ``action`` with it (annotations.access): else
    Http404 or PermissionDenied, which api_view answers as JSON."""
    found = access.annotation_for(request.user, pk, action, queryset=_loaded())
    return with_tag_names([found])[0]


class NoMatch(Exception):
    """A filter no annotation can pass (a username nobody has): an empty list, no error."""


def _list_filters(params, user) -> dict:
    """The list's query parameters checked, as ``AnnotationQuerySet.filtered`` takes them;
    ``Invalid`` naming each bad one."""
    errors, filters = [], {}
    for name in ("post", "group", "parent"):
        if value := params.get(name):
            if (pk := parse_id(value)) is not None:
                filters[name] = pk
            else:
                errors.append({"field": name, "message": f"must be the id of a {name}"})
    if (kind := params.get("kind")) and kind not in Kind.values:
        errors.append({"field": "kind", "message": f"must be one of {', '.join(Kind.values)}"})
    if (state := params.get("state")) and state not in State.values:
        errors.append({"field": "state", "message": "must be anchored or orphaned"})
    if (visibility := params.get("visibility")) and visibility not in Visibility.values:
        errors.append(
            {"field": "visibility", "message": f"must be one of {', '.join(Visibility.values)}"}
        )
    if errors:
        raise Invalid(errors)
    filters.update(
        kind=kind, state=state, visibility=visibility, tag=params.get("tag"),
        text=params.get("text"),
    )  # fmt: skip
    if params.get("mine") == "1":
        filters["user"] = user
    if username := params.get("user"):
        # Another's username reveals nothing: what is listed is what I may read anyway.
        if "user" in filters:
            if username != user.get_username():
                raise NoMatch
        else:
            author = get_user_model().objects.filter(username=username).first()
            if author is None:
                raise NoMatch
            filters["user"] = author
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
        annotations = Annotation.objects.visible_to(request.user).filtered(**filters)
    except Invalid as invalid:
        return error(400, "invalid annotation", invalid.errors)
    except TooLarge:
        return error(413, f"the body is over {settings.PIZHU_API_MAX_BODY_BYTES} bytes")
    except NoMatch:
        annotations = Annotation.objects.none()
    annotations = annotations.for_api().with_reply_counts().in_reading_order()
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


# What each method of an annotation's URL asks of annotations.access.
_ACTIONS = {"GET": access.READ, "PUT": access.EDIT, "PATCH": access.EDIT, "DELETE": access.DELETE}


@api_view(("GET", "PUT", "PATCH", "DELETE"))
def annotation(request, pk: int):
    annotation = _get(request, pk, _ACTIONS[request.method])
    if request.method == "GET":
        if request.headers.get("If-None-Match") == annotation.etag:
            response = HttpResponse(status=304)
            response["ETag"] = annotation.etag
            return response
        return _one(request, annotation)
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
    """Undo a delete: its author only."""
    annotation = _get(request, pk, access.RESTORE)
    if annotation.deleted_at is not None:
        services.undelete(annotation)
    return _one(request, annotation)


@api_view(("POST", "DELETE"))
def hide(request, pk: int):
    """POST hides the note from its audience, DELETE shows it again: its moderators only.
    Its author still sees it, with ``pizhu.hidden``."""
    annotation = _get(request, pk, access.HIDE)
    if request.method == "POST":
        services.hide(annotation, request.user)
    else:
        services.unhide(annotation)
    return _one(request, annotation)


@api_view(("POST",))
def flag(request, pk: int):
    """Report a note to its moderators, with a reason (optional)."""
    annotation = _get(request, pk, access.FLAG)
    try:
        data = json_body(request)
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise Invalid.one("", "the body must be a JSON object")
        again = Flag.objects.filter(annotation=annotation, user=request.user).exists()
        reason = data.get("reason")
        flagged = services.flag(annotation, request.user, "" if reason is None else reason)
    except Invalid as invalid:
        return error(400, "invalid flag", invalid.errors)
    except TooLarge:
        return error(413, f"the body is over {settings.PIZHU_API_MAX_BODY_BYTES} bytes")
    return JsonResponse(
        {
            "annotation": annotation_iri(annotation.pk, _base_url(request)),
            "reason": flagged.reason,
            "created": flagged.created_at.isoformat(),
        },
        status=200 if again else 201,
        json_dumps_params={"ensure_ascii": False},
    )
