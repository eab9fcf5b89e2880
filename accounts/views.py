"""Account pages around django.contrib.auth: sign-up, the account page and API tokens."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.models import ApiToken


class SignupForm(UserCreationForm):
    email = forms.EmailField(
        required=False, help_text="可选，用于找回密码。Optional: for resetting your password."
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")


def signup(request):
    if not settings.PIZHU_SIGNUP_OPEN:
        raise Http404("Sign-up is closed")
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(settings.LOGIN_REDIRECT_URL)
    return render(
        request,
        "registration/form.html",
        {"form": form, "title": "注册 Sign up", "submit": "注册 Sign up"},
    )


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="名称 Name", help_text="What the token is for.")


@login_required
def account(request):
    """The account page: password, API tokens, sign out."""
    form = TokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _, new_key = ApiToken.issue(request.user, form.cleaned_data["name"])
        form = TokenForm()
    return render(
        request,
        "registration/account.html",
        {"form": form, "tokens": request.user.api_tokens.all(), "new_key": new_key},
    )


@login_required
@require_POST
def revoke_token(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token.delete()
    messages.success(request, f"已撤销 Revoked: {token.name}")
    return redirect("account")
