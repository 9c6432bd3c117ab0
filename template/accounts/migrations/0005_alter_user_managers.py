"""The user model's manager refuses look-alike usernames (accounts/lookalikes.py).

Django records the manager in the migration state; nothing changes in the database.
"""

import accounts.models
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_user_search_key_unindexed'),
    ]

    operations = [
        migrations.AlterModelManagers(
            name='user',
            managers=[
                ('objects', accounts.models.UserManager()),
            ],
        ),
    ]
