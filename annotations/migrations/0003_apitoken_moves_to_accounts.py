# The ApiToken model moves to the accounts app; its table (annotations_apitoken) and rows
# stay where they are. This side only forgets the model; accounts.0001 takes it up.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0002_search_text"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ApiToken")],
            database_operations=[],
        ),
    ]
