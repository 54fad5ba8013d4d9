# The history (Event) moves from steering to core, where every app may record it. The table
# stays steering_event: only Django's idea of which app holds it changes.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('core', '0001_counters_and_sent_forms'),
        ('steering', '0002_event_action_choices'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.CreateModel(
                name='Event',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('object_id', models.PositiveBigIntegerField()),
                    ('action', models.CharField(choices=[('progress', 'Progress reported'), ('deadline', 'Deadline moved'), ('given', 'Directive given'), ('reported', 'Progress reported'), ('closed', 'Closed'), ('returned', 'Returned'), ('planned', 'Planned'), ('findings', 'Findings recorded'), ('concluded', 'Concluded'), ('raised', 'Raised'), ('routed', 'Assessed and forwarded'), ('answered', 'Answered'), ('synthesised', 'Synthesised'), ('reminded', 'Reminded to report'), ('import', 'File import'), ('attached', 'Files attached')], max_length=30, verbose_name='action')),
                    ('from_state', models.CharField(blank=True, max_length=30, verbose_name='from')),
                    ('to_state', models.CharField(blank=True, max_length=30, verbose_name='to')),
                    ('note', models.TextField(blank=True, verbose_name='note')),
                    ('at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='at')),
                    ('content_type', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='contenttypes.contenttype')),
                    ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='by')),
                ],
                options={
                    'verbose_name': 'change record',
                    'verbose_name_plural': 'change records',
                    'db_table': 'steering_event',
                    'ordering': ['at', 'pk'],
                    'indexes': [models.Index(fields=['content_type', 'object_id'], name='event_subject')],
                },
            ),
            ],
            database_operations=[],
        ),
    ]
