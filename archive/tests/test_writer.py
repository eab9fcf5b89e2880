"""archive.writer: batches written whole or file by file, re-cleaning, and who is blamed."""

import pytest

from archive.importer import import_paths
from archive.models import ImportedFile, Post
from archive.signals import FollowerFailed, posts_rewritten
from archive.writer import Batch, reclean, write_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def follower_failing_on():
    """A receiver of posts_rewritten that cannot follow the rewrite of the posts named."""
    failing: set[int] = set()

    def follow(sender, post_ids, previous, **kwargs):
        if failing & set(post_ids):
            raise FollowerFailed("re-anchoring annotations", ValueError("cannot place #7"))

    posts_rewritten.connect(follow, dispatch_uid="test-follower")
    yield failing
    posts_rewritten.disconnect(dispatch_uid="test-follower")


@pytest.fixture
def two_posts(archive_dir):
    a = archive_dir.write("2024-01-01-a.md", url="https://example.org/a", body="<p>甲一</p>")
    b = archive_dir.write("2024-01-02-b.md", url="https://example.org/b", body="<p>乙一</p>")
    import_paths([archive_dir])
    return a, b


def test_a_follower_that_fails_is_named_and_only_its_file_is_rolled_back(
    archive_dir, two_posts, follower_failing_on
):
    a, b = two_posts
    follower_failing_on.add(Post.objects.get(url="https://example.org/a").pk)
    archive_dir.write(a.name, url="https://example.org/a", body="<p>甲二</p>")
    archive_dir.write(b.name, url="https://example.org/b", body="<p>乙二</p>")

    report = import_paths([archive_dir])

    assert report.failed == [
        {
            "path": str(a),
            "error": "re-anchoring annotations failed: ValueError: cannot place #7",
        }
    ]
    assert report.updated == 1
    texts = dict(Post.objects.values_list("url", "text"))
    assert texts == {"https://example.org/a": "甲一", "https://example.org/b": "乙二"}
    # The failed file's ledger row says so: the next run tries it again.
    assert ImportedFile.objects.get(path=str(a)).status == "failed"


def test_a_recleaned_post_whose_follower_fails_keeps_its_old_text(two_posts, follower_failing_on):
    Post.objects.update(cleaner_version=0, text="旧")
    failing = Post.objects.get(url="https://example.org/a").pk
    follower_failing_on.add(failing)

    report = reclean()

    assert report.recleaned == 1
    assert report.failed == [
        {"post": failing, "error": "re-anchoring annotations failed: ValueError: cannot place #7"}
    ]
    assert dict(Post.objects.values_list("url", "text")) == {
        "https://example.org/a": "旧",
        "https://example.org/b": "乙一",
    }
    assert Post.objects.get(pk=failing).cleaner_version == 0  # outdated: tried again next time


def test_other_write_errors_blame_the_database():
    assert write_error(ValueError("NOT NULL constraint failed")) == (
        "database: NOT NULL constraint failed"
    )


def test_a_batch_splits_into_one_batch_per_file():
    new, rewritten, same, duplicate = (object() for _ in range(4))
    batch = Batch(
        new=[new], rewritten=[(1, rewritten)], unchanged=[(2, same)], moved={2: "/x.md"},
        duplicates=[duplicate],
    )  # fmt: skip
    singles = list(batch.split())
    assert [item for item, _ in singles] == [new, rewritten, same, duplicate]
    assert singles[2][1] == Batch(unchanged=[(2, same)], moved={2: "/x.md"})
    assert sum(single.counts()["created"] for _, single in singles) == 1
