"""Background work: documents are made by the task worker (`manage.py db_worker`), not in the
request, so a large report does not hold a web worker; the page follows its progress."""

from django_tasks import task

from steer.documents import services


@task()
def make_document(output_id: int) -> None:
    services.make_output(output_id=output_id)
