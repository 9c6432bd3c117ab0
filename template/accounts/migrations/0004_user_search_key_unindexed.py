"""A partial index of the previous release on the search key column (0006 removes it).

This release creates nothing here: the index went with the column. The migration stays so
that Django knows which projects ran it.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_user_search_key"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop),
    ]
