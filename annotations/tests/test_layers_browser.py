"""The reader's layers (全部 All / 我的 Mine / a group / 所有人 Everyone) and others'
annotations drawn apart from mine, in Chromium (issue 15 §5)."""

import re

import pytest
from playwright.sync_api import expect

from annotations import services
from annotations.models import Annotation, Visibility
from annotations.tests.conftest import changes
from annotations.tests.test_browser import marks, select
from annotations.tests.test_groups_browser import (
    choose_layer,
    clean,
    economy_post,
    group_note,
    open_tabs,
    read,
    reply_to,
)
from conftest import save_screenshot
from groups import services as groups

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAYER = "图层 Layer"
# Mine are filled with their colour, others' underlined: what each mark's style says.
STYLE = (
    "(node) => [getComputedStyle(node).backgroundColor, getComputedStyle(node).textDecorationLine]"
)


@pytest.fixture
def post(archive_dir):
    return economy_post(archive_dir)


@pytest.fixture
def tabs(browser, live_server):
    yield from open_tabs(browser, live_server)


@pytest.fixture
def layered(post, team, other_team, alice, bob, carol):
    """What alice may see on the post, one of each kind: hers (private, in the group, to
    everyone), bob's in the group, carol's to everyone; and what she may not (bob's private,
    carol's in her own group)."""
    return {
        "mine": services.create(alice, changes(post, "增长放缓")),
        "mine_group": group_note(alice, post, "外交政策", team, kind="note", body="我发到小组的"),
        "mine_everyone": services.create(
            alice, changes(post, "minister", visibility=Visibility.EVERYONE)
        ),
        "bob_group": group_note(bob, post, "第一段", team, kind="note", body="bob 发到小组的"),
        "carol_everyone": services.create(
            carol, changes(post, "growth will recover", visibility=Visibility.EVERYONE)
        ),
        "bob_private": services.create(bob, changes(post, "短期内难以扭转")),
        "carol_team": group_note(carol, post, "美国的反应", other_team),
    }


def shown(tab, layered):
    """The names of ``layered``'s annotations painted on the page."""
    return {name for name, a in layered.items() if marks(tab, a).count()}


def test_each_layer_shows_its_annotations(tabs, layered, alice, team):
    tab = tabs(alice)
    read(tab, layered["mine"].post)
    everything = {"mine", "mine_group", "mine_everyone", "bob_group", "carol_everyone"}
    assert shown(tab, layered) == everything
    switcher = tab.get_by_role("combobox", name=LAYER)
    expect(switcher).to_have_value("all")
    options = switcher.locator("option")
    assert options.all_inner_texts() == [
        "全部 All I can see (5)",
        "我的 Mine (3)",
        f"小组: {team.name} (2)",
        "所有人 Everyone (2)",
    ]
    expected = {
        "mine": {"mine", "mine_group", "mine_everyone"},
        f"group:{team.pk}": {"mine_group", "bob_group"},
        "everyone": {"mine_everyone", "carol_everyone"},
        "all": everything,
    }
    for layer, names in expected.items():
        choose_layer(tab, layer)
        expect(tab.locator("mark.pz-mark")).to_have_count(len(names))
        assert shown(tab, layered) == names
        # The panel, the margin and the count follow the layer too.
        expect(tab.get_by_role("button", name=f"批注 Annotations ({len(names)})")).to_be_visible()
    choose_layer(tab, f"group:{team.pk}")
    expect(tab.locator(".margin [data-card]")).to_have_count(2)
    save_screenshot(tab, "layers-group")
    clean(tab)


def test_the_chosen_layer_is_remembered_in_this_browser(tabs, layered, alice, team):
    tab = tabs(alice)
    read(tab, layered["mine"].post)
    choose_layer(tab, f"group:{team.pk}")
    read(tab, layered["mine"].post)
    expect(tab.get_by_role("combobox", name=LAYER)).to_have_value(f"group:{team.pk}")
    assert shown(tab, layered) == {"mine_group", "bob_group"}
    clean(tab)


