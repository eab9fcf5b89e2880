"""The group pages and the header in Chromium, on a phone and a desktop: made, joined by the
invite link, the header's menu and replies badge, and nothing wider than the screen."""

import pytest
from playwright.sync_api import expect

from annotations import services
from annotations.tests.conftest import changes
from annotations.values import Changes
from archive.importer import import_paths
from archive.models import Post
from conftest import close_quietly, save_screenshot, sign_in
from groups.models import Membership, Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


@pytest.fixture
def tabs(browser, live_server):
    """``open_tab(user, width)``: a signed-in tab in a browser context of its own."""
    contexts = []

    def open_tab(user, width):
        context = browser.new_context(
            viewport={"width": width, "height": 800}, base_url=live_server.url
        )
        context.add_init_script(RECORD_CSP)
        contexts.append(context)
        tab = context.new_page()
        tab.errors, tab.dialogs = [], []
        tab.on("pageerror", lambda error: tab.errors.append(str(error)))

        def answer(dialog):  # the forms' data-confirm questions: yes
            tab.dialogs.append(dialog.message)
            dialog.accept()

        tab.on("dialog", answer)
        sign_in(tab, live_server, user)
        return tab

    yield open_tab
    for context in contexts:
        close_quietly(context)


def fits(tab) -> bool:
    return tab.evaluate("document.documentElement.scrollWidth <= innerWidth")


def clean(tab):
    assert tab.errors == []
    assert tab.evaluate("window.__csp") == []


@pytest.mark.parametrize("width", [360, 1280])
def test_a_group_made_joined_and_shown_in_the_header(tabs, alice, bob, archive_dir, width):
    from annotations.tests.conftest import BODY

    archive_dir.write(body=BODY, url="https://example.org/economy")
    import_paths([archive_dir])
    post = Post.objects.get()

    alice_tab = tabs(alice, width)
    alice_tab.goto("/groups/")
    expect(alice_tab.locator(".empty")).to_contain_text("You belong to no group yet")
    alice_tab.get_by_label("名称 Name").fill("周末读报 Weekend papers with a long name")
    alice_tab.get_by_label("简介 Description").fill("每周六一起读。")
    alice_tab.get_by_role("button", name="创建 Create").click()
    expect(alice_tab.get_by_role("heading", level=1)).to_contain_text("周末读报")
    group = Membership.objects.get(user=alice, role=Role.OWNER).group

    # A limited invite, made on the page; the first one is copied.
    alice_tab.get_by_label("最多使用次数 Use limit").fill("2")
    alice_tab.get_by_role("button", name="生成链接 Make a link").click()
    expect(alice_tab.locator(".invite")).to_have_count(2)
    expect(alice_tab.locator(".invite").first).to_contain_text("已用 used 0 / 2")
    invite_url = alice_tab.locator("code.invite-url").first.inner_text()
    copy = alice_tab.locator(".invite [data-copy]").first
    copy.click()
    expect(copy).not_to_have_text("复制 Copy")  # copied, or selected for copying
    assert fits(alice_tab)
    save_screenshot(alice_tab, f"group-page-owner-{width}")

    bob_tab = tabs(bob, width)
    bob_tab.goto(invite_url)
    expect(bob_tab.get_by_role("heading", level=1)).to_contain_text("周末读报")
    assert fits(bob_tab)
    bob_tab.get_by_role("button", name="加入 Join").click()
    expect(bob_tab.locator(".message")).to_contain_text("Welcome to")
    # The header's menu lists the group at once.
    bob_tab.locator("[data-site-menu] summary").click()
    menu_link = bob_tab.locator("[data-site-menu] li a").first
    expect(menu_link).to_be_visible()
    expect(menu_link).to_have_text("周末读报 Weekend papers with a long name")
    assert fits(bob_tab)
    save_screenshot(bob_tab, f"group-header-menu-{width}")

    # alice's group note gets a reply from bob: her header says so until she reads it.
    note = services.create(
        alice,
        changes(post, "增长放缓", kind="note", body="怎么看？", visibility="group", group=group.pk),
    )
    services.create(bob, Changes(parent=note.pk, body="我同意。"))
    alice_tab.goto("/")
    expect(alice_tab.locator("[data-unread-replies]")).to_have_text("1")
    alice_tab.get_by_role("link", name="回复 Replies: 1 条未读 unread").click()
    expect(alice_tab.locator(".reply-unread")).to_contain_text("我同意。")
    expect(alice_tab.locator("[data-unread-replies]")).to_have_count(0)
    assert fits(alice_tab)
    save_screenshot(alice_tab, f"replies-{width}")

    # The group page lists the post; bob leaves, after saying yes to the question.
    bob_tab.goto(group.get_absolute_url())
    expect(bob_tab.locator(".group-posts li")).to_contain_text("1 条批注 note · 1 条回复 reply")
    bob_tab.get_by_role("button", name="离开小组 Leave the group").click()
    expect(bob_tab.locator(".message")).to_contain_text("private to you")
    assert any("Leave" in asked for asked in bob_tab.dialogs)
    assert not Membership.objects.filter(user=bob).exists()
    clean(alice_tab)
    clean(bob_tab)
