"""The read replica's router: which reads go where (config.routers), and the pages with a
replica that is the primary itself (Django's test mirror), as CI has no real one."""

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLResolver, get_resolver

from archive.importer import import_paths
from archive.models import Post, Source, TaggedPost
from config import routers
from config.routers import ReplicaRouter, read_alias, reads_from_replica
from library.models import ReadingState, SourceVisit

ARCHIVE_MODELS = [Post, Source, TaggedPost, apps.get_model("taggit", "Tag")]
PRIMARY_MODELS = [ReadingState, SourceVisit, get_user_model(), Session]


@pytest.fixture
def marked(monkeypatch):
    """Run code as a marked page's request would, with a replica configured."""
    monkeypatch.setattr(routers, "replica_configured", lambda: True)
    return lambda work: reads_from_replica(lambda request: work())(None)


# --- the router alone ----------------------------------------------------------------------


def test_outside_a_marked_page_every_read_and_write_goes_to_the_primary():
    router = ReplicaRouter()
    for model in ARCHIVE_MODELS + PRIMARY_MODELS:
        assert router.db_for_read(model) == "default"
        assert router.db_for_write(model) == "default"
    assert read_alias() == "default"


def test_a_marked_page_reads_the_archive_from_the_replica_and_nothing_else(marked):
    router = ReplicaRouter()

    def route():
        return (
            [router.db_for_read(model) for model in ARCHIVE_MODELS],
            [router.db_for_read(model) for model in PRIMARY_MODELS],
            [router.db_for_write(model) for model in ARCHIVE_MODELS + PRIMARY_MODELS],
            read_alias(),
        )

    archive, primary, writes, raw = marked(route)
    assert archive == ["replica"] * len(ARCHIVE_MODELS)
    assert primary == ["default"] * len(PRIMARY_MODELS)  # even reached through a post
    assert set(writes) == {"default"}
    assert raw == "replica"
    assert read_alias() == "default"  # the mark ends with the request


def test_the_mark_ends_when_the_view_fails(marked):
    def fail():
        raise RuntimeError("the view broke")

    with pytest.raises(RuntimeError):
        marked(fail)
    assert read_alias() == "default"
    assert ReplicaRouter().db_for_read(Post) == "default"


def test_without_a_replica_the_mark_does_nothing(monkeypatch):
    monkeypatch.setattr(routers, "replica_configured", lambda: False)
    seen = reads_from_replica(lambda request: (read_alias(), routers.in_replica_request()))(None)
    assert seen == ("default", False)


def test_only_the_primary_is_migrated():
    router = ReplicaRouter()
    assert router.allow_migrate("default", "archive") is True
    assert router.allow_migrate("replica", "archive") is False
    assert router.allow_relation(Post(), ReadingState()) is True


def views(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from views(pattern.url_patterns)
        else:
            yield pattern.callback


def test_the_list_reader_and_search_pages_are_marked_and_nothing_else():
    marked = {view.__name__ for view in views(get_resolver().url_patterns)
              if getattr(view, "reads_from_replica", False)}  # fmt: skip
    assert marked == {"post_list", "search_view", "post_detail"}


# --- the pages, with the primary as its own replica -----------------------------------------


@pytest.fixture
def replica(settings):
    """The router on, its replica being settings_test's: the test database under a second
    connection. The data must be committed (a transactional test) for it to see them."""
    settings.DATABASE_ROUTERS = ["config.routers.ReplicaRouter"]
    yield connections["replica"]
    from archive import search

    search.clear()  # the flush after a transactional test leaves the search table


@pytest.fixture
def imported(replica, archive_dir):
    for n in range(3):
        archive_dir.write(
            f"2024-01-0{n + 1}-p{n}.md",
            url=f"https://example.org/{n}",
            title=f"第{n}篇",
            body=f"<p>第{n}篇的正文，讲飞弹。</p>",
        )
    import_paths([archive_dir])
    return Post.objects.order_by("pk")


WITH_REPLICA = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


def on_each(replica, client, path):
    """The response, and the queries the replica and the primary ran for it."""
    primary = connections["default"]
    with CaptureQueriesContext(replica) as on_replica, CaptureQueriesContext(primary) as on_primary:
        response = client.get(path)
    assert response.status_code == 200, path
    return response, on_replica, on_primary


@WITH_REPLICA
def test_an_anonymous_reader_list_and_search_read_only_the_replica(replica, imported):
    post = imported.first()
    for path, shown in [
        (f"/posts/{post.pk}/", "第0篇的正文"),
        ("/", "第2篇"),
        ("/search/?q=飞弹", "第1篇"),
        ("/search/?q=飞弹&tag=示例日报", "第1篇"),  # facets counted over the search's hits
    ]:
        response, on_replica, on_primary = on_each(replica, Client(), path)
        assert shown in response.content.decode()
        assert len(on_replica) > 0, path
        assert len(on_primary) == 0, [query["sql"] for query in on_primary]


@WITH_REPLICA
def test_a_signed_in_list_writes_its_visit_to_the_primary(owner, replica, imported):
    # The owner joined before the posts came: they are new to them, and the visit is written.
    client = Client()
    client.force_login(owner)
    response, on_replica, on_primary = on_each(replica, client, "/?source=示例日报")
    assert "第2篇" in response.content.decode()
    assert SourceVisit.objects.filter(user=owner).exists()
    writes = [q["sql"] for q in on_replica if q["sql"].lstrip().startswith(("INSERT", "UPDATE"))]
    assert writes == []
    assert any("library_sourcevisit" in q["sql"] for q in on_primary)  # the visit: read, written
    assert any("archive_post" in q["sql"] for q in on_replica)


@WITH_REPLICA
def test_the_api_and_other_pages_read_only_the_primary(replica, imported, owner):
    client = Client()
    client.force_login(owner)
    post = imported.first()
    for path in ["/api/annotations/", f"/api/posts/{post.pk}/state", "/notes/", "/accounts/"]:
        _, on_replica, _ = on_each(replica, client, path)
        assert len(on_replica) == 0, path
