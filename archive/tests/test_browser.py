"""The reader in a real browser: Chromium through Playwright (see conftest.page)."""

import re

import pytest
from playwright.sync_api import expect

from archive.importer import import_paths
from archive.models import Post
from conftest import FIXTURE_POSTS, close_quietly, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAYLOADS = """
<div><p>Payloads follow; none may run.</p>
<script>alert('script')</script>
<img src="x" onerror="alert('onerror')">
<img src="https://img.invalid/a.png" onload="alert('onload')">
<svg><script>alert('svg')</script></svg><svg onload="alert('svg onload')"></svg>
<a href="javascript:alert('js url')" id="js-link">js link</a>
<a href="jav&#x09;ascript:alert('tab')">tab link</a>
<iframe src="javascript:alert('iframe')"></iframe>
<iframe srcdoc="<script>parent.alert('srcdoc')</script>"></iframe>
<object data="javascript:alert('object')"></object>
<embed src="javascript:alert('embed')">
<form action="javascript:alert('form')"><button id="form-button">go</button></form>
<details open ontoggle="alert('ontoggle')"><summary>s</summary></details>
<p style="background:url(javascript:alert('style'))">styled</p>
<math><maction actiontype="statusline" xlink:href="javascript:alert('math')">m</maction></math>
<base href="javascript:alert('base')//">
<meta http-equiv="refresh" content="0;url=javascript:alert('meta')">
<noscript><p title="</noscript><img src=x onerror=alert('noscript')>"></p></noscript>
<p>&lt;script&gt;alert('escaped')&lt;/script&gt; is text about XSS.</p>
</div>
"""


def test_a_post_full_of_xss_payloads_renders_and_nothing_runs(page, archive_dir):
    archive_dir.write(body=PAYLOADS, title="<img src=x onerror=alert('title')>")
    import_paths([archive_dir])
    post = Post.objects.get()
    page.goto(post.get_absolute_url())
    expect(page.locator("[data-post-body]")).to_contain_text("Payloads follow")
    expect(page.locator("[data-post-body]")).to_contain_text(
        "<script>alert('escaped')</script> is text about XSS."
    )
    for clickable in ("#js-link", "text=js link", "text=tab link"):
        if page.locator(clickable).count():
            page.locator(clickable).first.click()
    page.wait_for_timeout(300)
    assert page.dialogs == []
    assert page.errors == []
    assert page.locator("script:not([src])").count() == 0
    assert (
        page.evaluate("document.querySelectorAll('[data-post-body] iframe, object, embed').length")
        == 0
    )


def test_the_demo_xss_article_shows_its_code_as_text(page):
    import_paths([FIXTURE_POSTS])
    post = Post.objects.get(url="https://example.org/zh/xss")
    page.goto(post.get_absolute_url())
    expect(page.locator("h1")).to_contain_text("<script>alert(1)</script>")
    expect(page.locator("[data-post-body]")).to_contain_text("<script>alert(1)</script>")
    page.locator("[data-post-body] a", has_text="链接").first.click()
    page.wait_for_timeout(200)
    assert page.dialogs == [] and page.errors == []


def test_search_works_from_the_keyboard(page):
    import_paths([FIXTURE_POSTS])
    page.goto("/")
    page.keyboard.press("/")
    expect(page.locator("[data-search-input]")).to_be_focused()
    page.keyboard.type("台湾")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q="))
    # Typed in simplified characters, found in the traditional-script demo post.
    expect(page.locator("[data-results] .post-item-title").first).to_have_text("臺灣的夜市文化")
    expect(page.locator("[data-results] mark").first).to_have_text("臺灣")
    save_screenshot(page, "search-1280")


