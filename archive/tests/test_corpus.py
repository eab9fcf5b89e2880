"""The real corpus in ../shared/corpus (read-only, not part of the project): import it twice."""

from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from archive.importer import import_paths
from archive.models import Post, Source
from archive.tests.html_checks import unsafe_markup
from bench import quality
from conftest import FIXTURE_POSTS

pytestmark = pytest.mark.django_db


def test_corpus_imports_completely_and_a_second_run_is_a_no_op(corpus):
    first = import_paths([corpus], jobs=2)
    # 145 files, 4 URLs appear in two files each: 141 posts, no file is broken.
    assert (first.files, first.created, len(first.duplicates), first.failed) == (145, 141, 4, [])
    rows = list(Post.objects.order_by("id").values_list("id", "url", "content_hash", "text"))
    second = import_paths([corpus], jobs=2)
    assert (second.created, second.updated, second.unchanged, second.failed) == (0, 0, 141, [])
    assert len(second.duplicates) == 4
    assert (
        list(Post.objects.order_by("id").values_list("id", "url", "content_hash", "text")) == rows
    )
    assert Source.objects.count() == 10
    assert not Post.objects.filter(published_at__isnull=True).exists()


def test_no_corpus_post_keeps_dangerous_markup(corpus):
    import_paths([corpus])
    for title, body_html in Post.objects.values_list("title", "body_html"):
        assert unsafe_markup(body_html) == [], title


def test_corpus_bodies_have_no_page_chrome_and_keep_the_article(corpus):
    import_paths([corpus])
    kept = total = 0
    for title, raw_body, body_html, text in Post.objects.values_list(
        "title", "raw_body", "body_html", "text"
    ):
        assert quality.chrome_left(body_html, title) == [], title
        post_kept, post_total = quality.kept_share(raw_body, text)
        kept, total = kept + post_kept, total + post_total
    assert total > 500_000  # the measure saw the corpus's paragraphs, not nothing
    assert kept / total >= 0.98


def test_every_corpus_image_has_a_usable_https_source(corpus):
    import_paths([corpus])
    images = 0
    for body_html in Post.objects.values_list("body_html", flat=True):
        for img in LexborHTMLParser(body_html or "<p></p>").css("img"):
            images += 1
            assert (img.attrs.get("src") or "").startswith(("https://", "http://")), img.html
            assert img.attrs.get("referrerpolicy") == "no-referrer"
    assert images > 100


def test_corpus_raw_fields_are_verbatim(corpus):
    import_paths([corpus])
    for post in Post.objects.all():
        original = Path(post.path).read_text(encoding="utf-8").lstrip("\ufeff")
        assert f"---\n{post.raw_front_matter}---\n{post.raw_body}" == original


def test_demo_fixtures_import_with_exactly_the_two_broken_files_failing():
    report = import_paths([FIXTURE_POSTS])
    assert report.created == 17 and len(report.duplicates) == 1
    assert sorted(f["path"].rsplit("/", 1)[1] for f in report.failed) == [
        "2024-09-01-坏文件：没有来源网址.md",
        "2024-09-02-坏文件：前言没有结束.md",
    ]
