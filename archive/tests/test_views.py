"""Post list and reader pages."""

import pytest
from django.urls import reverse

from archive.importer import import_paths
from archive.models import Post

pytestmark = pytest.mark.django_db


@pytest.fixture
def posts(archive_dir):
    for n in range(12):
        archive_dir.write(
            f"2024-01-{n + 1:02d}-p{n}.md",
            url=f"https://example.org/{n}",
            title=f"第{n}篇",
            date=f"2024-01-{n + 1:02d}T00:00:00Z",
            tags=f"[ 标签{n % 3}, 共同 ]",
        )
    import_paths([archive_dir])
    return Post.objects.all()


def test_list_shows_newest_first_with_source_and_tags(client, posts):
    response = client.get(reverse("archive:post_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.index("第11篇") < body.index("第0篇")
    assert "示例日报" in body and "标签2" in body


def test_list_query_count_does_not_grow_with_page_size(
    client, posts, settings, django_assert_num_queries
):
    settings.PIZHU_POSTS_PER_PAGE = 3
    with django_assert_num_queries(3):  # count, posts with source, tags
        client.get(reverse("archive:post_list"))
    settings.PIZHU_POSTS_PER_PAGE = 12
    with django_assert_num_queries(3):
        client.get(reverse("archive:post_list"))


def test_reader_shows_the_cleaned_body_and_a_safe_source_link(client, archive_dir):
    archive_dir.write(body="<p>正文<script>alert(1)</script></p>", title="<b>标题</b>")
    import_paths([archive_dir])
    post = Post.objects.get()
    response = client.get(post.get_absolute_url())
    body = response.content.decode()
    assert "<p>正文</p>" in body and "alert(1)" not in body
    assert "&lt;b&gt;标题&lt;/b&gt;" in body
    assert f'href="{post.url}" rel="noopener noreferrer nofollow"' in body


def test_reader_of_a_missing_post_is_404(client, db):
    assert client.get(reverse("archive:post_detail", args=[999])).status_code == 404


def test_reader_uses_two_queries_or_fewer(client, posts, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        client.get(posts.first().get_absolute_url())
