"""Finding what a call names, with the page's rule: 404 when it does not exist, 403 when the
caller may not see it."""

from django.http import Http404
from django.utils.translation import gettext as _

from steer.accounts.access import access_for
from steer.programmes.models import Programme


def programme_for(request, slug: str) -> Programme:
    programme = Programme.objects.select_related("standing_agency").filter(slug=slug).first()
    if programme is None:
        raise Http404(_("There is no programme “%(slug)s”.") % {"slug": slug})
    access = access_for(request.user)
    access.require(access.can_view_programme(programme))
    return programme


def found(row, what: str, code):
    if row is None:
        raise Http404(_("There is no %(what)s “%(code)s”.") % {"what": what, "code": code})
    return row
