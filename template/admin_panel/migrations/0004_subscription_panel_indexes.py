"""The subscription panel's indexes: its sortable columns (btree, every database) and, on
PostgreSQL, a trigram index for its search on `plan`.

The trigram index is on exactly the expression Django compiles `plan__icontains` to
(`UPPER("plan"::text)`), made with SQL: SQLite has no trigram indexes.
"""

from django.db import migrations, models

TRIGRAM_INDEX = "admin_panel_subscription_plan_upper_trgm"


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS "{TRIGRAM_INDEX}" ON "admin_panel_subscription" '
        'USING gin ((UPPER("plan"::text)) gin_trgm_ops)'
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{TRIGRAM_INDEX}"')


class Migration(migrations.Migration):
    dependencies = [
        ("admin_panel", "0003_auditentry_changes_encoder"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="subscription",
            index=models.Index(fields=["plan", "id"], name="sub_plan_id"),
        ),
        migrations.AddIndex(
            model_name="subscription",
            index=models.Index(fields=["monthly_amount", "id"], name="sub_amount_id"),
        ),
        migrations.RunPython(create_trigram_index, drop_trigram_index, elidable=False),
    ]
