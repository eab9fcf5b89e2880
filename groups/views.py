"""The group pages: my groups, a group's page (members, invite links, its posts and, for its
moderators, flagged and hidden notes), and the page an invite link opens.

Thin: what a membership allows is ``groups.access``'s (a non-member gets a 404, a member
whose role does not allow it a 403), what may be done with a note ``annotations.access``'s,
and every change goes through ``groups.services`` or ``annotations.services``. Each change
is a POST that ends in a redirect with a message saying what happened.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts import limits
from annotations import access as annotation_access
from annotations import services as annotation_services
from annotations.models import Annotation
from annotations.values import Invalid
from groups import pages, services
from groups.access import INVITE, MANAGE, MODERATE, VIEW, Access, group_for
from groups.forms import GroupForm, InviteForm, RoleForm, say
from groups.models import Invite, Role
from groups.services import InviteGone, Refused

POSTS_PER_PAGE = 30

# What a person following a dead invite link is told, by its state.
GONE = {
    "revoked": ("已被撤销", "was revoked"),
    "expired": ("已过期", "has expired"),
    "used up": ("已用完", "has been used up"),
}


def _to(group, anchor: str = ""):
    return redirect(f"{group.get_absolute_url()}{'#' + anchor if anchor else ''}")


# A moderation decision's message is shown in the moderation section, where the page opens
# after it (#moderation), not at the top of the page, off screen (groups/_messages.html).
MODERATION = "moderation"


def _moderation_done(request, access: Access, said: str):
    messages.success(request, said, extra_tags=MODERATION)
    return _to(access.group, MODERATION)


@login_required
def group_list(request):
    """My groups, and a form to make one (which opens its page: its first invite is there)."""
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            group, _ = services.create_group(request.user, **form.cleaned_data)
        except Invalid as invalid:
            form.refused(invalid)
        else:
            messages.success(
                request,
                f"已创建小组“{group.name}”。把邀请链接发给想一起读的人。"
                f"Group “{group.name}” created: send its invite link to the people you read with.",
            )
            return _to(group, "invites")
    return render(
        request,
        "groups/group_list.html",
        {"form": form, "memberships": pages.my_groups(request.user)},
    )


@login_required
def detail(request, pk: int):
    return _detail(request, group_for(request.user, pk))


def _detail(request, access: Access, **forms):
    """The group page; ``forms``: a form that was refused, to show with its errors."""
    group, user = access.group, request.user
    members = pages.members(group)
    context = {
        "group": group,
        "membership": access.membership,
        "may_invite": access.may(INVITE),
        "may_moderate": access.may(MODERATE),
        "may_manage": access.may(MANAGE),
        "members": members,
        # The only owner, with others in the group, may not leave (groups.services.leave):
        # the page says so, and how to hand the group on, before they try.
        "sole_owner": len(members) > 1
        and access.membership.role == Role.OWNER
        and sum(member.role == Role.OWNER for member in members) == 1,
        "roles": Role.choices,
        "posts": Paginator(pages.annotated_posts(user, group), POSTS_PER_PAGE).get_page(
            request.GET.get("page")
        ),
    }
    if context["may_manage"]:
        context["group_form"] = forms.get("group_form") or GroupForm(
            initial={"name": group.name, "description": group.description}
        )
    if context["may_invite"]:
        context["invites"] = pages.invites(group, request.build_absolute_uri)
        context["invite_form"] = forms.get("invite_form") or InviteForm()
    if context["may_moderate"]:
        context["moderation"] = pages.moderation(user, group)
    return render(request, "groups/detail.html", context)


@login_required
@require_POST
def edit(request, pk: int):
    access = group_for(request.user, pk, MANAGE)
    form = GroupForm(request.POST)
    if form.is_valid():
        try:
            services.update_group(access.group, **form.cleaned_data)
        except Invalid as invalid:
            form.refused(invalid)
        else:
            messages.success(request, "已保存。Saved.")
            return _to(access.group)
    return _detail(request, access, group_form=form)


@login_required
def delete(request, pk: int):
    """Asks first (GET), then deletes (POST): every note in the group stays, private to
    whoever wrote it."""
    access = group_for(request.user, pk, MANAGE)
    group = access.group
    if request.method == "POST":
        name = group.name
        services.delete_group(group)
        messages.success(
            request,
            f"已删除小组“{name}”。其中的笔记现在只有各自的作者可见。"
            f"Group “{name}” deleted: its notes are now private to their authors.",
        )
        return redirect("groups:list")
    return render(
        request,
        "groups/delete.html",
        {
            "group": group,
            "members": group.memberships.count(),
            "notes": Annotation.objects.alive().filter(group=group).count(),
        },
    )


@login_required
@require_POST
def leave(request, pk: int):
    access = group_for(request.user, pk, VIEW)
    name = access.group.name
    try:
        gone = services.leave(request.user, access.group)
    except Refused as refused:
        messages.error(request, str(refused))
        return _to(access.group)
    if gone:
        messages.success(
            request,
            f"你是最后一位成员：小组“{name}”已删除，你的笔记现在只有你可见。"
            f"You were the last member: group “{name}” is deleted, your notes are private to you.",
        )
    else:
        messages.success(
            request,
            f"已离开小组“{name}”。你在其中的笔记现在只有你可见。"
            f"You left “{name}”: your notes in it are now private to you.",
        )
    return redirect("groups:list")


@login_required
@require_POST
def set_role(request, pk: int, user_id: int):
    access = group_for(request.user, pk, MANAGE)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请从列表中选一个角色。Choose one of the roles.")
        return _to(access.group, "members")
    try:
        changed = services.set_role(access.membership, user_id, form.cleaned_data["role"])
    except Refused as refused:
        messages.error(request, str(refused))
    except Invalid as invalid:
        messages.error(request, say(invalid.errors[0]["message"]))
    else:
        messages.success(request, f"{changed.user.get_username()}：{changed.get_role_display()}")
    return _to(access.group, "members")


@login_required
@require_POST
def remove_member(request, pk: int, user_id: int):
    access = group_for(request.user, pk, MODERATE)
    try:
        services.remove_member(access.membership, user_id)
    except Refused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request,
            "已移除。这位成员在小组里的笔记现在只有其本人可见。"
            "Removed: their notes in the group are now private to them.",
        )
    return _to(access.group, "members")


@login_required
@require_POST
def make_invite(request, pk: int):
    access = group_for(request.user, pk, INVITE)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            services.make_invite(access.group, request.user, **form.invite_options())
        except Invalid as invalid:
            form.refused(invalid)
        else:
            messages.success(request, "新的邀请链接在下面。The new invite link is below.")
            return _to(access.group, "invites")
    return _detail(request, access, invite_form=form)


@login_required
@require_POST
def revoke_invite(request, pk: int, invite_id: int):
    access = group_for(request.user, pk, INVITE)
    services.revoke_invite(get_object_or_404(Invite, pk=invite_id, group=access.group))
    messages.success(
        request, "邀请链接已撤销，不能再用来加入。The invite link is revoked: it opens no more."
    )
    return _to(access.group, "invites")


def _moderated(request, pk: int, annotation_id: int) -> tuple[Access, Annotation]:
    """The group and its note ``annotation_id``, which the user must be allowed to hide
    (annotations.access decides: a member who is not a moderator gets a 403)."""
    access = group_for(request.user, pk, VIEW)
    note = annotation_access.annotation_for(request.user, annotation_id, annotation_access.HIDE)
    if note.group_id != access.group.pk:
        raise Http404("No such note in this group")
    return access, note


@login_required
@require_POST
def hide(request, pk: int, annotation_id: int):
    """Hiding settles the note's flags: they stay with it, why it was hidden, and no longer
    wait for a decision (``pages.awaiting``)."""
    access, note = _moderated(request, pk, annotation_id)
    annotation_services.hide(note, request.user)
    return _moderation_done(
        request,
        access,
        "已隐藏：组员看不到这条笔记，作者仍能看到并会看到提示。"
        "Hidden: members no longer see the note; its author still does, with a notice.",
    )


@login_required
@require_POST
def unhide(request, pk: int, annotation_id: int):
    access, note = _moderated(request, pk, annotation_id)
    annotation_services.unhide(note)  # and dismisses its flags: the note was judged fine
    return _moderation_done(request, access, "已取消隐藏。The note is shown again.")


@login_required
@require_POST
def dismiss_flags(request, pk: int, annotation_id: int):
    """A wrong flag does not wait forever: its moderators dismiss a note's flags, and the
    note stays shown."""
    access, note = _moderated(request, pk, annotation_id)
    annotation_services.dismiss_flags(note)
    return _moderation_done(
        request, access, "已驳回举报，批注继续显示。Flags dismissed: the note stays shown."
    )


@login_required
def join(request, token: str):
    """What an invite link opens: the group's name and a Join button (a POST). Every look
    at a link counts against the person's allowance (accounts.limits): tokens cannot be
    tried by the thousand."""
    attempt = limits.count_join_attempt(request)
    if attempt.refused:
        return limits.too_many_page(request, attempt.retry_after, limits.TOO_MANY["invites"])
    if request.method == "POST":
        try:
            membership = services.join(request.user, token)
        except Invite.DoesNotExist:
            return _unknown(request)
        except InviteGone as gone:
            return _gone(request, gone.state)
        group = membership.group
        messages.success(
            request,
            f"欢迎加入“{group.name}”。Welcome to “{group.name}”.",
        )
        return redirect(group)
    invite = Invite.objects.select_related("group").filter(token=services.token_of(token)).first()
    if invite is None:
        return _unknown(request)
    group = invite.group
    if group.memberships.filter(user=request.user).exists():
        messages.info(request, "你已经是这个小组的成员。You are already a member of this group.")
        return redirect(group)
    if (state := invite.state()) != "usable":
        return _gone(request, state)
    return render(
        request,
        "groups/join.html",
        {"group": group, "invite": invite, "members": group.memberships.count()},
    )


def _unknown(request):
    """404: no invite has this token (mistyped, cut short): said as an invite's, not as the
    site's 404 about posts."""
    return render(
        request,
        "groups/invite_gone.html",
        {"state": "unknown", "zh": "不存在", "en": "does not exist"},
        status=404,
    )


def _gone(request, state: str):
    """410: the link was real but opens no more (which group it was stays untold)."""
    zh, en = GONE[state]
    return render(
        request, "groups/invite_gone.html", {"state": state, "zh": zh, "en": en}, status=410
    )
