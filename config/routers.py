"""Reads of the busiest pages from a read replica (DATABASE_REPLICA_URL, optional).

The list, reader and search pages are most of the traffic and only read the archive, so they
are what a replica can take off the primary. Their views are marked by
``reads_from_replica``; within such a request, reads of the archive's tables (posts, sources,
tags, the search index) go to the replica. Everything else goes to the primary: every write
(a marked page may write too: a visit to a source is remembered), the API, the admin,
sign-in and sessions, and migrations, since these must see what was just written.

The mark is a context variable: a request's thread or task sees only its own, so requests
served side by side by one process do not mix. Without DATABASE_REPLICA_URL this router is
not installed, the views' mark does nothing and ``read_alias`` is always the primary.

Why the page cache reads its stamps through ``read_alias`` (archive.pagecache,
library.shelves): a page is cached under the stamps it was read with. A stamp read on the
primary could be ahead of the replica the page was rendered from, and the page, behind its
key, would stay cached until the next change. Read on the replica too, a key is never ahead
of the page under it.
"""

from __future__ import annotations

import functools
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, router

REPLICA = "replica"
# The apps whose tables the marked pages read in bulk (taggit: the posts' tags).
REPLICA_APPS = frozenset({"archive", "taggit"})

_replica_reads: ContextVar[bool] = ContextVar("pizhu_replica_reads", default=False)


def replica_configured() -> bool:
    """Whether this router is in use (DATABASE_REPLICA_URL sets it, with the replica)."""
    return any(isinstance(each, ReplicaRouter) for each in router.routers)


def reads_from_replica(view):
    """Mark a view's request as one whose archive reads may go to the replica."""

    @functools.wraps(view)
    def marked(request, *args, **kwargs):
        if not replica_configured():
            return view(request, *args, **kwargs)
        token = _replica_reads.set(True)
        try:
            return view(request, *args, **kwargs)
        finally:
            _replica_reads.reset(token)

    marked.reads_from_replica = True  # for the tests: which views are marked
    return marked


def in_replica_request() -> bool:
    return _replica_reads.get()


def read_alias() -> str:
    """The database a marked page reads the archive from, for raw SQL (the ORM asks the
    router): the replica within a marked request, else the primary."""
    return REPLICA if _replica_reads.get() else DEFAULT_DB_ALIAS


class ReplicaRouter:
    """DATABASE_ROUTERS' one router when DATABASE_REPLICA_URL is set."""

    def db_for_read(self, model, **hints):
        if _replica_reads.get() and model._meta.app_label in REPLICA_APPS:
            return REPLICA
        # Explicitly the primary, not None: Django would otherwise follow an instance read
        # from the replica, so a reading state reached through a post would be read there.
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database behind two names: a post read on either is the same row

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS  # the replica follows the primary's schema by itself
