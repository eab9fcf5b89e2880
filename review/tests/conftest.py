"""Posts and annotations for the review's tests (the personas are in the root conftest)."""

from datetime import UTC, datetime

import pytest

from annotations import services
from annotations.values import Changes, Target
from archive.importer import import_paths
from archive.models import Post

PARAGRAPHS = [
    "第一段说了一些话，和经济无关。",
    "第二段讲中国的经济，中国的经济增长放缓了很多，专家说这是结构性的问题。",
    "The third paragraph is in English and quotes a minister at some length.",
    "第四段：城市的房价连续下跌，开发商的债务问题越来越重。",
    "第五段：出口仍然强劲，但是消费信心不足。",
    "第六段：年轻人的失业率创下新高。",
    "第七段：地方政府的财政压力很大。",
]
BODY = "<div>" + "\n".join(f"<p>{text}</p>" for text in PARAGRAPHS) + "</div>"
QUOTES = [
    "增长放缓",
    "third paragraph",
    "房价连续下跌",
    "出口仍然强劲",
    "失业率创下新高",
    "财政压力",
]
# A fixed morning (Asia/Shanghai, the settings' TIME_ZONE, is UTC+8: 10:00 local).
MORNING = datetime(2024, 6, 3, 2, 0, tzinfo=UTC)


@pytest.fixture
def posts(archive_dir):
    """Two posts with the same paragraphs (annotations on either must work alike)."""
    for n in (1, 2):
        archive_dir.write(
            name=f"2024-01-0{n}-p{n}.md",
            title=f"经济观察{n}",
            url=f"https://example.org/economy{n}",
            body=BODY,
        )
    import_paths([archive_dir])
    return list(Post.objects.order_by("url"))


@pytest.fixture
def post(posts):
    return posts[0]


def passage(post, quote: str) -> Target:
    start = post.text.index(quote)
    return Target(
        source=post.url, post_id=post.pk, exact=quote, start=start, end=start + len(quote)
    )


def annotate(user, post, quote: str, *, created_at=None, **fields):
    annotation = services.create(user, Changes(target=passage(post, quote), **fields))
    if created_at is not None:  # an order the tests can state
        type(annotation).objects.filter(pk=annotation.pk).update(created_at=created_at)
        annotation.created_at = created_at
    return annotation


def page_note(user, post, body="整篇文章的要点：经济放缓。"):
    target = Target(source=post.url, post_id=post.pk, exact="", start=None, end=None)
    return services.create(user, Changes(target=target, kind="note", body=body))


@pytest.fixture
def make_annotations(posts):
    """``count`` annotations of ``user``, one per quote, the first the oldest."""

    def make(user, count=None, post=None):
        made = []
        for n, quote in enumerate(QUOTES[: count or len(QUOTES)]):
            created = datetime(2024, 5, 1 + n, tzinfo=UTC)
            made.append(annotate(user, post or posts[n % 2], quote, created_at=created))
        return made

    return make
