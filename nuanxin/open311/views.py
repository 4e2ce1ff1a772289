"""The GeoReport v2 endpoint (and the mySociety updates extension). Each view is short:
check the key and the parameters, read through queries or write through actions, render.
Every refusal is an Open311 error answer (400/403/404/405, 429 with Retry-After for a key
past its allowance of POSTs), never a 500."""

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from nuanxin.core import audit, ratelimit
from nuanxin.core.access import get_in_scope_or_404
from nuanxin.core.errors import DomainError
from nuanxin.core.ratelimit import RateLimited, set_retry_after
from nuanxin.open311 import actions, answers, queries
from nuanxin.open311.models import ApiKey
from nuanxin.open311.protocol import (
    CONTENT_TYPES,
    Open311Error,
    answers_from,
    float_param,
    list_param,
    render,
    render_error,
    text_param,
    window,
)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2024-12-01T00:00:00+08:00"
_SERVICE_CODE = re.compile(r"^[-\w]{1,40}$")
_CASE_NUMBER = re.compile(r"^\d{8}-\d{4,6}$")  # Case.number
# Internal field names of DomainError -> the Open311 parameter a client sent.
PARAMETER = {
    "description": "description",
    "address": "address_string",
    "location": "lat",
    "category": "service_code",
    "reporter_name": "first_name",
    "reporter_phone": "phone",
    "photos": "media",
}


def open311(*methods: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Allow `methods`, and turn every refusal into the spec's error answer."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
            try:
                if request.method not in methods:
                    raise Open311Error(405, _("Method %(m)s not allowed here.") % {"m": request.method})
                return view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as error:
                return render_error(fmt, error)
            except RateLimited as error:  # per API key (RATE_LIMIT_OPEN311_POST)
                return set_retry_after(render_error(fmt, Open311Error(429, error.message)), error)
            except DomainError as error:
                field = PARAMETER.get(error.field or "", error.field or "")
                status = 403 if error.code == "forbidden" else 400
                described = f"{field}: {error.message}" if field else error.message
                return render_error(fmt, Open311Error(status, described))
            except Http404:
                return render_error(fmt, Open311Error(404, _("Not found.")))
            except (RequestDataTooBig, SuspiciousOperation):
                return render_error(fmt, Open311Error(400, _("The request is too large or malformed.")))

        return wrapper

    return decorate


def _key(request: HttpRequest, params: Any, *, required: bool) -> ApiKey | None:
    """The request's API key: 403 when it is wrong or revoked (audited), or missing where
    `required`."""
    raw = params.get("api_key", "")
    if not raw:
        if required:
            raise Open311Error(403, _("api_key: an API key is required for this call."))
        return None
    key = queries.active_key(raw)
    if key is None:
        audit.record("open311.key_refused", result="denied", object_repr="api_key")
        raise Open311Error(403, _("api_key: this API key is not valid or has been revoked."))
    return key


def _service(code: str) -> Any:
    if not _SERVICE_CODE.match(code):
        raise Open311Error(404, _("service_code: no such service."))
    case_class = queries.services().filter(service_code=code).first()
    if case_class is None:
        raise Open311Error(404, _("service_code: no such service."))
    return case_class


@open311("GET")
def discovery(request: HttpRequest, *, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri(reverse("open311:services", kwargs={"fmt": "xml"})).rsplit("/", 1)[0]
    data = {
        "changeset": CHANGESET,
        "contact": _("The community office (see the site's contact page)."),
        "key_service": _("API keys are issued by the installation's administrators."),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base,
                "changeset": CHANGESET,
                "type": "production",
                "formats": [CONTENT_TYPES["xml"].split(";")[0], CONTENT_TYPES["json"].split(";")[0]],
            }
        ],
    }
    return render(fmt, "discovery", data)


@open311("GET")
def services(request: HttpRequest, *, fmt: str) -> HttpResponse:
    return render(fmt, "services", [answers.service_answer(c) for c in queries.services()], item="service")


@open311("GET")
def service_definition(request: HttpRequest, service_code: str, *, fmt: str) -> HttpResponse:
    return render(fmt, "service_definition", answers.definition_answer(_service(service_code)))


