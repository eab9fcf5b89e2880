"""FTS5 merges index segments less eagerly: an import writes one small segment per batch,
and merging every 4 (the default) rewrote the index over and over. With 16, a full import of
181 MB spent 41 s in the index instead of 52 s (bench/import_bench.py)."""

from django.db import migrations

AUTOMERGE = 16


def set_automerge(apps, schema_editor, value=AUTOMERGE):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            "INSERT INTO archive_search (archive_search, rank) VALUES ('automerge', %s)", [value]
        )


def reset_automerge(apps, schema_editor):
    set_automerge(apps, schema_editor, value=4)


class Migration(migrations.Migration):
    dependencies = [("archive", "0004_importedfile_stat")]

    operations = [migrations.RunPython(set_automerge, reset_automerge)]
