"""archive.cleaning: pure, no database."""

import time

import pytest
from selectolax.lexbor import LexborHTMLParser

from archive.cleaning import CLEANER_VERSION, clean, limit_nesting, sanitize, text_content
from archive.tests.html_checks import tags_in, unsafe_markup


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<svg onload=alert(1)><circle/></svg>",
        "<iframe src='https://evil.example'></iframe>",
        "<object data='x.swf'></object><embed src='x.swf'>",
        "<form action='https://evil.example'><input name=q><button>go</button></form>",
        "<meta http-equiv=refresh content='0;url=https://evil.example'>",
        "<base href='https://evil.example/'><link rel=stylesheet href='x.css'>",
        "<math><mi xlink:href='javascript:alert(1)'>x</mi></math>",
        "<p style='background:url(javascript:alert(1))'>x</p>",
    ],
)
def test_dangerous_markup_is_removed(payload):
    html = sanitize(f"<p>before</p>{payload}<p>after</p>")
    assert unsafe_markup(html) == []
    assert "before" in html and "after" in html


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "&#106;avascript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html,<script>alert(1)</script>",
        " javascript:alert(1)",
    ],
)
def test_script_urls_are_removed_in_every_disguise(href):
    html = sanitize(
        f'<a href="{href}">link</a><img src="{href}"><blockquote cite="{href}">q</blockquote>'
        f'<q cite="{href}">q</q>'
    )
    for node in LexborHTMLParser(html).body.traverse():
        for value in (node.attributes or {}).values():
            assert "script" not in (value or "").lower() and "data:" not in (value or "")


def test_links_get_rel_noopener_noreferrer_nofollow():
    html = sanitize('<a href="https://example.org/">x</a>')
    assert 'rel="noopener noreferrer nofollow"' in html


def test_escaped_markup_in_the_text_stays_visible_text():
    cleaned = clean("<p>例如 &lt;script&gt;alert(1)&lt;/script&gt; 这段文字</p>")
    assert "<script>alert(1)</script>" in cleaned.text
    assert "script" not in tags_in(cleaned.body_html)


def test_article_structure_is_kept():
    source = (
        "<h2>小标题</h2><p><strong>粗</strong><em>斜</em><a href='https://x.org'>链接</a></p>"
        "<ul><li>一</li></ul><ol><li>二</li></ol><blockquote>引</blockquote>"
        "<table><tr><td>格</td></tr></table><figure><img src='https://x.org/a.jpg' alt='图'>"
        "<figcaption>说明</figcaption></figure><pre><code>code</code></pre>"
        "<ruby>漢<rp>(</rp><rt>hàn</rt><rp>)</rp></ruby>"
    )
    kept = tags_in(sanitize(source))
    assert {
        "h2",
        "strong",
        "em",
        "a",
        "ul",
        "ol",
        "li",
        "blockquote",
        "table",
        "td",
        "figure",
        "img",
        "figcaption",
        "pre",
        "code",
        "ruby",
        "rt",
        "rp",
    } <= kept


def test_generator_header_is_not_part_of_the_body():
    cleaned = clean(
        "<!--1738440032000-->\n[标题](https://x.org/a)\n------\n\n<div><p>正文</p></div>"
    )
    assert cleaned.text == "正文"
    assert "标题" not in cleaned.body_html


def test_stray_null_before_the_body_is_dropped():
    assert clean("<div>\nnull       <p>正文</p></div>").text.strip() == "正文"
    assert clean("null<p>正文</p>").text == "正文"


def test_the_word_null_inside_text_is_kept():
    assert clean("<p>null hypothesis</p>").text == "null hypothesis"


def test_text_is_the_text_content_of_the_body():
    cleaned = clean("<p>a &amp; b<br>c</p>\n<p>第二段</p>")
    assert cleaned.text == "a & bc\n第二段"
    assert text_content(cleaned.body_html) == cleaned.text


def test_cleaning_is_versioned():
    assert clean("<p>x</p>").version == CLEANER_VERSION


def test_shallow_markup_is_untouched_by_the_depth_limit():
    html = "<div>" * 300 + "x" + "</div>" * 300 + "<p>y</p>" * 300
    assert limit_nesting(html) == html


def test_deep_nesting_is_unwrapped_and_keeps_every_word():
    depth = 100_000
    html = "<div>" * depth + "深处的文字" + "</div>" * depth
    started = time.perf_counter()
    cleaned = clean(html)
    elapsed = time.perf_counter() - started
    assert cleaned.text == "深处的文字"
    assert cleaned.body_html.count("<div>") <= 200
    assert elapsed < 5, "deep nesting must not be quadratic"


def test_unclosed_inline_tags_are_bounded_too():
    html = "<font><b>" * 5000 + "文字"
    assert clean(html).text == "文字"
    assert clean(html).body_html.count("<b>") <= 200


