"""accounts.views and the auth pages: sign-up (and closing it), sign-in, password change and
reset, the account page and its API tokens."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from accounts.models import ApiToken

pytestmark = pytest.mark.django_db


def test_sign_up_creates_the_account_and_signs_in(anonymous_client):
    response = anonymous_client.post(
        "/accounts/signup/",
        {
            "username": "reader",
            "email": "",
            "password1": "a-long-passphrase",
            "password2": "a-long-passphrase",
        },
    )
    assert response.status_code == 302
    assert anonymous_client.get("/accounts/").status_code == 200
    assert get_user_model().objects.filter(username="reader").exists()


def test_sign_up_shows_errors_by_field(anonymous_client):
    response = anonymous_client.post(
        "/accounts/signup/", {"username": "", "password1": "x", "password2": "y"}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) >= {"username", "password2"}


def test_sign_up_can_be_closed(anonymous_client, settings):
    settings.PIZHU_SIGNUP_OPEN = False
    assert anonymous_client.get("/accounts/signup/").status_code == 404
    assert "/accounts/signup/" not in anonymous_client.get("/accounts/login/").content.decode()


def test_sign_in_and_out(anonymous_client, owner):
    response = anonymous_client.post(
        "/accounts/login/", {"username": "owner", "password": "owner-password-1"}
    )
    assert response.status_code == 302
    assert "owner" in anonymous_client.get("/").content.decode()
    anonymous_client.post("/accounts/logout/")
    assert anonymous_client.get("/accounts/").status_code == 302  # to the sign-in page


def test_password_change(owner_client, owner):
    response = owner_client.post(
        "/accounts/password_change/",
        {
            "old_password": "owner-password-1",
            "new_password1": "brand-new-pass-2",
            "new_password2": "brand-new-pass-2",
        },
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("brand-new-pass-2")


def test_the_new_password_field_says_the_rules_and_the_tokens_fate_in_both_languages(
    owner_client,
):
    page = owner_client.get("/accounts/password_change/").content.decode()
    assert "At least 8 characters, not a common password, not only digits." in page
    assert "新密码会撤销你所有的 API 令牌。A new password revokes all your API tokens." in page
    assert "你的密码必须包含" not in page  # Django's Chinese-only list is not shown


def test_password_reset_mails_a_link_that_works(anonymous_client, owner):
    anonymous_client.post("/accounts/password_reset/", {"email": "owner@example.org"})
    assert len(mail.outbox) == 1
    link = re.search(r"/accounts/reset/\S+/", mail.outbox[0].body).group(0)
    form_page = anonymous_client.get(link, follow=True)
    response = anonymous_client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "reset-pass-phrase-3", "new_password2": "reset-pass-phrase-3"},
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("reset-pass-phrase-3")
    form_text = form_page.content.decode()
    assert "<h1>设置新密码 New password</h1>" in form_text and "revokes all your API" in form_text
    used_again = anonymous_client.get(link, follow=True).content.decode()
    assert "<h1>链接已失效 Link no longer valid</h1>" in used_again
    assert "重新申请 ask for a new one" in used_again


def test_a_token_is_shown_once_and_stored_only_as_a_digest(owner_client, owner):
    response = owner_client.post("/accounts/", {"name": "my script"}, follow=True)
    assert response.redirect_chain == [("/accounts/", 302)]  # reloading makes no second one
    key = response.context["new_key"]
    assert key.startswith("pz_") and key in response.content.decode()
    token = ApiToken.objects.get()
    assert token.digest == ApiToken.digest_of(key) and key not in (token.digest, token.hint)
    assert key not in owner_client.get("/accounts/").content.decode()
    assert ApiToken.objects.count() == 1


def test_only_the_owner_can_revoke_a_token(owner_client, other_client, owner):
    token, _ = ApiToken.issue(owner, "script")
    assert other_client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert ApiToken.objects.count() == 1
    assert owner_client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 302
    assert ApiToken.objects.count() == 0


@pytest.mark.parametrize(
    ("asked", "went"), [("/notes/", "/notes/"), ("https://evil.example/", "/")]
)
def test_sign_up_goes_on_to_the_page_asked_for_on_this_site_only(anonymous_client, asked, went):
    page = anonymous_client.get(f"/accounts/signup/?next={asked}").content.decode()
    assert f'name="next" value="{asked}"' in page
    passphrase = "a-long-passphrase"  # noqa: S105 (a test account's)
    response = anonymous_client.post(
        "/accounts/signup/",
        {"username": "reader", "password1": passphrase, "password2": passphrase, "next": asked},
    )
    assert response["Location"] == went


def test_the_sign_in_page_links_sign_up_with_where_to_go(anonymous_client):
    page = anonymous_client.get("/accounts/login/?next=/notes/").content.decode()
    assert 'href="/accounts/signup/?next=/notes/"' in page


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"username": "reader", "password1": "abc", "password2": "abc"},
            "密码太短：至少 8 个字符。This password is too short: at least 8 characters.",
        ),
        (
            {"username": "reader", "password1": "12345678901", "password2": "12345678901"},
            "密码不能全是数字。This password is only digits.",
        ),
        (
            {"username": "", "password1": "a-long-passphrase", "password2": "a-long-passphrase"},
            "此项必填。This field is required.",
        ),
        (
            {
                "username": "r",
                "email": "nope",
                "password1": "a-long-pass",
                "password2": "a-long-pass",
            },
            "请输入有效的电子邮件地址。Enter a valid email address.",
        ),
    ],
)
def test_sign_up_errors_are_bilingual(anonymous_client, data, expected):
    page = anonymous_client.post("/accounts/signup/", data).content.decode()
    assert expected in page
    assert "电子邮件 Email" in page and "用户名 Username" in page


def test_a_wrong_password_is_said_in_both_languages(anonymous_client, owner):
    page = anonymous_client.post(
        "/accounts/login/", {"username": "owner", "password": "wrong"}
    ).content.decode()
    assert "用户名或密码不对（都区分大小写）。Wrong username or password" in page
