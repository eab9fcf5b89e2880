"""API tokens do not outlive the password: a change or a reset (by the form, the reset link,
the admin or the shell) revokes every token of that user, and the account page revokes all of
them in one click."""

import re

import pytest
from django.core import mail
from django.test import Client

from accounts.models import ApiToken

pytestmark = pytest.mark.django_db

API = "/api/annotations/"


def api_status(key: str) -> int:
    return Client().get(API, headers={"Authorization": f"Bearer {key}"}).status_code


@pytest.fixture
def others_key(other):
    return ApiToken.issue(other, "theirs")[1]


def test_changing_the_password_revokes_every_token(owner_client, owner, token_key, others_key):
    ApiToken.issue(owner, "second")
    assert api_status(token_key) == 200
    response = owner_client.post(
        "/accounts/password_change/",
        {
            "old_password": "owner-password-1",
            "new_password1": "brand-new-pass-2",
            "new_password2": "brand-new-pass-2",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert api_status(token_key) == 401
    assert not ApiToken.objects.filter(user=owner).exists()
    assert api_status(others_key) == 200  # only the owner's
    page = response.content.decode()
    assert "API 令牌都已撤销" in page and "API tokens you had are revoked" in page


def test_a_password_change_the_form_refused_revokes_nothing(owner_client, token_key):
    owner_client.post(
        "/accounts/password_change/",
        {"old_password": "wrong", "new_password1": "brand-new-2", "new_password2": "brand-new-2"},
    )
    assert api_status(token_key) == 200


def test_resetting_the_password_revokes_every_token(owner, token_key, others_key):
    client = Client()
    client.post("/accounts/password_reset/", {"email": "owner@example.org"})
    link = re.search(r"/accounts/reset/\S+/", mail.outbox[0].body).group(0)
    form_page = client.get(link, follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "reset-pass-phrase-3", "new_password2": "reset-pass-phrase-3"},
        follow=True,
    )
    assert response.status_code == 200
    assert api_status(token_key) == 401
    assert api_status(others_key) == 200
    assert "API tokens you had are revoked" in response.content.decode()


def test_a_password_set_anywhere_else_revokes_every_token(owner, token_key):
    owner.set_password("set-in-the-shell-5")  # the admin's form and `changepassword` do this
    owner.save()
    assert api_status(token_key) == 401


def test_signing_in_and_other_changes_keep_the_tokens(owner, token_key):
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "owner", "password": "owner-password-1"}
    )
    assert response.status_code == 302  # the sign-in saved last_login
    owner.refresh_from_db()
    owner.email = "new@example.org"
    owner.save()
    assert api_status(token_key) == 200


def test_one_click_revokes_all_of_ones_own_tokens(owner_client, owner, token_key, others_key):
    ApiToken.issue(owner, "second")
    page = owner_client.get("/accounts/").content.decode()
    assert 'action="/accounts/tokens/revoke-all/"' in page
    assert "修改或重设密码会撤销所有令牌" in page
    assert "Changing or resetting your password revokes every token" in page
    response = owner_client.post("/accounts/tokens/revoke-all/", follow=True)
    assert response.redirect_chain == [("/accounts/", 302)]
    assert "已撤销全部 2 个令牌 Revoked all 2 tokens" in response.content.decode()
    assert api_status(token_key) == 401
    assert api_status(others_key) == 200


def test_revoking_all_needs_a_post_and_a_session(owner_client, anonymous_client, token_key):
    assert owner_client.get("/accounts/tokens/revoke-all/").status_code == 405
    assert anonymous_client.post("/accounts/tokens/revoke-all/").status_code == 302
    assert api_status(token_key) == 200


def test_the_revoke_all_button_shows_only_with_tokens(owner_client):
    assert "revoke-all" not in owner_client.get("/accounts/").content.decode()