# --- Tidying: the article without the page around it (archive.tidy) -------------------------


def body_of(html: str, **context) -> str:
    return clean(f"<div>{html}</div>", **context).body_html


def text_of(html: str, **context) -> str:
    return " ".join(clean(f"<div>{html}</div>", **context).text.split())


def test_jetpack_share_and_like_widgets_go():
    html = (
        "<p>正文第一段。</p>"
        '<div class="sharedaddy sd-sharing-enabled"><h3 class="sd-title">共享此文章：</h3>'
        '<ul><li><a href="https://twitter.com/share">Twitter</a></li></ul></div>'
        '<div class="sharedaddy sd-like"><h3>赞过：</h3><span>正在加载……</span></div>'
        '<div id="jp-relatedposts" class="jp-relatedposts"><h3><em>相关</em></h3></div>'
    )
    assert text_of(html) == "正文第一段。"


@pytest.mark.parametrize(
    "label", ["Share this:", "分享", "延伸閱讀", "聚焦新聞", "相關文章", "Related"]
)
def test_a_widget_label_goes_with_the_links_listed_after_it(label):
    html = (
        "<p>Article text stays.</p>"
        f"<p><strong>{label}</strong></p>"
        '<ul><li><a href="/a">Other story</a></li><li><a href="/b">Another</a></li></ul>'
        '<p><a href="/c">A third one</a></p>'
        "<p>The closing paragraph stays too.</p>"
    )
    assert text_of(html) == "Article text stays. The closing paragraph stays too."


def test_a_label_word_inside_a_sentence_is_article_text():
    assert (
        text_of("<p>我想分享一本书：延伸閱讀是好習慣。</p>") == "我想分享一本书：延伸閱讀是好習慣。"
    )


def test_comment_forms_author_boxes_and_tag_strips_go():
    html = (
        "<p>Body.</p>"
        '<div class="author-box"><p>About the author: a long biography here.</p></div>'
        '<div id="comments"><h2>Leave a Reply</h2><form><textarea></textarea></form></div>'
        '<p>標籤：<a href="/tag/a">台灣</a>、<a href="/tag/b">選舉</a></p>'
        '<footer class="entry-footer"><a rel="tag" href="/tag/c">China</a></footer>'
    )
    assert text_of(html) == "Body."


def test_a_whole_scraped_page_keeps_only_its_content_element():
    page = (
        '<header><h1 class="entry-title">The Title</h1></header>'
        '<div class="entry-meta"><a rel="author">Someone</a></div>'
        '<div class="entry-content"><p>Only this.</p></div>'
        '<nav><a href="/next">Next post</a></nav>'
    )
    assert text_of(page) == "Only this."


def test_the_repeated_title_heading_goes_but_later_headings_stay():
    html = "<h1> 标题 一 </h1><p>正文。</p><h2>小标题</h2><h2>标题 一</h2>"
    assert text_of(html, title="标题 一") == "正文。 小标题 标题 一"


def test_spacer_paragraphs_and_runs_of_line_breaks_go():
    html = (
        "<p>\u3000</p><p><span> </span></p><p>&nbsp;</p><div>\u200b</div>"
        "<p>one<br><br><br><br>two</p><p><img src='https://x.org/a.png'></p>"
    )
    body = body_of(html)
    assert body.count("<p>") == 2
    assert "one<br><br>two" in body and "a.png" in body


def test_lazy_images_get_their_real_source():
    html = (
        '<img src="data:image/gif;base64,R0lGOD" data-src="https://x.org/real.jpg">'
        '<img class="lazyload" data-lazy-src="https://x.org/lazy2.jpg">'
        '<img data-srcset="https://x.org/s.jpg 300w, https://x.org/l.jpg 1024w">'
    )
    body = body_of(html)
    assert 'src="https://x.org/real.jpg"' in body
    assert 'src="https://x.org/lazy2.jpg"' in body
    assert 'src="https://x.org/l.jpg"' in body
    assert "data:" not in body and "srcset" not in body


def test_noscript_fallback_replaces_its_placeholder_image():
    html = (
        '<img src="https://x.org/placeholder-lazy.gif">'
        '<noscript><img src="https://x.org/full.jpg" alt="full"></noscript>'
        "<noscript><p>Please enable JavaScript</p></noscript>"
    )
    body = body_of(html)
    assert body.count("<img") == 1 and "full.jpg" in body
    assert "JavaScript" not in body


def test_picture_becomes_its_image_with_a_source_url_when_the_image_has_none():
    html = (
        '<picture><source type="image/webp" srcset="https://x.org/a.webp 1x, '
        'https://x.org/a@2x.webp 2x"><img onerror="this.src=1" alt="pic"></picture>'
    )
    body = body_of(html)
    assert "<picture" not in body and "<source" not in body and "onerror" not in body
    assert 'src="https://x.org/a@2x.webp"' in body and 'alt="pic"' in body


