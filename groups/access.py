"""The one place that decides what a membership allows on a group: a person who is not a
member gets a 404 (a group's existence is its members' business), a member who lacks the
role a 403. What a group's members may do with annotations is ``annotations.access``'s."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404

from groups.models import Group, Membership, Role

# What a role may do on its group.
VIEW, INVITE, MODERATE, MANAGE = "view", "invite", "moderate", "manage"
_ALLOWED = {
    Role.MEMBER: {VIEW},
    Role.MODERATOR: {VIEW, INVITE, MODERATE},
    Role.OWNER: {VIEW, INVITE, MODERATE, MANAGE},
}


@dataclass(frozen=True)
class Access:
    group: Group
    membership: Membership

    @property
    def role(self) -> str:
        return self.membership.role

    def may(self, action: str) -> bool:
        return action in _ALLOWED[self.membership.role]


def membership_of(user, group_id) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.select_related("group").filter(user=user, group_id=group_id).first()


def group_for(user, pk, action: str = VIEW) -> Access:
    """``user``'s access to group ``pk``: Http404 unless they are a member, PermissionDenied
    when their role does not allow ``action``."""
    membership = membership_of(user, pk)
    if membership is None:
        raise Http404("No such group")
    access = Access(membership.group, membership)
    if not access.may(action):
        raise PermissionDenied(f"your role in this group does not allow you to {action}")
    return access
