"""Account pages around django.contrib.auth: sign-up, the account page and API tokens. Their
rate limits are applied by accounts.limits.FormRateLimitMiddleware."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.forms import SignupForm, TokenForm
from accounts.models import ApiToken

# The new token's key waits here between the POST that makes it and the page that shows it
# once (post/redirect/get: reloading the page makes no second token).
NEW_KEY = "pizhu_new_token_key"


def _next(request) -> str:
    """Where to go after signing up: ``next`` when it is a page of this site."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return wanted if safe else resolve_url(settings.LOGIN_REDIRECT_URL)


def signup(request):
    if not settings.PIZHU_SIGNUP_OPEN:
        raise Http404("Sign-up is closed")
    if request.user.is_authenticated:
        return redirect(_next(request))
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(_next(request))
    return render(
        request,
        "registration/form.html",
        {
            "form": form,
            "heading": "注册 Sign up",
            "submit": "注册 Sign up",
            "next": request.POST.get("next") or request.GET.get("next", ""),
        },
    )


@login_required
def account(request):
    """The account page: password, API tokens, sign out."""
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _, request.session[NEW_KEY] = ApiToken.issue(request.user, form.cleaned_data["name"])
        return redirect("account")
    return render(
        request,
        "registration/account.html",
        {
            "form": form,
            "tokens": request.user.api_tokens.all(),
            "new_key": request.session.pop(NEW_KEY, None),
        },
    )


@login_required
@require_POST
def revoke_token(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token.delete()
    messages.success(request, f"已撤销 Revoked: {token.name}")
    return redirect("account")


@login_required
@require_POST
def revoke_all_tokens(request):
    revoked = ApiToken.objects.revoke_all(request.user)
    messages.success(request, f"已撤销全部 {revoked} 个令牌 Revoked all {revoked} tokens")
    return redirect("account")
