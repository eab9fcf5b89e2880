"""The one write path of groups: create, invite, join, leave, change roles, delete.

Leaving a group, being removed from it or deleting it never deletes an annotation: the notes
a person wrote in the group become private to them (``annotations.services.make_private``).
Errors are ``annotations.values.Invalid`` (a field and a reason) or ``Refused`` (a reason a
person is told); invites that no longer open say why (``InviteGone``).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from annotations.services import make_private
from annotations.values import UNSTORABLE, UNSTORABLE_MESSAGE, Invalid
from groups.models import Group, Invite, Membership, Role

MAX_NAME_CHARS = 100
MAX_DESCRIPTION_CHARS = 2000
MAX_INVITE_USES = 10_000


class Refused(Exception):
    """An action the rules do not allow, with the reason to show."""


class InviteGone(Exception):
    """The invite existed but no longer opens: revoked, expired or used up (a 410)."""

    def __init__(self, state: str):
        super().__init__(f"this invite is {state}")
        self.state = state


def clean_group_fields(name, description, *, partial: bool = False) -> dict:
    """The name and description checked; ``Invalid`` naming each bad field."""
    errors, fields = [], {}
    if name is not None or not partial:
        if not isinstance(name, str) or not name.strip():
            errors.append({"field": "name", "message": "is required"})
        elif len(name.strip()) > MAX_NAME_CHARS:
            errors.append({"field": "name", "message": f"at most {MAX_NAME_CHARS} characters"})
        elif UNSTORABLE.search(name):
            errors.append({"field": "name", "message": UNSTORABLE_MESSAGE})
        else:
            fields["name"] = " ".join(name.split())
    if description is not None:
        if not isinstance(description, str):
            errors.append({"field": "description", "message": "must be text"})
        elif len(description) > MAX_DESCRIPTION_CHARS:
            errors.append(
                {"field": "description", "message": f"at most {MAX_DESCRIPTION_CHARS} characters"}
            )
        elif UNSTORABLE.search(description):
            errors.append({"field": "description", "message": UNSTORABLE_MESSAGE})
        else:
            fields["description"] = description.strip()
    if errors:
        raise Invalid(errors)
    return fields


@transaction.atomic
def create_group(user, name, description="") -> tuple[Group, Invite]:
    """A new group owned by ``user``, with a first invite link to pass on."""
    fields = clean_group_fields(name, description or "")
    group = Group.objects.create(created_by=user, **fields)
    Membership.objects.create(group=group, user=user, role=Role.OWNER)
    return group, Invite.objects.create(group=group, created_by=user)


def update_group(group: Group, name=None, description=None) -> Group:
    fields = clean_group_fields(name, description, partial=True)
    for key, value in fields.items():
        setattr(group, key, value)
    group.updated_at = timezone.now()
    group.save()
    return group


def make_invite(
    group: Group, by, *, expires_at: datetime | None = None, max_uses: int | None = None
) -> Invite:
    if expires_at is not None and expires_at <= timezone.now():
        raise Invalid.one("expires_at", "must be in the future")
    if max_uses is not None and not 1 <= max_uses <= MAX_INVITE_USES:
        raise Invalid.one("max_uses", f"must be between 1 and {MAX_INVITE_USES}")
    return Invite.objects.create(
        group=group, created_by=by, expires_at=expires_at, max_uses=max_uses
    )


def revoke_invite(invite: Invite) -> None:
    if invite.revoked_at is None:
        invite.revoked_at = timezone.now()
        invite.save(update_fields=["revoked_at"])


def token_of(invite: str) -> str:
    """The token of an invite given as its URL (…/groups/join/<token>) or as the token."""
    return invite.strip().rstrip("/").rsplit("/", 1)[-1]


@transaction.atomic
def join(user, invite: str) -> Membership:
    """Join the group ``invite`` (a URL or a token) opens. ``Invite.DoesNotExist`` when no
    invite has that token, ``InviteGone`` when it no longer opens. A member who follows it
    again stays as they are and uses nothing up."""
    found = Invite.objects.select_for_update().select_related("group").get(token=token_of(invite))
    existing = Membership.objects.filter(group=found.group, user=user).first()
    if existing is not None:
        return existing
    if (state := found.state()) != "usable":
        raise InviteGone(state)
    # Counted in the database: two people taking the last use cannot both get in.
    taken = Invite.objects.usable().filter(pk=found.pk).update(uses=F("uses") + 1)
    if not taken:
        raise InviteGone("used up")
    membership = Membership.objects.create(group=found.group, user=user, role=Role.MEMBER)
    _touch(found.group)
    return membership


@transaction.atomic
def leave(user, group: Group) -> bool:
    """``user`` leaves ``group``; their notes in it become private to them. The last owner
    cannot leave while others remain (they hand the group on, or delete it); the last member
    leaving deletes the group. Returns whether the group is gone."""
    membership = Membership.objects.select_for_update().get(group=group, user=user)
    others = Membership.objects.filter(group=group).exclude(pk=membership.pk)
    if not others.exists():
        delete_group(group)
        return True
    if membership.role == Role.OWNER and not others.filter(role=Role.OWNER).exists():
        raise Refused("你是唯一的组长：先让别人当组长，或删除小组。"
                      "You are the only owner: make someone else an owner first, or delete "
                      "the group.")  # fmt: skip
    _remove(membership)
    return False


@transaction.atomic
def remove_member(by: Membership, user) -> None:
    """A moderator removes a member; an owner removes anyone but themselves (they leave)."""
    target = Membership.objects.select_for_update().filter(group=by.group, user=user).first()
    if target is None:
        raise Refused("这个人不是小组成员。This person is not a member of the group.")
    if target.pk == by.pk:
        raise Refused("要离开小组，请用“离开”。To leave the group, use Leave.")
    if by.role != Role.OWNER and target.role != Role.MEMBER:
        raise Refused("只有组长能移除管理员和组长。Only an owner can remove moderators and owners.")
    _remove(target)


@transaction.atomic
def set_role(by: Membership, user, role: str) -> Membership:
    """An owner makes a member a moderator or an owner, or back; the last owner stays one."""
    if role not in Role.values:
        raise Invalid.one("role", f"must be one of {', '.join(Role.values)}")
    if by.role != Role.OWNER:
        raise Refused("只有组长能改变角色。Only an owner can change roles.")
    target = Membership.objects.select_for_update().filter(group=by.group, user=user).first()
    if target is None:
        raise Refused("这个人不是小组成员。This person is not a member of the group.")
    if target.role == Role.OWNER and role != Role.OWNER:
        owners = Membership.objects.filter(group=by.group, role=Role.OWNER).count()
        if owners == 1:
            raise Refused("小组至少要有一位组长。A group needs at least one owner.")
    target.role = role
    target.save(update_fields=["role"])
    _touch(by.group)
    return target


@transaction.atomic
def delete_group(group: Group) -> None:
    """The group goes; every note in it stays, private to its author."""
    make_private(group=group)
    group.delete()


def _remove(membership: Membership) -> None:
    make_private(group=membership.group, user=membership.user)
    membership.delete()
    _touch(membership.group)


def _touch(group: Group) -> None:
    Group.objects.filter(pk=group.pk).update(updated_at=timezone.now())
