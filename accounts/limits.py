"""Brute-force protection and rate limits.

Two mechanisms, each where it fits:

- Sign-in failures are counted by django-axes in the database, which every server process
  shares: a username is locked at an address after ``AXES_FAILURE_LIMIT`` failures for
  ``AXES_COOLOFF_TIME`` (settings). ``lockout_response`` tells the person until when.
- Everything else (failed sign-ins per address whatever the username, sign-up, password
  reset, token creation, the API) is a fixed-window counter in Django's cache, here rather
  than django-ratelimit: these counters need a refund (a sign-up the form refused must not
  use up the address's allowance) and a Retry-After, which its decorator lacks (it raises a
  403), and its system check calls this site's default cache an error. The default cache
  is files in DATA_DIR, shared by the server processes of one machine;
  ``CACHE_URL=redis://…`` shares the counts between machines (config.backends).

A counter that cannot reach its cache lets the request through and logs it: a cache outage
must not lock everyone out of the API, and sign-in locks do not depend on the cache.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

log = logging.getLogger(__name__)

# Each limited action and the setting (an environment variable of the same name) that holds
# its rate.
RATE_SETTINGS = {
    "signin": "PIZHU_RATE_SIGNIN",
    "signup": "PIZHU_RATE_SIGNUP",
    "password_reset": "PIZHU_RATE_RESET",
    "tokens": "PIZHU_RATE_TOKENS",
    "api": "PIZHU_RATE_API",
    "imports": "PIZHU_RATE_IMPORTS",
    "invites": "PIZHU_RATE_INVITES",
}
# What a person is told was too many, per action.
TOO_MANY = {
    "signin": "来自你的网络地址的登录失败太多。Too many failed sign-ins from your network address.",
    "signup": "来自你的网络地址的注册太多。Too many sign-ups from your network address.",
    "password_reset": "重设密码的请求太多。Too many password-reset requests.",
    "tokens": "新建令牌太多。Too many new tokens.",
    "imports": "导入笔记太频繁。Too many imports of notes.",
    "invites": "加入小组的尝试太多。Too many attempts to join a group.",
}


# --- rates -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"(\d+)\s*/\s*(\d*)\s*([smhd])")


@lru_cache(maxsize=64)
def parse_rate(text: str) -> Rate | None:
    """``"30/15m"`` → 30 per 900 seconds; ``"off"`` → no limit. Raises ValueError."""
    text = text.strip().lower()
    if text == "off":
        return None
    match = _RATE.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r} is not a rate such as 5/h, 30/15m, 600/m or off")
    count, multiple, unit = match.groups()
    rate = Rate(int(count), int(multiple or 1) * _PERIODS[unit])
    if rate.count < 1 or rate.seconds < 1:
        raise ValueError(f"{text!r}: the count and the period must be at least 1 (or say off)")
    return rate


def rate_for(action: str) -> Rate | None:
    return parse_rate(getattr(settings, RATE_SETTINGS[action]))


def check_rates() -> None:
    """Refuse to start with a rate that cannot be read (AccountsConfig.ready): a typo must
    not surface as errors on the first sign-up."""
    for name in RATE_SETTINGS.values():
        try:
            parse_rate(getattr(settings, name))
        except ValueError as problem:
            raise ImproperlyConfigured(f"{name}: {problem}") from None


# --- who is counted --------------------------------------------------------------------------


def client_address(request: HttpRequest) -> str | None:
    """The address a request comes from, as far as it can be trusted (also django-axes's, by
    AXES_CLIENT_IP_CALLABLE). Behind the TLS proxy (BEHIND_TLS_PROXY) that is the last
    X-Forwarded-For entry, the one the proxy added; entries before it are whatever the client
    sent. Otherwise the header is ignored: anyone can send it. An IPv6 client usually holds a
    whole /64, so that is one address here."""
    remote = request.META.get("REMOTE_ADDR")
    candidate = remote
    if settings.BEHIND_TLS_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        candidate = forwarded.rsplit(",", 1)[-1].strip() or remote
    for text in (candidate, remote):
        try:
            address = ipaddress.ip_address(text or "")
        except ValueError:
            continue
        if address.version == 6 and address.ipv4_mapped:
            return str(address.ipv4_mapped)
        if address.version == 6:
            return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
        return str(address)
    return None


def by_address(request: HttpRequest) -> str:
    return f"address:{client_address(request)}"


def by_user(request: HttpRequest) -> str | None:
    user = request.user
    return f"user:{user.pk}" if user.is_authenticated else None


def by_user_or_address(request: HttpRequest) -> str:
    return by_user(request) or by_address(request)


def by_email(request: HttpRequest) -> str | None:
    email = request.POST.get("email", "").strip().lower()
    return f"email:{email}" if email else None


# --- counting --------------------------------------------------------------------------------


@dataclass
class Count:
    """One request counted against a limit: refused when over it, with the seconds until
    the window ends; ``refund`` takes it back when the request turned out not to count."""

    key: str | None
    retry_after: int = 0

    @property
    def refused(self) -> bool:
        return self.retry_after > 0

    def refund(self) -> None:
        if self.key is not None:
            try:
                _cache().decr(self.key)
            except Exception:  # expired, or the cache is unreachable: nothing to take back
                log.debug("rate limit: could not refund %s", self.key)


def _cache():
    return caches[settings.PIZHU_LIMITS_CACHE]


def _key(action: str, rate: Rate, who: str, now: float) -> tuple[str, int]:
    """The cache key of ``who``'s count for ``action`` in the window ``now`` falls in."""
    window = int(now // rate.seconds)
    digest = hashlib.sha256(who.encode()).hexdigest()[:32]  # emails stay out of the cache
    return f"pizhu-limit:{action}:{rate.count}/{rate.seconds}:{digest}:{window}", window


def count(action: str, who: str | None) -> Count:
    """Count one request of ``who`` against ``action``'s limit (a fixed window: the count
    starts again every period)."""
    rate = rate_for(action)
    if rate is None or who is None:
        return Count(None)
    now = time.time()
    key, window = _key(action, rate, who, now)
    cache = _cache()
    try:
        cache.add(key, 0, timeout=rate.seconds + 5)
        try:
            used = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=rate.seconds + 5)
            used = 1
    except Exception as failure:  # one line per request, not a traceback each
        log.error("rate limit not applied: the cache failed: %r", failure)
        return Count(None)
    if used <= rate.count:
        return Count(key)
    return Count(key, retry_after=max(1, math.ceil((window + 1) * rate.seconds - now)))


