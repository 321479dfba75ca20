"""Drop the ``forum.moderate_forum`` permission: it was granted but never checked.
Who moderates is decided by role and audience (``forum.permissions.can_moderate``)."""

from django.db import migrations


def delete_permission(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="forum", codename="moderate_forum").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("forum", "0003_notifications_move_out"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="category",
            options={"ordering": ["position", "name"], "verbose_name_plural": "categories"},
        ),
        migrations.RunPython(delete_permission, migrations.RunPython.noop),
    ]
