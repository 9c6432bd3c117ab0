"""Audit entries: field changes are written with the framework's JSON encoder.

Only the encoder Django uses to write the column changes (full-precision ISO 8601 times,
the same text the component state and model values use); the column itself does not.
"""

from django.db import migrations, models

import component_framework.core.encoding


class Migration(migrations.Migration):
    dependencies = [
        ("admin_panel", "0002_auditentry_one_timestamp_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditentry",
            name="changes",
            field=models.JSONField(
                blank=True, default=dict, encoder=component_framework.core.encoding.JSONEncoder
            ),
        ),
    ]
