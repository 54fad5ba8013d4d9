"""The REST API: units, programmes, indicators, plan items, reported values (also as DHIS2
dataValueSets), submissions, directives, recommendations and rankings.

Callers sign in with a personal access token (`Authorization: Bearer steer_…`) or, from the
app's own pages, with their session (and its CSRF token). Every call applies the same rule as the
pages (steer.accounts.access); errors come back as {"detail", "code", "problems"}.
"""

import functools
import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.urls import URLPattern, re_path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer, django_auth

from steer.api import tokens
from steer.api.models import AccessToken
from steer.core.jsontext import BadJson, load_json

logger = logging.getLogger(__name__)


class TokenAuth(HttpBearer):
    def authenticate(self, request, token: str):
        row = tokens.user_of(token)
        if row is None:
            return None
        request.user = row.user
        request.access_token = row
        return row


class OneValueParser(Parser):
    """A parameter that takes one value given twice (?parent=01&parent=02) is refused: Ninja
    would silently keep the last. A body is read by `load_json`, whose reason for refusing it
    (not UTF-8, not JSON, nested too deeply…) the answer gives instead of Ninja's English one."""

    def parse_body(self, request):
        return load_json(request.body)

    def parse_querydict(self, data, list_fields, request):
        repeated = [k for k in data if k not in list_fields and len(data.getlist(k)) > 1]
        if repeated:
            raise ValidationError(
                [{"loc": ("query", key), "msg": _("Give this parameter once.")} for key in repeated]
            )
        return super().parse_querydict(data, list_fields, request)


api = NinjaAPI(
    title="steer API",
    version="1",
    description=(
        "Programme steering data: units, programmes, indicators and targets, plan items, "
        "reported values (also as DHIS2 dataValueSets), submissions, directives, "
        "recommendations and rankings. Sign in with a personal access token made on the "
        "“API tokens” page: `Authorization: Bearer steer_…`. Lists are paged with "
        "`limit` and `offset`."
    ),
    urls_namespace="api",
    auth=[TokenAuth(), django_auth],
    parser=OneValueParser(),
)


class Refused(HttpError):
    """An error with a code and, for refused writes, the problems at fault."""

    def __init__(self, status: int, code: str, detail: str, problems=()):
        super().__init__(status, detail)
        self.code = code
        self.problems = [{"where": p.where, "message": p.message} for p in problems]


