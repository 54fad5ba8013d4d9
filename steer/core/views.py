from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render

from steer.accounts.access import access_for


@login_required
def home(request):
    programmes = list(access_for(request.user).programmes())
    if len(programmes) == 1:
        return redirect(programmes[0])
    return render(request, "core/home.html", {"programmes": programmes})


def health(request):
    return HttpResponse("ok", content_type="text/plain")


def permission_denied(request, exception=None):
    return render(request, "core/403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "core/404.html", status=404)


def server_error(request):
    return render(request, "core/500.html", status=500)
