"""What follows a new password, however it was set (the password-change form, a reset link,
the admin, ``manage.py changepassword``): the user's API tokens are revoked, as the password
they were made under no longer holds, and the sign-in locks on the username are lifted, as
they were earned against the old password."""

from __future__ import annotations

from axes.utils import reset as reset_sign_in_failures

from accounts.models import ApiToken


def note_new_password(sender, instance, update_fields=None, **kwargs):
    """pre_save: compare the password about to be saved with the stored one (saves that
    leave it out, such as the last_login update at every sign-in, are not looked at)."""
    instance._pizhu_new_password = False
    if instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return
    stored = sender._default_manager.filter(pk=instance.pk).values_list("password", flat=True)
    instance._pizhu_new_password = stored.first() not in (None, instance.password)


def after_new_password(sender, instance, created=False, **kwargs):
    """post_save: act on what note_new_password saw."""
    if created or not getattr(instance, "_pizhu_new_password", False):
        return
    instance._pizhu_new_password = False
    ApiToken.objects.revoke_all(instance)
    reset_sign_in_failures(username=instance.get_username())
