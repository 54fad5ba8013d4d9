import mimetypes

from django.http import FileResponse


def file_download(stored, name: str) -> FileResponse:
    """A stored file (a FileField's file) as a download under the name it was uploaded with."""
    return FileResponse(
        stored.open("rb"),
        as_attachment=True,
        filename=name,
        content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
    )
