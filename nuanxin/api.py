"""The JSON API under /api/v1/: one NinjaAPI, one router per app, one error shape.

Errors are JSON: 400/422 name the field and the reason, 401 without credentials, 404 for
anything missing or outside the caller's scope, 415 for a body in a format the operation does
not read (JSON everywhere; multipart only where the operation takes files).
"""

import inspect
import re
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import ninja.openapi.schema
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.params.models import BodyModel, FileModel, FormModel
from ninja.schema import NinjaGenerateJsonSchema
from ninja.security import HttpBearer, SessionAuth
from pydantic.json_schema import CoreModeRef, CoreRef, DefsRef

from nuanxin.accounts.token_memory import identify_once
from nuanxin.core.errors import DomainError
from nuanxin.core.ratelimit import RateLimited
from nuanxin.core.security import declared_length


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>`: an active token (not expired, revoked or idle too
    long) signs its user in for this request (accounts.token_memory: from the worker's memory
    while the account is unchanged); the token's id is kept for DELETE /auth/token."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = identify_once(request, token)
        if found is None:
            return None
        request.user, request.api_token_id = found  # type: ignore[attr-defined]
        return request.user


def _joined_qualname(component: str) -> str:
    """ "nuanxin.cases.models.Case.State:123" -> "nuanxin.cases.models.CaseState:123": a class
    nested in another is named after both."""
    ref, sep, ident = component.rpartition(":")
    parts = ref.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        if ".".join(parts[:cut]) in sys.modules:
            return f"{'.'.join(parts[:cut])}.{''.join(parts[cut:])}{sep}{ident}"
    return component


class NamedSchemas(NinjaGenerateJsonSchema):
    """OpenAPI components named after what they hold: the choices nested in a model are
    "CaseState", "PlaceKind", "RewardKind", not one "State" or "Kind" that each model's
    choices would overwrite in the merged document (and generated clients would then mistype)."""

    def get_defs_ref(self, core_mode_ref: CoreModeRef) -> DefsRef:
        core_ref, mode = core_mode_ref
        joined = "".join(_joined_qualname(part) for part in re.split(r"([\][,])", core_ref))
        return super().get_defs_ref((CoreRef(joined), mode))


# ninja builds every component with the generator its openapi module names; this one names them.
ninja.openapi.schema.NinjaGenerateJsonSchema = NamedSchemas  # type: ignore[misc]


api = NinjaAPI(
    title="nuanxin API",
    version="1",
    urls_namespace="api",
    # The bearer token first: a token-bearing POST has no CSRF cookie, and the session check
    # would refuse it before the token was looked at.
    auth=[BearerToken(), SessionAuth()],
    docs_url="/docs",
)


_JSON = "application/json"
_FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


def _speaks(operation: Any) -> tuple[str, ...]:
    """The body formats an operation reads: multipart for one that takes files or form fields,
    JSON for one that takes a payload; nothing for one that takes no body."""
    models = getattr(operation, "models", [])
    if any(issubclass(model, FileModel | FormModel) for model in models):
        return _FORMS
    if any(issubclass(model, BodyModel) for model in models):
        return (_JSON,)
    return ()


def _refuse_unknown_bodies(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wraps each operation (before its parameters are read): a body the operation does not
    read is a 415, so a JSON payload sent as text/plain creates nothing and a multipart body sent
    to a JSON operation is refused instead of failing inside the parser."""
    formats = _speaks(getattr(inspect.unwrap(run), "__self__", None))  # the operation, under other wrappers

    @wraps(run)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if (
            formats
            and request.method in ("POST", "PUT", "PATCH", "DELETE")
            and declared_length(request) > 0
            and request.content_type not in formats
        ):
            message = _("Send the request body as %(types)s.") % {"types": " or ".join(formats)}
            return api.create_response(
                request, {"error": message, "field": None, "code": "unsupported_media_type"}, status=415
            )
        return run(request, *args, **kwargs)

    return checked


# A refused rule is a 400, except a step the caller may not take (403) and a stale or
# out-of-order step on a record someone else just changed (409).
_DOMAIN_STATUS = {"forbidden": 403, "stale": 409}


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=_DOMAIN_STATUS.get(exc.code, 400))


@api.exception_handler(RateLimited)
def _rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    """A spent allowance (core/ratelimit.py): 429 with Retry-After; the field is null."""
    response = api.create_response(request, {"error": exc.message, "field": None, "code": "rate_limited"}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"error": _("Not found."), "field": None, "code": "not_found"}, status=404)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"error": _("Sign in or send a bearer token."), "field": None, "code": "unauthenticated"}, status=401
    )


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        location = [
            str(part)
            for part in error.get("loc", ())
            if part not in ("body", "query", "path", "payload", "form", "file")
        ]
        errors.append({"field": ".".join(location) or None, "error": error.get("msg", "")})
    first = errors[0] if errors else {"field": None, "error": ""}
    return api.create_response(
        request, {"error": first["error"], "field": first["field"], "code": "invalid", "errors": errors}, status=422
    )


api.add_decorator(_refuse_unknown_bodies, mode="view")


def _register() -> None:
    from nuanxin.accounts.api import router as accounts_router
    from nuanxin.cases.api import intake_router as cases_intake_router
    from nuanxin.cases.api import router as cases_router
    from nuanxin.core.api import router as notifications_router
    from nuanxin.insights.api import router as insights_router
    from nuanxin.inspections.api import router as inspections_router
    from nuanxin.ledgers.disputes.api import router as disputes_router
    from nuanxin.ledgers.registry.api import router as ledgers_router
    from nuanxin.party.api import router as party_router
    from nuanxin.people.api import router as people_router
    from nuanxin.stations.api import router as stations_router
    from nuanxin.territory.api import router as territory_router
    from nuanxin.voice.api import router as voice_router
    from nuanxin.volunteers.activities.api import router as activities_router
    from nuanxin.volunteers.hours.api import router as hours_router
    from nuanxin.volunteers.points.api import router as points_router
    from nuanxin.volunteers.signups.api import router as volunteers_router

    api.add_router("/auth", accounts_router)
    api.add_router("/", territory_router)
    api.add_router("/people", people_router)
    api.add_router("/inspections", inspections_router)
    api.add_router("/disputes", disputes_router)
    api.add_router("/ledgers", ledgers_router)
    api.add_router("/activities", activities_router)
    api.add_router("/insights", insights_router)
    api.add_router("/volunteers", volunteers_router)
    api.add_router("/hours", hours_router)
    api.add_router("/points", points_router)
    api.add_router("/stations", stations_router)
    api.add_router("/party", party_router)
    api.add_router("/voice", voice_router)
    api.add_router("/", cases_intake_router)  # before cases_router: "cases/similar" is no case id
    api.add_router("/", cases_router)
    api.add_router("/", notifications_router)


_register()
