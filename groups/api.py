"""The groups API: create a group, list mine, join by an invite, leave, make invites.

Thin, like the annotations API: authentication and errors are ``accounts.api_auth``'s
(session with CSRF, or a personal token), what a membership allows is ``groups.access``'s
(a group I am not in is a 404, a role that does not allow the action a 403), writes are
``groups.services``'. Join attempts count against ``PIZHU_RATE_INVITES`` whether the invite
opens or not, so tokens cannot be tried by the thousand.

- ``GET /api/groups/``: my groups, each with my ``role`` and its number of ``members``;
- ``POST /api/groups/`` ``{"name", "description"}``: 201, with the first ``invite_url``;
- ``POST /api/groups/join`` ``{"invite": "<invite URL or its token>"}``: 200 with my role;
  404 for an unknown invite, 410 for a revoked, expired or used-up one (``reason`` says which);
- ``GET /api/groups/<id>``: one of my groups;
- ``DELETE /api/groups/<id>/membership``: leave it (204; 409 when the rules refuse);
- ``POST /api/groups/<id>/invites`` ``{"expires_at", "max_uses"}``: a new invite link
  (moderators and owners).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse

from accounts import limits
from accounts.api_auth import api_view, error
from annotations.api import TooLarge, json_body
from annotations.values import UNSTORABLE, Invalid, timestamp
from groups import access, services
from groups.models import Group, Invite, Membership, Role

# An invite URL is short: anything longer is no invite of this site (and is not looked up).
MAX_INVITE_CHARS = 2000


def _json(data: dict, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def _group(request, group: Group, role: str, **extra) -> dict:
    return {
        "id": group.pk,
        "name": group.name,
        "description": group.description,
        "role": role,
        "url": request.build_absolute_uri(group.get_absolute_url()),
        **extra,
    }


def _invite(request, invite: Invite) -> dict:
    return {
        "invite_url": request.build_absolute_uri(invite.get_absolute_url()),
        "expires_at": invite.expires_at.isoformat() if invite.expires_at else None,
        "max_uses": invite.max_uses,
        "uses": invite.uses,
        "state": invite.state(),
    }


def _object(request) -> dict:
    """The request's JSON object, {} for an empty body (``Invalid`` when it is something
    else; ``TooLarge``)."""
    data = json_body(request)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise Invalid.one("", "the body must be a JSON object")
    return data


@api_view(("GET", "POST"))
def groups(request):
    if request.method == "GET":
        return _json(
            {
                "items": [
                    _group(request, m.group, m.role, members=m.members)
                    for m in Membership.objects.listed_for(request.user)
                ]
            }
        )
    try:
        data = _object(request)
        group, invite = services.create_group(
            request.user, data.get("name"), data.get("description")
        )
    except Invalid as invalid:
        return error(400, "invalid group", invalid.errors)
    except TooLarge:
        return error(413, f"the body is over {settings.PIZHU_API_MAX_BODY_BYTES} bytes")
    body = _group(request, group, Role.OWNER, members=1)
    body["invite_url"] = _invite(request, invite)["invite_url"]
    response = _json(body, status=201)
    response["Location"] = f"/api/groups/{group.pk}"
    return response


@api_view(("POST",))
def join(request):
    counted = limits.count_join_attempt(request)
    if counted.refused:
        return limits.too_many_json(counted.retry_after)
    try:
        invite = _object(request).get("invite")
        if not isinstance(invite, str) or not invite.strip():
            raise Invalid.one("invite", "is required: the invite link or its token")
        if len(invite) > MAX_INVITE_CHARS or UNSTORABLE.search(invite):
            raise Invalid.one("invite", "is not an invite link of this site")
        membership = services.join(request.user, invite)
    except Invalid as invalid:
        return error(400, "invalid invite", invalid.errors)
    except TooLarge:
        return error(413, f"the body is over {settings.PIZHU_API_MAX_BODY_BYTES} bytes")
    except Invite.DoesNotExist:
        return error(404, "no such invite")
    except services.InviteGone as gone:
        return JsonResponse({"error": str(gone), "reason": gone.state}, status=410)
    return _json(_group(request, membership.group, membership.role))


@api_view(("GET",))
def group(request, pk: int):
    found = access.group_for(request.user, pk, access.VIEW)
    return _json(_group(request, found.group, found.role, members=found.group.memberships.count()))


@api_view(("DELETE",))
def membership(request, pk: int):
    """Leave the group: my notes in it become private to me."""
    found = access.group_for(request.user, pk, access.VIEW)
    try:
        services.leave(request.user, found.group)
    except services.Refused as refused:
        return error(409, str(refused))
    return HttpResponse(status=204)


@api_view(("POST",))
def invites(request, pk: int):
    found = access.group_for(request.user, pk, access.INVITE)
    try:
        data = _object(request)
        expires_at, max_uses = _invite_fields(data)
        invite = services.make_invite(
            found.group, request.user, expires_at=expires_at, max_uses=max_uses
        )
    except Invalid as invalid:
        return error(400, "invalid invite", invalid.errors)
    except TooLarge:
        return error(413, f"the body is over {settings.PIZHU_API_MAX_BODY_BYTES} bytes")
    return _json(_invite(request, invite), status=201)


def _invite_fields(data: dict):
    """``expires_at`` (an ISO 8601 time) and ``max_uses`` (a whole number), each optional."""
    errors = []
    expires_at = data.get("expires_at")
    if expires_at is not None and (expires_at := timestamp(expires_at)) is None:
        errors.append(
            {"field": "expires_at", "message": "must be a time such as 2030-01-31T12:00Z"}
        )
    max_uses = data.get("max_uses")
    if max_uses is not None and (not isinstance(max_uses, int) or isinstance(max_uses, bool)):
        errors.append({"field": "max_uses", "message": "must be a whole number"})
    if errors:
        raise Invalid(errors)
    return expires_at, max_uses
