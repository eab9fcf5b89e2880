"""Turn a scraped article into the article itself, before it is sanitized.

One pass over a lexbor tree (the HTML5 parser ``text_content`` also uses): page chrome goes
(share and like widgets, related posts, comment forms, author boxes, tag strips, the repeated
title), lazy images get their real source, video frames become plain link cards, layout tables
around one image become figures, and spacer paragraphs disappear.

This pass only removes or rewrites markup; it never has to be safe. Everything it produces
still goes through the allowlist sanitizer in ``archive.cleaning``.
"""

from __future__ import annotations

import re
from html import escape
from urllib.parse import parse_qs, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

# Where a new block (paragraph, list item, heading, table row...) or a line break begins in
# a cleaned body, and where table cells do (archive.cleaning.block_starts; export splits
# quotes there).
# fmt: off
BLOCK_TAGS = frozenset({
    "p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "div", "figure",
    "figcaption", "table", "tr", "dd", "dt", "ul", "ol", "dl", "section", "article", "header",
    "footer", "aside", "hr", "br",
})
# fmt: on
CELL_TAGS = frozenset({"td", "th"})

# Page chrome recognised by its markup: WordPress/Jetpack and the common theme conventions.
CHROME_SELECTOR = ", ".join(
    [
        ".sharedaddy", ".sd-sharing", ".sd-like", ".jetpack-likes-widget-wrapper",
        ".jp-relatedposts", "#jp-relatedposts", "[id^='atatags']", ".wpcnt", ".wpa",
        ".post-likes-widget", ".addtoany_share_save_container", ".a2a_kit", ".social-share",
        ".share-buttons", ".sharing", ".entry-meta", ".entry-footer", ".post-meta",
        ".post-tags", ".tags-links", ".tag-links", ".cat-links", ".post-categories",
        "#comments", ".comments", ".comment", ".comment-form", ".comment-wrapper",
        ".comments-area", ".comment-respond", "#respond", ".comment-list",
        ".author-box", ".author-bio", ".author-info", ".about-author", ".saboxplugin-wrap",
        ".related-posts", ".yarpp-related", ".crp_related", ".jp-related", ".related-post",
        ".post-navigation", ".nav-links", "nav", "form", "footer", "aside", "header",
        ".entry-title", ".post-title", ".submitted", "ul.links", ".comment-add",
        # Hidden on the original page (screen-reader labels, RDF metadata): not for reading.
        ".element-invisible", ".element-hidden", ".screen-reader-text", ".sr-only",
        ".visually-hidden", "[hidden]", "[aria-hidden='true']",
    ]
)  # fmt: skip

# Page chrome recognised by its words: a short block that says only this (with or without a
# colon) is a widget's label. Compared after ``_label`` (whitespace and final colon removed,
# case folded).
CHROME_LABELS = frozenset(
    [
        "分享", "分享到", "分享此文", "分享本文", "分享文章", "共享此文章", "share this",
        "share", "share this article", "like this", "赞过", "讚好", "喜欢", "like",
        "相关", "相關", "相关文章", "相關文章", "相关阅读", "相關閱讀", "延伸閱讀", "延伸阅读",
        "聚焦新聞", "聚焦新闻", "推荐阅读", "推薦閱讀", "related", "related posts",
        "related articles", "tagged", "tags", "标签", "標籤", "关键词", "關鍵字", "关键字",
        "關鍵詞", "leave a reply", "leave a comment", "发表评论", "發表評論", "发表回复",
        "loading", "正在加载", "like loading", "您可能感兴趣的文章", "你可能感兴趣的文章",
        "您可能感興趣的文章", "冒个泡吧", "猜你喜欢", "猜你喜歡", "热门文章", "熱門文章",
        "相关新闻", "相關新聞", "推荐文章", "推薦文章", "you may also like", "more stories",
    ]
)  # fmt: skip
# Blocks that may hold a label, and the lists of links that follow one.
_LABEL_BLOCKS = "h1, h2, h3, h4, h5, h6, p, div, li, dt, strong, b, span"
_HEADINGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])

