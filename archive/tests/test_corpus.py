"""The real corpus in ../shared/corpus (read-only, not part of the project): import it twice."""

from pathlib import Path

import pytest

from archive.importer import import_paths
from archive.models import Post, Source
from archive.tests.html_checks import unsafe_markup
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