def test_a_layer_of_a_group_i_left_falls_back_to_all(tabs, layered, bob, team):
    tab = tabs(bob)
    read(tab, layered["mine"].post)
    choose_layer(tab, f"group:{team.pk}")
    assert shown(tab, layered) == {"mine_group", "bob_group"}
    groups.leave(bob, team)
    read(tab, layered["mine"].post)
    expect(tab.get_by_role("combobox", name=LAYER)).to_have_value("all")
    # His note left the group with him: private to him now, and still his to see.
    assert shown(tab, layered) == {"mine_everyone", "carol_everyone", "bob_group", "bob_private"}
    clean(tab)


def test_others_annotations_are_drawn_apart_and_signed(tabs, layered, alice):
    tab = tabs(alice)
    read(tab, layered["mine"].post)
    mine, theirs = marks(tab, layered["mine"]), marks(tab, layered["carol_everyone"])
    expect(mine).not_to_have_class(re.compile(r"\bpz-theirs\b"))
    expect(theirs).to_have_class(re.compile(r"\bpz-theirs\b"))
    mine_fill, mine_line = mine.evaluate(STYLE)
    their_fill, their_line = theirs.evaluate(STYLE)
    assert mine_fill != "rgba(0, 0, 0, 0)" and "underline" not in mine_line
    assert their_fill == "rgba(0, 0, 0, 0)" and "underline" in their_line
    # Whose it is, in words: to a screen reader and on the card.
    expect(mine).to_have_attribute("aria-label", re.compile("我的 mine"))
    expect(theirs).to_have_attribute("aria-label", re.compile("@carol 的 by carol"))
    expect(theirs).to_have_attribute("aria-label", re.compile("所有人 Everyone"))
    card = tab.locator(f'.margin [data-card="{layered["bob_group"].pk}"]')
    expect(card).to_have_class(re.compile(r"\bpz-theirs\b"))
    expect(card.locator(".pz-by")).to_have_text("@bob")
    mine_card = tab.locator(f'.margin [data-card="{layered["mine_group"].pk}"]')
    expect(mine_card.locator(".pz-by")).to_have_count(0)
    # The panel says whose too.
    tab.get_by_role("button", name="批注 Annotations (5)").click()
    expect(tab.locator(f'[data-panel-item="{layered["carol_everyone"].pk}"]')).to_contain_text(
        "@carol"
    )
    clean(tab)


def test_a_private_note_written_in_a_group_layer_stays_in_sight(tabs, post, team, alice):
    tab = tabs(alice)
    read(tab, post)
    choose_layer(tab, f"group:{team.pk}")
    select(tab, "结构性的问题")
    tab.keyboard.press("h")
    # Private by default, so not in the group's layer: the reader shows everything instead
    # of letting it vanish.
    expect(tab.locator("mark.pz-mark")).to_have_count(1)
    created = Annotation.objects.get()
    assert created.visibility == Visibility.PRIVATE
    expect(marks(tab, created)).to_have_count(1)
    expect(tab.get_by_role("combobox", name=LAYER)).to_have_value("all")
    expect(tab.locator(".pz-toast")).to_contain_text("Switched to All")
    clean(tab)


def test_replies_follow_their_note_into_its_layer(tabs, layered, alice, bob, team):
    answer = reply_to(alice, layered["bob_group"], "alice 回复 bob")
    tab = tabs(bob)
    read(tab, layered["mine"].post)
    choose_layer(tab, "mine")
    # bob's own note, with alice's reply under it, though the reply is not his.
    card = tab.locator(f'.margin [data-card="{layered["bob_group"].pk}"]')
    expect(card.locator("[data-reply-count]")).to_have_text("1 条回复 reply")
    card.click()
    expect(tab.get_by_role("dialog").locator(f'[data-reply="{answer.pk}"]')).to_contain_text(
        "alice 回复 bob"
    )
    clean(tab)


@pytest.mark.parametrize("layer", ["all", "group"])
def test_at_phone_width_nothing_overflows(tabs, layered, alice, bob, team, layer):
    reply_to(bob, layered["mine_group"], "一条很长的回复，" * 12)
    tab = tabs(alice, width=360)
    read(tab, layered["mine"].post)
    if layer == "group":
        choose_layer(tab, f"group:{team.pk}")
    switcher = tab.get_by_role("combobox", name=LAYER)
    expect(switcher).to_be_visible()
    box = switcher.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    tab.locator(f'[data-card="{layered["mine_group"].pk}"]').click()
    dialog = tab.get_by_role("dialog")
    expect(dialog.get_by_role("textbox", name="写回复 Write a reply (Markdown)")).to_be_attached()
    assert tab.evaluate("document.documentElement.scrollWidth") <= 360
    dialog_box = dialog.bounding_box()
    assert dialog_box["x"] >= 0 and dialog_box["x"] + dialog_box["width"] <= 360
    save_screenshot(tab, f"layers-360-{layer}")
    clean(tab)