LAZY_SOURCE_ATTRIBUTES = ("data-src", "data-lazy-src", "data-original", "data-actualsrc")
LAZY_SRCSET_ATTRIBUTES = ("data-srcset", "data-lazy-srcset", "srcset")
_PLACEHOLDER = re.compile(r"^data:|lazy|placeholder|blank\.gif|spacer\.gif|pixel\.gif", re.I)
TRACKER_HOSTS = frozenset(
    [
        "pixel.wp.com", "stats.wp.com", "stats.wordpress.com", "feeds.feedburner.com",
        "www.google-analytics.com", "pixel.quantserve.com", "sb.scorecardresearch.com",
        "www.facebook.com", "pixel.mathtag.com", "b.scorecardresearch.com",
    ]
)  # fmt: skip

# Spacer text: whitespace, no-break and ideographic spaces, zero-width characters.
_BLANK = re.compile(r"^[\s\u00a0\u3000\u200b\u200c\u200d\u2060\ufeff]*$")
_CONTENT_ELEMENTS = "img, picture, figure, table, iframe, video, audio, hr, object, embed"
_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{6,20}$")


def tidy(fragment: str, *, title: str = "", base_url: str = "") -> str:
    tree = LexborHTMLParser(fragment)
    if tree.body is None:
        return ""
    root = _article_root(tree.body)
    _keep_author_contributions(root)
    _drop_chrome(root, title)
    _resolve_noscript_images(root)
    _flatten_pictures(root)
    _fix_images(root, base_url)
    _embeds_to_links(root, base_url)
    _layout_tables_to_figures(root)
    _wp_captions_to_figures(root)
    _resolve_links(root, base_url)
    _drop_spacers(root)
    _separate_blocks(root)
    _close_wide_gaps(root)
    return root.inner_html or ""


def label_of(text: str) -> str:
    """A block's text as compared with CHROME_LABELS."""
    return re.sub(r"\s+", " ", text).strip().rstrip(":：…. !！").strip().casefold()


def _text(node: LexborNode) -> str:
    return node.text(deep=True, separator="", strip=False)


def _article_root(body: LexborNode) -> LexborNode:
    """A whole scraped page: keep only the article's content element when it has one."""
    for selector in (".entry-content", "[itemprop='articleBody']", ".post-content"):
        content = body.css(selector)
        if len(content) == 1:
            return content[0]
    return body


# On ChinaFile "Conversation" pages each expert's contribution is a Drupal comment, and
# together they are most of the article. Drupal marks the comments of the page's own authors
# (comment-by-node-author), and ChinaFile heads every contribution with the contributor's
# profile, even where that mark is missing. Readers' comments have neither and go with the
# rest of the comment section.
_COMMENTS = "article.comment, div.comment, li.comment"
_AUTHOR_MARK = "comment-by-node-author"
_CONTRIBUTOR_PROFILE = ".node-profile.contributor"
_CONTRIBUTOR_NAMES = ".node-profile h3, .node-profile h2, .submitted .username"
_CONTRIBUTION_BODY = ".field-name-comment-body, .comment-body, .content"
_COMMENT_SECTION_IDS = frozenset(["comments"])
_COMMENT_SECTION_CLASSES = frozenset(
    ["comment-wrapper", "comments", "comments-area", "comment-list"]
)


def _keep_author_contributions(root: LexborNode) -> None:
    """Each contribution by the page's authors becomes a part of the article, in page order,
    under a heading naming its contributors, just before the comment section it sat in."""
    for contribution in root.css(_COMMENTS):
        marked = _AUTHOR_MARK in (contribution.attrs.get("class") or "").split()
        if not marked and contribution.css_first(_CONTRIBUTOR_PROFILE) is None:
            continue
        body = contribution.css_first(_CONTRIBUTION_BODY)
        if body is None:
            continue
        names = [" ".join(_text(n).split()) for n in contribution.css(_CONTRIBUTOR_NAMES)]
        heading = f"<h2>{escape(' & '.join(n for n in names if n))}</h2>" if any(names) else ""
        section = _fragment(f"<div>{heading}{body.inner_html}</div>")
        _comment_section_of(contribution, root).insert_before(section)
        contribution.decompose()


