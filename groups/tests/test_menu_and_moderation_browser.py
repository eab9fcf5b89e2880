"""What a new user found wanting on the group pages, in Chromium on a phone and a desktop:
the header's 小组 Groups menu (an overlay that closes as a menu does), a reply's link from
/notes/replies/ into its conversation, the group notebook's folded filters, and a
moderation decision's outcome said where the eye is."""

import pytest
from playwright.sync_api import expect

from annotations import services
from annotations.tests.conftest import BODY, changes
from annotations.values import Changes
from archive.importer import import_paths
from archive.models import Post
from conftest import close_quietly, save_screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""

MENU = "[data-site-menu]"


@pytest.fixture
def tabs(browser, live_server):
    """``open_tab(user, width)``: a signed-in tab in a browser context of its own, which
    says yes to the forms' data-confirm questions (``tab.dialogs``: what they asked)."""
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

        def answer(dialog):
            tab.dialogs.append(dialog.message)
            dialog.accept()

        tab.on("dialog", answer)
        sign_in(tab, live_server, user)
        return tab

    yield open_tab
    for context in contexts:
        close_quietly(context)


@pytest.fixture
def post(archive_dir):
    archive_dir.write(body=BODY, url="https://example.org/economy")
    import_paths([archive_dir])
    return Post.objects.get(url="https://example.org/economy")


def group_note(user, post, group, quote="增长放缓", body="组里的笔记"):
    return services.create(
        user, changes(post, quote, kind="note", body=body, visibility="group", group=group.pk)
    )


def fits(tab) -> bool:
    return tab.evaluate("document.documentElement.scrollWidth <= innerWidth")


def in_view(locator) -> bool:
    """Whether the element is wholly inside the window, as scrolled now."""
    return locator.evaluate(
        "(node) => { const box = node.getBoundingClientRect();"
        " return box.top >= 0 && box.bottom <= innerHeight; }"
    )


def clean(tab):
    assert tab.errors == []
    assert tab.evaluate("window.__csp") == []


# --- The header's 小组 Groups menu ----------------------------------------------------------


def header_height(tab) -> float:
    return tab.locator(".site-header").bounding_box()["height"]


@pytest.mark.parametrize("width", [360, 1280])
def test_the_groups_menu_drops_over_the_page_and_closes_as_a_menu_does(tabs, team, alice, width):
    tab = tabs(alice, width)
    tab.goto("/groups/")
    menu, summary = tab.locator(MENU), tab.locator(f"{MENU} summary")
    before = header_height(tab)
    heading = tab.get_by_role("heading", level=1).bounding_box()

    # Open: over the page, inside the screen; nothing under it moves.
    summary.click()
    listed = tab.locator(f"{MENU} ul")
    expect(listed).to_be_visible()
    assert header_height(tab) == before
    assert tab.get_by_role("heading", level=1).bounding_box() == heading
    box = listed.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    assert box["y"] >= summary.bounding_box()["y"] + summary.bounding_box()["height"] - 1
    assert fits(tab)
    save_screenshot(tab, f"groups-menu-overlay-{width}")

    # A tap outside closes it.
    tab.mouse.click(width - 5, 700)
    expect(menu).not_to_have_attribute("open", "")
    expect(listed).to_be_hidden()

    # So does the focus leaving it (Tab past its last link)...
    summary.focus()
    tab.keyboard.press("Enter")
    expect(listed).to_be_visible()
    for _ in range(tab.locator(f"{MENU} a").count()):
        tab.keyboard.press("Tab")
    expect(menu).to_have_attribute("open", "")  # still inside: on its last link
    tab.keyboard.press("Tab")
    expect(listed).to_be_hidden()

    # ...and Esc, the focus back on its summary.
    summary.click()
    expect(listed).to_be_visible()
    tab.keyboard.press("Escape")
    expect(listed).to_be_hidden()
    assert tab.evaluate("document.activeElement.matches('[data-site-menu] summary')")

    # Its links still work: a tap on one is inside the menu.
    summary.click()
    tab.locator(f"{MENU} li a", has_text="读书会 Reading club").click()
    expect(tab.get_by_role("heading", level=1)).to_contain_text("读书会 Reading club")
    clean(tab)


@pytest.mark.parametrize("width", [360, 1280])
def test_with_no_group_the_menu_has_no_empty_dividing_line(tabs, team, alice, dave, width):
    def divider(tab) -> str:
        tab.goto("/groups/")
        tab.locator(f"{MENU} summary").click()
        expect(tab.locator(".site-menu-all")).to_be_visible()
        return tab.locator(".site-menu-all").evaluate(
            "(node) => getComputedStyle(node).borderTopWidth"
        )

    dave_tab = tabs(dave, width)
    assert divider(dave_tab) == "0px"
    save_screenshot(dave_tab, f"groups-menu-no-groups-{width}")
    assert divider(tabs(alice, width)) == "1px"  # her group above it: a line parts them
    clean(dave_tab)


