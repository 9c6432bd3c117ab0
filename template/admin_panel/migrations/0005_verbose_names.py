"""Translatable names of the panel's models and fields (the names the model panels show).

Names only: the database does not change.
"""

import component_framework.core.encoding
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("admin_panel", "0004_subscription_panel_indexes"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="subscription",
            options={
                "ordering": ["-created", "-id"],
                "verbose_name": "subscription",
                "verbose_name_plural": "subscriptions",
            },
        ),
        migrations.AlterModelOptions(
            name="useractivity",
            options={
                "ordering": ["-last_seen"],
                "verbose_name": "user activity",
                "verbose_name_plural": "user activity",
            },
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="action",
            field=models.CharField(
                choices=[("create", "Created"), ("update", "Updated"), ("delete", "Deleted")],
                max_length=6,
                verbose_name="action",
            ),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="actor",
            ),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="actor_username",
            field=models.CharField(blank=True, max_length=150, verbose_name="actor's username"),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="changes",
            field=models.JSONField(
                blank=True,
                default=dict,
                encoder=component_framework.core.encoding.JSONEncoder,
                verbose_name="changes",
            ),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="ip",
            field=models.GenericIPAddressField(blank=True, null=True, verbose_name="IP address"),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="object_id",
            field=models.CharField(blank=True, max_length=64, verbose_name="object id"),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="target",
            field=models.CharField(max_length=255, verbose_name="target"),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="target_type",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="contenttypes.contenttype",
                verbose_name="target type",
            ),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="timestamp",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="time"),
        ),
        migrations.AlterField(
            model_name="subscription",
            name="cancelled_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="cancelled at"),
        ),
        migrations.AlterField(
            model_name="subscription",
            name="created",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="created"),
        ),
        migrations.AlterField(
            model_name="subscription",
            name="monthly_amount",
            field=models.DecimalField(
                decimal_places=2, max_digits=10, verbose_name="monthly amount"
            ),
        ),
        migrations.AlterField(
            model_name="subscription",
            name="plan",
            field=models.CharField(max_length=50, verbose_name="plan"),
        ),
        migrations.AlterField(
            model_name="subscription",
            name="status",
            field=models.CharField(
                choices=[("active", "Active"), ("cancelled", "Cancelled")],
                default="active",
                max_length=9,
                verbose_name="status",
            ),
        ),
        migrations.AlterField(
            model_name="subscription",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="subscriptions",
                to=settings.AUTH_USER_MODEL,
                verbose_name="user",
            ),
        ),
        migrations.AlterField(
            model_name="useractivity",
            name="day",
            field=models.DateField(verbose_name="day"),
        ),
        migrations.AlterField(
            model_name="useractivity",
            name="last_seen",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="last seen"),
        ),
        migrations.AlterField(
            model_name="useractivity",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="activity",
                to=settings.AUTH_USER_MODEL,
                verbose_name="user",
            ),
        ),
    ]
