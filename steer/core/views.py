import re

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from steer.core import charts
from steer.core.params import BadParameter, NotFound


@require_safe
def health(request):
    return HttpResponse("ok", content_type="text/plain")


@require_safe
def vega_bundle(request, version):
    """The chart library (vega-embed, Vega-Lite, Vega and our snippet), served by the app.

    Open to all like any static file: it is the same for everyone and holds no data. Its URL
    carries the version, so browsers may keep it for a year."""
    if version != charts.BUNDLE_VERSION:
        raise Http404
    if re.search(r"\bgzip\b", request.headers.get("Accept-Encoding", "")):
        response = HttpResponse(charts.bundle_gzip(), content_type="text/javascript; charset=utf-8")
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(charts.bundle_js(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    patch_vary_headers(response, ["Accept-Encoding"])
    return response


def bad_request(request, exception=None):
    message = str(exception) if isinstance(exception, BadParameter) else ""
    return render(request, "core/400.html", {"message": message}, status=400)


def permission_denied(request, exception=None):
    # A service's refusal says why (e.g. "Only the inspection team records findings.").
    reason = str(exception) if exception is not None and exception.args else ""
    return render(request, "core/403.html", {"reason": reason}, status=403)


def page_not_found(request, exception=None):
    message = str(exception) if isinstance(exception, NotFound) else ""
    return render(request, "core/404.html", {"message": message}, status=404)


def server_error(request):
    return render(request, "core/500.html", status=500)
