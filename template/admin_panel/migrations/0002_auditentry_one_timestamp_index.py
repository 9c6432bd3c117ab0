"""Audit entries: drop the single-column index on `timestamp`.

The (timestamp, id) index of 0001 serves every query that one served (the feed's newest
first, date ranges in Django admin), and each audited save wrote both.
"""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("admin_panel", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditentry",
            name="timestamp",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
    ]