def error(request, status: int, code: str, detail: str, problems=()):
    body = {"detail": detail, "code": code, "problems": list(problems)}
    response = api.create_response(request, body, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="steer"'
    return response


@api.exception_handler(Refused)
def _refused(request, exc: Refused):
    return error(request, exc.status_code, exc.code, exc.message, exc.problems)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return error(
        request,
        401,
        "unauthenticated",
        _("Sign in: send a valid personal access token as “Authorization: Bearer …”."),
    )


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return error(request, 403, "forbidden", str(exc) or _("You may not see or change this."))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return error(request, 404, "not_found", str(exc) or _("Not found."))


# What pydantic says of a field, by the type of its error, in the caller's language (pydantic
# speaks English only). Anything else is "not valid".
FIELD_ERRORS = {
    "missing": gettext_lazy("Required, and missing."),
    "string_type": gettext_lazy("Must be text, in quotes."),
    "string_too_short": gettext_lazy("Must be at least %(min_length)s characters long."),
    "string_too_long": gettext_lazy("Must be at most %(max_length)s characters long."),
    "string_pattern_mismatch": gettext_lazy("Not in the accepted form: %(pattern)s"),
    "list_type": gettext_lazy("Must be a list."),
    "too_short": gettext_lazy("Must hold at least %(min_length)s items."),
    "too_long": gettext_lazy("Must hold at most %(max_length)s items."),
    "dict_type": gettext_lazy("Must be an object."),
    "model_type": gettext_lazy("Must be an object."),
    "model_attributes_type": gettext_lazy("Must be an object."),
    "bool_type": gettext_lazy("Must be true or false."),
    "bool_parsing": gettext_lazy("Must be true or false."),
    "int_type": gettext_lazy("Must be a whole number."),
    "int_parsing": gettext_lazy("Must be a whole number."),
    "int_from_float": gettext_lazy("Must be a whole number."),
    "int_parsing_size": gettext_lazy("Must be a whole number."),
    "greater_than": gettext_lazy("Must be greater than %(gt)s."),
    "greater_than_equal": gettext_lazy("Must be %(ge)s or more."),
    "less_than": gettext_lazy("Must be less than %(lt)s."),
    "less_than_equal": gettext_lazy("Must be %(le)s or less."),
    "literal_error": gettext_lazy("Must be one of: %(expected)s."),
    "enum": gettext_lazy("Must be one of: %(expected)s."),
    "recursion_loop": gettext_lazy("Nested too deeply."),
}


def field_problem(item: dict) -> dict:
    """One of pydantic's (or the parser's) errors as a problem: where (query.limit,
    body.values.0.value) and why."""
    loc = tuple(item.get("loc", ()))
    if loc[:2] == ("body", "body"):  # the source, then the parameter, which is named body
        loc = loc[1:]
    template = FIELD_ERRORS.get(str(item.get("type")))
    if template is not None:
        try:
            message = str(template) % item.get("ctx", {})
        except (KeyError, TypeError, ValueError):
            message = _("Not valid.")
    elif "type" in item:
        message = _("Not valid.")
    else:  # the parser's own, already in the caller's language
        message = str(item.get("msg", ""))
    return {"where": ".".join(str(part) for part in loc), "message": message}


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    problems = [field_problem(item) for item in exc.errors]
    return error(request, 422, "invalid", _("The request is not valid."), problems)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    # Ninja's own, in English: a body its parser refused ("Cannot parse request body"), and a
    # write from a session without its CSRF token ("CSRF check Failed").
    if exc.status_code == 400:
        cause = exc.__cause__
        detail = str(cause) if isinstance(cause, BadJson) else _("The request body is not JSON.")
        return error(request, 400, "bad_request", detail)
    if exc.status_code == 403:
        return error(
            request,
            403,
            "csrf_failed",
            _(
                "A write from a signed-in session must send its CSRF token (the X-CSRFToken "
                "header); a program signs in with an access token instead."
            ),
        )
    return error(request, exc.status_code, "error", _("The request was refused."))


@api.exception_handler(Exception)
def _server_error(request, exc):
    # Never a stack trace for a caller; the log has it.
    logger.exception("API error on %s", request.path)
    return error(request, 500, "server_error", _("Something went wrong on the server."))


def require_write(request) -> None:
    """A read-only token may not change anything."""
    row = getattr(request, "access_token", None)
    if isinstance(row, AccessToken) and row.scope != AccessToken.Scope.WRITE:
        raise Refused(403, "read_only", _("This access token is read only."))


def _in_json(view):
    """Django answers a method a path does not take itself, in English text: in the API's
    shape and the caller's language instead."""

    @functools.wraps(view)
    def answer(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if not isinstance(response, HttpResponseNotAllowed):
            return response
        allowed = response["Allow"]
        refusal = error(
            request,
            405,
            "method_not_allowed",
            _("This address does not take %(method)s; it takes %(allowed)s.")
            % {"method": request.method, "allowed": allowed},
        )
        refusal["Allow"] = allowed
        return refusal

    return answer


def _no_such_path(request, *args, **kwargs):
    return error(
        request,
        404,
        "not_found",
        _("The API has no such address: %(path)s") % {"path": request.path},
    )


# The documentation's pages, which are only read.
PAGES = {"openapi-json", "openapi-view", "api-root"}


def urls():
    """The API's URLs, every answer in its shape ({"detail", "code", "problems"}), also those
    Django would give as text or a page: a method the address does not take (405), an address
    the API does not have (404)."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        assert isinstance(pattern, URLPattern)  # the operations' paths: the API includes nothing
        page = pattern.name is not None and pattern.name in PAGES
        view = require_safe(pattern.callback) if page else pattern.callback
        pattern.callback = _in_json(view)
    return [*patterns, re_path(r"", _no_such_path)], app_name, namespace


def register() -> None:
    from steer.api import catalogue, rankings, reporting, steering

    for module in (catalogue, reporting, steering, rankings):
        api.add_router("", module.router)


register()