def test_image_urls_become_absolute_https_and_private():
    body = body_of('<img src="//cdn.x.org/a.png"><img src="/up/b.png">', url="https://x.org/p/1")
    assert 'src="https://cdn.x.org/a.png"' in body and 'src="https://x.org/up/b.png"' in body
    for img in LexborHTMLParser(body).css("img"):
        assert img.attrs["loading"] == "lazy"
        assert img.attrs["decoding"] == "async"
        assert img.attrs["referrerpolicy"] == "no-referrer"


def test_tracking_pixels_go():
    html = (
        '<img src="https://x.org/t.gif" width="1" height="1">'
        '<img src="https://pixel.wp.com/g.gif?blog=1">'
        '<img src="https://x.org/photo.jpg" width="600">'
    )
    body = body_of(html)
    assert body.count("<img") == 1 and "photo.jpg" in body


@pytest.mark.parametrize(
    ("frame", "link"),
    [
        (
            '<iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ?rel=0"></iframe>',
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        ),
        (
            '<iframe data-src="//www.youtube-nocookie.com/embed/dQw4w9WgXcQ"></iframe>',
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        ),
        (
            '<iframe src="https://player.vimeo.com/video/76979871"></iframe>',
            "https://vimeo.com/76979871",
        ),
        ('<video src="https://x.org/clip.mp4" controls></video>', "https://x.org/clip.mp4"),
    ],
)
def test_video_embeds_become_plain_link_cards(frame, link):
    body = body_of(f"<p>{frame}</p>")
    assert "<iframe" not in body and "<video" not in body
    card = LexborHTMLParser(body).css_first("span.embed a")
    assert card is not None and card.attrs["href"] == link


def test_a_layout_table_around_one_image_becomes_a_figure():
    html = (
        '<table><tr><td><img src="https://x.org/a.jpg" alt="A"></td></tr>'
        "<tr><td>图：<em>说明</em></td></tr></table>"
    )
    figure = LexborHTMLParser(body_of(html)).css_first("figure")
    assert figure is not None
    assert figure.css_first("img").attrs["src"] == "https://x.org/a.jpg"
    assert figure.css_first("figcaption").html == "<figcaption>图：<em>说明</em></figcaption>"


def test_a_data_table_stays_a_table():
    html = (
        "<table><tr><th>年份</th><th>人数</th></tr><tr><td>2020</td><td>3</td></tr>"
        "<tr><td>2021</td><td>5</td></tr></table>"
    )
    body = body_of(html)
    assert "<table>" in body and "<figure>" not in body and "2021" in body


def test_wordpress_captions_become_figures():
    html = (
        '<div class="wp-caption"><img src="https://x.org/a.jpg">'
        '<p class="wp-caption-text">Caption here</p></div>'
    )
    caption = LexborHTMLParser(body_of(html)).css_first("figure figcaption")
    assert caption is not None and caption.text() == "Caption here"


def test_relative_links_resolve_against_the_post_url_and_dead_anchors_lose_their_href():
    body = body_of('<a href="../other">x</a><a href="#top">y</a>', url="https://x.org/a/b/post")
    links = LexborHTMLParser(body).css("a")
    assert links[0].attrs["href"] == "https://x.org/a/other"
    assert "href" not in links[1].attrs


def test_hidden_elements_of_the_original_page_go():
    html = '<p>Seen.</p><h2 class="element-invisible">file.jpg</h2><span class="sr-only">x</span>'
    assert text_of(html) == "Seen."


def test_text_keeps_leading_whitespace_like_the_browser():
    # A browser parsing the reader page keeps the whitespace before the first element.
    assert text_content("\n  <ul><li>x</li></ul>\n") == "\n  x\n"


def test_block_starts_are_where_paragraphs_begin_in_the_text():
    from archive.cleaning import block_starts, text_content

    html = "<p>第一段。</p><p>第二段<b>粗</b>。</p><ul><li>一</li><li>二</li></ul><p>a<br>b</p>"
    text = text_content(html)
    starts = block_starts(html)
    assert [text[at : at + 2] for at in starts] == ["第二", "一二", "二a", "ab", "b"]
    assert block_starts("") == []


