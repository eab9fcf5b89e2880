"""The reader's annotations panel, ] and [, lit passages and page notes, in Chromium."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from annotations import services
from annotations.models import Annotation
from annotations.tests.conftest import changes
from annotations.tests.test_browser import marks, open_post
from annotations.values import Changes, Target
from archive.importer import import_paths
from archive.models import Post
from conftest import ARTIFACTS, save_screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [360, 1280]
FILLER = "这一段只是为了让文章足够长，读者需要往下滚动才能看到后面的内容。" * 3
# Long enough that the later passages start well below the first screen at any width.
BODY = (
    "<div>"
    + "".join(f"<p>第{n}段。段落{n}的要点在这里。{FILLER}</p>" for n in range(1, 41))
    + "</div>"
)
FLASHING = re.compile(r"\bpz-flash\b")
LIT = re.compile(r"\bpz-lit\b")
UNFLASH = "document.querySelectorAll('.pz-flash').forEach(n => n.classList.remove('pz-flash'))"


@pytest.fixture
def post(archive_dir):
    archive_dir.write(body=BODY, url="https://example.org/long")
    import_paths([archive_dir])
    return Post.objects.get(url="https://example.org/long")


@pytest.fixture
def at_width(page, live_server, reader, request):
    page.set_viewport_size({"width": request.param, "height": 800})
    sign_in(page, live_server, reader)
    return page


def page_note(user, post, body, **fields):
    whole = Target(source=post.url, post_id=post.pk, exact="", start=None, end=None)
    return services.create(user, Changes(target=whole, kind="note", body=body, **fields))


def panel_items(page):
    return page.locator("[data-panel] [data-panel-item]")


def listed_ids(page):
    items = panel_items(page)
    return [int(items.nth(i).get_attribute("data-panel-item")) for i in range(items.count())]


def open_panel(page, count):
    page.get_by_role("button", name=f"批注 Annotations ({count})").click()
    panel = page.get_by_role("complementary", name="本文的批注 This post's annotations")
    expect(panel).to_be_visible()
    return panel


def in_viewport(page, locator):
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


@pytest.mark.parametrize("at_width", WIDTHS, indirect=True)
def test_the_panel_lists_page_notes_first_then_passages_in_reading_order(at_width, post, reader):
    later = services.create(reader, changes(post, "段落30的要点", kind="note", body="后面的笔记"))
    earlier = services.create(reader, changes(post, "段落3的要点", colour="green"))
    middle = services.create(
        reader, changes(post, "段落15的要点", kind="translation", body="gist", language="en")
    )
    note = page_note(reader, post, "整篇的看法")
    other = get_user_model().objects.create_user("other", password="other-password-1")
    shared = services.create(other, changes(post, "段落20的要点", visibility="everyone"))
    services.create(other, changes(post, "段落25的要点"))  # private: never listed
    page = at_width
    open_post(page, post)
    open_panel(page, 5)
    assert listed_ids(page) == [note.pk, earlier.pk, middle.pk, shared.pk, later.pk]
    first = panel_items(page).first
    expect(first).to_contain_text("页面笔记 Page note")
    expect(first).to_contain_text("整篇的看法")
    expect(page.locator(f'[data-panel-item="{later.pk}"]')).to_contain_text("“段落30的要点”")
    expect(page.locator(f'[data-panel-item="{later.pk}"]')).to_contain_text("后面的笔记")
    expect(page.locator(f'[data-panel-item="{shared.pk}"]')).to_contain_text("@other")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    save_screenshot(page, f"panel-{page.viewport_size['width']}")
    page.keyboard.press("Escape")
    expect(page.locator("[data-panel]")).to_be_hidden()
    expect(page.get_by_role("button", name="批注 Annotations (5)")).to_be_focused()
    assert page.errors == []


@pytest.mark.parametrize("at_width", WIDTHS, indirect=True)
def test_filtering_by_kind_and_colour_narrows_the_list(at_width, post, reader):
    yellow_note = services.create(reader, changes(post, "段落2的要点", kind="note", body="黄"))
    green_note = services.create(
        reader, changes(post, "段落4的要点", kind="note", body="绿", colour="green")
    )
    green_highlight = services.create(reader, changes(post, "段落6的要点", colour="green"))
    note = page_note(reader, post, "整篇", colour="green")
    page = at_width
    open_post(page, post)
    panel = open_panel(page, 4)
    kind = panel.get_by_label("类型 Kind")
    colour = panel.get_by_label("颜色 Colour")
    kind.select_option("note")
    expect(panel_items(page)).to_have_count(2)
    assert listed_ids(page) == [yellow_note.pk, green_note.pk]
    colour.select_option("green")
    expect(panel_items(page)).to_have_count(1)
    assert listed_ids(page) == [green_note.pk]
    kind.select_option("page")
    expect(panel_items(page)).to_have_count(1)
    assert listed_ids(page) == [note.pk]
    kind.select_option("")
    expect(panel_items(page)).to_have_count(3)
    assert listed_ids(page) == [note.pk, green_note.pk, green_highlight.pk]
    colour.select_option("purple")
    expect(panel_items(page)).to_have_count(0)
    expect(panel).to_contain_text("No annotation matches these filters.")


@pytest.mark.parametrize("at_width", WIDTHS, indirect=True)
def test_clicking_an_item_scrolls_its_passage_into_view_and_flashes_it(at_width, post, reader):
    services.create(reader, changes(post, "段落2的要点"))
    far = services.create(reader, changes(post, "段落35的要点", kind="note", body="远处"))
    page = at_width
    open_post(page, post)
    assert not in_viewport(page, marks(page, far).first)
    open_panel(page, 2)
    page.locator(f'[data-panel-item="{far.pk}"]').click()
    expect(marks(page, far).first).to_have_class(FLASHING)
    assert in_viewport(page, marks(page, far).first)
    assert page.errors == []


@pytest.mark.parametrize("at_width", WIDTHS, indirect=True)
def test_brackets_move_to_the_next_and_previous_annotation(at_width, post, reader):
    quotes = ["段落1的要点", "段落18的要点", "段落36的要点"]
    first, second, third = (services.create(reader, changes(post, q)) for q in quotes)
    page = at_width
    open_post(page, post)
    page.keyboard.press("]")
    expect(marks(page, first)).to_have_class(FLASHING)
    page.keyboard.press("]")
    expect(marks(page, second)).to_have_class(FLASHING)
    assert in_viewport(page, marks(page, second))
    page.keyboard.press("]")
    expect(marks(page, third)).to_have_class(FLASHING)
    assert in_viewport(page, marks(page, third))
    page.keyboard.press("]")  # nothing further on: says so, stays
    expect(page.get_by_role("status")).to_contain_text("No annotation further on.")
    assert in_viewport(page, marks(page, third))
    page.keyboard.press("[")
    expect(marks(page, second)).to_have_class(FLASHING)
    assert in_viewport(page, marks(page, second))
    # Scrolled back to the top by hand: [ has nothing before, ] starts from the first again.
    page.evaluate("scrollTo(0, 0)")
    page.keyboard.press("[")
    expect(page.get_by_role("status")).to_contain_text("No annotation before this.")
    # Not while typing, nor with a modifier; then ] starts again from the first one.
    page.evaluate(UNFLASH)
    search = page.get_by_role("searchbox")
    search.focus()
    page.keyboard.press("]")
    expect(search).to_have_value("]")
    page.locator("h1").click()
    page.keyboard.press("Control+]")
    page.keyboard.press("Alt+]")
    page.wait_for_timeout(200)
    expect(page.locator("mark.pz-flash")).to_have_count(0)
    page.keyboard.press("]")
    expect(marks(page, first)).to_have_class(FLASHING)
    assert page.errors == []


def test_pointing_at_a_margin_card_or_a_panel_item_lights_its_passage(
    page, live_server, post, reader
):
    note = services.create(reader, changes(post, "段落2的要点", kind="note", body="卡片"))
    other_note = services.create(reader, changes(post, "段落3的要点", kind="note", body="另一张"))
    sign_in(page, live_server, reader)
    open_post(page, post)
    card = page.locator(f'.margin [data-card="{note.pk}"]')
    card.hover()
    expect(marks(page, note)).to_have_class(LIT)
    expect(marks(page, other_note)).not_to_have_class(LIT)
    page.mouse.move(5, 5)
    expect(marks(page, note)).not_to_have_class(LIT)

    open_panel(page, 2)
    item = page.locator(f'[data-panel-item="{other_note.pk}"]')
    item.hover()
    expect(marks(page, other_note)).to_have_class(LIT)
    page.mouse.move(5, 5)
    expect(marks(page, other_note)).not_to_have_class(LIT)
    item.focus()  # the keyboard too
    expect(marks(page, other_note)).to_have_class(LIT)
    page.keyboard.press("Tab")
    expect(marks(page, other_note)).not_to_have_class(LIT)


@pytest.mark.parametrize("at_width", WIDTHS, indirect=True)
def test_a_page_note_written_in_the_reader_is_saved_and_shown_at_the_top(at_width, post, reader):
    page = at_width
    open_post(page, post)
    page.get_by_role("button", name="页面笔记 Page note", exact=True).click()
    editor = page.get_by_role("dialog", name="页面笔记 Page note")
    editor.get_by_role("textbox", name="笔记 Note (Markdown)").fill("**全文**的看法")
    editor.get_by_role("textbox", name="标签 Tags (comma-separated)").fill("总结")
    editor.get_by_role("button", name="保存 Save").click()
    block = page.get_by_role("region", name="页面笔记 Page notes")
    expect(block.locator("strong")).to_have_text("全文")

    note = Annotation.objects.get()
    assert note.is_page_note
    assert (note.user, note.body, note.kind) == (reader, "**全文**的看法", "note")
    assert [tag.name for tag in note.tags.all()] == ["总结"]

    page.reload()
    expect(page.locator("[data-annotator]")).to_have_attribute("data-annotations-loaded", "true")
    expect(block).to_contain_text("全文的看法")
    expect(block).to_contain_text("#总结")
    assert block.bounding_box()["y"] < page.locator("[data-post-body]").bounding_box()["y"]
    # Never painted into the body, never an orphan, not a margin card.
    expect(page.locator("mark.pz-mark")).to_have_count(0)
    expect(page.locator("[data-orphans-toggle]")).to_be_hidden()
    expect(page.locator("[data-card]")).to_have_count(0)
    expect(page.get_by_role("button", name="批注 Annotations (1)")).to_be_visible()
    assert page.errors == []


@pytest.mark.parametrize("at_width", WIDTHS, indirect=True)
def test_a_page_note_is_edited_and_deleted_like_any_note(at_width, post, reader):
    note = page_note(reader, post, "初稿")
    page = at_width
    open_post(page, post)
    page.locator(f'[data-page-note="{note.pk}"]').get_by_role("button", name="编辑 Edit").click()
    editor = page.get_by_role("dialog", name="页面笔记 Page note")
    editor.get_by_role("textbox", name="笔记 Note (Markdown)").fill("改过的看法")
    editor.get_by_role("button", name="保存 Save").click()
    expect(page.locator("[data-page-notes]")).to_contain_text("改过的看法")
    note.refresh_from_db()
    assert (note.body, note.version, note.is_page_note) == ("改过的看法", 2, True)

    page.locator(f'[data-page-note="{note.pk}"]').click()
    editor.get_by_role("button", name="删除 Delete").click()
    expect(page.locator("[data-page-notes]")).to_be_hidden()
    expect(page.get_by_role("button", name="批注 Annotations (0)")).to_be_visible()
    assert not Annotation.objects.alive().exists()


def test_a_page_note_outlives_a_reimport_and_is_never_an_orphan(
    page, live_server, archive_dir, post, reader
):
    note = page_note(reader, post, "关于整篇")
    passage = services.create(reader, changes(post, "段落40的要点", kind="note", body="会变孤儿"))
    archive_dir.write(body=BODY.replace("段落40的要点", "改写过的结尾"), url=post.url)
    assert import_paths([archive_dir]).updated == 1
    sign_in(page, live_server, reader)
    open_post(page, post)
    expect(page.locator(f'[data-page-note="{note.pk}"]')).to_contain_text("关于整篇")
    page.get_by_role("button", name="未定位 Orphans (1)").click()
    expect(page.locator("[data-orphan]")).to_have_count(1)
    expect(page.locator(f'[data-orphan="{passage.pk}"]')).to_be_visible()


def test_a_link_to_a_page_note_jumps_to_the_page_notes_block(page, live_server, post, reader):
    note = page_note(reader, post, "链接过来的")
    sign_in(page, live_server, reader)
    page.goto(note.get_absolute_url())
    expect(page.locator(f'[data-page-note="{note.pk}"]')).to_have_class(FLASHING)


def test_the_panel_follows_annotations_made_and_deleted_on_the_page(
    page, live_server, post, reader
):
    services.create(reader, changes(post, "段落5的要点"))
    sign_in(page, live_server, reader)
    open_post(page, post)
    open_panel(page, 1)
    page.evaluate(
        """() => {
          const body = document.querySelector('[data-post-body]');
          const text = [...body.querySelectorAll('p')][1].firstChild;
          const range = document.createRange();
          range.setStart(text, 0); range.setEnd(text, 3);
          getSelection().removeAllRanges(); getSelection().addRange(range);
        }"""
    )
    page.keyboard.press("h")
    expect(page.get_by_role("button", name="批注 Annotations (2)")).to_be_visible()
    created = Annotation.objects.latest("pk")
    assert listed_ids(page)[0] == created.pk  # paragraph 2 comes before paragraph 5
    marks(page, created).first.click()
    page.get_by_role("dialog").get_by_role("button", name="删除 Delete").click()
    expect(page.get_by_role("button", name="批注 Annotations (1)")).to_be_visible()
    expect(panel_items(page)).to_have_count(1)


@pytest.mark.parametrize("width", [1280, 1024])
def test_on_a_wide_screen_the_panel_is_a_drawer_that_covers_no_text(
    page, live_server, post, reader, width
):
    near = services.create(reader, changes(post, "段落2的要点", kind="note", body="卡片"))
    far = services.create(reader, changes(post, "段落35的要点", kind="note", body="远处"))
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, live_server, reader)
    open_post(page, post)
    card = page.locator(f'.margin [data-card="{near.pk}"]')
    expect(card).to_be_visible()
    panel = open_panel(page, 2)
    box = panel.bounding_box()
    column = page.locator("[data-post-body]").bounding_box()
    assert box["x"] >= column["x"] + column["width"]  # right of the text column
    assert (box["y"], box["height"]) == (0, 800)  # the screen's whole height
    assert box["x"] + box["width"] == width
    # The margin's cards would peek out from under it: they are listed in it, with their text.
    expect(card).to_be_hidden()
    expect(page.locator(f'[data-panel-item="{near.pk}"]')).to_contain_text("卡片")
    page.locator(f'[data-panel-item="{far.pk}"]').click()
    expect(marks(page, far).first).to_have_class(FLASHING)
    assert in_viewport(page, marks(page, far).first)
    mark_box = marks(page, far).first.bounding_box()
    assert mark_box["x"] + mark_box["width"] <= box["x"]  # the passage is not under the drawer
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"panel-drawer-{width}.png"))  # the screen, not the page
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(page.locator(f'.margin [data-card="{far.pk}"]')).to_be_visible()
    assert page.errors == []
