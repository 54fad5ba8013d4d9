import re
import unicodedata

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's, with its refusal worded here: Django 5.2 reworded it, and its Vietnamese
    catalogue has only the old wording, so users would read the refusal in English."""

    def get_error_message(self):
        return ngettext(
            "This password is too short: it must have at least %(min_length)d character.",
            "This password is too short: it must have at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}


def folded(text: str) -> str:
    """Lower case without diacritics (Trần Minh Đức → tran minh duc): a password is compared with
    the user's names as people type them, with or without the Vietnamese marks."""
    decomposed = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def squashed(text: str) -> str:
    """Folded letters and digits only: baocao.dongda → baocaodongda, Đức-2025 → duc2025."""
    return "".join(c for c in folded(text) if c.isalnum())


def letter_runs(text: str) -> list[str]:
    """The folded runs of letters: Trần Minh Đức → tran, minh, duc; quan.tri2 → quan, tri."""
    return re.findall(r"[^\W\d_]+", folded(text))


def made_of(text: str, pieces: set[str]) -> bool:
    """Whether text is one or more of pieces end to end (hanguyen from ha and nguyen)."""
    ends = {0}
    for end in range(1, len(text) + 1):
        if any(text[end - len(p) : end] == p and end - len(p) in ends for p in pieces if p):
            ends.add(end)
    return len(text) in ends


class OwnNameValidator:
    """Refuses a password that contains the user's username, a part of their full name or the
    name in their e-mail address (before @), or that is little more than these with digits or
    signs around them. Django's UserAttributeSimilarityValidator measures similarity over the
    whole password, so bancd12345 passes it for bancd; and it does not look at full_name."""

    # Shorter names (Hà, Lê, Đỗ) are inside too many words to refuse every password holding them;
    # a password that is little more than them is still refused.
    shortest_name_found = 3

    def validate(self, password, user=None):
        if user is None:
            return
        if found := self.name_in(password, user):
            message, part = found
            raise ValidationError(message, code="password_contains_name", params={"part": part})
        letters = "".join(letter_runs(password))
        if letters and made_of(letters, self.name_pieces(user)):
            raise ValidationError(
                _(
                    "The password is little more than the username, full name or e-mail address, "
                    "with digits or signs added."
                ),
                code="password_is_name",
            )

    def name_in(self, password: str, user) -> tuple[str, str] | None:
        searched = squashed(password)
        username = getattr(user, "username", "") or ""
        full_name = getattr(user, "full_name", "") or ""
        mailbox = (getattr(user, "email", "") or "").partition("@")[0]
        candidates = [
            (_("The password contains the username (“%(part)s”)."), username),
            (_("The password contains the name in the e-mail address (“%(part)s”)."), mailbox),
            (_("The password contains the full name (“%(part)s”)."), full_name),
        ] + [
            (_("The password contains a part of the full name (“%(part)s”)."), word)
            for word in full_name.split()
        ]
        for message, name in candidates:
            name_key = squashed(name)
            if len(name_key) >= self.shortest_name_found and name_key in searched:
                return message, name
        return None

    def name_pieces(self, user) -> set[str]:
        names = (
            getattr(user, "username", ""),
            getattr(user, "full_name", ""),
            (getattr(user, "email", "") or "").partition("@")[0],
        )
        return {piece for name in names for piece in letter_runs(name or "")}

    def get_help_text(self):
        return _(
            "Your password can’t contain your username, your name or the name in your e-mail "
            "address."
        )
