"""The shared flag becomes a visibility without anything becoming more visible."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("annotations", "0004_page_notes")]
AFTER = [("annotations", "0005_groups_replies_visibility")]


@pytest.mark.django_db(transaction=True)
def test_shared_annotations_become_everyone_and_the_rest_stay_private(owner, post):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("annotations", "Annotation")
    fields = {"user_id": owner.pk, "post_id": post.pk, "exact": "增长", "start": 20, "end": 22}
    shared = old.objects.create(shared=True, **fields).pk
    private = old.objects.create(shared=False, **fields).pk

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)

    new = executor.loader.project_state(AFTER).apps.get_model("annotations", "Annotation")
    found = dict(new.objects.values_list("pk", "visibility"))
    assert found == {shared: "everyone", private: "private"}
    assert not new.objects.exclude(group=None).exists()
