"""`manage.py db_worker`: django-tasks' database worker, which first deals with the files that a
killed worker (or `make_document`) left unfinished: made again once, or failed, and their
temporary folders removed (services.sweep). steer.documents comes before django_tasks_db in
INSTALLED_APPS, so this command is the one `db_worker` runs."""

from django_tasks_db.management.commands import db_worker

from steer.documents import services


class Command(db_worker.Command):
    def handle(self, *args, **options):
        services.sweep()
        return super().handle(*args, **options)
