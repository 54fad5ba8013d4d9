import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steer.settings")
application = get_wsgi_application()

from steer.core.runtime import settle  # noqa: E402  (after the app registry is ready)

get_resolver().resolve("/")  # loads every view module now, so that it is settled with the rest
settle()
