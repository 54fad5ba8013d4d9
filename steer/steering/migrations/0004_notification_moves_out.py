# Notifications move to their own app (notifications/0001_initial); the table stays.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('steering', '0003_event_moves_to_core'),
        ('notifications', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='Notification')],
            database_operations=[],
        ),
    ]
