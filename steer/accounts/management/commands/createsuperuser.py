"""Django's createsuperuser, with the password rules applied without input too.

Asked interactively, Django checks the password (and lets the person at the console overrule the
check); with --noinput it takes DJANGO_SUPERUSER_PASSWORD unchecked, so a deployment script could
create the most powerful account with a password the rules refuse anywhere else.
"""

import os
from typing import Any

from django.contrib.auth.management.commands import createsuperuser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError

from steer.accounts.models import User


class Command(createsuperuser.Command):
    def handle(self, *args: Any, **options: Any) -> str | None:
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        if not options["interactive"] and password is not None:
            self.validate_given_password(password, options)
        return super().handle(*args, **options)

    def validate_given_password(self, password: str, options: dict[str, Any]) -> None:
        # AUTH_USER_MODEL is steer's User: Django's command knows it only as a base user.
        fields = [User.USERNAME_FIELD, *User.REQUIRED_FIELDS]
        given = {
            name: options.get(name) or os.environ.get(f"DJANGO_SUPERUSER_{name.upper()}") or ""
            for name in fields
            if not User._meta.get_field(name).is_relation
        }
        try:
            validate_password(password, User(**given))
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