# --- From /notes/replies/ into the conversation --------------------------------------------


@pytest.mark.parametrize("width", [360, 1280])
def test_a_replys_link_opens_its_notes_conversation_at_the_reply(
    tabs, team, alice, bob, post, width
):
    mine = group_note(alice, post, team, body="这句话**同意**吗？")
    answer = services.create(bob, Changes(parent=mine.pk, body="**同意**，灯这个比喻很好。"))
    tab = tabs(alice, width)
    tab.goto("/notes/replies/")
    item = tab.locator(f".reply[data-reply='{answer.pk}']")
    # Rendered, both the reply and the note it answers: no Markdown asterisks.
    expect(item.locator(".entry-note strong")).to_have_text("同意")
    expect(item.locator(".reply-to-note strong")).to_have_text("同意")
    expect(item).not_to_contain_text("**")
    assert fits(tab)
    save_screenshot(tab, f"replies-page-rendered-{width}")
    item.get_by_role("link", name="在原文中查看这条回复 Show this reply in the article").click()
    dialog = tab.get_by_role("dialog")
    shown = dialog.locator(f"[data-reply='{answer.pk}']")
    expect(shown).to_be_visible()
    expect(shown).to_contain_text("灯这个比喻很好")
    assert tab.url.endswith(f"#annotation-{answer.pk}")
    save_screenshot(tab, f"replies-link-opens-thread-{width}")
    clean(tab)


# --- The group notebook's filters ------------------------------------------------------------


@pytest.mark.parametrize(("width", "folded"), [(360, True), (1280, False)])
def test_the_group_notebooks_filters_are_folded_on_a_phone(
    tabs, team, alice, bob, post, width, folded
):
    group_note(alice, post, team, body="第一条")
    tab = tabs(bob, width)
    tab.goto(f"/groups/{team.pk}/notes/")
    box = tab.locator("details.notebook-filters-box")
    form = tab.locator(".notebook-filters")
    if folded:
        expect(box).not_to_have_attribute("open", "")
        expect(form).to_be_hidden()
        # The first note is on the first screen, under the folded filters.
        assert in_view(tab.locator(".notebook-entry").first)
        box.locator("summary").click()
        expect(form).to_be_visible()
    else:
        expect(form).to_be_visible()
    assert fits(tab)
    save_screenshot(tab, f"group-notebook-filters-{width}")
    clean(tab)


# --- Moderation --------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [360, 1280])
def test_a_moderation_decision_is_said_where_the_page_opens(
    tabs, team, alice, bob, mod, post, width
):
    spam = group_note(bob, post, team, body="**广告**：加我微信买书。")
    wrong = group_note(bob, post, team, quote="结构性的问题", body="只是不同意见。")
    services.flag(spam, mod, "广告")
    services.flag(wrong, mod, "我不同意")
    tab = tabs(alice, width)
    tab.goto("/groups/")
    due = tab.locator("[data-flags-awaiting]")
    expect(due).to_contain_text("2 条举报待处理")
    due.click()  # to the group page's moderation section
    nav = tab.locator(".group-nav a[href='#moderation']")
    expect(nav.locator(".badge")).to_have_text("2")
    row = tab.locator(f"[data-moderated='{spam.pk}']")
    expect(row.locator(".moderated-note strong")).to_have_text("广告")

    row.get_by_role("button", name="隐藏 Hide").click()
    said = tab.locator("#moderation .message")
    expect(said).to_contain_text("Hidden:")
    assert in_view(said), "the outcome is on screen, not at the top of the page"
    expect(nav.locator(".badge")).to_have_text("1")
    save_screenshot(tab, f"moderation-after-hide-{width}")

    tab.locator(f"[data-moderated='{wrong.pk}']").get_by_role(
        "button", name="驳回举报 Dismiss flags"
    ).click()
    expect(said).to_contain_text("Flags dismissed")
    assert any("Dismiss the flags" in asked for asked in tab.dialogs)
    assert in_view(said)
    expect(nav.locator(".badge")).to_have_count(0)
    expect(
        tab.locator("#moderation .moderation-list").first.locator(f"[data-moderated='{wrong.pk}']")
    ).to_have_count(0)
    assert not wrong.flags.exists() and spam.flags.count() == 1
    assert fits(tab)
    save_screenshot(tab, f"moderation-after-dismiss-{width}")
    clean(tab)


def test_the_only_owner_sees_why_she_cannot_leave_on_a_phone(tabs, team, alice):
    tab = tabs(alice, 360)
    tab.goto(f"/groups/{team.pk}/#leave")
    said = tab.locator("[data-sole-owner]")
    expect(said).to_be_visible()
    expect(tab.locator("#leave button")).to_be_disabled()
    said.get_by_role("link", name="members list").click()
    assert tab.url.endswith("#members")
    assert fits(tab)
    clean(tab)
