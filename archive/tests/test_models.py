"""archive.models: the named read paths of posts."""

import pytest

from archive.importer import import_paths
from archive.models import Post

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(archive_dir):
    archive_dir.write(url="https://example.org/a")
    import_paths([archive_dir])
    return Post.objects.get()


def test_find_takes_an_id_an_article_url_or_a_reader_url(post):
    assert Post.objects.find(post.pk) == post
    assert Post.objects.find("https://example.org/a") == post
    assert Post.objects.find(f"/posts/{post.pk}/") == post
    assert Post.objects.find(f"http://pizhu.test/posts/{post.pk}/", host="pizhu.test") == post


@pytest.mark.parametrize(
    "written",
    [
        "http://www.example.org/a/",
        "https://example.org/a?utm_source=rss&utm_medium=feed#comments",
        "https://example.org/a?source=rss----abc---4",
    ],
)
def test_find_takes_the_article_url_written_another_way(post, written):
    assert Post.objects.find(written) == post


def test_a_post_saved_outside_the_importer_has_its_url_key_too(post):
    other = Post.objects.create(
        title="t", url="https://www.example.org/b/", source=post.source, raw_front_matter="",
        raw_body="",
    )  # fmt: skip
    assert other.url_key == "example.org/b"
    assert post.url_key == "example.org/a"  # the importer's


@pytest.mark.parametrize(
    "reference",
    [
        "https://example.org/other",
        "https://example.org/a/b",
        "http://elsewhere.example/posts/{pk}/",  # another site's reader URL
        "/notes/",
        "",
        True,  # a JSON boolean is not a post id
        None,
        10**9,
    ],
)
def test_find_is_none_for_anything_else(post, reference):
    if isinstance(reference, str):
        reference = reference.format(pk=post.pk)
    assert Post.objects.find(reference, host="pizhu.test") is None
