"""Reads of programmes shared by the apps' pages."""

from django.shortcuts import get_object_or_404

from steer.accounts.access import access_for
from steer.programmes.models import Programme


def viewable_programme(request, slug: str) -> Programme:
    """The programme of the page, or 404; PermissionDenied if the user may not see it."""
    programme = get_object_or_404(Programme.objects.select_related("standing_agency"), slug=slug)
    access = access_for(request.user)
    access.require(access.can_view_programme(programme))
    return programme
