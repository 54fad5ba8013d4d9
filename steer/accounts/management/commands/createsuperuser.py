"""Django's createsuperuser, with the password rules applied without input too.

Asked interactively, Django checks the password (and lets the person at the console overrule the
check); with --noinput it takes DJANGO_SUPERUSER_PASSWORD unchecked, so a deployment script could
create the most powerful account with a password the rules refuse anywhere else.
"""

import os

from django.contrib.auth.management.commands import createsuperuser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError


class Command(createsuperuser.Command):
    def handle(self, *args, **options):
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        if not options["interactive"] and password is not None:
            self.validate_given_password(password, options)
        return super().handle(*args, **options)

    def validate_given_password(self, password: str, options: dict) -> None:
        fields = [self.UserModel.USERNAME_FIELD, *self.UserModel.REQUIRED_FIELDS]
        given = {
            name: options.get(name) or os.environ.get(f"DJANGO_SUPERUSER_{name.upper()}") or ""
            for name in fields
            if not self.UserModel._meta.get_field(name).is_relation
        }
        try:
            validate_password(password, self.UserModel(**given))
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
