"""Reads every app shares: the history of who changed what."""

import datetime as dt

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet

from steer.core.models import Event


def events_of(subject: models.Model) -> QuerySet[Event]:
    return Event.objects.filter(
        content_type=ContentType.objects.get_for_model(subject), object_id=subject.pk
    ).select_related("user")


def last_event(
    subject: models.Model, **filters: str
) -> tuple[AbstractBaseUser | None, dt.datetime | None]:
    """Who made the subject's latest change (of these kinds) and when, or (None, None)."""
    event = events_of(subject).filter(**filters).order_by("at", "pk").last()
    return (event.user, event.at) if event else (None, None)