def used_up(action: str, who: str | None) -> int:
    """Seconds until ``who`` may again, when it has used all of ``action``'s allowance in
    this window, else 0. Looks only: counts nothing."""
    rate = rate_for(action)
    if rate is None or who is None:
        return 0
    now = time.time()
    key, window = _key(action, rate, who, now)
    try:
        used = _cache().get(key, 0)
    except Exception:  # the cache is down: count() lets the request through too
        return 0
    return max(1, math.ceil((window + 1) * rate.seconds - now)) if used >= rate.count else 0


def count_join_attempt(request: HttpRequest) -> Count:
    """One attempt to join a group by an invite link, through the API or the join page,
    whether it opens or not: invite tokens cannot be tried by the thousand."""
    return count("invites", by_user_or_address(request))


def count_all(action: str, request: HttpRequest, keys: tuple[Callable, ...]) -> list[Count]:
    """Count the request once per key (address, user, email...) it is limited by."""
    return [count(action, key(request)) for key in keys]


# --- answers ---------------------------------------------------------------------------------


def _minutes(seconds: int) -> int:
    return max(1, math.ceil(seconds / 60))


def too_many_page(
    request: HttpRequest, retry_after: int, what: str, *, retry_at: datetime | None = None
) -> HttpResponse:
    """429 for a person: what was too many and when to try again, in both languages."""
    retry_at = retry_at or timezone.now() + timedelta(seconds=retry_after)
    response = render(
        request,
        "registration/too_many_requests.html",
        {"what": what, "retry_at": retry_at, "minutes": _minutes(retry_after)},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


def too_many_json(retry_after: int) -> JsonResponse:
    """429 for a script, in the API's error shape."""
    response = JsonResponse(
        {
            "error": "too many requests",
            "retry_after": retry_after,
            "detail": f"请求太频繁：请在 {retry_after} 秒后再试。"
            f"Too many requests: try again in {retry_after} seconds.",
        },
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


def sign_in_lock_ends(request, username: str | None) -> datetime | None:
    """When django-axes's lock on ``username`` at the request's address ends (counted from
    the failure that set it: failures during a lock are not counted, as
    AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT is off, so that time holds), or None."""
    cool_off = get_cool_off(request)
    recent = AccessAttempt.objects.filter(
        username=username,
        ip_address=client_address(request),
        attempt_time__gte=timezone.now() - cool_off,
    ).aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
    if (recent["failures"] or 0) < get_failure_limit(request, None):
        return None
    return recent["last"] + cool_off


def _seconds_until(moment: datetime) -> int:
    return max(1, math.ceil((moment - timezone.now()).total_seconds()))


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """django-axes's answer once a username is locked at an address (AXES_LOCKOUT_CALLABLE),
    on our sign-in page and the admin's, saying when the lock ends."""
    username = get_client_username(request, credentials)
    retry_at = sign_in_lock_ends(request, username) or timezone.now() + get_cool_off(request)
    retry_after = _seconds_until(retry_at)
    response = render(
        request,
        "registration/locked_out.html",
        {"retry_at": retry_at, "minutes": _minutes(retry_after)},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


# --- the forms ---------------------------------------------------------------------------


def _succeeded(response: HttpResponse) -> bool:
    return response.status_code in (301, 302, 303)


# The limited forms, by view name: the action, who is counted, and which answers count (a
# sign-up the form refused uses up nothing; a sign-in counts only when it failed).
FORM_LIMITS: dict[str, tuple[str, tuple[Callable, ...], Callable[[HttpResponse], bool]]] = {
    "login": ("signin", (by_address,), lambda response: not _succeeded(response)),
    "admin:login": ("signin", (by_address,), lambda response: not _succeeded(response)),
    "signup": ("signup", (by_address,), _succeeded),
    "password_reset": ("password_reset", (by_address, by_email), lambda response: True),
    "account": ("tokens", (by_user,), _succeeded),  # a POST there makes a token
    "import_notes": ("imports", (by_user,), lambda response: True),  # each reads a file
}


class FormRateLimitMiddleware:
    """Applies FORM_LIMITS to POSTs, ours and the admin's sign-in alike (a middleware, since
    the admin's views are not ours to wrap)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        counts, counted = getattr(request, "_pizhu_form_limit", ((), None))
        if counted is not None and not counted(response):
            for each in counts:
                each.refund()
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        rule = FORM_LIMITS.get(request.resolver_match.view_name)
        # Sign-ups used up: say so before someone fills in a form that would be refused.
        signing_up = rule is not None and rule[0] == "signup" and request.method == "GET"
        if signing_up and (wait := used_up("signup", by_address(request))):
            return too_many_page(request, wait, TOO_MANY["signup"])
        if request.method != "POST" or rule is None:
            return None
        action, keys, counted = rule
        counts = count_all(action, request, keys)
        refused = [each.retry_after for each in counts if each.refused]
        if refused:
            for each in counts:  # a refused request did nothing
                each.refund()
            retry_after = max(refused)
            if action == "signin":  # the time given must not end before the username's lock
                lock_ends = sign_in_lock_ends(request, request.POST.get("username"))
                retry_after = max(retry_after, _seconds_until(lock_ends) if lock_ends else 0)
            return too_many_page(request, retry_after, TOO_MANY[action])
        request._pizhu_form_limit = (counts, counted)
        return None
