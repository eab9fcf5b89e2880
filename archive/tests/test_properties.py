"""Properties of parsing and cleaning over generated input (hypothesis): pure, no database.

Each strategy mixes arbitrary input with near-valid posts built from what the real archive
holds (the generator's front matter, scraped pages' markup, Chinese and English text,
entities), so that the properties are tested beyond the first line of defence.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from html import escape
from html.parser import HTMLParser

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from archive.cleaning import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    LINK_REL,
    URL_SCHEMES,
    clean,
)
from archive.models import Post, Source
from archive.parsing import PostError, parse_post
from conftest import examples

NOW = datetime(2026, 11, 30, tzinfo=UTC)

# --- text of the kind the archive holds ----------------------------------------------------

WORDS = [
    "中国", "经济", "增长放缓", "专家说", "这是结构性的问题", "短期内难以扭转", "外交政策",
    "香港", "臺灣", "經濟", "學生", "《书名》", "“引号”", "（括号）", "，", "。", "、", "：",
    "分享", "相关文章", "延伸閱讀", "標籤：", "文/ 陆伟", "作者：某某", "赞过：",
    "The", "minister", "said", "growth", "will", "recover", "Share this:", "Related",
    "Tags:", "null", "iYouPort", "2024", "ｆｕｌｌ", "İstanbul", "ß", "😀",
    "&nbsp;", "&#12288;", "&lt;script&gt;alert(1)&lt;/script&gt;", "&amp;", "&#x3C;",
    "&#0;", "&#13;", "&#xD800;", "&#x110000;", "&#128512;", "&copy", "&", "<", ">",
    " ", "  ", "\n", "\n\n", "\t", "\r\n", "\u3000", "\u00a0", "\u200b", "\ufeff",
]  # fmt: skip
words = st.sampled_from(WORDS)
prose = st.lists(st.one_of(words, st.text(max_size=4)), max_size=6).map("".join)

# --- scraped HTML ---------------------------------------------------------------------------

TAGS = [
    "div", "p", "span", "a", "img", "figure", "figcaption", "table", "tbody", "tr", "td", "th",
    "caption", "ul", "ol", "li", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "strong", "em", "b",
    "i", "u", "s", "br", "hr", "wbr", "blockquote", "q", "cite", "pre", "code", "sup", "sub",
    "small", "font", "center", "section", "article", "header", "footer", "nav", "aside",
    "details", "summary", "ruby", "rt", "rp", "time", "mark", "del", "ins", "abbr", "col",
    "colgroup", "script", "style", "iframe", "noscript", "picture", "source", "video", "audio",
    "object", "embed", "param", "svg", "math", "mi", "foreignObject", "form", "input", "button",
    "textarea", "select", "option", "template", "title", "meta", "link", "base", "noembed",
    "noframes", "xmp", "listing", "plaintext", "frameset", "frame", "body", "html", "head",
    "image", "isindex", "keygen", "marquee", "applet",
]  # fmt: skip
ATTRIBUTE_NAMES = [
    "class", "id", "style", "href", "src", "data-src", "data-lazy-src", "data-original",
    "srcset", "data-srcset", "onerror", "onclick", "onload", "ONMOUSEOVER", "width", "height",
    "title", "lang", "dir", "alt", "hidden", "aria-hidden", "itemprop", "colspan", "rowspan",
    "scope", "start", "reversed", "datetime", "cite", "rel", "target", "action", "formaction",
    "poster", "xlink:href", "background", "data", "srcdoc", "is", "loading", "referrerpolicy",
]  # fmt: skip
CLASSES = [
    "sharedaddy", "sd-sharing", "entry-content", "post-content", "wp-caption",
    "wp-caption-text", "comment", "comment-by-node-author", "node-profile contributor",
    "field-name-comment-body", "comments", "content", "submitted", "username", "embed",
    "jp-relatedposts", "screen-reader-text", "sharing", "entry-title", "post-meta", "x",
]  # fmt: skip
URLS = [
    "https://example.org/a.jpg", "http://example.org/", "/relative/path", "relative.jpg", "#top",
    "//cdn.example.org/b.png", "mailto:a@example.org", "javascript:alert(1)",
    "JaVaScRiPt:alert(1)", "java\tscript:alert(1)", "java&#x09;script:alert(1)",
    "&#106;avascript:alert(1)", " \x01javascript:alert(1)", "vbscript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>", "data:image/gif;base64,R0lGOD",
    "https://www.youtube.com/embed/dQw4w9WgXcQ", "https://player.vimeo.com/video/1",
    "https://pixel.wp.com/g.gif", "blank.gif", "https://x.org/a.jpg 2x, https://x.org/b.jpg 640w",
    "https://x.org/\"onerror=\"alert(1)", "https://x.org/'><script>alert(1)</script>", "",
]  # fmt: skip
attribute_value = st.one_of(
    st.sampled_from(URLS), st.sampled_from(CLASSES), st.sampled_from(["1", "0", "true", "99"]),
    prose,
)  # fmt: skip


# Attributes whose values are drawn from URLS: hostile URLs where they would be followed.
URL_VALUED = {"href", "src", "data-src", "srcset", "cite", "action", "formaction", "poster"}


@st.composite
def attribute(draw, tag: str) -> str:
    # The tag's own allowed attributes half the time: what the sanitizer lets through is
    # where a slip would show.
    own = sorted(ALLOWED_ATTRIBUTES.get(tag, set()) | ALLOWED_ATTRIBUTES["*"])
    name = draw(st.one_of(st.sampled_from(own), st.sampled_from(ATTRIBUTE_NAMES)))
    value = draw(st.sampled_from(URLS) if name in URL_VALUED else attribute_value)
    quote = draw(st.sampled_from(['"', "'", ""]))
    if quote:
        value = value.replace(quote, "&quot;" if quote == '"' else "&#39;")
    return f" {name}={quote}{value}{quote}"


def _element(draw_children):
    @st.composite
    def element(draw) -> str:
        tag = draw(st.one_of(st.sampled_from(sorted(ALLOWED_TAGS)), st.sampled_from(TAGS)))
        attrs = "".join(draw(st.lists(attribute(tag), max_size=2)))
        inner = "".join(draw(draw_children))
        end = draw(st.sampled_from([f"</{tag}>", f"</{tag}>", "", "</div>", "</p>"]))
        return f"<{tag}{attrs}>{inner}{end}"

    return element()


ODDITIES = [
    "<!-- 注释 -->", "<!--", "-->", "<![CDATA[x]]>", "<!DOCTYPE html>", "<?xml?>", "</", "<a",
    "<p/>", "<img/src=x/onerror=alert(1)>", "<svg><style><img src=x onerror=alert(1)>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">", "<math><mtext><table>"
    "<mglyph><style><img src=x onerror=alert(1)>", "<form><math><mtext></form><form><mglyph>"
    "<style></math><img src onerror=alert(1)>", "<a href='https://x.org'><div><a>x</a></div></a>",
    "<table>text<tr>in</tr>after</table>", "<select><option>x<iframe>y",
    # Chrome the cleaner removes, so that what follows it (whitespace too) starts the body.
    '<div class="sharedaddy">分享</div>', "<header>页眉</header>", "<h2>测试文章</h2>",
    "<p>文/ 陆伟</p>", "<p>\u3000</p>", "<br><br><br>", '<div class="entry-content">正文</div>',
]  # fmt: skip
leaf = st.one_of(prose, st.sampled_from(ODDITIES))
nodes = st.recursive(leaf, lambda children: _element(st.lists(children, max_size=4)), max_leaves=15)


@st.composite
def _html_fragments(draw) -> str:
    body = "".join(draw(st.lists(nodes, max_size=4)))
    depth = draw(st.sampled_from([0, 0, 0, 150, 450]))  # past MAX_DEPTH, and past SCAN_DEPTH
    if depth:
        opener = draw(st.sampled_from(["<div>", "<span>", "<b>", "<li>", "<p>"]))
        body = opener * depth + body + opener.replace("<", "</") * draw(st.integers(0, depth))
    return draw(st.sampled_from(["", "", "null", "  <div>null"])) + body


html_fragments = _html_fragments()
HOSTILE_VALUES = [url for url in URLS if "script" in url.lower() or url.startswith("data:")] + [
    '" onmouseover="alert(1)', "' onfocus='alert(1)", "x><script>alert(1)</script>",
    "javascript&colon;alert(1)", "&#0000106avascript:alert(1)", "\x00javascript:alert(1)",
]  # fmt: skip


@st.composite
def hostile_attributes(draw) -> str:
    """Allowed elements with every attribute the allowlist lets through, each valued the way
    an attacker would (escaped into the value, or breaking out of it)."""
    elements = []
    for _ in range(draw(st.integers(1, 4))):
        tag = draw(st.sampled_from(sorted(ALLOWED_TAGS)))
        names = sorted(ALLOWED_ATTRIBUTES.get(tag, set()) | ALLOWED_ATTRIBUTES["*"])
        values = [draw(st.sampled_from(HOSTILE_VALUES)) for _ in names]
        if draw(st.booleans()):
            values = [escape(value) for value in values]
        attributes = "".join(
            f' {name}="{value}"' for name, value in zip(names, values, strict=True)
        )
        elements.append(f"<{tag}{attributes}>{draw(prose)}</{tag}>")
    return "".join(elements)


# --- post files ---------------------------------------------------------------------------

# What a front matter value may be: the generator's shapes, what YAML makes of unescaped
# text, and YAML's own features (anchors, tags, block scalars).
YAML_VALUES = [
    '"测试文章"', "测试员", "'单引号 ''里'' 的'", '"路径 C:\\Users\\x"', '"a\\bc"', '"\\x00"',
    '"\\u0000"', '"\\ud800"', '"\\U0010FFFF"', '"\\e\\a"', "程巍 @ 某报: 记者", "&#38; 编辑",
    "[ 示例日报 ]", "[ 示例日报, 日本経済新聞 ]", "[]", "{}", "[ [a, b], {c: d} ]", "a，b、c；d",
    '[ "\\0" ]', '[ "a\\x00b", "\\ud800" ]', "~", "null", "true", "no", "0", "-1", "1e999",
    ".nan", ".inf", "0x1F", "1_000", "&a 锚点", "*a", "*nowhere", "&a [ *a ]", "&a { k: *a }",
    "!!python/object:os.system", "!!binary 不是base64", "!!int", "!!int 0x", "!!int 08",
    "!!float", "!!float 浮", "!!bool maybe", "!!timestamp 昨天", "!!timestamp", "!!set {a}",
    "!!omap [a]", "!!str 字", "|\n  第一行\n  第二行", ">\n  折叠", "'未闭合", '"未闭合', "[未闭合",
    "{a: 1", "- 列表", "? 键", "%YAML 1.1", "\t制表符", "@at", "`反引号`", "值: 冒号", "#注释",
    "长" * 600,
]  # fmt: skip
DATES = [
    "2024-01-02T03:04:05.000Z", "2024-01-02", "2024-01-02 03:04:05 +8", "2001-01-01",
    "1970-01-01", "2099-01-01", "2024-1-2", "NaN", "2024-02-30", "2023-02-29", "2024-13-01",
    "0000-01-01", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
    "!!timestamp 2024-02-30", '"2024-02-30"', "2024-01-02T25:00:00Z", "1704164645000",
]  # fmt: skip
URL_VALUES = [
    "http://例子.中国/文章?id=1", "javascript:alert(1)", "https://", "//example.org/x",
    "https://example.org/" + "x" * 2000, "https://[::1", "http://[", "", "https://exa mple.org/",
    '"https://example.org/\\x00"', "https://example.org/\u00a0",
]  # fmt: skip
# The generator's own value of each field; a near-valid post has mostly these.
NORMAL = {
    "title": '"测试文章"',
    "date": "2024-01-02T03:04:05.000Z",
    "author": "测试员",
    "from": "https://example.org/post/1",
    "tags": "[ 示例日报 ]",
    "comments": "True",
    "categories": "[ 示例日报 ]",
}
KEYS = ["layout", *NORMAL]

yaml_value = st.one_of(st.sampled_from(YAML_VALUES), prose)
odd_values = {
    "date": st.one_of(st.sampled_from(DATES), yaml_value),
    "from": st.one_of(st.sampled_from(URL_VALUES), yaml_value),
    "tags": st.one_of(st.sampled_from(["示例, 日报", "&lt;b&gt;，、;"]), yaml_value),
}
stray_lines = st.one_of(
    st.builds("{}: {}".format, st.sampled_from(KEYS), yaml_value),
    st.sampled_from(["", "  ", "# 注释", "-", ":", "  - 续行", "title", "<<: *a", "---"]),
    yaml_value,
)


@st.composite
def front_lines(draw) -> list[str]:
    """The generator's fields in its order, mostly with its own values: one or two of them
    odd or missing (so that the parser meets each oddity in an otherwise good post), and
    perhaps stray lines. Sometimes nothing but stray lines."""
    if not draw(st.integers(0, 4)):
        return draw(st.lists(stray_lines, max_size=6))
    odd = draw(st.sampled_from([*NORMAL, "date", "from"]))  # the fields the parser works on most
    odd = [odd, *draw(st.lists(st.sampled_from(list(NORMAL)), max_size=1))]
    lines = ["layout: post"]
    for key, normal in NORMAL.items():
        if key not in odd:
            lines.append(f"{key}: {normal}")
        elif draw(st.integers(0, 5)):  # else the field is missing
            lines.append(f"{key}: {draw(odd_values.get(key, yaml_value))}")
    for line in draw(st.lists(stray_lines, max_size=2)):
        lines.insert(draw(st.integers(0, len(lines))), line)
    return lines


header = st.one_of(
    st.just(""),
    st.builds(
        "<!--{}-->\n[{}]({})\n------\n\n".format,
        st.sampled_from(["1704164645000", "NaN", "null", "", "-1", "9" * 30, "-" + "9" * 20]),
        prose,
        st.sampled_from(["https://example.org/post/1", "", "javascript:x", "https://a b"]),
    ),
    st.builds("[{}]({})\n---\n".format, prose, st.sampled_from(["https://x.org/(y)", ""])),
)


@st.composite
def post_texts(draw) -> str:
    """A post file as the generator writes it, with any field holding what YAML may meet."""
    opening = draw(st.sampled_from(["---\n"] * 4 + ["\n---\n", " \n---  \n", "\ufeff---\n"]))
    closing = draw(st.sampled_from(["---\n"] * 4 + ["...\n", "---", "--- \n", ""]))
    # The body matters to parsing only for its header and first words: kept light, as the
    # cleaning properties below are where HTML is generated in earnest.
    body = draw(header) + draw(st.one_of(prose, st.builds("<h2>{}</h2><p>{}".format, prose, prose)))
    text = opening + "\n".join(draw(front_lines())) + "\n" + closing + body
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    return text


@st.composite
def post_bytes(draw) -> bytes:
    text = draw(post_texts())
    # Mostly UTF-8: detecting another encoding costs the parser far more than the rest.
    encoding = draw(st.sampled_from(["utf-8"] * 5 + ["gb18030", "big5", "utf-16"]))
    data = text.encode(encoding, errors="ignore")
    for _ in range(draw(st.integers(0, 2))):  # damage: stray, cut or NUL bytes
        at = draw(st.integers(0, len(data)))
        damage = draw(st.sampled_from([b"\x00", b"\xff", b"\xe4\xb8", b"\xef\xbb\xbf", b""]))
        data = data[:at] + damage + data[at + draw(st.integers(0, 2)) :]
    return data


# File names as the file system gives them: any bytes but NUL and "/", decoded as Python
# decodes names (undecodable bytes become lone surrogates, U+DC80–U+DCFF).
FILE_NAMES = ["2024-01-02-测试文章.md", "2024-02-30-二月.md", "0000-00-00-.md", "2024-01-02-.md",
              "9999-99-99-x.markdown", "no-date.md", ".md", "2024-01-02-" + "长" * 80 + ".md",
              "2024-01-02-a\nb.md"]  # fmt: skip
file_names = st.one_of(
    st.sampled_from(FILE_NAMES),
    st.builds("2024-01-02-{}.md".format, prose.map(lambda s: s.replace("/", "").replace("\0", ""))),
    st.binary(min_size=1, max_size=40).map(
        lambda name: os.fsdecode(name.replace(b"/", b"").replace(b"\0", b"") or b"x")
    ),
)
paths = st.builds("/archive/_posts/{}".format, file_names)
any_file = st.one_of(st.binary(max_size=300), *[post_bytes()] * 4)


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


POST = "/archive/_posts/2024-01-02-测试文章.md"


@settings(max_examples=examples(300), deadline=None)
@given(data=any_file, path=paths)
# The bugs this found, tried on every run (and kept after their fix).
@example(data=b"---\ntitle: !!int\n---\n", path=POST)
@example(data=b"---\ntitle: !!bool maybe\n---\n", path=POST)
@example(data=b"---\ntitle: !!timestamp x\n---\n", path=POST)
@example(data=b"---\ntitle: !!float a\n---\n", path=POST)
@example(data=b"---\nfrom: https://x.org/\ndate: 0001-01-01T00:00:00+01:00\n---\n", path=POST)
@example(data=b"---\nfrom: http://[\n---\n", path=POST)
@example(data=b'---\nfrom: https://x.org/\ntags: [ "\\0" ]\n---\n', path=POST)
@example(data=b"---\nfrom: https://x.org/\n---\n", path="/archive/_posts/2024-01-02-\udcff.md")
def test_any_file_parses_to_a_storable_post_or_fails_with_a_reason(data, path):
    """Whatever the bytes, the parser returns a post or raises PostError with a message (the
    importer names the file and goes on); any other exception is a crash. A post holds only
    what the database can store: PostgreSQL text holds no NUL, UTF-8 no lone surrogate, and
    the columns have limits."""
    try:
        post = parse_post(data, path, now=NOW)
    except PostError as error:
        assert str(error)
        return
    fields = {
        "url": post.url,
        "title": post.title,
        "author": post.author,
        "source_name": post.source_name,
        "raw_front_matter": post.raw_front_matter,
        "raw_body": post.raw_body,
    } | {f"tag {i}": tag for i, tag in enumerate(post.tags)}
    for name, value in fields.items():
        assert "\x00" not in value, name
        value.encode("utf-8")  # raises on a lone surrogate
    assert post.title, "a post needs a title"
    assert len(post.title) <= _max_length(Post, "title")
    assert len(post.author) <= _max_length(Post, "author")
    assert len(post.url) <= _max_length(Post, "url")
    assert len(post.source_name) <= _max_length(Source, "name")
    assert all(len(tag) <= 100 for tag in post.tags)  # taggit's Tag.name
    assert post.published_at is None or post.published_at.tzinfo is not None


# --- cleaning -----------------------------------------------------------------------------

raw_bodies = st.one_of(
    st.text(max_size=200),
    hostile_attributes(),
    st.builds("{}{}".format, header, html_fragments),
)
titles = st.one_of(st.just(""), prose, st.sampled_from(["分享", "小标题", "null"]))
base_urls = st.sampled_from(
    ["", "https://example.org/a/b.html", "http://例子.中国/", "javascript:alert(1)", "//x.org/"]
)

# What cleaning.py asks nh3 to add beyond the allowlist, with the only values it may have.
ADDED_VALUES = {
    ("a", "rel"): {LINK_REL},
    ("img", "loading"): {"lazy"},
    ("img", "decoding"): {"async"},
    ("img", "referrerpolicy"): {"no-referrer"},
}
# Classes nh3 may keep, by element (an attribute left empty once others went is harmless).
ALLOWED_CLASSES = {"span": {"embed"}}
# Whatever the cleaner's list says, these never run as a link or an image source.
SAFE_SCHEMES = URL_SCHEMES - {"javascript", "vbscript", "data", "file"}
URL_ATTRIBUTES = {"href", "src", "cite", "srcset", "action", "formaction", "poster", "data"}
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")


def _scheme(url: str) -> str | None:
    """The scheme a browser reads in ``url`` (WHATWG URL: C0 controls and spaces around it
    stripped, tabs and newlines inside removed)."""
    url = re.sub(r"[\t\n\r]", "", url.strip("".join(map(chr, range(0x21)))))
    match = _SCHEME.match(url)
    return match.group(1).lower() if match else None


def _unsafe(tag: str, attributes: dict[str, str | None]) -> list[str]:
    problems = [] if tag in ALLOWED_TAGS else [f"<{tag}>"]
    allowed = ALLOWED_ATTRIBUTES["*"] | ALLOWED_ATTRIBUTES.get(tag, set())
    for name, value in attributes.items():
        added = ADDED_VALUES.get((tag, name))
        if name.startswith("on"):
            problems.append(f"<{tag} {name}>")
        elif name == "class" and tag in ALLOWED_CLASSES:
            if not set((value or "").split()) <= ALLOWED_CLASSES[tag]:
                problems.append(f"<{tag} class={value!r}>")
        elif added is not None:
            if value not in added:
                problems.append(f"<{tag} {name}={value!r}>")
        elif name not in allowed:
            problems.append(f"<{tag} {name}>")
        scheme = _scheme(value or "")
        if name in URL_ATTRIBUTES and scheme is not None and scheme not in SAFE_SCHEMES:
            problems.append(f"<{tag} {name}={value!r}>")
    return problems


class _Tokens(HTMLParser):
    """Python's own tokenizer: a second, independent view of the markup."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.problems += _unsafe(tag, dict(attrs))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_comment(self, data):
        self.problems.append(f"<!--{data}-->")

    def handle_decl(self, decl):
        self.problems.append(f"<!{decl}>")

    def handle_pi(self, data):
        self.problems.append(f"<?{data}>")

    def unknown_decl(self, data):
        self.problems.append(f"<![{data}]>")


