"""Accounts are django.contrib.auth's users; this app adds personal API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

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


FEED_KEY_PREFIX = "pzf_"  # tells feed keys apart from API tokens (pz_)
_FEED_KEY_SALT = "pizhu.accounts.FeedToken"  # the HMAC's purpose: no other key collides


class FeedTokenQuerySet(models.QuerySet):
    def user_for(self, key: str):
        """The user whose notes feed ``key`` opens, or None: no such key, revoked, made
        before the user's password last changed, or the user is inactive."""
        if not key.startswith(FEED_KEY_PREFIX):
            return None
        token = self.select_related("user").filter(digest=FeedToken.digest_of(key)).first()
        if token is None or not token.user.is_active or not token.opens_with(key):
            return None
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            FeedToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user


class FeedToken(models.Model):
    """The private key in a user's notes feed URL (``/feeds/notes/pzf_…/``), one per user.

    A feed URL is pasted into feed readers, so the account page shows it again whenever
    asked; yet the key is never stored. It is an HMAC, under SECRET_KEY, of a random
    ``nonce`` and the user's password hash: the database alone (a backup copied off the
    machine) cannot open the feed, and a new password closes it as it revokes API tokens.
    A new SECRET_KEY closes it too (the account page says so and offers a new one)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_token"
    )
    nonce = models.CharField(max_length=64)
    # SHA-256 of the key: the feed finds its token in one indexed lookup.
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = FeedTokenQuerySet.as_manager()

    def __str__(self):
        return f"feed token of {self.user}"

    @staticmethod
    def digest_of(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @property
    def key(self) -> str:
        """The key as it is now: it differs from the one issued once the password or
        SECRET_KEY changed, and then opens nothing (``is_current`` is False)."""
        message = f"{self.nonce}|{self.user_id}|{self.user.password}"
        return (
            FEED_KEY_PREFIX + salted_hmac(_FEED_KEY_SALT, message, algorithm="sha256").hexdigest()
        )

    @property
    def is_current(self) -> bool:
        return constant_time_compare(self.digest_of(self.key), self.digest)

    def opens_with(self, key: str) -> bool:
        return self.is_current and constant_time_compare(self.key, key)

    @classmethod
    def issue(cls, user) -> FeedToken:
        """A new key for ``user``'s notes feed; the previous one, if any, stops working."""
        with transaction.atomic():
            cls.objects.filter(user=user).delete()
            token = cls(user=user, nonce=secrets.token_urlsafe(32))
            token.digest = cls.digest_of(token.key)
            token.save()
        return token

    @classmethod
    def revoke(cls, user) -> bool:
        """Close ``user``'s notes feed; whether there was one."""
        deleted, _ = cls.objects.filter(user=user).delete()
        return bool(deleted)