def _comment_section_of(node: LexborNode, root: LexborNode) -> LexborNode:
    """The outermost comment section around ``node`` below ``root`` (else ``node``)."""
    found, ancestor = node, node.parent
    while ancestor is not None and ancestor.mem_id != root.mem_id:
        classes = set((ancestor.attrs.get("class") or "").split())
        if ancestor.attrs.get("id") in _COMMENT_SECTION_IDS or classes & _COMMENT_SECTION_CLASSES:
            found = ancestor
        ancestor = ancestor.parent
    return found


def _drop_chrome(root: LexborNode, title: str) -> None:
    # Labels first: a widget's label may sit in a <header> that the selectors below remove,
    # which would leave its list of links without a label to recognise it by.
    for node in root.css(_LABEL_BLOCKS):
        if node.parent is None:  # already removed with an ancestor
            continue
        label = label_of(_text(node))
        if label in CHROME_LABELS:
            _drop_label_block(node, root)
        elif _is_tag_strip(node) or (_is_byline(label) and _opens_its_block(node)):
            node.decompose()
    for node in root.css(CHROME_SELECTOR):
        if node.parent is not None:
            node.decompose()
    title_label = label_of(title)
    if title_label:
        for heading in root.css("h1, h2, h3"):
            if label_of(_text(heading)) == title_label:
                heading.decompose()
                break  # only the first: a later heading of that text is the author's


def _drop_label_block(label: LexborNode, root: LexborNode) -> None:
    """Remove a widget label and the links listed after it."""
    anchor, wording = label, label_of(_text(label))
    # Climb out of inline wrappers such as <p><strong>延伸閱讀</strong></p>.
    while (
        anchor.parent is not None
        and anchor.parent.mem_id != root.mem_id
        and label_of(_text(anchor.parent)) == wording
    ):
        anchor = anchor.parent
    sibling = anchor.next
    anchor.decompose()
    while sibling is not None:
        following = sibling.next
        if sibling.is_text_node and _BLANK.match(sibling.text_content or ""):
            pass
        elif sibling.is_element_node and _is_link_list(sibling):
            sibling.decompose()
        else:
            break
        sibling = following


def _is_link_list(node: LexborNode) -> bool:
    """Only links (and separators): a related-posts list, a tag strip."""
    if node.tag in _HEADINGS or not node.css_first("a"):
        return False
    if node.css_first(_CONTENT_ELEMENTS) and not node.css_first("a img, a picture"):
        return False
    linked, rest = _link_and_rest(node, _text(node))
    return rest <= linked


# A block that only names the writer ("文/ 陆伟"): the reader shows the author above the body.
_BYLINE = re.compile(r"^(文|作者|撰文|记者|記者)\s*[/／:：|｜]\s*[^。！？!?，,]{1,30}$")


def _is_byline(label: str) -> bool:
    return bool(_BYLINE.match(label))


_INLINE = frozenset(["span", "strong", "b", "em", "i", "a", "font", "small"])


def _opens_its_block(node: LexborNode) -> bool:
    """A block of its own, or nothing but whitespace before ``node`` in the block it is
    part of."""
    if node.tag not in _INLINE:
        return True
    while True:
        sibling = node.prev
        while sibling is not None:
            if not (sibling.is_text_node and _BLANK.match(sibling.text_content or "")):
                return False
            sibling = sibling.prev
        if node.parent is None or node.parent.tag not in _INLINE:
            return True
        node = node.parent


_TAG_STRIP = re.compile(r"^\s*(标签|標籤|关键词|關鍵字|关键字|關鍵詞|tags?|tagged)\s*[:：]", re.I)


def _is_tag_strip(node: LexborNode) -> bool:
    text = _text(node)
    return len(text) < 400 and bool(_TAG_STRIP.match(text)) and _is_link_list_after_label(node)


def _is_link_list_after_label(node: LexborNode) -> bool:
    linked, rest = _link_and_rest(node, _TAG_STRIP.sub("", _text(node)))
    return linked > 0 and rest <= linked


_SEPARATORS = re.compile(r"[\s\u3000、,，|·•/／;；]+")


