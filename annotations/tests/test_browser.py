"""The annotator in a real browser: Chromium through Playwright (see conftest.page)."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from annotations import services
from annotations.models import Annotation, Colour, Kind, State
from annotations.tests.conftest import changes
from archive.importer import import_paths
from archive.models import Post
from conftest import close_quietly, save_screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BODY = (
    "<div><p>第一段说了一些话，和经济无关。这里还有更多的文字，让段落长一些。</p>"
    "<p>第二段讲<b>中国的经济</b>，中国的经济增长放缓了很多，专家说这是结构性的问题，"
    "短期内难以扭转。</p>"
    "<p>第三段谈外交政策和它与邻国的关系，以及美国的反应。</p>"
    "<p>The fourth paragraph is in English and quotes a minister who said growth will recover.</p>"
    "</div>"
)

# Select the ``occurrence``-th copy of ``quote`` in the article body, as a reader's drag would.
SELECT = """([quote, occurrence]) => {
  const body = document.querySelector('[data-post-body]');
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
  const nodes = []; let text = '';
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement.closest('[data-pizhu-ui]')) continue;
    nodes.push([node, text.length]); text += node.data;
  }
  let at = -1;
  for (let i = 0; i <= occurrence; i++) at = text.indexOf(quote, at + 1);
  if (at < 0) throw new Error('not found: ' + quote);
  const locate = (offset, isEnd) => {
    for (const [node, start] of nodes) {
      const end = start + node.data.length;
      if (isEnd ? offset <= end : offset < end) return [node, offset - start];
    }
  };
  const range = document.createRange();
  range.setStart(...locate(at, false));
  range.setEnd(...locate(at + quote.length, true));
  const selection = getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  document.dispatchEvent(new MouseEvent('mouseup', { bubbles: true }));
}"""


# The article's text without what the annotator adds inside it (cards are data-pizhu-ui).
ARTICLE_TEXT = """() => {
  const copy = document.querySelector('[data-post-body]').cloneNode(true);
  copy.querySelectorAll('[data-pizhu-ui]').forEach(node => node.remove());
  return copy.textContent;
}"""


@pytest.fixture
def post(archive_dir):
    """This module's longer article (its own BODY), not the annotations conftest's."""
    archive_dir.write(body=BODY, url="https://example.org/economy")
    import_paths([archive_dir])
    return Post.objects.get(url="https://example.org/economy")


@pytest.fixture
def signed_in(page, live_server, reader):
    sign_in(page, live_server, reader)
    return page


def open_post(page, post, query=""):
    page.goto(post.get_absolute_url() + query)
    expect(page.locator("[data-annotator]")).to_have_attribute("data-annotations-loaded", "true")


def select(page, quote, occurrence=0):
    page.evaluate(SELECT, [quote, occurrence])


def marks(page, annotation):
    return page.locator(f'mark[data-annotation="{annotation.pk}"]')


def test_select_highlight_reload_and_it_is_still_there(signed_in, post):
    page = signed_in
    open_post(page, post)
    select(page, "增长放缓了很多")
    toolbar = page.get_by_role("toolbar", name="批注所选文字 Annotate the selection")
    expect(toolbar).to_be_visible()
    toolbar.get_by_role("button", name="划线 Highlight: 绿 Green").click()
    expect(page.locator("mark.pz-mark")).to_have_count(1)

    annotation = Annotation.objects.get()
    assert (annotation.exact, annotation.colour, annotation.kind) == (
        "增长放缓了很多",
        "green",
        "highlight",
    )
    assert post.text[annotation.start : annotation.end] == "增长放缓了很多"
    page.reload()
    expect(marks(page, annotation)).to_have_text("增长放缓了很多")
    expect(marks(page, annotation)).to_have_attribute("data-colour", "green")
    assert page.errors == []


def test_the_toolbar_and_editor_name_the_servers_palette_and_kinds(signed_in, post):
    page = signed_in
    open_post(page, post)
    select(page, "增长放缓了很多")
    toolbar = page.get_by_role("toolbar", name="批注所选文字 Annotate the selection")
    swatches = toolbar.locator("[data-colour]")
    expected = [f"划线 Highlight: {label}" for _, label in Colour.choices]
    assert [swatches.nth(i).get_attribute("aria-label") for i in range(swatches.count())] == (
        expected
    )
    toolbar.get_by_role("button", name="笔记 Note").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_have_attribute("aria-label", f"{Kind.NOTE.label}: 增长放缓了很多")
    choices = dialog.locator(".pz-colour-choice")
    assert [choices.nth(i).inner_text().strip() for i in range(choices.count())] == [
        label for _, label in Colour.choices
    ]
    assert page.errors == []


def test_a_highlight_spans_inline_markup_and_paragraphs(signed_in, post):
    page = signed_in
    open_post(page, post)
    select(
        page,
        "中国的经济</b>，中国的经济增长放缓了很多，专家说这是结构性的问题，短期内难以扭转。\n第三段谈外交".replace(
            "</b>", ""
        ),
    )
    page.keyboard.press("h")
    expect(page.locator("mark.pz-mark")).to_have_count(3)  # inside <b>, after it, next <p>
    annotation = Annotation.objects.get()
    assert annotation.exact.startswith("中国的经济") and annotation.exact.endswith("第三段谈外交")
    text = page.evaluate(
        "[...document.querySelectorAll('mark.pz-mark')].map(m => m.textContent).join('')"
    )
    assert text == annotation.exact.replace("\n", "")  # no mark on the break between blocks
    # Painting changed the DOM, not the text: offsets still hold.
    assert page.evaluate("document.querySelector('[data-post-body]').textContent") == post.text


def test_add_a_note_then_edit_it(signed_in, post):
    page = signed_in
    open_post(page, post)
    select(page, "专家说这是结构性的问题")
    page.keyboard.press("n")
    editor = page.get_by_role("dialog")
    expect(editor.get_by_role("textbox", name="笔记 Note (Markdown)")).to_be_focused()
    editor.get_by_role("textbox", name="笔记 Note (Markdown)").fill(
        "**结构性**问题 <script>x</script>"
    )
    editor.get_by_role("textbox", name="标签 Tags (comma-separated)").fill("经济, 观点")
    editor.get_by_role("button", name="保存 Save").click()

    card = page.locator(".margin [data-card]")
    expect(card).to_contain_text("结构性问题 <script>x</script>")
    expect(card.locator("strong")).to_have_text("结构性")
    expect(card).to_contain_text("#经济")
    # Beside its passage on a wide screen.
    card_box, mark_box = card.bounding_box(), page.locator("mark.pz-mark").first.bounding_box()
    assert card_box["x"] > mark_box["x"] and abs(card_box["y"] - mark_box["y"]) < 5

    card.click()
    editor.get_by_role("textbox", name="笔记 Note (Markdown)").fill("改过的笔记")
    editor.get_by_role("button", name="保存 Save").click()
    expect(page.locator(".margin [data-card]")).to_contain_text("改过的笔记")
    page.reload()
    expect(page.locator(".margin [data-card]")).to_contain_text("改过的笔记")
    annotation = Annotation.objects.get()
    assert (annotation.kind, annotation.body, annotation.version) == ("note", "改过的笔记", 2)
    assert sorted(t.name for t in annotation.tags.all()) == ["经济", "观点"]
    assert page.errors == []


def test_a_translation_shows_interlinear_or_side_by_side(signed_in, post):
    page = signed_in
    open_post(page, post)
    select(page, "第三段谈外交政策和它与邻国的关系，以及美国的反应。")
    page.keyboard.press("t")
    editor = page.get_by_role("dialog")
    expect(editor.get_by_role("textbox", name="语言 Language (BCP 47)")).to_have_value("en")
    editor.get_by_role("textbox", name="译文 Translation").fill(
        "The third paragraph is on foreign policy."
    )
    editor.get_by_role("button", name="保存 Save").click()

    inline = page.locator("[data-post-body] [data-card].pz-translation")
    expect(inline).to_have_text(
        "翻译 Translation · 黄 YellowenThe third paragraph is on foreign policy."
    )
    expect(inline.locator(".pz-card-body")).to_have_attribute("lang", "en")
    # Interlinear: right under its paragraph, and marked as not part of the article's text.
    assert inline.evaluate("card => card.previousElementSibling.textContent").startswith("第三段")
    assert page.evaluate(ARTICLE_TEXT) == post.text

    page.get_by_role("button", name="并排 Side by side").click()
    expect(page.locator(".margin [data-card].pz-translation")).to_be_visible()
    expect(inline).to_have_count(0)
    save_screenshot(page, "annotations-translation-side")
    page.reload()  # the choice is remembered
    expect(page.locator(".margin [data-card].pz-translation")).to_be_visible()


def test_overlapping_highlights_both_show(signed_in, post, reader):
    first = services.create(reader, changes(post, "中国的经济增长放缓", colour="yellow"))
    second = services.create(reader, changes(post, "增长放缓了很多", colour="blue"))
    page = signed_in
    open_post(page, post)
    expect(marks(page, first)).not_to_have_count(0)
    expect(marks(page, second)).not_to_have_count(0)
    assert "".join(marks(page, first).all_text_contents()) == "中国的经济增长放缓"
    assert "".join(marks(page, second).all_text_contents()) == "增长放缓了很多"
    # The overlap (增长放缓) lies inside both, and its colour differs from either alone.
    overlap = page.locator(
        f'mark[data-annotation="{first.pk}"] mark[data-annotation="{second.pk}"]'
    )
    expect(overlap).to_have_text("增长放缓")
    colours = [
        marks(page, annotation).first.evaluate("mark => getComputedStyle(mark).backgroundColor")
        for annotation in (first, second)
    ]
    assert colours[0] != colours[1]
    save_screenshot(page, "annotations-overlap")


def test_delete_a_highlight_and_undo(signed_in, post, reader):
    annotation = services.create(reader, changes(post, "增长放缓", kind="note", body="x"))
    page = signed_in
    open_post(page, post)
    marks(page, annotation).first.click()
    page.get_by_role("dialog").get_by_role("button", name="删除 Delete").click()
    expect(marks(page, annotation)).to_have_count(0)
    expect(page.locator("[data-card]")).to_have_count(0)
    assert Annotation.objects.alive().count() == 0
    page.get_by_role("status").get_by_role("button", name="撤销 Undo").click()
    expect(marks(page, annotation)).to_have_count(1)
    page.reload()
    expect(marks(page, annotation)).to_have_text("增长放缓")
    assert Annotation.objects.alive().count() == 1


def test_escape_closes_and_keyboard_opens_a_highlight(signed_in, post, reader):
    annotation = services.create(reader, changes(post, "增长放缓"))
    page = signed_in
    open_post(page, post)
    marks(page, annotation).focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(marks(page, annotation)).to_be_focused()


def test_phone_width_puts_notes_inline_and_the_editor_at_the_bottom(
    browser, live_server, post, reader
):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, base_url=live_server.url, has_touch=True
    )
    page = context.new_page()
    sign_in(page, live_server, reader)
    services.create(reader, changes(post, "增长放缓", kind="note", body="手机上的笔记"))
    open_post(page, post)
    card = page.locator("[data-post-body] [data-card]")
    expect(card).to_contain_text("手机上的笔记")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    card.click()
    box = page.get_by_role("dialog").bounding_box()
    assert box["y"] + box["height"] <= 844 and box["x"] >= 0 and box["width"] <= 390
    save_screenshot(page, "annotations-phone")
    close_quietly(context)


def test_orphans_are_listed_and_can_be_attached_to_new_text(signed_in, post, reader):
    annotation = services.create(reader, changes(post, "增长放缓", kind="note", body="孤儿"))
    Annotation.objects.filter(pk=annotation.pk).update(state=State.ORPHANED)
    page = signed_in
    open_post(page, post)
    toggle = page.get_by_role("button", name="未定位 Orphans (1)")
    toggle.click()
    orphan = page.locator(f'[data-orphan="{annotation.pk}"]')
    expect(orphan).to_contain_text("增长放缓")
    expect(orphan).to_contain_text("孤儿")
    select(page, "外交政策")
    orphan.get_by_role("button", name="重新定位 Attach here").click()
    expect(marks(page, annotation)).to_have_text("外交政策")
    expect(toggle).to_be_hidden()
    annotation.refresh_from_db()
    assert (annotation.state, annotation.exact) == (State.ANCHORED, "外交政策")


def test_selecting_in_the_traditional_view_annotates_the_original_text(signed_in, post):
    page = signed_in
    open_post(page, post, "?script=hant")
    select(page, "增長放緩")
    page.keyboard.press("h")
    expect(page.locator("mark.pz-mark")).to_have_text("增長放緩")
    assert Annotation.objects.get().exact == "增长放缓"


@pytest.mark.parametrize("width", [360, 1280])
def test_another_user_sees_none_of_it_unless_shared(page, live_server, post, reader, width):
    page.set_viewport_size({"width": width, "height": 800})
    private = services.create(reader, changes(post, "增长放缓"))
    shared = services.create(reader, changes(post, "外交政策", visibility="everyone"))
    other = get_user_model().objects.create_user("other", password="other-password-1")
    sign_in(page, live_server, other)
    open_post(page, post)
    expect(marks(page, shared)).to_have_count(1)
    expect(marks(page, private)).to_have_count(0)
    marks(page, shared).click()
    dialog = page.get_by_role("dialog")
    # To read: the quote and whose it is, no form with every field disabled.
    expect(dialog).to_contain_text("外交政策")
    expect(dialog).to_contain_text("@reader")
    expect(dialog.get_by_role("button", name="保存 Save")).to_have_count(0)
    # The one box in it is for a reply (issue 15), not the note's fields.
    expect(dialog.locator("textarea, input, select")).to_have_count(1)
    expect(dialog.get_by_role("textbox", name="写回复 Write a reply (Markdown)")).to_be_visible()
    dialog.get_by_role("button", name="关闭 Close").click()
    expect(dialog).to_be_hidden()


def test_a_link_to_an_annotation_scrolls_to_it_and_flashes_it(signed_in, post, reader):
    annotation = services.create(reader, changes(post, "growth will recover"))
    page = signed_in
    page.goto(annotation.get_absolute_url())
    expect(marks(page, annotation)).to_have_class("pz-mark pz-flash")
    assert page.evaluate("scrollY >= 0")


def test_anonymous_readers_are_invited_to_sign_in(page, post):
    page.goto(post.get_absolute_url())
    expect(page.get_by_role("link", name="登录后批注 Sign in to annotate")).to_be_visible()
    select(page, "增长放缓")
    expect(page.locator(".pz-toolbar")).to_have_count(0)


def test_sign_up_annotate_reimport_and_find_every_note(page, archive_dir, post):
    """The issue's whole story: a new user signs up, highlights, notes and translates, the
    post is re-imported changed, and every note is where it belongs or listed as an orphan."""
    page.goto("/accounts/signup/")
    page.get_by_label("用户名 Username").fill("newcomer")
    page.get_by_label("密码 Password:", exact=True).fill("a-long-passphrase")
    page.get_by_label("再输一次 Password again").fill("a-long-passphrase")
    page.get_by_role("button", name="注册 Sign up").click()
    expect(page.get_by_role("link", name="账户 Account: newcomer")).to_be_visible()

    open_post(page, post)
    select(page, "增长放缓了很多")
    page.keyboard.press("h")
    select(page, "专家说这是结构性的问题")
    page.keyboard.press("n")
    page.get_by_role("dialog").get_by_role("textbox").first.fill("结构性，不是周期性")
    page.get_by_role("button", name="保存 Save").click()
    select(page, "The fourth paragraph is in English")
    page.keyboard.press("t")
    page.get_by_role("dialog").get_by_role("textbox", name="译文 Translation").fill("第四段是英文")
    page.get_by_role("dialog").get_by_role("textbox", name="语言 Language (BCP 47)").fill("zh-Hans")
    page.get_by_role("button", name="保存 Save").click()
    expect(page.locator("[data-card]")).to_have_count(2)
    page.reload()
    expect(page.locator("mark.pz-mark")).not_to_have_count(0)

    # Re-import: a paragraph added on top, a word fixed in the note's passage, the English
    # paragraph deleted.
    changed = (
        BODY.replace("<div>", "<div><p>编者按：本文有更新。</p>")
        .replace("结构性的问题", "结构性的难题")
        .replace(
            "<p>The fourth paragraph is in English and quotes a minister who said growth will"
            " recover.</p>",
            "",
        )
    )
    archive_dir.write(body=changed, url=post.url)
    assert import_paths([archive_dir]).updated == 1

    page.reload()
    expect(page.locator("[data-annotator]")).to_have_attribute("data-annotations-loaded", "true")
    by_kind = {a.kind: a for a in Annotation.objects.all()}
    expect(marks(page, by_kind["highlight"])).to_have_text("增长放缓了很多")
    expect(marks(page, by_kind["note"])).to_have_text("专家说这是结构性的难题")
    expect(page.locator(".margin [data-card]")).to_contain_text("结构性，不是周期性")
    page.get_by_role("button", name="未定位 Orphans (1)").click()
    expect(page.locator(f'[data-orphan="{by_kind["translation"].pk}"]')).to_contain_text(
        "The fourth paragraph is in English"
    )
    save_screenshot(page, "annotations-after-reimport")
    assert Annotation.objects.count() == 3


def test_from_the_notebook_to_the_passage_and_a_downloaded_export(
    signed_in, post, reader, tmp_path
):
    note = services.create(
        reader, changes(post, "growth will recover", kind="note", body="乐观的部长")
    )
    services.create(reader, changes(post, "增长放缓"))
    page = signed_in
    page.goto("/")
    page.get_by_role("link", name="笔记 Notes").click()  # one
    entry = page.locator(f'[data-entry="{note.pk}"]')
    expect(entry).to_contain_text("乐观的部长")
    entry.get_by_role(
        "link", name="在原文中查看 Show in the article: growth will recover"
    ).click()  # two
    expect(page).to_have_url(re.compile(rf"/posts/{post.pk}/#annotation-{note.pk}$"))
    expect(marks(page, note)).to_have_class("pz-mark pz-flash")

    page.go_back()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Markdown .zip").click()
    download = download_info.value
    assert download.suggested_filename == "pizhu-notes.zip"
    path = tmp_path / "notes.zip"
    download.save_as(path)
    import zipfile

    (name,) = zipfile.ZipFile(path).namelist()
    text = zipfile.ZipFile(path).read(name).decode()
    assert "> growth will recover" in text and "乐观的部长" in text and "> 增长放缓" in text


@pytest.mark.parametrize("width", [360, 1280])
def test_a_click_where_highlights_overlap_offers_each_of_them(signed_in, post, reader, width):
    signed_in.set_viewport_size({"width": width, "height": 800})
    first = services.create(reader, changes(post, "中国的经济增长放缓", colour="yellow"))
    second = services.create(
        reader, changes(post, "增长放缓了很多", kind="note", body="第二条", colour="blue")
    )
    page = signed_in
    open_post(page, post)
    page.locator(f'mark[data-annotation="{second.pk}"]', has_text="增长放缓").first.click()
    menu = page.get_by_role("menu", name="选择批注 Choose an annotation")
    items = menu.get_by_role("menuitem")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("“增长放缓了很多”")
    expect(items.nth(1)).to_contain_text("黄 Yellow")
    items.nth(1).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_have_attribute("aria-label", f"划线 Highlight: {first.exact}")
    assert page.errors == []


@pytest.mark.parametrize("width", [360, 1280])
def test_a_note_cannot_be_saved_empty(signed_in, post, width):
    signed_in.set_viewport_size({"width": width, "height": 800})
    page = signed_in
    open_post(page, post)
    select(page, "增长放缓")
    page.keyboard.press("n")
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="保存 Save").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Write something first")
    assert not Annotation.objects.exists()


def test_cards_under_one_paragraph_keep_reading_order(signed_in, post, reader):
    for quote, note in (("第二段讲", "先"), ("中国的经济增长", "中"), ("专家说", "后")):
        services.create(reader, changes(post, quote, kind="translation", body=note, language="en"))
    page = signed_in
    open_post(page, post)
    cards = page.locator("[data-post-body] [data-card] .pz-card-body")
    expect(cards).to_have_text(["先", "中", "后"])


@pytest.mark.parametrize("width", [360, 1280])
def test_the_toolbar_shows_every_colour_inside_the_screen(
    browser, live_server, post, reader, width
):
    context = browser.new_context(
        viewport={"width": width, "height": 740}, base_url=live_server.url
    )
    page = context.new_page()
    sign_in(page, live_server, reader)
    open_post(page, post)
    select(page, "短期内难以扭转")
    toolbar = page.get_by_role("toolbar", name="批注所选文字 Annotate the selection")
    expect(toolbar).to_be_visible()
    for swatch in toolbar.locator("[data-colour]").all():
        box = swatch.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, box
    save_screenshot(page, f"annotations-toolbar-{width}")
    close_quietly(context)


def test_on_a_phone_the_editor_leaves_the_passage_in_sight(browser, live_server, post, reader):
    context = browser.new_context(viewport={"width": 360, "height": 640}, base_url=live_server.url)
    page = context.new_page()
    sign_in(page, live_server, reader)
    annotation = services.create(
        reader, changes(post, "growth will recover", kind="note", body="n")
    )
    open_post(page, post)
    marks(page, annotation).first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    passage = marks(page, annotation).first.bounding_box()
    sheet = dialog.bounding_box()
    assert passage["y"] >= 0 and passage["y"] + passage["height"] <= sheet["y"], (passage, sheet)
    close_quietly(context)


@pytest.mark.parametrize("width", [360, 1280])
def test_a_refused_change_is_explained_in_a_sentence_not_a_field_path(signed_in, post, width):
    signed_in.set_viewport_size({"width": width, "height": 800})
    page = signed_in
    open_post(page, post)
    select(page, "增长放缓")
    page.keyboard.press("t")
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("textbox", name="语言 Language (BCP 47)").fill("not a language!")
    dialog.get_by_role("textbox", name="译文 Translation").fill("growth slowed")
    dialog.get_by_role("button", name="保存 Save").click()
    alert = dialog.get_by_role("alert")
    expect(alert).to_have_text(
        "语言要写成 en、zh-Hant 这样的语言代码。The language must be a language code such as en or "
        "zh-Hant."
    )
    assert not Annotation.objects.exists()


def test_on_a_phone_a_filter_in_error_keeps_the_filters_open(signed_in, post, reader):
    services.create(reader, changes(post, "增长放缓"))
    page = signed_in
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/notes/")
    expect(page.locator(".notebook-filters-box")).not_to_have_attribute("open", "")
    page.goto("/notes/?since=0001-01-01")
    error = page.get_by_role("alert")
    expect(error).to_be_visible()
    expect(error).to_contain_text("Must be between 1900 and 2199.")
