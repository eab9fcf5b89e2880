"""Posts for the library's tests (the personas are in the root conftest)."""

import pytest

from archive.importer import import_paths
from archive.models import Post

PARAGRAPHS = "".join(f"<p>第{n}段：这是一段用来读的文字。</p>" for n in range(60))
LONG_BODY = f"<div>{PARAGRAPHS}</div>"


@pytest.fixture
def post(archive_dir):
    archive_dir.write(body=LONG_BODY, url="https://example.org/long")
    import_paths([archive_dir])
    return Post.objects.get(url="https://example.org/long")


@pytest.fixture
def posts(archive_dir):
    """Five posts, one a day, oldest first."""
    for day in range(1, 6):
        archive_dir.write(
            name=f"2024-01-0{day}-p{day}.md",
            title=f"第{day}篇",
            date=f"2024-01-0{day}T08:00:00.000Z",
            url=f"https://example.org/p{day}",
            body=f"<p>第{day}篇的正文，足够长的一段文字。</p>" * 5,
        )
    import_paths([archive_dir])
    return list(Post.objects.order_by("published_at"))
