"""The private Atom feed of my notes (annotations.feeds) and its key (accounts.FeedToken),
made, shown and revoked on the account page."""

from datetime import timedelta

import feedparser
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from selectolax.lexbor import LexborHTMLParser

from accounts.models import FEED_KEY_PREFIX, FeedToken
from annotations import feeds, services
from annotations.models import Annotation
from annotations.tests.conftest import changes
from annotations.values import Changes, Target
from archive.importer import import_paths
from archive.models import Post
from archive.tests.test_feeds import fetch
from conftest import save_screenshot, sign_in

pytestmark = pytest.mark.django_db

BODY = (
    "<div><p>第一段说经济。</p>"
    "<p>Tom &amp; Jerry wrote &lt;script&gt;alert(1)&lt;/script&gt; in the paper.</p>"
    "<p>第三段：增长放缓了很多。</p></div>"
)


@pytest.fixture
def post(archive_dir):
    archive_dir.write(body=BODY, url="https://example.org/notes", title="经济 & <b>论文</b>")
    import_paths([archive_dir])
    return Post.objects.get(url="https://example.org/notes")


def feed_url(user) -> str:
    return reverse("notes_feed", args=[FeedToken.issue(user).key])


def annotate(user, post, quote, *, minutes_ago=0, **fields):
    annotation = services.create(user, changes(post, quote, **fields))
    when = timezone.now() - timedelta(minutes=minutes_ago)
    Annotation.objects.filter(pk=annotation.pk).update(modified_at=when)
    return annotation


def page_note(user, post, body):
    target = Target(source=post.url, post_id=post.pk, exact="", start=0, end=0)
    return services.create(user, Changes(target=target, kind="note", body=body))


# --- Pure: what an entry says -----------------------------------------------------------


def test_an_entry_title_quotes_the_passage_shortened_and_names_the_post():
    post = Post(title="标题")
    annotation = Annotation(post=post, kind="note", exact="字" * 100, start=1, end=101)
    assert feeds.entry_title(annotation) == f"笔记 Note: “{'字' * 60}…” · 标题"
    page = Annotation(post=post, kind="note", exact="", start=0, end=0)
    assert feeds.entry_title(page) == "页面笔记 Page note · 标题"


def test_an_entry_content_escapes_the_quote_and_keeps_the_stored_note_html():
    annotation = Annotation(
        kind="translation",
        exact="a <b> & c\n\nnext",
        start=1,
        end=15,
        body_html="<p><em>译文</em></p>",
        language='en"x',
    )
    assert feeds.entry_content(annotation) == (
        "<blockquote><p>a &lt;b&gt; &amp; c</p>\n\n<p>next</p></blockquote>\n"
        '<div lang="en&quot;x"><p><em>译文</em></p></div>'
    )


# --- The feed ---------------------------------------------------------------------------


def test_my_notes_feed_lists_my_live_notes_last_changed_first_with_passage_links_and_tags(
    client, owner, other, post
):
    older = annotate(owner, post, "第一段说经济", minutes_ago=30, tags=["经济"])
    newer = annotate(owner, post, "增长放缓", kind="note", body="**慢**了", minutes_ago=10)
    gone = annotate(owner, post, "第三段", minutes_ago=5)
    services.delete(gone)
    annotate(other, post, "增长放缓", body="别人的笔记 other's note", kind="note")

    feed = fetch(client, feed_url(owner))

    assert feed.feed.title == "owner 的笔记 Notes — 批注 Pizhu"
    assert [entry.title for entry in feed.entries] == [
        "笔记 Note: “增长放缓” · 经济 & <b>论文</b>",
        "划线 Highlight: “第一段说经济” · 经济 & <b>论文</b>",
    ]
    first, second = feed.entries
    passage = "http://testserver" + post.get_absolute_url() + f"#annotation-{newer.pk}"
    assert first.link == first.id == passage
    assert first.content[0].type == "text/html"
    assert first.content[0].value == (
        "<blockquote><p>增长放缓</p></blockquote>\n<p><strong>慢</strong>了</p>"
    )
    assert [tag.term for tag in second.tags] == ["经济"]
    assert second.link.endswith(f"#annotation-{older.pk}")
    assert second.published and second.updated
    assert "别人的笔记" not in str(feed)


