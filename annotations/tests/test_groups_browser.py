"""Reading together in Chromium (issue 15): groups made and joined on their pages, group
notes in the reader, replies, flags and hiding, each person in a browser of their own."""

import re

import pytest
from playwright.sync_api import expect

from annotations import services
from annotations.models import Annotation, Flag, Visibility
from annotations.tests.conftest import changes
from annotations.tests.test_browser import BODY, marks, select
from annotations.values import Changes
from archive.importer import import_paths
from archive.models import Post
from conftest import close_quietly, save_screenshot, sign_in
from groups import services as groups
from groups.models import Membership, Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every CSP violation a page reports, whatever blocked it (an inline script, a style...).
RECORD_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def economy_post(archive_dir):
    archive_dir.write(body=BODY, url="https://example.org/economy")
    import_paths([archive_dir])
    return Post.objects.get(url="https://example.org/economy")


def open_tabs(browser, live_server):
    """Yields ``open_tab(user, width=1280)``: a tab in a browser context of its own, signed
    in as ``user`` (two people never share cookies or local storage). ``tab.errors``
    collects uncaught script errors, ``tab.csp`` CSP violations from the console."""
    contexts = []

    def open_tab(user, width=1280):
        context = browser.new_context(
            viewport={"width": width, "height": 900}, base_url=live_server.url
        )
        context.add_init_script(RECORD_CSP)
        contexts.append(context)
        tab = context.new_page()
        tab.errors, tab.csp = [], []
        tab.on("pageerror", lambda error: tab.errors.append(str(error)))
        tab.on(
            "console",
            lambda message: (
                tab.csp.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        tab.on("dialog", lambda dialog: dialog.dismiss())
        sign_in(tab, live_server, user)
        return tab

    yield open_tab
    for context in contexts:
        close_quietly(context)


@pytest.fixture
def post(archive_dir):
    return economy_post(archive_dir)


@pytest.fixture
def tabs(browser, live_server):
    yield from open_tabs(browser, live_server)


def read(tab, post):
    """Open ``post`` in the reader and wait for its annotations."""
    tab.goto(post.get_absolute_url())
    expect(tab.locator("[data-annotator]")).to_have_attribute("data-annotations-loaded", "true")


def clean(tab):
    """No script error and no CSP violation on the page so far."""
    assert tab.errors == []
    assert tab.csp == []
    assert tab.evaluate("window.__csp") == []


def choose_layer(tab, value):
    tab.get_by_role("combobox", name="图层 Layer").select_option(value)


def group_note(user, post, quote, group, **fields):
    return services.create(
        user, changes(post, quote, visibility=Visibility.GROUP, group=group.pk, **fields)
    )


def reply_to(user, note, body):
    return services.create(user, Changes(parent=note.pk, body=body))


def test_alice_and_bob_read_together_and_carol_sees_nothing(tabs, post, alice, bob, carol, dave):
    """The issue's Done-when, in the UI: a group and its invite made on the groups page, bob
    joins by the link, alice's group note shows in bob's group layer and not for carol, bob
    replies in the reader, alice sees the count, and alice (owner) hides a note."""
    alice_tab = tabs(alice)
    alice_tab.goto("/groups/")
    alice_tab.get_by_label("名称 Name").fill("读书会")
    alice_tab.get_by_role("button", name="创建 Create").click()
    invite_url = alice_tab.locator("code.invite-url").first.inner_text()
    group = Membership.objects.get(user=alice, role=Role.OWNER).group
    assert group.name == "读书会"

    bob_tab = tabs(bob)
    bob_tab.goto(invite_url)
    bob_tab.get_by_role("button", name="加入 Join").click()
    expect(bob_tab.get_by_role("heading", level=1)).to_contain_text("读书会")
    assert Membership.objects.get(user=bob, group=group).role == Role.MEMBER

    # alice writes a note for the group in the reader: private is the default, she chooses.
    read(alice_tab, post)
    select(alice_tab, "专家说这是结构性的问题")
    alice_tab.keyboard.press("n")
    editor = alice_tab.get_by_role("dialog")
    editor.get_by_role("textbox", name="笔记 Note (Markdown)").fill("大家怎么看？")
    audience = editor.get_by_role("combobox", name="谁能看到 Who can see it")
    expect(audience).to_have_value("private")
    audience.select_option(label="小组: 读书会")
    editor.get_by_role("button", name="保存 Save").click()
    expect(alice_tab.locator(".margin [data-card]")).to_contain_text("大家怎么看？")
    note = Annotation.objects.get(user=alice)
    assert (note.visibility, note.group_id) == (Visibility.GROUP, group.pk)

    # bob sees it in the group's layer, drawn as someone else's and signed by alice.
    read(bob_tab, post)
    choose_layer(bob_tab, f"group:{group.pk}")
    expect(marks(bob_tab, note)).to_have_count(1)
    expect(marks(bob_tab, note)).to_have_class(re.compile(r"\bpz-theirs\b"))
    expect(marks(bob_tab, note)).to_have_attribute("aria-label", re.compile("@alice"))
    card = bob_tab.locator(f'.margin [data-card="{note.pk}"]')
    expect(card).to_contain_text("@alice")
    expect(card).to_contain_text("小组: 读书会")

    # carol is in no group of theirs: no mark, no such layer.
    carol_tab = tabs(carol)
    read(carol_tab, post)
    expect(marks(carol_tab, note)).to_have_count(0)
    expect(carol_tab.locator(f'[data-layer] option[value="group:{group.pk}"]')).to_have_count(0)

    # bob replies from the note's dialog.
    card.click()
    dialog = bob_tab.get_by_role("dialog")
    dialog.get_by_role("textbox", name="写回复 Write a reply (Markdown)").fill(
        "我觉得是**周期性**的。"
    )
    dialog.get_by_role("button", name="发送回复 Send reply").click()
    reply = dialog.locator("[data-reply]")
    expect(reply).to_contain_text("周期性")
    expect(reply.locator("strong")).to_have_text("周期性")
    expect(dialog.get_by_role("heading", name="回复 Replies (1)")).to_be_visible()
    answer = Annotation.objects.get(user=bob)
    assert (answer.parent_id, answer.is_reply, answer.group_id) == (note.pk, True, group.pk)
    save_screenshot(bob_tab, "groups-bob-replied")

    # alice sees the count on her card, and the reply in her note's dialog.
    read(alice_tab, post)
    mine = alice_tab.locator(f'.margin [data-card="{note.pk}"]')
    expect(mine.locator("[data-reply-count]")).to_have_text("1 条回复 reply")
    mine.click()
    thread = alice_tab.get_by_role("dialog").locator(f'[data-thread="{note.pk}"]')
    expect(thread.locator(f'[data-reply="{answer.pk}"]')).to_contain_text("@bob")
    alice_tab.keyboard.press("Escape")

    # A note of dave's in the group; alice, its owner, hides it from the reader.
    groups.join(dave, invite_url)
    noisy = group_note(dave, post, "外交政策", group, kind="note", body="广告 buy now")
    read(bob_tab, post)
    expect(marks(bob_tab, noisy)).to_have_count(1)
    read(alice_tab, post)
    marks(alice_tab, noisy).click()
    dialog = alice_tab.get_by_role("dialog")
    dialog.get_by_role("button", name="隐藏 Hide").click()
    expect(dialog.locator("[data-hidden-notice]")).to_contain_text("已隐藏")
    expect(dialog.get_by_role("button", name="取消隐藏 Unhide")).to_be_visible()
    noisy.refresh_from_db()
    assert noisy.hidden_by == alice and noisy.hidden_at is not None
    # Still there for her, marked as hidden.
    expect(marks(alice_tab, noisy)).to_have_class(re.compile(r"\bpz-hidden-note\b"))

    read(bob_tab, post)
    expect(marks(bob_tab, noisy)).to_have_count(0)
    expect(bob_tab.locator(f'[data-card="{noisy.pk}"]')).to_have_count(0)

    dave_tab = tabs(dave)
    read(dave_tab, post)
    expect(marks(dave_tab, noisy)).to_have_count(1)
    expect(dave_tab.locator(f'.margin [data-card="{noisy.pk}"]')).to_contain_text(
        "已被管理员隐藏 Hidden by a moderator"
    )
    save_screenshot(dave_tab, "groups-dave-sees-his-hidden-note")
    for tab in (alice_tab, bob_tab, carol_tab, dave_tab):
        clean(tab)


def test_a_member_flags_a_note_and_only_moderators_may_hide(tabs, post, team, alice, bob, mod):
    note = group_note(alice, post, "外交政策", team, kind="note", body="一个看法")
    bob_tab = tabs(bob)
    read(bob_tab, post)
    marks(bob_tab, note).click()
    dialog = bob_tab.get_by_role("dialog")
    expect(dialog.get_by_role("button", name="隐藏 Hide")).to_have_count(0)
    dialog.get_by_role("button", name="举报 Flag").click()
    dialog.get_by_role("textbox", name="举报理由（可不填）Reason (optional)").fill("离题 off topic")
    save_screenshot(bob_tab, "groups-flag-form")
    dialog.get_by_role("button", name="发送举报 Send flag").click()
    expect(dialog.get_by_role("status")).to_contain_text("已举报 Flagged")
    flag = Flag.objects.get()
    assert (flag.annotation_id, flag.user, flag.reason) == (note.pk, bob, "离题 off topic")

    # The moderator may hide it; the author may not flag her own note.
    mod_tab = tabs(mod)
    read(mod_tab, post)
    marks(mod_tab, note).click()
    expect(mod_tab.get_by_role("dialog").get_by_role("button", name="隐藏 Hide")).to_be_visible()
    alice_tab = tabs(alice)
    read(alice_tab, post)
    marks(alice_tab, note).click()
    expect(alice_tab.get_by_role("dialog").get_by_role("button", name="举报 Flag")).to_have_count(0)
    for tab in (bob_tab, mod_tab, alice_tab):
        clean(tab)


def test_a_moderator_unhides_and_the_group_sees_the_note_again(tabs, post, team, alice, bob):
    note = group_note(bob, post, "外交政策", team, kind="note", body="有争议的话")
    services.hide(note, alice)
    alice_tab = tabs(alice)
    read(alice_tab, post)
    marks(alice_tab, note).click()
    dialog = alice_tab.get_by_role("dialog")
    expect(dialog.locator("[data-hidden-notice]")).to_be_visible()
    dialog.get_by_role("button", name="取消隐藏 Unhide").click()
    expect(dialog.get_by_role("button", name="隐藏 Hide")).to_be_visible()
    expect(dialog.locator("[data-hidden-notice]")).to_have_count(0)
    note.refresh_from_db()
    assert note.hidden_at is None
    clean(alice_tab)


def test_my_reply_is_edited_and_deleted_in_the_thread(tabs, post, team, alice, bob):
    note = group_note(alice, post, "外交政策", team, kind="note", body="你们觉得呢")
    answer = reply_to(bob, note, "第一版回复")
    other = reply_to(alice, note, "作者的回复")
    bob_tab = tabs(bob)
    read(bob_tab, post)
    bob_tab.locator(f'.margin [data-card="{note.pk}"]').click()
    thread = bob_tab.get_by_role("dialog").locator(f'[data-thread="{note.pk}"]')
    # Only my own reply has Edit and Delete; alice's may be flagged.
    expect(thread.locator(f'[data-reply="{other.pk}"] [data-edit-reply]')).to_have_count(0)
    expect(thread.locator(f'[data-reply="{other.pk}"] [data-flag]')).to_have_count(1)
    mine = thread.locator(f'[data-reply="{answer.pk}"]')
    mine.get_by_role("button", name="编辑 Edit").click()
    mine.get_by_role("textbox", name="编辑回复 Edit the reply (Markdown)").fill("改过的回复")
    mine.get_by_role("button", name="保存 Save").click()
    expect(thread.locator(f'[data-reply="{answer.pk}"]')).to_contain_text("改过的回复")
    answer.refresh_from_db()
    assert answer.body == "改过的回复"

    thread.locator(f'[data-reply="{answer.pk}"]').get_by_role("button", name="删除 Delete").click()
    expect(thread.locator(f'[data-reply="{answer.pk}"]')).to_have_count(0)
    expect(thread.get_by_role("heading", name="回复 Replies (1)")).to_be_visible()
    answer.refresh_from_db()
    assert answer.deleted_at is not None
    # Undo brings it back.
    bob_tab.locator(".pz-toast").get_by_role("button", name="撤销 Undo").click()
    expect(bob_tab.locator(f'.margin [data-card="{note.pk}"] [data-reply-count]')).to_have_text(
        "2 条回复 replies"
    )
    answer.refresh_from_db()
    assert answer.deleted_at is None
    clean(bob_tab)


def test_a_reply_to_a_reply_says_whom_it_answers(tabs, post, team, alice, bob):
    note = group_note(alice, post, "外交政策", team, kind="note", body="起个头")
    first = reply_to(bob, note, "bob 的回复")
    alice_tab = tabs(alice)
    read(alice_tab, post)
    alice_tab.locator(f'.margin [data-card="{note.pk}"]').click()
    dialog = alice_tab.get_by_role("dialog")
    dialog.locator(f'[data-reply="{first.pk}"]').get_by_role("button", name="回复 Reply").click()
    expect(dialog.locator(".pz-replying-to")).to_have_text("回复 @bob Replying to @bob")
    dialog.get_by_role("textbox", name="写回复 Write a reply (Markdown)").fill("回复 bob")
    dialog.get_by_role("button", name="发送回复 Send reply").click()
    nested = dialog.locator(".pz-reply-nested")
    expect(nested).to_contain_text("replying to @bob")
    second = Annotation.objects.get(parent=first)
    expect(nested).to_have_attribute("data-reply", str(second.pk))
    clean(alice_tab)


def test_a_deleted_note_keeps_its_replies_readable(tabs, post, team, alice, bob):
    note = group_note(alice, post, "外交政策", team, kind="note", body="会被删掉的笔记")
    answer = reply_to(bob, note, "我的话还在")
    alice_tab = tabs(alice)
    read(alice_tab, post)
    alice_tab.locator(f'.margin [data-card="{note.pk}"]').click()
    alice_tab.get_by_role("dialog").get_by_role("button", name="删除 Delete").click()
    expect(marks(alice_tab, note)).to_have_count(0)
    note.refresh_from_db()
    assert note.deleted_at is not None

    bob_tab = tabs(bob, width=360)
    read(bob_tab, post)
    bob_tab.get_by_role("button", name="批注 Annotations (1)").click()
    loose = bob_tab.locator(f'[data-panel] [data-loose-thread="{note.pk}"]')
    expect(loose).to_contain_text("原批注已删除或不再可见")
    expect(loose.locator(f'[data-reply="{answer.pk}"]')).to_contain_text("我的话还在")
    # Still his to edit.
    expect(loose.get_by_role("button", name="编辑 Edit")).to_be_visible()
    save_screenshot(bob_tab, "groups-deleted-note-placeholder-360")
    assert bob_tab.evaluate("document.documentElement.scrollWidth") <= 360
    for tab in (alice_tab, bob_tab):
        clean(tab)


def test_a_link_to_a_reply_opens_its_notes_conversation(tabs, post, team, alice, bob):
    note = group_note(alice, post, "外交政策", team, kind="note", body="讨论")
    answer = reply_to(bob, note, "链接到这条回复")
    alice_tab = tabs(alice)
    alice_tab.goto(answer.get_absolute_url())
    dialog = alice_tab.get_by_role("dialog")
    expect(dialog.locator(f'[data-reply="{answer.pk}"]')).to_be_visible()
    expect(dialog.locator(f'[data-reply="{answer.pk}"]')).to_contain_text("链接到这条回复")
    clean(alice_tab)


def test_the_editor_says_who_sees_a_note_and_saves_the_choice(tabs, post, team, alice):
    everyone = services.create(
        alice, changes(post, "外交政策", kind="note", body="公开的", visibility="everyone")
    )
    alice_tab = tabs(alice)
    read(alice_tab, post)
    alice_tab.locator(f'.margin [data-card="{everyone.pk}"]').click()
    audience = alice_tab.get_by_role("dialog").get_by_role(
        "combobox", name="谁能看到 Who can see it"
    )
    expect(audience).to_have_value("everyone")
    labels = audience.locator("option").all_inner_texts()
    assert labels == ["只有我 Only me", f"小组: {team.name}", "所有人 Everyone signed in"]
    audience.select_option("private")
    alice_tab.get_by_role("dialog").get_by_role("button", name="保存 Save").click()
    expect(alice_tab.get_by_role("dialog")).to_be_hidden()
    everyone.refresh_from_db()
    assert (everyone.visibility, everyone.group_id) == (Visibility.PRIVATE, None)
    clean(alice_tab)


def test_a_note_moved_to_everyone_takes_its_replies_along(tabs, post, team, alice, bob):
    note = group_note(alice, post, "外交政策", team, kind="note", body="先在小组里")
    answer = reply_to(bob, note, "小组里的回复")
    alice_tab = tabs(alice)
    read(alice_tab, post)
    alice_tab.locator(f'.margin [data-card="{note.pk}"]').click()
    dialog = alice_tab.get_by_role("dialog")
    dialog.get_by_role("combobox", name="谁能看到 Who can see it").select_option("everyone")
    dialog.get_by_role("button", name="保存 Save").click()
    # The reader loads the thread again (its replies changed audience and version).
    card = alice_tab.locator(f'.margin [data-card="{note.pk}"]')
    expect(card).to_contain_text("所有人 Everyone")
    expect(card.locator("[data-reply-count]")).to_have_text("1 条回复 reply")
    answer.refresh_from_db()
    assert (answer.visibility, answer.group_id) == (Visibility.EVERYONE, None)
    clean(alice_tab)


def test_staff_may_hide_a_note_to_everyone(tabs, post, alice, carol):
    alice.is_staff = True
    alice.save()
    note = services.create(
        carol, changes(post, "外交政策", kind="note", body="给所有人", visibility="everyone")
    )
    alice_tab = tabs(alice)
    read(alice_tab, post)
    marks(alice_tab, note).click()
    alice_tab.get_by_role("dialog").get_by_role("button", name="隐藏 Hide").click()
    expect(alice_tab.get_by_role("dialog").locator("[data-hidden-notice]")).to_be_visible()
    note.refresh_from_db()
    assert note.hidden_by == alice
    clean(alice_tab)


# Whether an input's placeholder fits in its box (a phone cut the flag reason's).
PLACEHOLDER_FITS = """(input) => {
  const style = getComputedStyle(input);
  const context = document.createElement("canvas").getContext("2d");
  context.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return context.measureText(input.placeholder).width <= room;
}"""


@pytest.mark.parametrize("width", [360, 1280])
def test_the_flag_reason_box_shows_its_whole_placeholder(tabs, post, team, alice, bob, width):
    note = group_note(alice, post, "外交政策", team, kind="note", body="一个看法")
    answer = reply_to(alice, note, "作者的回复")
    bob_tab = tabs(bob, width=width)
    read(bob_tab, post)
    marks(bob_tab, note).click()
    dialog = bob_tab.get_by_role("dialog")
    # The note's flag form, and a reply's, one level deeper.
    for target in (note, answer):
        dialog.locator(f'[data-flag="{target.pk}"]').click()
        reason = dialog.locator(f'[data-flag-form="{target.pk}"]').get_by_role(
            "textbox", name="举报理由（可不填）Reason (optional)"
        )
        expect(reason).to_be_focused()
        assert reason.evaluate(PLACEHOLDER_FITS)
        box, room = reason.bounding_box(), dialog.bounding_box()
        assert room["x"] <= box["x"] and box["x"] + box["width"] <= room["x"] + room["width"]
    assert bob_tab.evaluate("document.documentElement.scrollWidth") <= width
    save_screenshot(bob_tab, f"groups-flag-reason-{width}")
    clean(bob_tab)


def test_a_note_i_flagged_says_so_when_opened_again(tabs, post, team, alice, bob):
    note = group_note(alice, post, "外交政策", team, kind="note", body="一个看法")
    answer = reply_to(alice, note, "作者的回复")
    bob_tab = tabs(bob)
    read(bob_tab, post)
    marks(bob_tab, note).click()
    dialog = bob_tab.get_by_role("dialog")
    for target in (note, answer):
        dialog.locator(f'[data-flag="{target.pk}"]').click()
        form = dialog.locator(f'[data-flag-form="{target.pk}"]')
        form.get_by_role("button", name="发送举报 Send flag").click()
        expect(form).to_have_count(0)
    expect(dialog.get_by_role("status")).to_have_count(2)
    assert Flag.objects.filter(user=bob).count() == 2
    bob_tab.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    # Opened again: flagged, not a second 举报 Flag (until the page is loaded again).
    marks(bob_tab, note).click()
    expect(dialog.locator("[data-flag]")).to_have_count(0)
    for target in (note, answer):
        flagged = dialog.locator(f'[data-flagged="{target.pk}"]')
        expect(flagged).to_have_text("已举报 Flagged")
        expect(flagged).to_be_disabled()
    # Another note of the group's is still to flag.
    other = group_note(alice, post, "美国的反应", team, kind="note", body="另一个")
    read(bob_tab, post)
    marks(bob_tab, other).click()
    expect(dialog.get_by_role("button", name="举报 Flag")).to_be_visible()
    clean(bob_tab)