def _link_and_rest(node: LexborNode, text: str) -> tuple[int, int]:
    """(characters inside links, characters of ``text`` but separators)."""
    return sum(len(_text(a)) for a in node.css("a")), len(_SEPARATORS.sub("", text))


def _resolve_noscript_images(root: LexborNode) -> None:
    """Lazy-loading themes put the real <img> in <noscript> after a placeholder <img>."""
    for noscript in root.css("noscript"):
        if noscript.css_first("img") is None:
            noscript.decompose()
            continue
        placeholder = _previous_element(noscript)
        if placeholder is not None and placeholder.tag == "img":
            placeholder.decompose()
        noscript.unwrap()


def _previous_element(node: LexborNode) -> LexborNode | None:
    sibling = node.prev
    while sibling is not None and not sibling.is_element_node:
        if sibling.is_text_node and not _BLANK.match(sibling.text_content or ""):
            return None
        sibling = sibling.prev
    return sibling


def _flatten_pictures(root: LexborNode) -> None:
    """<picture> becomes its <img>, with a source's URL when the <img> has none."""
    for picture in root.css("picture"):
        img = picture.css_first("img")
        if img is None:
            picture.decompose()
            continue
        if _usable_source(img) is None:
            for source in picture.css("source"):
                url = _largest_in_srcset(
                    source.attrs.get("srcset") or source.attrs.get("data-srcset") or ""
                )
                if url:
                    img.attrs["src"] = url
                    break
        for source in picture.css("source"):
            source.decompose()
        picture.unwrap()


def _usable_source(img: LexborNode) -> str | None:
    src = (img.attrs.get("src") or "").strip()
    if src and not _PLACEHOLDER.search(src):
        return src
    for name in LAZY_SOURCE_ATTRIBUTES:
        value = (img.attrs.get(name) or "").strip()
        if value and not value.startswith("data:"):
            return value
    for name in LAZY_SRCSET_ATTRIBUTES:
        url = _largest_in_srcset(img.attrs.get(name) or "")
        if url:
            return url
    return None


def _largest_in_srcset(srcset: str) -> str | None:
    best, best_width = None, -1.0
    for candidate in srcset.split(","):
        parts = candidate.split()
        if not parts or parts[0].startswith("data:"):
            continue
        size = parts[1] if len(parts) > 1 else "1x"
        try:
            width = float(size[:-1])
        except ValueError:
            width = 0.0
        if width > best_width:
            best, best_width = parts[0], width
    return best


def absolute_url(url: str, base_url: str) -> str | None:
    """An http(s) URL for ``url`` as the original page would have resolved it, or None."""
    url = url.strip()
    if not url or url.startswith("#"):
        return None
    if url.startswith("//"):
        url = "https:" + url
    elif base_url and not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", url):
        url = urljoin(base_url, url)
    return url if re.match(r"^https?://", url, re.I) else None


def _is_tracker(img: LexborNode, url: str) -> bool:
    for name in ("width", "height"):
        value = (img.attrs.get(name) or "").strip().removesuffix("px")
        if value.isdigit() and int(value) <= 1:
            return True
    return (urlsplit(url).hostname or "") in TRACKER_HOSTS


def _fix_images(root: LexborNode, base_url: str) -> None:
    for img in root.css("img"):
        source = _usable_source(img)
        url = absolute_url(source, base_url) if source else None
        if url is None or _is_tracker(img, url):
            img.decompose()
            continue
        img.attrs["src"] = url


def _youtube_watch_url(url: str) -> str | None:
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.").removeprefix("m.")
    video_id = None
    if host in ("youtube.com", "youtube-nocookie.com") and parts.path.startswith("/embed/"):
        video_id = parts.path.split("/")[2]
    elif host == "youtube.com" and parts.path == "/watch":
        video_id = (parse_qs(parts.query).get("v") or [""])[0]
    elif host == "youtu.be":
        video_id = parts.path.strip("/")
    if video_id and _YOUTUBE_ID.match(video_id):
        return f"https://www.youtube.com/watch?v={video_id}"
    return None


