"""Accounts are django.contrib.auth's users; this app adds personal API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

TOKEN_PREFIX = "pz_"  # noqa: S105 (a marker that tells tokens apart, not a secret)


class ApiTokenQuerySet(models.QuerySet):
    def user_for(self, key: str):
        """The user a token key belongs to, or None; notes when the token was last used."""
        if not key.startswith(TOKEN_PREFIX):
            return None
        token = self.select_related("user").filter(digest=ApiToken.digest_of(key)).first()
        if token is None or not token.user.is_active:
            return None
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user

    def revoke_all(self, user) -> int:
        """Delete every token of ``user``; how many there were."""
        deleted, _ = self.filter(user=user).delete()
        return deleted


class ApiToken(models.Model):
    """A personal token for scripts (``Authorization: Bearer pz_…``). Only its SHA-256 is
    stored: the key is shown once, when it is made."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12, help_text="The key's first characters.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        # Made by the annotations app before accounts had an app of their own: the table
        # kept its name when the model moved (migrations: SeparateDatabaseAndState).
        db_table = "annotations_apitoken"

    def __str__(self):
        return f"{self.name} ({self.hint}…)"

    @staticmethod
    def digest_of(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, user, name: str) -> tuple[ApiToken, str]:
        key = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, digest=cls.digest_of(key), hint=key[: len(TOKEN_PREFIX) + 4]
        )
        return token, key
