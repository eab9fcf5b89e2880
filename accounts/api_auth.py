"""Who calls the JSON API: a signed-in session (the reader's scripts, with the CSRF token)
or a personal token (``Authorization: Bearer pz_…``, scripts; no CSRF, a token is not
ambient). Every API view is wrapped in ``api_view``, which also applies the API's rate limit
(PIZHU_RATE_API, accounts.limits); errors are JSON, a view's Http404 and PermissionDenied
included."""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt

from accounts import limits
from accounts.models import ApiToken

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def error(status: int, message: str, errors: list[dict] | None = None) -> JsonResponse:
    data = {"error": message}
    if errors:
        data["errors"] = errors
    return JsonResponse(data, status=status)


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request, reason):
        return reason  # the reason, instead of Django's HTML page


def api_view(methods: tuple[str, ...]):
    """Check the method, authenticate (token or session), count the request against the
    rate limit and, for session writes, check CSRF."""

    def decorate(view):
        @csrf_exempt  # checked below, for session auth only: a token is not ambient
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method not in methods:
                response = error(405, f"{request.method} is not allowed here")
                response["Allow"] = ", ".join(methods)
                return response
            header = request.headers.get("Authorization", "")
            token_user = None
            if header.startswith("Bearer "):
                token_user = ApiToken.objects.user_for(header.removeprefix("Bearer ").strip())
                if token_user is not None:
                    request.user = token_user
            # Counted per user (session and tokens together), else per address: requests
            # with a bad token or none count too.
            counted = limits.count("api", limits.by_user_or_address(request))
            if counted.refused:
                return limits.too_many_json(counted.retry_after)
            if header.startswith("Bearer "):
                if token_user is None:
                    return error(401, "invalid or revoked token")
            elif not request.user.is_authenticated:
                response = error(401, "sign in or send a token (Authorization: Bearer …)")
                response["WWW-Authenticate"] = 'Bearer realm="pizhu"'
                return response
            elif request.method not in SAFE_METHODS:
                reason = _CsrfCheck(lambda r: None).process_view(request, None, (), {})
                if reason:
                    return error(403, f"CSRF check failed: {reason}")
            # The one access helpers (annotations.access, groups.access) raise these: in the
            # API they are JSON like every other error.
            try:
                return view(request, *args, **kwargs)
            except Http404 as missing:
                return error(404, str(missing) or "not found")
            except PermissionDenied as denied:
                return error(403, str(denied) or "not allowed")

        return wrapped

    return decorate
