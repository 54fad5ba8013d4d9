"""The page where a user makes and revokes personal access tokens for the API."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from steer.api import tokens
from steer.api.models import AccessToken
from steer.core import once


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("What the token is for"),
        max_length=100,
        help_text=gettext_lazy("e.g. “Đồng bộ số liệu sang DHIS2 của Sở”"),
    )
    scope = forms.ChoiceField(
        label=gettext_lazy("Rights"), choices=AccessToken.Scope.choices, initial="read"
    )
    days = forms.TypedChoiceField(
        label=gettext_lazy("Valid for"),
        coerce=int,
        initial=90,
        choices=[(d, gettext_lazy("%(days)s days") % {"days": d}) for d in tokens.LIFETIMES],
    )


@login_required
def token_list(request):
    form = TokenForm(request.POST or None)
    new_token = None
    if request.method == "POST":
        if "revoke" in request.POST:
            try:
                pk = int(request.POST["revoke"])
            except ValueError:
                pk = 0
            if tokens.revoke(request.user, pk):
                messages.success(request, _("The token was revoked: it no longer works."))
            return redirect("api_tokens")
        if form.is_valid():

            def issue() -> once.Outcome:
                row, new_token = tokens.issue(request.user, **form.cleaned_data)
                return once.Outcome(
                    reverse("api_tokens"),
                    # Sent again, the form leads to the list: the token itself is shown once.
                    _("The token “%(name)s” was made; it was shown only once, when it was made.")
                    % {"name": row.name},
                    response=_page(request, TokenForm(), new_token),
                )

            return once.run(request, issue)
    return _page(request, form, new_token)


def _page(request, form, new_token):
    rows = AccessToken.objects.filter(user=request.user)
    return render(request, "api/tokens.html", {"rows": rows, "form": form, "new_token": new_token})
