"""Reading groups: people who annotate the archive together, like Hypothesis' groups.

A group has members with a role (owner, moderator, member) and invite links. What a group
may see is decided in one place, ``annotations.access``; what a membership allows here, in
``groups.access``. Nothing in this app deletes an annotation: leaving or deleting a group makes
its notes private to their authors (``groups.services``).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class Role(models.TextChoices):
    OWNER = "owner", "组长 Owner"
    MODERATOR = "moderator", "管理员 Moderator"
    MEMBER = "member", "成员 Member"


# Who may hide notes and manage invites.
MODERATING_ROLES = (Role.OWNER, Role.MODERATOR)


class GroupQuerySet(models.QuerySet):
    def of(self, user):
        """The groups ``user`` belongs to (none for an anonymous visitor)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user)


class Group(models.Model):
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Moved by every change a member's header shows (name, members): the page cache's stamp.
    updated_at = models.DateTimeField(default=timezone.now)

    objects = GroupQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "reading group"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("groups:detail", args=[self.pk])


class MembershipQuerySet(models.QuerySet):
    def group_ids_of(self, user):
        """A subquery of the ids of ``user``'s groups: one query set whatever their number."""
        return self.filter(user=user).values("group_id")

    def moderated_by(self, user):
        return self.filter(user=user, role__in=MODERATING_ROLES).values("group_id")

    def listed_for(self, user):
        """``user``'s memberships with their group and its number of ``members``, by the
        group's name: one query, for the API's list of my groups."""
        return (
            self.filter(user=user)
            .select_related("group")
            .annotate(members=models.Count("group__memberships"))
            .order_by("group__name", "group_id")
        )


class Membership(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(default=timezone.now)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="unique_group_member"),
        ]
        indexes = [models.Index(fields=["user", "group"], name="membership_user_group")]

    def __str__(self):
        return f"{self.user} in {self.group} ({self.role})"

    @property
    def moderates(self) -> bool:
        return self.role in MODERATING_ROLES


def new_invite_token() -> str:
    # 192 bits: an invite cannot be guessed, only given.
    return secrets.token_urlsafe(24)


class InviteQuerySet(models.QuerySet):
    def usable(self, now=None):
        now = now or timezone.now()
        return (
            self.filter(revoked_at__isnull=True)
            .filter(models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now))
            .filter(models.Q(max_uses__isnull=True) | models.Q(uses__lt=models.F("max_uses")))
        )


class Invite(models.Model):
    """A link that lets whoever has it join ``group`` as a member, until it is revoked,
    expires or is used up. The token is kept as is (not hashed): the group's owners see
    their links again on the group page, and it opens nothing but this one door."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="invites")
    token = models.CharField(max_length=64, unique=True, default=new_invite_token)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    max_uses = models.PositiveIntegerField(null=True, blank=True)
    uses = models.PositiveIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InviteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"invite to {self.group} ({self.token[:6]}…)"

    def get_absolute_url(self):
        return reverse("groups:join", args=[self.token])

    def state(self, now=None) -> str:
        """usable, revoked, expired or used up: what a person following it is told."""
        now = now or timezone.now()
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        if self.max_uses is not None and self.uses >= self.max_uses:
            return "used up"
        return "usable"
