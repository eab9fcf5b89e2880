"""The account page in a real browser (Chromium through Playwright): a new token is copied,
a revoke is confirmed first."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from accounts.models import ApiToken
from conftest import close_quietly

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def account_page(browser, live_server, owner):
    context = browser.new_context(viewport={"width": 360, "height": 740}, base_url=live_server.url)
    client = Client()
    client.force_login(owner)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    tab = context.new_page()
    tab.goto("/accounts/")
    yield tab
    close_quietly(context)


def test_a_new_token_can_be_copied_and_a_reload_makes_no_second_one(account_page):
    page = account_page
    page.get_by_label("名称 Name").fill("my script")
    page.get_by_role("button", name="新建令牌 New token").click()
    key = page.locator("[data-new-token]").inner_text()
    assert key.startswith("pz_")
    page.get_by_role("button", name="复制 Copy").click()
    expect(page.locator("[data-copy]")).not_to_have_text("复制 Copy")
    page.reload()
    expect(page.locator("[data-new-token]")).to_have_count(0)
    assert ApiToken.objects.count() == 1


def test_revoking_a_token_asks_first(account_page, owner):
    ApiToken.issue(owner, "nightly backup")
    page = account_page
    page.reload()
    answers = []

    def answer(dialog):
        answers.append(dialog.message)
        dialog.dismiss() if len(answers) == 1 else dialog.accept()

    page.on("dialog", answer)
    revoke = page.get_by_role("button", name="撤销 Revoke nightly backup")
    revoke.click()
    assert "nightly backup" in answers[0]
    assert ApiToken.objects.count() == 1  # dismissed: nothing happened
    revoke.click()
    expect(page.get_by_role("status")).to_contain_text("已撤销 Revoked: nightly backup")
    assert ApiToken.objects.count() == 0


def test_a_new_token_wraps_on_a_phone_instead_of_widening_the_page(account_page):
    page = account_page  # 360 px wide
    page.get_by_label("名称 Name").fill("phone")
    page.get_by_role("button", name="新建令牌 New token").click()
    expect(page.locator("[data-new-token]")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    box = page.locator("[data-new-token]").bounding_box()
    assert box["x"] + box["width"] <= 360
