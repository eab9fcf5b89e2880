"""ApiToken moved from the annotations app to accounts without moving its data."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("annotations", "0002_search_text"), ("accounts", None)]
AFTER = [("annotations", "0003_apitoken_moves_to_accounts"), ("accounts", "0001_initial")]


@pytest.fixture
def back_to_the_latest():
    """Migrate forward again afterwards: pytest-django runs the transactional tests last, on
    this database, and they need today's tables (0004 and later would be missing)."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_tokens_and_their_permissions_survive_the_move(owner, back_to_the_latest):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE[:1]).apps
    content_types = old.get_model("contenttypes", "ContentType")
    content_types.objects.filter(model="apitoken").delete()  # as on a site made before
    content_types.objects.create(app_label="annotations", model="apitoken")
    old.get_model("annotations", "ApiToken").objects.create(
        user_id=owner.pk, name="old script", digest="d" * 64, hint="pz_abcd"
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)

    new = executor.loader.project_state(AFTER).apps
    token = new.get_model("accounts", "ApiToken").objects.get()
    assert (token.name, token.user_id) == ("old script", owner.pk)
    labels = set(new.get_model("contenttypes", "ContentType").objects.filter(model="apitoken")
                 .values_list("app_label", flat=True))  # fmt: skip
    assert labels == {"accounts"}