def test_a_link_to_a_note_outside_the_layer_shows_all(tabs, layered, alice):
    tab = tabs(alice)
    read(tab, layered["mine"].post)
    choose_layer(tab, "mine")
    target = layered["carol_everyone"]
    tab.goto(target.get_absolute_url())
    expect(marks(tab, target)).to_have_class(re.compile(r"\bpz-flash\b"))
    expect(tab.get_by_role("combobox", name=LAYER)).to_have_value("all")
    clean(tab)


def test_without_groups_or_others_notes_there_is_no_layer_to_choose(tabs, post, dave):
    services.create(dave, changes(post, "增长放缓"))
    tab = tabs(dave)
    tab.add_init_script("localStorage.setItem('pizhu-layer', 'everyone')")
    read(tab, post)
    # Hidden, and hiding nothing: the layer chosen on another post does not apply here.
    expect(tab.get_by_role("combobox", name=LAYER)).to_be_hidden()
    expect(tab.locator("mark.pz-mark")).to_have_count(1)
    assert tab.evaluate("localStorage.getItem('pizhu-layer')") == "everyone"
    clean(tab)


def test_on_a_phone_the_layers_keep_their_chinese_half(tabs, layered, alice, team):
    tab = tabs(alice, width=360)
    read(tab, layered["mine"].post)
    options = tab.get_by_role("combobox", name=LAYER).locator("option")
    assert options.all_inner_texts() == [
        "全部 (5)",
        "我的 (3)",
        f"小组: {team.name} (2)",
        "所有人 (2)",
    ]
    clean(tab)


# --- What a layer is called, what it leaves out, and the switcher on a phone ------------------

WIDTHS = [360, 1280]
# Whether the chosen option's text fits in the select's box, beside its arrow.
FITS = """(select) => {
  const style = getComputedStyle(select);
  const context = document.createElement("canvas").getContext("2d");
  context.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const text = context.measureText(select.options[select.selectedIndex].textContent).width;
  const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
  const arrow = 16;
  return text + padding + arrow <= select.clientWidth;
}"""
# The rows the reader's tools take (as in archive's reading tests, the select included).
TOOL_ROWS = """() => {
  const boxes = [...document.querySelectorAll('.reader-tools :is(a, button, select)')]
    .filter((node) => node.checkVisibility())
    .map((node) => node.getBoundingClientRect())
    .sort((a, b) => a.top - b.top);
  let rows = 0, bottom = -Infinity;
  for (const box of boxes) {
    if (box.top >= bottom - 1) { rows++; bottom = box.bottom; }
    else bottom = Math.max(bottom, box.bottom);
  }
  return rows;
}"""


@pytest.mark.parametrize("width", WIDTHS)
def test_my_layer_is_not_called_like_the_editors_only_me(tabs, layered, alice, width):
    """只有我 Only me is who may see a note (the editor); the layer of my notes, whoever sees
    them, is 我的 Mine, heard as 我的批注 My notes (both halves on a phone too)."""
    tab = tabs(alice, width=width)
    read(tab, layered["mine"].post)
    switcher = tab.get_by_role("combobox", name=LAYER)
    mine = switcher.get_by_role("option", name="我的批注 My notes (3)", exact=True)
    expect(mine).to_have_attribute("value", "mine")
    expect(mine).to_have_text("我的 (3)" if width == 360 else "我的 Mine (3)")
    everything = switcher.get_by_role("option", name="全部 All I can see (5)", exact=True)
    expect(everything).to_have_attribute("value", "all")  # the others' names are their labels
    assert not [text for text in switcher.locator("option").all_inner_texts() if "只有我" in text]
    clean(tab)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_layer_that_leaves_notes_out_says_so_and_shows_all(tabs, layered, alice, width):
    tab = tabs(alice, width=width)
    read(tab, layered["mine"].post)
    notice = tab.locator("[data-layer-hidden]")
    expect(notice).to_be_hidden()  # 全部 All leaves nothing out
    choose_layer(tab, "mine")
    expect(notice).to_be_visible()
    # Remembered: the next post opens in this layer, and says at once what it leaves out.
    read(tab, layered["mine"].post)
    expect(tab.get_by_role("combobox", name=LAYER)).to_have_value("mine")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("另有 2 条未显示")
    expect(notice).to_contain_text("2 more not in this layer")  # on a phone, in its text only
    show_all = notice.get_by_role("button", name="显示全部 Show all", exact=True)
    box = show_all.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    if width == 360:
        assert box["height"] >= 32  # a finger's
    assert tab.evaluate("document.documentElement.scrollWidth") <= width
    save_screenshot(tab, f"layers-left-out-{width}")
    show_all.click()
    switcher = tab.get_by_role("combobox", name=LAYER)
    expect(switcher).to_have_value("all")
    expect(switcher).to_be_focused()
    expect(notice).to_be_hidden()
    expect(tab.locator("mark.pz-mark")).to_have_count(5)
    assert tab.evaluate("localStorage.getItem('pizhu-layer')") == "all"
    clean(tab)


