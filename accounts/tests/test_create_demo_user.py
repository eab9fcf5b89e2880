"""The create_demo_user command (what ``make run`` signs you in with)."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_the_demo_account_is_only_made_with_debug_on(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("create_demo_user")
    settings.DEBUG = True
    call_command("create_demo_user")
    assert get_user_model().objects.get(username="demo").check_password("pizhu-demo")


def test_the_demo_password_is_set_only_when_the_account_is_made(settings):
    """make run calls it on every start: a reset would sign everyone out each time."""
    settings.DEBUG = True
    call_command("create_demo_user")
    demo = get_user_model().objects.get(username="demo")
    demo.set_password("changed-by-the-reader")
    demo.save()
    call_command("create_demo_user")
    assert get_user_model().objects.get(username="demo").check_password("changed-by-the-reader")
