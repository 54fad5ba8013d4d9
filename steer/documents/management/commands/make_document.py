from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from steer.accounts.models import User
from steer.core.progress import ProgressBar
from steer.documents import services
from steer.documents.models import Draft


class Command(BaseCommand):
    help = (
        "Make a draft's Word file (and PDF) here and now, with a progress bar, and save it: "
        "what the background worker does when an official asks for it on the page."
    )

    def add_arguments(self, parser):
        parser.add_argument("draft", type=int, help="the draft's number (in its address)")
        parser.add_argument("--user", required=True, help="who makes it (a username)")
        parser.add_argument("--pdf", action="store_true", help="print a PDF too")
        parser.add_argument("--out", type=Path, help="also write the files here (no extension)")

    def handle(self, *args, **options):
        draft = Draft.objects.filter(pk=options["draft"]).first()
        if draft is None:
            raise CommandError(f"There is no draft {options['draft']}.")
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"There is no user {options['user']}.")
        # Made here, not queued: a running worker would make the same file again.
        try:
            output = services.new_output(user=user, draft=draft, want_pdf=options["pdf"])
        except PermissionDenied:
            raise CommandError(f"{user} may not make the files of draft {draft.pk}.") from None
        bar = ProgressBar("document", 100)
        output = services.make_output(
            output_id=output.pk, on_progress=lambda percent, _step: bar(percent)
        )
        bar(100)
        if output.state != output.State.DONE:
            raise CommandError(output.error)
        if output.pdf_problem:
            self.stderr.write(output.pdf_problem)
        if options["out"]:
            assert output.docx is not None  # a file made holds its Word document
            options["out"].with_suffix(".docx").write_bytes(bytes(output.docx))
            if output.pdf is not None:
                options["out"].with_suffix(".pdf").write_bytes(bytes(output.pdf))
        self.stdout.write(f"File {output.pk} made in {output.seconds:.1f} s.")
