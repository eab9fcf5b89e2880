"""Account pages around django.contrib.auth: sign-up, the account page and API tokens. Their
rate limits are applied by accounts.limits.FormRateLimitMiddleware."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from accounts.forms import SignupForm, TokenForm
from accounts.models import ApiToken, FeedToken
from annotations import restore
from annotations.incoming import Refused

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


def joins_a_group(url: str) -> bool:
    """Whether ``url`` (a ``next``) is an invite link's page: signing in or up is then the
    way into a group, and the form says so (without the group's name: the invite is not
    looked at before sign-in)."""
    try:
        return resolve(urlsplit(url).path).view_name == "groups:join"
    except Resolver404:
        return False


class LoginView(auth_views.LoginView):
    """Django's sign-in, saying so when it leads into a group (``joins_a_group``)."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["joining"] = joins_a_group(context.get(self.redirect_field_name) or "")
        return context


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
    wanted = request.POST.get("next") or request.GET.get("next", "")
    return render(
        request,
        "registration/form.html",
        {
            "form": form,
            "heading": "注册 Sign up",
            "submit": "注册 Sign up",
            "next": wanted,
            "joining": joins_a_group(wanted),
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
            "import_report": request.session.pop(IMPORT_REPORT, None),
            "max_import_mb": settings.PIZHU_MAX_IMPORT_BYTES // 1_000_000,
            "notes_feed": _notes_feed(request),
        },
    )


def _notes_feed(request) -> dict | None:
    """The user's notes feed: its token, and its URL while the token still opens it (it
    stops when the password changes)."""
    token = FeedToken.objects.filter(user=request.user).first()
    if token is None:
        return None
    token.user = request.user  # the key is made from the password hash: no second query
    key_url = reverse("notes_feed", args=[token.key]) if token.is_current else None
    return {"token": token, "url": key_url and request.build_absolute_uri(key_url)}


@login_required
@require_POST
def create_feed_token(request):
    """A new notes feed URL; the previous one, if any, stops working."""
    replaced = FeedToken.objects.filter(user=request.user).exists()
    FeedToken.issue(request.user)
    if replaced:
        messages.success(
            request, "已换新地址，旧地址不再可用 New feed URL: the previous one no longer works"
        )
    return redirect(reverse("account") + "#notes-feed")


@login_required
@require_POST
def revoke_feed_token(request):
    if FeedToken.revoke(request.user):
        messages.success(request, "已撤销笔记订阅地址 Notes feed URL revoked")
    return redirect(reverse("account") + "#notes-feed")


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


# --- importing notes (annotations.restore) -----------------------------------------------

# The last import's report waits here for the account page (post/redirect/get).
IMPORT_REPORT = "pizhu_import_report"
# What a report keeps of each list for the page: the command's --report has them all.
REPORT_ENTRIES = 50
# Room for the form's other fields and the multipart boundaries around the file.
UPLOAD_OVERHEAD = 64 * 1024


class _UploadLimit(FileUploadHandler):
    """Stops taking an uploaded file once it passes the import limit (a request that says
    it is larger is refused before this is reached)."""

    def __init__(self, request, limit: int):
        super().__init__(request)
        self.limit, self.exceeded = limit, False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.exceeded = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler keeps the file


@csrf_exempt  # checked by _import_notes, once reading the body is limited
@login_required
@require_POST
def import_notes(request):
    """The account page's upload: a file of notes in any format import_notes reads."""
    limit = settings.PIZHU_MAX_IMPORT_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit + UPLOAD_OVERHEAD:  # refused from its size, before it is read
        return _import_refused(request, "the upload " + restore.too_large(length))
    handler = _UploadLimit(request, limit)
    request.upload_handlers.insert(0, handler)
    return _import_notes(request, handler)


@csrf_protect
def _import_notes(request, handler: _UploadLimit):
    upload = request.FILES.get("file")
    if handler.exceeded:
        return _import_refused(request, "the file " + restore.too_large())
    if upload is None:
        return _import_refused(request, "choose a file to import")
    try:
        report = restore.import_file(request.user, upload.read())
    except Refused as refused:
        return _import_refused(request, f"{upload.name} {refused}")
    except restore.Stopped as stopped:
        report = stopped.report
        messages.error(request, f"导入中断 The import stopped: {stopped}")
    summary = report.as_dict()
    for name in ("orphaned", "missing_posts", "invalid", "skipped"):
        summary[f"{name}_count"] = len(summary[name])
        summary[name] = summary[name][:REPORT_ENTRIES]
    summary["file"] = upload.name[:200]
    request.session[IMPORT_REPORT] = summary
    return redirect(reverse("account") + "#import-notes")


def _import_refused(request, reason: str):
    """A file that is not imported at all: back to the account page, whose top says why."""
    messages.error(
        request,
        f"文件没有导入，什么也没有写入。The file was not imported, nothing was written: {reason}",
    )
    return redirect("account")