def embed_card(url: str) -> str:
    """A plain link standing for an embedded player: no third-party frame is ever loaded."""
    watch = _youtube_watch_url(url)
    if watch:
        url, label = watch, "YouTube"
    else:
        host = (urlsplit(url).hostname or "").removeprefix("www.")
        if host == "player.vimeo.com":
            video_id = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
            url, label = f"https://vimeo.com/{video_id}", "Vimeo"
        else:
            label = host
    return (
        f'<span class="embed"><a href="{escape(url)}">▶ {escape(label)}: '
        f"{escape(url.split('://', 1)[-1])}</a></span>"
    )


def _embeds_to_links(root: LexborNode, base_url: str) -> None:
    for frame in root.css("iframe, embed, object, video, audio"):
        if frame.parent is None:
            continue
        source = frame.attrs.get("src") or frame.attrs.get("data-src") or frame.attrs.get("data")
        if not source:
            inner = frame.css_first("source[src]")
            source = inner.attrs.get("src") if inner is not None else None
        url = absolute_url(source or "", base_url)
        if url is None:
            frame.decompose()
            continue
        frame.replace_with(_fragment(embed_card(url)))


def _fragment(html: str) -> LexborNode:
    body = LexborHTMLParser(html).body
    assert body is not None and body.child is not None
    return body.child


def _figure(img: LexborNode, caption_html: str) -> LexborNode:
    attributes = "".join(
        f' {name}="{escape(img.attrs.get(name) or "")}"'
        for name in ("src", "alt", "width", "height")
        if img.attrs.get(name)
    )
    caption = f"<figcaption>{caption_html.strip()}</figcaption>" if caption_html.strip() else ""
    return _fragment(f"<figure><img{attributes}>{caption}</figure>")


def _layout_tables_to_figures(root: LexborNode) -> None:
    """A table of one image and at most a caption is layout, not data."""
    for table in root.css("table"):
        if table.parent is None:
            continue
        images = table.css("img")
        cells = table.css("td, th")
        if len(images) != 1 or len(cells) > 2 or len(table.css("table")) > 1:  # css() includes self
            continue
        image_cell = next((c for c in cells if c.css_first("img")), None)
        captions = [c for c in cells if image_cell is None or c.mem_id != image_cell.mem_id]
        caption_html = captions[0].inner_html if captions else ""
        if image_cell is not None and not _BLANK.match(_text(image_cell)):
            caption_html = escape(_text(image_cell).strip()) + caption_html  # text by the image
        table.replace_with(_figure(images[0], caption_html))


def _wp_captions_to_figures(root: LexborNode) -> None:
    for box in root.css("div.wp-caption"):
        img = box.css_first("img")
        if img is None:
            continue
        caption = box.css_first(".wp-caption-text")
        box.replace_with(_figure(img, caption.inner_html if caption is not None else ""))


def _resolve_links(root: LexborNode, base_url: str) -> None:
    for link in root.css("a[href]"):
        href = link.attrs.get("href") or ""
        if href.startswith("#"):
            del link.attrs["href"]  # in-page anchors of the original page lead nowhere here
            continue
        url = absolute_url(href, base_url)
        if url is not None:
            link.attrs["href"] = url
        elif not href.lower().startswith("mailto:"):
            del link.attrs["href"]


def _drop_spacers(root: LexborNode) -> None:
    for block in reversed(root.css("p, div, center")):
        if _BLANK.match(_text(block)) and block.css_first(_CONTENT_ELEMENTS) is None:
            block.decompose()
    for br in root.css("br"):
        if br.parent is None:
            continue
        # A run of <br>s keeps two at most: a paragraph break, not a gap.
        run, sibling = [br], br.next
        while sibling is not None and (
            sibling.tag == "br"
            or (sibling.is_text_node and _BLANK.match(sibling.text_content or ""))
        ):
            if sibling.tag == "br":
                run.append(sibling)
            sibling = sibling.next
        for extra in run[2:]:
            extra.decompose()


