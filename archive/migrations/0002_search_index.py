"""The full-text index of archive.search: an FTS5 table on SQLite, tsvector chunks on
PostgreSQL. Raw SQL because neither has a portable model field; archive.search owns it."""

from django.db import migrations

SQLITE = [
    # unicode61 splits on anything but letters and digits; CJK text arrives already cut
    # into space-separated character pairs (archive.search.index_text), so phrases of pairs
    # find substrings. prefix='1' keeps a second index by first character, so a
    # one-character query (the prefix of the pairs it opens) reads one list instead of
    # merging hundreds (10,000 posts: 2 ms instead of 28 ms). Weights: a match in the title
    # counts ten times one in the body.
    "CREATE VIRTUAL TABLE archive_search USING fts5("
    "title, author, body, tokenize = 'unicode61 remove_diacritics 2', prefix = '1')",
    "INSERT INTO archive_search (archive_search, rank) VALUES ('rank', 'bm25(10.0, 5.0, 1.0)')",
]
POSTGRESQL = [
    "CREATE TABLE archive_search ("
    " id bigserial PRIMARY KEY,"
    # No foreign key: Django's flush truncates archive_post alone; a post's deletion removes
    # its rows through archive.search.remove_posts (a post_delete receiver).
    " post_id bigint NOT NULL,"
    " chunk integer NOT NULL,"
    " document tsvector NOT NULL)",
    "CREATE INDEX archive_search_document ON archive_search USING gin (document)",
    "CREATE INDEX archive_search_post ON archive_search (post_id)",
]


def create(apps, schema_editor):
    statements = POSTGRESQL if schema_editor.connection.vendor == "postgresql" else SQLITE
    for statement in statements:
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    schema_editor.execute("DROP TABLE archive_search")


def index_existing_posts(apps, schema_editor):
    from archive import search

    if schema_editor.connection.vendor == "postgresql":
        return  # 0009 replaces this table and indexes every post for it
    Post = apps.get_model("archive", "Post")
    search.index_posts(Post.objects.values_list("id", "title", "author", "text").iterator())


class Migration(migrations.Migration):
    dependencies = [("archive", "0001_initial")]

    operations = [
        migrations.RunPython(create, drop),
        migrations.RunPython(index_existing_posts, migrations.RunPython.noop),
    ]
