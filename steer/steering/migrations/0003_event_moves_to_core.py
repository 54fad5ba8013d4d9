# The history (Event) moves to core (core/0002_event); its table steering_event stays.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('steering', '0002_event_action_choices'),
        ('core', '0002_event'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='Event')],
            database_operations=[],
        ),
    ]