def test_a_page_note_is_in_the_feed_without_a_quote(client, owner, post):
    page_note(owner, post, "整篇都好 all of it")
    entry = fetch(client, feed_url(owner)).entries[0]
    assert entry.title == "页面笔记 Page note · 经济 & <b>论文</b>"
    assert entry.content[0].value == "<p>整篇都好 all of it</p>"


def test_markup_in_quotes_and_notes_reaches_the_reader_as_text_or_sanitized(client, owner, post):
    annotate(
        owner,
        post,
        "Tom & Jerry wrote <script>alert(1)</script>",
        kind="note",
        body="R&D <script>alert(2)</script> <img src=x onerror=alert(3)>",
    )
    response = client.get(feed_url(owner))
    assert b"<script" not in response.content
    entry = fetch(client, response.request["PATH_INFO"]).entries[0]
    assert entry.title == (
        "笔记 Note: “Tom & Jerry wrote <script>alert(1)</script>” · 经济 & <b>论文</b>"
    )
    content = entry.content[0].value
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content  # the quote: text
    # What a feed reader renders: the markup written in the note is text, never elements.
    shown = LexborHTMLParser(content)
    assert shown.css("script, img, [onerror]") == []
    assert "<script>alert(1)</script>" in shown.body.text()
    assert "<img src=x onerror=alert(3)>" in shown.body.text()


def test_the_feed_holds_only_the_last_changed_up_to_its_limit(client, owner, post, monkeypatch):
    monkeypatch.setattr(feeds, "FEED_ENTRIES", 1)
    annotate(owner, post, "第一段说经济", minutes_ago=1)
    annotate(owner, post, "增长放缓", minutes_ago=2)
    assert [e.title for e in fetch(client, feed_url(owner)).entries] == [
        "划线 Highlight: “第一段说经济” · 经济 & <b>论文</b>"
    ]


def test_the_feed_reads_no_bodies_in_the_same_number_of_queries_for_few_or_many_notes(
    client, owner, post
):
    url = feed_url(owner)
    client.get(url)  # its first use is noted (a write), then not again for a minute

    def queries_for_feed():
        with CaptureQueriesContext(connection) as captured:
            fetch(client, url)
        return [query["sql"] for query in captured.captured_queries]

    annotate(owner, post, "第一段说经济", tags=["一"])
    few = queries_for_feed()
    for quote in ("增长放缓", "第三段", "Tom & Jerry", "in the paper"):
        annotate(owner, post, quote, tags=["二", "三"])
    many = queries_for_feed()
    assert len(few) == len(many) == 3  # the key and its user, the notes and posts, the tags
    for sql in many:
        for field in ("raw_body", "raw_front_matter", "body_html", "text"):
            assert f'"archive_post"."{field}"' not in sql


def test_the_feed_is_private_to_caches_and_search_engines(client, owner, post):
    response = client.get(feed_url(owner))
    assert "private" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex"


def test_each_key_opens_its_own_users_notes_only(client, owner, other, post):
    annotate(owner, post, "增长放缓", kind="note", body="mine")
    annotate(other, post, "第一段说经济", kind="note", body="theirs")
    feed = fetch(client, feed_url(other))
    assert [entry.content[0].value.endswith("<p>theirs</p>") for entry in feed.entries] == [True]


# --- The key ----------------------------------------------------------------------------


def test_a_key_that_was_never_made_opens_nothing(client, owner, post):
    FeedToken.issue(owner)
    for key in (FEED_KEY_PREFIX + "0" * 64, "pz_" + "0" * 64, "x"):
        assert client.get(reverse("notes_feed", args=[key])).status_code == 404


def test_a_revoked_key_opens_nothing(client, owner, post):
    url = feed_url(owner)
    assert FeedToken.revoke(owner) is True
    assert client.get(url).status_code == 404
    assert FeedToken.revoke(owner) is False


def test_a_new_key_replaces_the_old_one(client, owner, post):
    old, new = feed_url(owner), feed_url(owner)
    assert old != new
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_a_new_password_closes_the_feed(client, owner, post):
    url = feed_url(owner)
    owner.set_password("a-new-password-2")
    owner.save()
    assert client.get(url).status_code == 404
    assert not FeedToken.objects.get(user=owner).is_current


def test_a_new_secret_key_closes_the_feed(client, owner, post, settings):
    url = feed_url(owner)
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"  # noqa: S105
    assert client.get(url).status_code == 404