@open311("GET", "POST")
def requests(request: HttpRequest, *, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post_request(request, fmt)
    key = _key(request, request.GET, required=not queries.public_reads())
    ids = list_param(request.GET, "service_request_id")
    statuses = list_param(request.GET, "status", limit=2)
    if not set(statuses) <= {"open", "closed"}:
        raise Open311Error(400, _("status: open, closed or both."))
    start, end = window(request.GET)
    cases = queries.keyed_requests(key) if key else queries.public_requests()
    found = queries.search_requests(
        cases,
        ids=[i for i in ids if _CASE_NUMBER.match(i)] if ids else None,
        service_codes=list_param(request.GET, "service_code"),
        statuses=statuses,
        start=start,
        end=end,
    )
    return render(
        fmt, "service_requests", [answers.request_answer(c, keyed=key is not None) for c in found], item="request"
    )


def _post_request(request: HttpRequest, fmt: str) -> HttpResponse:
    params = request.POST
    key = _key(request, params, required=True)
    assert key is not None
    ratelimit.hit("open311_post", f"key{key.pk}")
    code = text_param(params, "service_code", limit=40, required=True)
    case_class = _service(code)
    lat, lng = float_param(params, "lat"), float_param(params, "long")
    if lat is None or lng is None:
        if text_param(params, "address_string", limit=200) or text_param(params, "address_id", limit=40):
            raise Open311Error(400, _("lat, long: this service places requests by lat and long only."))
        raise Open311Error(400, _("lat, long: a location is required."))
    first = text_param(params, "first_name", limit=30)
    last = text_param(params, "last_name", limit=30)
    photos = request.FILES.getlist("media")
    if len(photos) > 1:
        raise Open311Error(400, _("media: one photo per request."))
    case = actions.submit_request(
        key=key,
        case_class=case_class,
        lng=lng,
        lat=lat,
        description=text_param(params, "description", limit=4000, required=True),
        address=text_param(params, "address_string", limit=200),
        answers=answers_from(params, case_class.questions),
        reporter_name=_full_name(first, last),
        reporter_phone=text_param(params, "phone", limit=20),
        photos=photos,
    )
    # email, device_id, account_id and media_url are accepted and not kept: a case has no
    # place for them, and a URL is not a photo we checked.
    answer = {
        "service_request_id": case.number,
        "service_notice": answers.emergency_notice() if case.emergency else None,
    }
    return render(fmt, "service_requests", [answer], item="request")


def _full_name(first: str, last: str) -> str:
    """Chinese names put the family name first with no space; others "first last"."""
    if first and last and not (first + last).isascii():
        return f"{last}{first}"
    return " ".join(part for part in (first, last) if part)


@open311("GET")
def request_detail(request: HttpRequest, request_id: str, *, fmt: str) -> HttpResponse:
    key = _key(request, request.GET, required=not queries.public_reads())
    if not _CASE_NUMBER.match(request_id):
        raise Open311Error(404, _("service_request_id: no such request."))
    if key is not None:
        case = get_in_scope_or_404(queries.keyed_requests(key), queries.key_scope(key), number=request_id)
    else:
        case = queries.public_requests().filter(number=request_id).first()
        if case is None:
            raise Open311Error(404, _("service_request_id: no such request."))
    return render(fmt, "service_requests", [answers.request_answer(case, keyed=key is not None)], item="request")


@open311("GET")
def token(request: HttpRequest, token: str, *, fmt: str) -> HttpResponse:
    # Every service here is realtime: a POST answers with the service_request_id at once and
    # no token is ever issued, so every token is unknown.
    raise Open311Error(404, _("token: no such token (requests here get their id at once)."))


@open311("GET")
def updates(request: HttpRequest, *, fmt: str) -> HttpResponse:
    key = _key(request, request.GET, required=True)
    assert key is not None
    given = [bool(request.GET.get("start_date")), bool(request.GET.get("end_date"))]
    if any(given) and not all(given):
        raise Open311Error(400, _("start_date, end_date: give both or neither."))
    start, end = window(request.GET)
    events = queries.updates_for(key, start=start, end=end)
    return render(fmt, "service_requests_updates", [answers.update_answer(e) for e in events], item="request_update")
