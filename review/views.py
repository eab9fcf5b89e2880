"""/review/: today's cards one at a time, four answers, the settings. Every answer is a form
(POST, CSRF) that works without scripts; static/js/review.js adds the keys."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from review import daily
from review.forms import AnswerForm, ReviewSettingsForm
from review.models import Answer

ANSWERS = [  # the order of the buttons, and their keys (static/js/review.js)
    (Answer.KEEP, "1", "k", "按计划，越隔越久 On schedule, ever further apart"),
    (Answer.SOON, "2", "s", "早点再看 Sooner: from tomorrow"),
    (Answer.LATER, "3", "l", "很久以后 Much later"),
    (Answer.NEVER, "4", "n", "不再出现 Never again"),
]


@login_required
def review(request, settings_form=None, status=200):
    current = daily.settings_of(request.user)
    today = daily.todays_set(request.user, daily_count=current.daily_count)
    if settings_form is None:
        settings_form = ReviewSettingsForm(
            initial={"daily_count": current.daily_count, "email_digest": current.email_digest}
        )
    has_any = bool(today.cards) or today.answered or daily.reviewable(request.user).exists()
    return render(
        request,
        "review/review.html",
        {
            "today": today,
            "card": today.cards[0] if today.cards else None,
            "answers": ANSWERS,
            "has_annotations": has_any,
            "settings_form": settings_form,
            "suspended_count": daily.suspended(request.user).count(),
        },
        status=status,
    )


@require_POST
@login_required
def answer(request, pk: int):
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "没有这个回答：请选一个按钮。No such answer: choose one of the buttons."
        )
        return redirect("review:review")
    try:
        daily.answer(request.user, pk, form.cleaned_data["answer"])
    except daily.NotReviewable:
        raise Http404("No such annotation") from None
    if form.cleaned_data["answer"] == Answer.NEVER:
        # The page offers to undo it (a form to review:restore with this id).
        messages.info(request, "这条不会再出现。It will not come back.", extra_tags=f"undo:{pk}")
    return redirect("review:review")


@require_POST
@login_required
def restore(request, pk: int):
    if not daily.restore(request.user, pk):
        raise Http404("No such card set aside")
    messages.success(
        request,
        "已恢复：今天算已回顾，到期时会再出现。"
        "Restored: it counts as reviewed today and comes back when due.",
    )
    return redirect("review:never" if request.POST.get("next") == "never" else "review:review")


@require_POST
@login_required
def save_settings(request):
    form = ReviewSettingsForm(request.POST)
    if not form.is_valid():
        return review(request, settings_form=form, status=400)
    daily.save_settings(request.user, **form.cleaned_data)
    messages.success(request, "设置已保存。Settings saved.")
    return redirect("review:review")


@login_required
def never(request):
    """The cards answered "never", each with a way back."""
    return render(request, "review/never.html", {"cards": daily.suspended(request.user)})