def _reader_page(body_html: str) -> LexborHTMLParser:
    """The reader page around the body, as the browser parses it."""
    return LexborHTMLParser(
        f'<!DOCTYPE html><html><body><article><div class="post-body">{body_html}</div>'
        "</article></body></html>"
    )


def _problems(body_html: str) -> list[str]:
    problems = []
    root = _reader_page(body_html).css_first("div.post-body")
    for node in root.traverse():
        if node.tag != "-text" and node.mem_id != root.mem_id:
            problems += _unsafe(node.tag, node.attributes)
    tokens = _Tokens()
    tokens.feed(body_html)
    tokens.close()
    return problems + tokens.problems


class _Text(HTMLParser):
    """textContent read off the markup by Python's tokenizer, with the two rules of HTML5
    parsing that matter for the allowlisted elements: CR and CRLF become LF, and a line feed
    right after <pre> is not content. It agrees with a DOM only while the markup reparses
    into the tree it was serialized from, which is what the sanitizer's output must do."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.after_pre = False

    def handle_starttag(self, tag, attrs):
        self.after_pre = tag == "pre"

    def handle_endtag(self, tag):
        self.after_pre = False

    def handle_data(self, data):
        if self.after_pre and data.startswith("\n"):
            data = data[1:]
        self.after_pre = False
        self.parts.append(data)


def _tokenizer_text(body_html: str) -> str:
    parser = _Text()
    parser.feed(re.sub("\r\n?", "\n", body_html))
    parser.close()
    return "".join(parser.parts)


def _text_nodes(body_html: str) -> str:
    """textContent as the DOM defines it: the data of every text node below the element."""
    root = _reader_page(body_html).css_first("div.post-body")
    nodes = root.traverse(include_text=True)
    return "".join(node.text_content or "" for node in nodes if node.tag == "-text")


@settings(
    max_examples=examples(300),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(raw_body=raw_bodies, title=titles, url=base_urls)
@example(raw_body="<p>x</p><img src=x onerror=alert(1)><script>alert(1)</script>", title="", url="")
def test_cleaned_html_is_allowlisted_markup_whose_text_content_is_the_text(raw_body, title, url):
    """Read back by a browser's parser (lexbor, in the reader page) and by Python's own
    tokenizer, the cleaned HTML holds only the cleaner's allowlist and URLs of its schemes;
    ``text`` is its textContent in both readings."""
    cleaned = clean(raw_body, title=title, url=url)
    assert _problems(cleaned.body_html) == []
    assert cleaned.text == _text_nodes(cleaned.body_html)
    assert cleaned.text == _tokenizer_text(cleaned.body_html)
