"""Writes every app shares: the history of who changed what."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db import models

from steer.core.models import Event


def record(
    subject: models.Model,
    user: AbstractBaseUser,
    action: Event.Action,
    *,
    from_state: str = "",
    to_state: str = "",
    note: str = "",
) -> Event:
    """One change of the subject, in the caller's transaction (docs/audit.md)."""
    return Event.objects.create(
        content_type=ContentType.objects.get_for_model(subject),
        object_id=subject.pk,
        action=Event.Action(action),  # an action outside the vocabulary fails here, not later
        from_state=from_state,
        to_state=to_state,
        note=note,
        user=user,  # type: ignore[misc]  # the AUTH_USER_MODEL, known here only as a user
    )