def test_j_and_k_walk_through_the_source(page):
    import_paths([FIXTURE_POSTS])
    posts = list(Post.objects.filter(source__name="示例日报").order_by("published_at", "id"))
    middle = posts[len(posts) // 2]
    page.goto(middle.get_absolute_url())
    page.keyboard.press("j")
    expect(page).to_have_url(re.compile(posts[len(posts) // 2 - 1].get_absolute_url() + "$"))
    page.keyboard.press("k")
    expect(page).to_have_url(re.compile(middle.get_absolute_url() + "$"))


def test_theme_toggle_overrides_the_system_and_is_remembered(page):
    import_paths([FIXTURE_POSTS])
    page.emulate_media(color_scheme="light")
    page.goto("/")
    background = "getComputedStyle(document.body).backgroundColor"
    light = page.evaluate(background)
    page.click("[data-theme-toggle]")
    dark = page.evaluate(background)
    assert dark != light
    page.reload()
    assert page.evaluate(background) == dark


def test_script_toggle_converts_the_body_without_changing_its_text_length(page):
    import_paths([FIXTURE_POSTS])
    post = Post.objects.get(title="臺灣的夜市文化")
    page.goto(post.get_absolute_url())
    page.click("[data-script='hans']")
    body = page.locator("[data-post-body]")
    expect(body).to_contain_text("台湾")
    text = body.evaluate("node => node.textContent")
    assert len(text) == len(post.text) and text != post.text


@pytest.mark.parametrize(("width", "height"), [(360, 740), (1280, 900)])
def test_the_reader_fits_phone_and_desktop_widths(page, width, height):
    import_paths([FIXTURE_POSTS])
    page.set_viewport_size({"width": width, "height": height})
    for post in Post.objects.all():
        page.goto(post.get_absolute_url())
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{post.title} scrolls sideways at {width}px"
    table_post = Post.objects.filter(body_html__contains="<table").first()
    page.goto(table_post.get_absolute_url())
    save_screenshot(page, f"reader-{width}")
    page.goto("/")
    save_screenshot(page, f"list-{width}")


@pytest.mark.corpus
def test_post_text_is_exactly_the_browsers_text_content_for_every_corpus_post(page, corpus):
    """The one-text invariant annotations stand on: offsets into Post.text are offsets into
    what the reader's browser holds, in every script."""
    import_paths([corpus])
    page.route(re.compile(r"^https?://(?!localhost|127\.0\.0\.1)"), lambda route: route.abort())
    mismatched = []
    for post in Post.objects.only("id", "title", "text"):
        page.goto(post.get_absolute_url(), wait_until="domcontentloaded")
        text = page.evaluate("document.querySelector('[data-post-body]').textContent")
        if text != post.text:
            mismatched.append(post.title)
    assert mismatched == []
    assert Post.objects.count() == 141


FONT = "el => getComputedStyle(el).fontFamily"


@pytest.mark.parametrize("width", [360, 1280])
def test_english_posts_read_in_latin_fonts_and_chinese_ones_in_cjk_fonts(page, width):
    """With a CJK font an English apostrophe is full width ("It’ s"): lang picks the fonts."""
    page.set_viewport_size({"width": width, "height": 800})
    import_paths([FIXTURE_POSTS])
    english = Post.objects.get(url="https://example.com/en/verify-video")
    page.goto(english.get_absolute_url())
    expect(page.locator("article.post")).to_have_attribute("lang", "en")
    assert page.locator("[data-post-body] p").first.evaluate(FONT).startswith("Georgia")
    save_screenshot(page, "reader-english")
    chinese = Post.objects.get(url="https://example.hk/p/urban-renewal")
    page.goto(chinese.get_absolute_url())
    expect(page.locator("article.post")).to_have_attribute("lang", "zh-Hant")
    assert "CJK TC" in page.locator("[data-post-body] p").first.evaluate(FONT).split(",")[0]


@pytest.mark.parametrize("width", [360, 1280])
def test_pretty_printed_chinese_shows_no_stray_spaces(page, archive_dir, width):
    page.set_viewport_size({"width": width, "height": 800})
    archive_dir.write(
        body="<p>据\n    <a href='https://x.org/'>\n      报道\n    </a>\n"
        "  ，《\n  书名\n  》。</p>",
    )
    import_paths([archive_dir])
    post = Post.objects.get()
    page.goto(post.get_absolute_url())
    shown = page.locator("[data-post-body] p").first.inner_text()
    assert shown == "据报道，《书名》。"
    assert page.locator("[data-post-body]").evaluate("el => el.textContent") == post.text


def test_on_a_phone_the_filters_are_a_button_above_the_list(browser, live_server):
    import_paths([FIXTURE_POSTS])
    context = browser.new_context(viewport={"width": 360, "height": 740}, base_url=live_server.url)
    phone = context.new_page()
    phone.goto("/")
    filters = phone.locator("details.facets")
    expect(filters).not_to_have_attribute("open", "")
    assert filters.bounding_box()["y"] < phone.locator(".post-list").bounding_box()["y"]
    filters.locator("summary").click()
    expect(filters.get_by_role("heading", name="来源 Source")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= innerWidth")
    save_screenshot(phone, "list-phone-filters")
    close_quietly(context)


@pytest.mark.parametrize("width", [360, 1280])
def test_a_conversation_shows_each_contribution_under_its_contributors(page, width):
    page.set_viewport_size({"width": width, "height": 800})
    import_paths([FIXTURE_POSTS])
    post = Post.objects.get(url="https://example.com/conversation/trade-talks")
    page.goto(post.get_absolute_url())
    headings = page.locator("[data-post-body] h2")
    expect(headings).to_have_text(["Ann Author", "Bo Bai", "Cai Chen"])
    expect(page.locator("[data-post-body]")).to_contain_text("the first step is domestic")
    expect(page.locator("[data-post-body]")).not_to_contain_text("Cheap pills")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    save_screenshot(page, f"reader-conversation-{width}")


@pytest.mark.parametrize("width", [360, 1280])
def test_a_teaser_says_so_in_the_reader(page, archive_dir, width):
    page.set_viewport_size({"width": width, "height": 800})
    archive_dir.write(body="<p>你是對的！感謝糾錯。</p>")
    import_paths([archive_dir])
    page.goto(Post.objects.get().get_absolute_url())
    note = page.get_by_role("note")
    expect(note).to_contain_text("可能只是摘要")
    expect(note.get_by_role("link", name="读原文 read the original ↗")).to_be_visible()
    expect(page.locator(".reading-time")).to_have_count(0)