def test_an_inactive_users_feed_is_closed(client, owner, post):
    url = feed_url(owner)
    owner.is_active = False
    owner.save()
    assert client.get(url).status_code == 404


def test_the_key_is_not_stored_but_can_be_shown_again(owner):
    token = FeedToken.issue(owner)
    key = token.key
    assert key.startswith(FEED_KEY_PREFIX) and len(key) >= len(FEED_KEY_PREFIX) + 64
    stored = FeedToken.objects.filter(pk=token.pk).values().get()
    assert key not in str(stored)
    assert FeedToken.objects.select_related("user").get(pk=token.pk).key == key
    assert FeedToken.objects.user_for(key) == owner


def test_a_used_key_notes_when(client, owner, post):
    url = feed_url(owner)
    assert FeedToken.objects.get(user=owner).last_used_at is None
    client.get(url)
    assert FeedToken.objects.get(user=owner).last_used_at is not None


# --- The account page -------------------------------------------------------------------


def feed_section(client):
    response = client.get(reverse("account"))
    assert response.status_code == 200
    tree = LexborHTMLParser(response.content.decode())
    shown = tree.css_first("[data-feed-url]")
    return tree, shown.text() if shown else None


def test_the_account_page_makes_shows_and_revokes_the_feed_url(owner_client, owner, post):
    annotate(owner, post, "增长放缓")
    tree, shown = feed_section(owner_client)
    assert shown is None
    assert tree.css_first(f'form[action="{reverse("create_feed_token")}"]')

    response = owner_client.post(reverse("create_feed_token"))
    assert response.status_code == 302
    _, shown = feed_section(owner_client)
    assert shown.startswith("http://testserver/feeds/notes/" + FEED_KEY_PREFIX)
    assert feed_section(owner_client)[1] == shown  # shown again, the same, on every visit
    assert len(fetch(Client(), shown).entries) == 1  # no session needed: a feed reader

    owner_client.post(reverse("revoke_feed_token"))
    assert feed_section(owner_client)[1] is None
    assert Client().get(shown).status_code == 404


def test_the_account_page_says_when_a_new_password_closed_the_feed(owner_client, owner):
    FeedToken.issue(owner)
    owner.set_password("a-new-password-2")
    owner.save()
    owner_client.force_login(owner)
    tree, shown = feed_section(owner_client)
    assert shown is None
    assert "stopped working when your password changed" in tree.body.text()


def test_someone_else_revoking_or_renewing_leaves_my_feed_alone(other_client, owner, post):
    url = feed_url(owner)
    other_client.post(reverse("revoke_feed_token"))
    other_client.post(reverse("create_feed_token"))
    assert Client().get(url).status_code == 200


def test_feed_urls_are_made_and_revoked_only_by_a_signed_in_post_with_csrf(
    anonymous_client, owner, post
):
    for name in ("create_feed_token", "revoke_feed_token"):
        response = anonymous_client.post(reverse(name))
        assert response.status_code == 302 and "/login/" in response["Location"]
    checked = Client(enforce_csrf_checks=True)
    checked.force_login(owner)
    assert checked.post(reverse("create_feed_token")).status_code == 403
    assert checked.get(reverse("create_feed_token")).status_code == 405
    assert not FeedToken.objects.filter(user=owner).exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1280, 360])
def test_in_a_browser_the_feed_url_is_made_copied_and_fits_the_screen(
    page, live_server, owner, width
):
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, live_server, owner)
    page.goto("/accounts/")
    page.get_by_role("button", name="生成订阅地址 Make a feed URL").click()
    shown = page.locator("[data-feed-url]")
    url = shown.inner_text()
    assert url.startswith(f"{live_server.url}/feeds/notes/{FEED_KEY_PREFIX}")
    # The long URL wraps inside the page: nothing to scroll sideways on a phone.
    box = shown.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    copy = page.locator('[data-copy="#notes-feed-url"]')
    copy.click()
    page.wait_for_function("b => b.textContent !== '复制 Copy'", arg=copy.element_handle())
    save_screenshot(page, f"account-notes-feed-{width}")
    feed = page.request.get(url)
    assert feed.ok
    assert feedparser.parse(feed.body()).bozo == 0
    page.get_by_role("button", name="撤销 Revoke").last.click()  # asks first (dismissed here)
    assert any("Revoke the feed URL" in question for question in page.dialogs)
    assert page.request.get(url).ok
    assert page.errors == []
