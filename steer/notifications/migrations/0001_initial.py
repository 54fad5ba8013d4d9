# Notifications move from steering into their own app, which every app may use. The table stays
# steering_notification: only Django's idea of which app holds it changes.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('steering', '0003_event_moves_to_core'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.CreateModel(
                name='Notification',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('kind', models.CharField(choices=[('assigned', 'Assigned'), ('returned', 'Returned'), ('overdue', 'Overdue'), ('answered', 'Answered')], max_length=10, verbose_name='kind')),
                    ('text', models.CharField(max_length=500, verbose_name='text')),
                    ('url', models.CharField(blank=True, max_length=300, verbose_name='link')),
                    ('key', models.CharField(blank=True, max_length=100)),
                    ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='at')),
                    ('read_at', models.DateTimeField(blank=True, null=True, verbose_name='read')),
                    ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL, verbose_name='user')),
                ],
                options={
                    'verbose_name': 'notification',
                    'verbose_name_plural': 'notifications',
                    'db_table': 'steering_notification',
                    'ordering': ['-created_at', '-pk'],
                    'indexes': [models.Index(fields=['user', 'read_at'], name='notification_unread')],
                    'constraints': [models.UniqueConstraint(condition=models.Q(('key', ''), _negated=True), fields=('user', 'key'), name='notification_once')],
                },
            ),
            ],
            database_operations=[],
        ),
    ]