def test_a_layer_that_leaves_everything_out_says_so_in_the_panel(tabs, layered, dave):
    tab = tabs(dave)  # in no group: he sees the two notes to everyone, and has none
    read(tab, layered["mine"].post)
    choose_layer(tab, "mine")
    tab.get_by_role("button", name="批注 Annotations (0)").click()
    expect(tab.locator("[data-panel-empty]")).to_have_text(
        "这个图层里没有批注。No annotation in this layer."
    )
    expect(tab.locator("[data-layer-hidden]")).to_contain_text("另有 2 条未显示")
    clean(tab)


def test_the_panel_and_the_layers_count_alike_after_leaving_a_group(tabs, layered, bob, team):
    """The new user's run: bob left the group, his reply stayed under alice's group note he
    no longer sees. The panel lists it (under 原批注已删除或不再可见) and counted it; the
    layers did not, and 全部 All (4) sat next to 批注 Annotations (5)."""
    reply_to(bob, layered["mine_group"], "bob 在小组里的回复")
    groups.leave(bob, team)
    tab = tabs(bob)
    read(tab, layered["mine"].post)
    switcher = tab.get_by_role("combobox", name=LAYER)
    # His two notes (the group's one private now), the two to everyone, and the reply.
    assert switcher.locator("option").all_inner_texts() == [
        "全部 All I can see (5)",
        "我的 Mine (3)",
        "所有人 Everyone (2)",
    ]
    tab.get_by_role("button", name="批注 Annotations (5)").click()
    panel = tab.locator("[data-panel-list] > li")
    expect(panel).to_have_count(5)
    expect(tab.locator("[data-panel] [data-loose-thread]")).to_have_count(1)
    choose_layer(tab, "everyone")
    expect(tab.get_by_role("button", name="批注 Annotations (2)")).to_be_visible()
    expect(panel).to_have_count(2)
    expect(tab.locator("[data-layer-hidden]")).to_contain_text("另有 3 条未显示")
    clean(tab)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_switcher_is_readable_and_fits(tabs, post, alice, width):
    group, _ = groups.create_group(alice, "读报小组 Reading Circle")
    group_note(alice, post, "外交政策", group, kind="note", body="小组的笔记")
    tab = tabs(alice, width=width)
    read(tab, post)
    choose_layer(tab, f"group:{group.pk}")
    switcher = tab.get_by_role("combobox", name=LAYER)
    expect(switcher).to_have_value(f"group:{group.pk}")
    # Its label shows (on a phone, its Chinese half), not clipped to a pixel.
    label = tab.locator('label[for="layer-select"]')
    expect(label).to_be_visible()
    assert label.bounding_box()["width"] >= 20
    box = switcher.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    assert box["width"] >= 150
    if width == 360:
        assert box["height"] >= 32  # a finger's
    # The group's whole name shows in the box.
    assert switcher.evaluate(FITS)
    assert tab.evaluate("document.documentElement.scrollWidth") <= width
    if width == 360:
        # One row more than without the switcher at most, and the text still starts on the
        # first screen of a phone.
        assert tab.evaluate(TOOL_ROWS) <= 3
        assert tab.locator("[data-post-body] p").first.bounding_box()["y"] + 40 < 740
    save_screenshot(tab, f"layers-switcher-{width}")
    clean(tab)