# Chinese and Japanese text: between two of these, a line break and indentation of the page's
# source show as a stray space ("《 在私人政府的靴子之下 》", "据 报道 ，"). Browsers do not
# yet drop such segment breaks as CSS Text 3 says they should. (Hangul is not here: Korean
# puts spaces between words. Ideographic and no-break spaces are the author's: kept.)
_WIDE = re.compile(
    "[\u2e80-\u2fff\u3001-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\uff01-\uff60\uffe0-\uffe6]"
)
# Full-width brackets and quotes carry their own space: a space inside them is the source's
# (《 <a>书名</a> 》, （ <em>The Buried Revolution</em> ）, “ <b>巨头</b> ”).
_OPENING = frozenset("《〈「『【〔（“‘")
_CLOSING = frozenset("》〉」』】〕）”’、，。：；！？")
_SOURCE_SPACE = re.compile(r"[ \t\r\n\f]+")
# Elements that end a line of text: whitespace next to them is not between two characters.
_LINE_BREAKERS = BLOCK_TAGS | CELL_TAGS | {"img", "details", "summary", "caption"}


def _source_space(text: str, start: int, end: int, at_tag: bool) -> bool:
    """Is text[start:end], whitespace between two characters, the source's formatting? A
    line break between two wide characters is; so is any space beside a tag (the edge of a
    link or of emphasis) between wide characters, or inside full-width brackets."""
    before, after = text[start - 1], text[end]
    if "\n" in text[start:end] and _WIDE.match(before) and _WIDE.match(after):
        return True
    if not at_tag:
        return False
    wide = _WIDE.match(before) or before in "“‘", _WIDE.match(after) or after in "”’"
    return (wide[0] and wide[1]) or before in _OPENING or after in _CLOSING


def _close_wide_gaps(root: LexborNode) -> None:
    """Take out the source's whitespace between two characters of one line of text where
    the page meant none (``_source_space``), inline markup or not. <pre> is left alone."""
    for run in _lines_of_text(root):
        pieces = [node.text_content or "" for node in run]
        text = "".join(pieces)
        edges, offset = set(), 0
        for piece in pieces:  # where one text node meets the next: at a tag
            edges.update((offset, offset + len(piece)))
            offset += len(piece)
        cut = bytearray(len(text))
        for match in _SOURCE_SPACE.finditer(text):
            start, end = match.span()
            if start > 0 and end < len(text):
                at_tag = any(start <= edge <= end for edge in edges)
                if _source_space(text, start, end, at_tag):
                    cut[start:end] = b"\x01" * (end - start)
        if not any(cut):
            continue
        offset = 0
        for node, old in zip(run, pieces, strict=True):
            new = "".join(c for i, c in enumerate(old, offset) if not cut[i])
            offset += len(old)
            if new != old:
                if new:
                    node.replace_with(new)
                else:
                    node.decompose()


def _lines_of_text(root: LexborNode) -> list[list[LexborNode]]:
    """Text nodes in runs that lie on one line: no line-breaking element between them and
    the same nearest line-breaking ancestor."""
    runs: list[list[LexborNode]] = [[]]
    container = None
    for node in root.traverse(include_text=True):
        if node.tag != "-text":
            if node.tag in _LINE_BREAKERS:
                runs.append([])
            continue
        parent = node.parent
        while (
            parent is not None and parent.tag not in _LINE_BREAKERS and parent.mem_id != root.mem_id
        ):
            parent = parent.parent
        if parent is not None and parent.tag == "pre":
            runs.append([])
            continue
        key = parent.mem_id if parent is not None else None
        if key != container:
            runs.append([])
            container = key
        runs[-1].append(node)
    return [run for run in runs if run]


_BLOCKS_APART = _LINE_BREAKERS - {"br", "img"}


def _separate_blocks(root: LexborNode) -> None:
    """A line break between blocks (and table cells) that the source wrote back to back:
    the page looks the same, but the text no longer runs "sources.1grep" or "202217" together
    (in list excerpts, search words, exported quotes)."""
    for node in root.css(", ".join(sorted(_BLOCKS_APART))):
        previous = node.prev
        if previous is None:
            continue
        if previous.is_text_node and (previous.text_content or "")[-1:].isspace():
            continue
        node.insert_before("\n")
