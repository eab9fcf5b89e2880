"""Who may do what with an annotation: the one place that decides every read and write.

- **read** (and list, search, export): its author always; others when it is for everyone
  signed in, or for a group they belong to *now* (membership is looked up on each request,
  so a removed member loses access at once); a hidden one only by its author and the
  group's moderators (for notes to everyone: the instance's staff). Deleted ones by nobody.
- **edit**, **delete**, **restore**: its author only.
- **reply**: whoever may read it, while it is not deleted; the reply gets its audience.
- **hide** (and unhide): the moderators and owners of its group; for notes to everyone, the
  instance's staff. Private notes have no moderators.
- **flag**: whoever may read it, but its author, when it is not private.

Someone who may not read an annotation gets a 404 whatever they ask (its existence is
private); someone who may read it but not do the rest, a 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from annotations.models import Annotation, Visibility
from annotations.values import Invalid
from groups.models import MODERATING_ROLES, Membership

READ, EDIT, DELETE, RESTORE, REPLY, HIDE, FLAG = (
    "read", "edit", "delete", "restore", "reply", "hide", "flag",
)  # fmt: skip
ACTIONS = (READ, EDIT, DELETE, RESTORE, REPLY, HIDE, FLAG)


def visible(user) -> Q:
    """The condition on annotations ``user`` may read (not counting deletion): two
    subqueries on their memberships, so any number of groups is one query."""
    shown = Q(visibility=Visibility.EVERYONE) | Q(
        visibility=Visibility.GROUP, group_id__in=Membership.objects.group_ids_of(user)
    )
    unhidden = Q(hidden_at__isnull=True) | Q(
        visibility=Visibility.GROUP, group_id__in=Membership.objects.moderated_by(user)
    )
    if user.is_staff:
        unhidden |= Q(visibility=Visibility.EVERYONE)
    return Q(user=user) | (shown & unhidden)


def role_in(user, group_id) -> str | None:
    if group_id is None or not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(user=user, group_id=group_id)
        .values_list("role", flat=True)
        .first()
    )


def moderates(user, annotation: Annotation, role: str | None = None) -> bool:
    if annotation.visibility == Visibility.GROUP:
        role = role if role is not None else role_in(user, annotation.group_id)
        return role in MODERATING_ROLES
    return annotation.visibility == Visibility.EVERYONE and user.is_staff


def may(user, action: str, annotation: Annotation) -> bool:
    """Whether ``user`` may do ``action`` (one of ACTIONS) with ``annotation``."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if not user.is_authenticated or not user.is_active:
        return False
    own = annotation.user_id == user.pk
    alive = annotation.deleted_at is None
    if action == RESTORE:
        return own
    if action in (EDIT, DELETE):
        return own and alive
    role = role_in(user, annotation.group_id) if annotation.visibility == Visibility.GROUP else None
    moderator = moderates(user, annotation, role)
    audience = annotation.visibility == Visibility.EVERYONE or role is not None
    readable = alive and (own or (audience and (annotation.hidden_at is None or moderator)))
    if action in (READ, REPLY):
        return readable
    if action == HIDE:
        return readable and moderator
    return readable and not own and annotation.visibility != Visibility.PRIVATE  # FLAG


def annotation_for(user, pk, action: str = READ, queryset=None) -> Annotation:
    """Annotation ``pk`` if ``user`` may do ``action`` with it: Http404 when they may not
    read it (or, to restore, it is not theirs), PermissionDenied when they may read it but
    not do that. ``queryset`` shapes what is loaded (the API's ``for_api``)."""
    annotations = queryset if queryset is not None else Annotation.objects.all()
    if action == RESTORE:
        found = annotations.owned_by(user).filter(pk=pk).first()
    else:
        found = annotations.visible_to(user).filter(pk=pk).first()
    if found is None:
        raise Http404("No such annotation")
    if not may(user, action, found):
        raise PermissionDenied(f"you may not {action} this annotation")
    return found


def check_group(user, group_id) -> None:
    """That ``user`` may write to group ``group_id`` (they belong to it); else ``Invalid``
    on ``pizhu.group``."""
    if role_in(user, group_id) is None:
        raise Invalid.one("pizhu.group", "you are not a member of this group")