CONVERSATION = """
<div class="field-name-body"><p>The editors ask: what now? —<em>The Editors</em></p></div>
<div id="comments" class="comment-wrapper"><h2 class="title">Comments</h2>
  <article class="comment comment-by-node-author">
    <div class="node node-profile contributor"><img src="https://x.example/a.jpg" alt>
      <h3><a href="/contributors/a">Ann Author</a></h3></div>
    <div class="node node-profile contributor"><h3><a href="/contributors/b">Bo Bai</a></h3></div>
    <div class="field field-name-comment-body"><p>First contribution, one.</p>
      <p>First contribution, two.</p></div>
    <nav class="links"><a href="/reply">Reply</a></nav>
  </article>
  <article class="comment">
    <div class="node node-profile contributor"><h3><a href="/c/c">Cai Chen</a></h3></div>
    <div class="field field-name-comment-body"><p>Second contribution, unmarked.</p></div>
  </article>
  <article class="comment"><div class="submitted">Anonymous (未验证)</div>
    <div class="field field-name-comment-body"><p>Buy cheap pills here.</p></div>
  </article>
</div>
"""


def test_contributions_in_comment_markup_stay_under_their_contributors_in_order():
    """ChinaFile conversations: the experts' contributions are Drupal comments; readers'
    comments are not kept."""
    cleaned = clean(CONVERSATION, title="What now?")
    tree = LexborHTMLParser(cleaned.body_html)
    assert [h.text() for h in tree.css("h2")] == ["Ann Author & Bo Bai", "Cai Chen"]
    assert cleaned.text.index("The editors ask") < cleaned.text.index("First contribution, one")
    assert cleaned.text.index("First contribution, two") < cleaned.text.index("Second contrib")
    for gone in ("Buy cheap pills", "Reply", "Anonymous", "Comments"):
        assert gone not in cleaned.text
    assert not tree.css("img")  # profile photos are page furniture


@pytest.mark.parametrize(
    ("html", "text"),
    [
        (
            '<p>《<a href="https://x.org/">\n  在私人政府的靴子之下\n</a>》</p>',
            "《在私人政府的靴子之下》",
        ),
        ("<p>据\n  <b>报道</b>\n ，今天</p>", "据报道，今天"),
        ("<p>日本語の\n  <em>文章</em>\n です</p>", "日本語の文章です"),
        # A space beside a tag, between wide characters or inside full-width brackets.
        ('<p>《 <a href="https://x.org/">7个以抵抗为主题</a>》</p>', "《7个以抵抗为主题》"),
        ("<p>（ <em>The Buried Revolution</em> ）</p>", "（The Buried Revolution）"),
        ("<p>“ <b>巨头</b> ”说</p>", "“巨头”说"),
        # Not between two wide characters, or the author's own spacing: kept.
        ("<p>English\n words</p>", "English\n words"),
        ("<p>中文\n  English</p>", "中文\n  English"),
        ("<p>한국어\n 문장</p>", "한국어\n 문장"),
        ("<pre>代码\n  缩进</pre>", "代码\n  缩进"),
        ("<p>中\u3000文 与\u00a0字</p>", "中\u3000文 与\u00a0字"),
        ("<p>中国 台湾</p>", "中国 台湾"),  # typed by the author, not beside a tag
        ("<p>中文 <b>English</b> words</p>", "中文 English words"),
        # Between blocks the browser shows no space anyway: nothing to take out.
        ("<p>第一段</p>\n<p>第二段</p>", "第一段\n第二段"),
    ],
)
def test_source_line_breaks_between_chinese_characters_do_not_become_spaces(html, text):
    cleaned = clean(html)
    assert cleaned.text == text
    assert cleaned.text == text_content(cleaned.body_html)


@pytest.mark.parametrize(
    ("html", "text"),
    [
        (
            '<div><div>文/</div><a href="/author/1">陆伟</a></div><p>正文开始了。</p>',
            "正文开始了。",
        ),
        ("<p><span>文/ <span>张大风</span></span> 近日有报导指。</p>", " 近日有报导指。"),
        ("<p>记者：王小明</p><p>正文。</p>", "正文。"),
        # Not a byline: a sentence, or not where a byline stands.
        (
            "<p>文/图：这是一篇关于文字的文章，写得很长。</p>",
            "文/图：这是一篇关于文字的文章，写得很长。",
        ),
        ("<p>他说：<span>作者：张三</span></p>", "他说：作者：张三"),
    ],
)
def test_a_byline_in_the_body_goes(html, text):
    assert clean(html).text == text


def test_blocks_written_back_to_back_are_apart_in_the_text():
    """A line break between blocks and cells that the source did not space: the page looks
    the same, and excerpts, search words and quotes no longer run together."""
    cleaned = clean(
        "<ul><li>sources.</li><li>1grep</li></ul>"
        "<table><tr><td>2021</td><td>23.1</td></tr><tr><td>2022</td><td>17</td></tr></table>"
        "<p>a<br>b</p>"
    )
    assert cleaned.text == "sources.\n1grep\n2021\n23.1\n2022\n17\nab"
    assert cleaned.text == text_content(cleaned.body_html)
