"""PostgreSQL's search index becomes one row per post, its grams under a GIN index
(archive.search_postgres says why); SQLite's FTS5 table is left as it is.

Every post is indexed again here, a few hundred a second: on a large archive this migration
takes minutes (100,000 posts: see the README). The old tsvector table is dropped first, so
the disk it held is free before the new index is written.
"""

from django.db import migrations

TABLE = [
    "DROP TABLE IF EXISTS archive_search",
    # COLLATE "C": keys are compared byte for byte (a locale's rules would only cost time).
    "CREATE TABLE archive_search ("
    " post_id bigint PRIMARY KEY,"  # no foreign key: see 0002
    ' head text COLLATE "C" NOT NULL,'
    ' grams text[] COLLATE "C" NOT NULL,'
    ' text text COLLATE "C" NOT NULL)',
]
INDEX = "CREATE INDEX archive_search_grams ON archive_search USING gin (grams)"
# The same as 0002's, to go back.
TSVECTOR = [
    "DROP TABLE archive_search",
    "CREATE TABLE archive_search ("
    " id bigserial PRIMARY KEY,"
    " post_id bigint NOT NULL,"
    " chunk integer NOT NULL,"
    " document tsvector NOT NULL)",
    "CREATE INDEX archive_search_document ON archive_search USING gin (document)",
    "CREATE INDEX archive_search_post ON archive_search (post_id)",
]


def lz4(schema_editor) -> bool:
    """Whether this server compresses with LZ4 (PostgreSQL 14+ built with it): reading a
    post's text back for a phrase costs a fraction of the default pglz's. (The keys keep
    pglz: they are written, never read back, and pglz packs them tighter.)"""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def to_grams(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in TABLE:
        schema_editor.execute(statement)
    if lz4(schema_editor):
        schema_editor.execute("ALTER TABLE archive_search ALTER text SET COMPRESSION lz4")
    reindex(apps, schema_editor.connection)
    # Built once over every row, instead of grown a post at a time; sorting its keys in
    # memory rather than on disk.
    schema_editor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    schema_editor.execute(INDEX)
    schema_editor.execute("ANALYZE archive_search")


def to_tsvector(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in TSVECTOR:
        schema_editor.execute(statement)
    # This version's code cannot write the old rows: search again after `manage.py
    # import_posts --force` with the older code.


def reindex(apps, connection, batch: int = 500) -> None:
    from archive import search_postgres
    from archive.search_text import Grams

    Post = apps.get_model("archive", "Post")
    ids = list(Post.objects.order_by("id").values_list("id", flat=True))
    with connection.cursor() as cursor:
        for start in range(0, len(ids), batch):
            rows = Post.objects.filter(id__in=ids[start : start + batch]).values_list(
                "id", "title", "author", "text"
            )
            search_postgres.index(
                cursor, [(pk, Grams.of(title, author, text)) for pk, title, author, text in rows]
            )


class Migration(migrations.Migration):
    dependencies = [("archive", "0008_import_run")]

    operations = [migrations.RunPython(to_grams, to_tsvector)]
