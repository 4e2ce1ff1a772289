"""The JSON API under /api/v1/: one NinjaAPI, one router per app, one error shape.

Errors are JSON: 400/422 name the field and the reason, 401 without credentials, 404 for
anything missing or outside the caller's scope.
"""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from nuanxin.accounts.actions import user_for_token
from nuanxin.core.errors import DomainError


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is None:
            return None
        request.user = user
        return user


api = NinjaAPI(
    title="nuanxin API",
    version="1",
    urls_namespace="api",
    # The bearer token first: a token-bearing POST has no CSRF cookie, and the session check
    # would refuse it before the token was looked at.
    auth=[BearerToken(), SessionAuth()],
    docs_url="/docs",
)


# A refused rule is a 400, except a step the caller may not take (403) and a stale or
# out-of-order step on a record someone else just changed (409).
_DOMAIN_STATUS = {"forbidden": 403, "stale": 409}


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=_DOMAIN_STATUS.get(exc.code, 400))


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


def _register() -> None:
    from nuanxin.accounts.api import router as accounts_router
    from nuanxin.cases.api import intake_router as cases_intake_router
    from nuanxin.cases.api import router as cases_router
    from nuanxin.core.api import router as notifications_router
    from nuanxin.insights.api import router as insights_router
    from nuanxin.inspections.api import router as inspections_router
    from nuanxin.ledgers.api import router as disputes_router
    from nuanxin.ledgers.ledger_api import router as ledgers_router
    from nuanxin.people.api import router as people_router
    from nuanxin.stations.api import router as stations_router
    from nuanxin.territory.api import router as territory_router
    from nuanxin.volunteers.api import router as activities_router
    from nuanxin.volunteers.hours_api import router as hours_router
    from nuanxin.volunteers.points_api import router as points_router
    from nuanxin.volunteers.signup_api import router as volunteers_router

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
    api.add_router("/", cases_intake_router)  # before cases_router: "cases/similar" is no case id
    api.add_router("/", cases_router)
    api.add_router("/", notifications_router)


_register()
