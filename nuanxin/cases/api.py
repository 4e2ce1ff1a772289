"""Cases over the JSON API: the catalogue, intake (with Idempotency-Key), lists, detail and
the closed-loop steps. Every answer goes through the scope; out of scope is 404."""

from datetime import datetime
from functools import partial
from typing import Annotated, Any, Literal

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, FilterLookup, FilterSchema, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from nuanxin.accounts.models import User
from nuanxin.cases import actions, figures
from nuanxin.cases.filters import CLASS_LOOKUP, overdue_q
from nuanxin.cases.models import Case, CaseClass, CasePhoto, Category, Level
from nuanxin.cases.queries import (
    Pages,
    Suggestion,
    age_hours,
    case_or_404,
    case_row,
    case_row_or_404,
    case_rows,
    follow_offers,
    my_cases,
    public_point,
    seen_whole,
    similar_open_cases,
    staff_sees,
    territory_cases,
    timeline_of,
)
from nuanxin.core import ratelimit
from nuanxin.core.access import require
from nuanxin.core.errors import DomainError
from nuanxin.core.geo import check_point
from nuanxin.core.http import ScopedRequest
from nuanxin.core.idempotency import idempotent
from nuanxin.core.masking import mask_phone
from nuanxin.core.schemas import DbInt, Id, Moment, RowPages, Rows, built_answer
from nuanxin.core.scoping import Scope, sent_row
from nuanxin.territory.models import Area, Place

router = Router(tags=["cases"])


class ClassOut(Schema):
    code: str
    name: str
    emergency: bool
    questions: list[dict[str, Any]]


class CategoryOut(Schema):
    code: str
    name: str
    classes: list[ClassOut]


class CaseIn(Schema):
    class_code: str = Field(..., max_length=40)
    description: str = Field(..., max_length=2000)
    lng: float
    lat: float
    place_id: Id | None = None
    address: str = Field("", max_length=200)
    answers: dict[str, Any] = {}
    reporter_name: str = Field("", max_length=30)
    reporter_phone: str = Field("", max_length=20)
    anonymous: bool = False


class EventOut(Schema):
    at: datetime
    kind: str
    from_state: str
    to_state: str
    from_level: str
    to_level: str
    note: str
    internal: bool


class CaseOut(Schema):
    """A case as the viewer may read it. `view` "whole" for staff in scope, the reporter and
    a host unit's representatives; "public" for any other follower: no description, address,
    satisfaction or handler, the location rounded to 3 decimals (about 100 m), no photos and
    no notes in the timeline."""

    id: int
    number: str
    view: Literal["whole", "public"]
    class_code: str
    class_name: str
    description: str | None
    lng: float
    lat: float
    address: str | None
    grid_id: int
    state: str
    closure: str
    level: str
    emergency: bool
    deadline: datetime | None
    reported_at: datetime
    closed_at: datetime | None
    satisfaction: int | None
    version: int
    handler_id: int | None
    # For staff only, masked, and never for an anonymous report.
    reporter_name: str | None = None
    reporter_phone_masked: str | None = None


class PhotoOut(Schema):
    id: int
    stage: str
    url: str
    width: int
    height: int


class CaseDetailOut(CaseOut):
    timeline: list[EventOut]
    photos: list[PhotoOut]


class SimilarOut(Schema):
    class_code: str
    class_name: str
    state: str
    state_name: str
    distance_m: int
    age_hours: int


class FollowOfferOut(SimilarOut):
    """A similar open case offered with a report just filed: a single-use token to follow it."""

    follow_token: str


class ReportOut(CaseOut):
    similar: list[FollowOfferOut] = []


def _similar_out(suggestion: Suggestion, now: datetime) -> dict[str, Any]:
    case = suggestion.case
    return {
        "class_code": case.case_class.code,
        "class_name": case.case_class.name,
        "state": case.state,
        "state_name": case.get_state_display(),
        "distance_m": round(suggestion.distance_m),
        "age_hours": age_hours(case, now),
    }


class CaseFilter(FilterSchema):
    """The API's list filters: the console's (cases/filters.py) with typed values, so a bad
    one is a 422 naming it; `since`/`until` are moments, the class and overdue mean the same."""

    state: Case.State | None = None
    level: Level | None = None
    grid_id: Id | None = None
    channel: Case.Channel | None = None
    emergency: bool | None = None
    class_code: Annotated[str | None, FilterLookup(CLASS_LOOKUP)] = None
    since: Annotated[Moment | None, FilterLookup("reported_at__gte")] = None
    until: Annotated[Moment | None, FilterLookup("reported_at__lt")] = None
    overdue: bool | None = None

    def filter_overdue(self, value: bool | None) -> Q:
        if value is None:
            return Q()
        late = overdue_q()
        return late if value else ~late


class StepIn(Schema):
    step: Literal[
        "accept",
        "accept_and_start",
        "reject",
        "dispatch",
        "start",
        "resolve",
        "verify",
        "close",
        "reopen",
        "escalate",
        "transfer",
        "merge",
        "evaluate",
    ]
    note: str = Field("", max_length=2000)
    closure: str = ""
    handler_id: Id | None = None
    grid_id: Id | None = None
    into_id: Id | None = None
    satisfaction: DbInt | None = None  # 1 to 5: the action names the field


def _out(request: ScopedRequest, case: Case, *, detail: bool = False) -> dict[str, Any]:
    return _answer(request.scope, case_row(case), detail=detail)


def _answer(scope: Scope, row: dict[str, Any], *, detail: bool = False) -> dict[str, Any]:
    """A case row as CaseOut, or with its timeline and photos as CaseDetailOut."""
    data = _row_out(scope, row, whole=bool(seen_whole(scope, [row])))
    if detail:
        # Each statement compiled once per scope with the case's id in it (Scope.prepared); the
        # timeline's also depends on whether the viewer is staff where the case is.
        staff = staff_sees(scope, row["grid_path"])
        events = scope.prepared(
            ("case timeline", staff), lambda pk: timeline_of(scope, pk, row["grid_path"]).values(*_EVENT_OUT), row["id"]
        )
        whole = data["view"] == "whole"
        data["timeline"] = events if whole else [event | {"note": ""} for event in events]
        photos = scope.prepared(("case photos",), _photo_rows, row["id"]) if whole else []
        data["photos"] = [_photo_answer(row["id"], photo) for photo in photos]
    return data


def _photo_rows(case_id: int) -> Any:
    return CasePhoto.objects.filter(case_id=case_id).order_by("pk").values("id", "stage", "width", "height")


_CASE_OUT = tuple(CaseOut.model_fields)
_EVENT_OUT = tuple(EventOut.model_fields)


def _row_out(scope: Scope, row: dict[str, Any], *, whole: bool) -> dict[str, Any]:
    """A case row (queries.case_rows) as CaseOut, in its field order and with nothing else:
    what the viewer may read of it (`whole`: queries.seen_whole)."""
    data = {name: row.get(name) for name in _CASE_OUT}
    # Never the row's own reporter columns: staff are given them below, masked.
    data |= {"view": "whole", "reporter_name": None, "reporter_phone_masked": None}
    if not whole:
        data |= {
            "view": "public",
            "description": None,
            "address": None,
            "lng": public_point(row["lng"]),
            "lat": public_point(row["lat"]),
            "handler_id": None,
            "satisfaction": None,
        }
    if staff_sees(scope, row["grid_path"]) and not row["anonymous"]:
        data["reporter_name"] = row["reporter_name"]
        data["reporter_phone_masked"] = mask_phone(row["reporter_phone"])
    return data


def _photo_out(photo: CasePhoto) -> dict[str, Any]:
    return _photo_answer(
        photo.case_id, {"id": photo.pk, "stage": photo.stage, "width": photo.width, "height": photo.height}
    )


def _photo_answer(case_id: int, photo: dict[str, Any]) -> dict[str, Any]:
    """A photo's id, stage and size as PhotoOut, with the address it is served at."""
    url = reverse("cases:photo", args=[case_id, photo["id"]])
    return {"id": photo["id"], "stage": photo["stage"], "url": url, "width": photo["width"], "height": photo["height"]}


@router.get("/categories", response=list[CategoryOut])
def catalogue(request: ScopedRequest) -> list[dict[str, Any]]:
    """What a reporter can pick: the public categories and their active classes."""
    categories = Category.objects.prefetch_related("classes").order_by("order", "code")
    return [{"code": c.code, "name": c.name, "classes": [k for k in c.classes.all() if k.active]} for c in categories]


@router.post("/cases", response={201: ReportOut})
@built_answer
@idempotent
def report(request: ScopedRequest, payload: CaseIn) -> Status:
    """Report a case. Send an `Idempotency-Key` header so a retry never makes a second case.
    The answer lists open cases like it nearby (`similar`, at most 5), each with a
    `follow_token`: `POST cases/follow` with one follows that case and closes this report as
    its duplicate. The only way to earn a token is to file a report (see docs/cases.md)."""
    ratelimit.limit_report(request)
    case_class = CaseClass.objects.filter(code=payload.class_code, active=True).first()
    if case_class is None:
        raise DomainError(_("Unknown category."), field="class_code")
    place = sent_row(
        Place.objects.visible_to(request.scope), payload.place_id, field="place_id", message=_("Unknown place.")
    )
    # Looked for before the report is filed: from its number to the commit (the whole of this
    # operation, docs/decisions/0003) the report holds the day's counter.
    found = similar_open_cases(case_class=case_class, lng=payload.lng, lat=payload.lat, text=payload.description)
    case = actions.report_case(
        actor=request.user,
        case_class=case_class,
        description=payload.description,
        lng=payload.lng,
        lat=payload.lat,
        channel=Case.Channel.API,
        place=place,
        address=payload.address,
        answers=payload.answers,
        reporter_name=payload.reporter_name,
        reporter_phone=payload.reporter_phone,
        anonymous=payload.anonymous,
    )
    now = timezone.now()
    offers = follow_offers(case, user_id=request.user.pk, now=now, found=found)
    similar = [_similar_out(offer.suggestion, now) | {"follow_token": offer.token} for offer in offers]
    return Status(201, _out(request, case) | {"similar": similar})


def _case_answers(scope: Scope, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A page of case rows as CaseOut: what the viewer may read of each depends on the
    viewer, so it cannot be a plain schema over the rows."""
    whole = seen_whole(scope, rows)
    return [_row_out(scope, row, whole=row["id"] in whole) for row in rows]


@router.get("/cases", response=list[CaseOut])
@built_answer
@paginate(RowPages)
def list_cases(request: ScopedRequest, filters: Query[CaseFilter], mine: bool = False) -> Any:
    """Staff get the cases of their territory; everyone else, and staff with `mine=true`, the
    cases they reported or follow."""
    own = mine or not request.scope.has("cases.view")
    cases = my_cases(request.scope) if own else territory_cases(request.scope)
    # The query is the scope's, `own` and the filters': kept per scope unless the clock is in it.
    chosen = tuple(sorted(filters.model_dump(exclude_none=True).items()))
    kept = None if filters.overdue is not None else (request.scope, ("cases", own, chosen))
    rows = partial(case_rows, scope=request.scope)
    return Rows(Pages(filters.filter(cases), rows, kept=kept), partial(_case_answers, request.scope))


@router.get("/cases/figures", response=dict[str, Any])
def get_figures(
    request: ScopedRequest,
    node: str = "",
    since: str = Query("", alias="from"),
    to: str = "",
) -> dict[str, Any]:
    """Figures for a node of the caller's territory (default: their topmost) and a period
    (`from`/`to`, YYYY-MM-DD, both included; default this year): see docs/cases.md.
    A bad date or node is a 400 naming it; a node outside the caller's scope is a 404."""
    require(request.scope, "cases.view")
    area = figures.node_or_404(request.scope, node)
    start, end = figures.parse_period(since, to)
    return figures.case_figures(scope=request.scope, node=area, since=start, until=end).as_dict()


@router.get("/cases/{case_id}", response=CaseDetailOut)
@built_answer
def get_case(request: ScopedRequest, case_id: Id) -> dict[str, Any]:
    return _answer(request.scope, case_row_or_404(request.scope, case_id), detail=True)


@router.post("/cases/{case_id}/steps", response=CaseDetailOut)
def take_step(request: ScopedRequest, case_id: Id, payload: StepIn) -> dict[str, Any]:
    """Move a case along the closed loop; a refused step is a 400 naming the reason."""
    case = case_or_404(request.scope, case_id)
    users, grids = User.objects.filter(is_active=True), Area.objects.filter(level=Area.Level.GRID)
    case = actions.apply_step(
        actor=request.user,
        scope=request.scope,
        case=case,
        step=payload.step,
        note=payload.note,
        closure=payload.closure,
        handler=sent_row(users, payload.handler_id, field="handler_id", message=_("Unknown account.")),
        grid=sent_row(grids, payload.grid_id, field="grid_id", message=_("Choose a grid.")),
        into=case_or_404(request.scope, payload.into_id) if payload.into_id else None,
        satisfaction=payload.satisfaction,
    )
    return _out(request, case, detail=True)


@router.post("/cases/{case_id}/photos", response={201: list[PhotoOut]})
def add_photos(request: ScopedRequest, case_id: Id, photos: File[list[UploadedFile]]) -> Status:
    """Add photos (multipart, field `photos`): the reporter before the case is taken on, the
    handler while handling it (after-photos, needed before the "resolve" step)."""
    case = case_or_404(request.scope, case_id)
    kept = actions.add_case_photos(actor=request.user, case=case, photos=list(photos))
    return Status(201, [_photo_out(photo) for photo in kept])


# Duplicates at intake: registered before `router` so "similar" and "follow" are not read as
# case ids. A stranger is told only the class, state, distance and age of a similar case.
intake_router = Router(tags=["cases"])


class FollowIn(Schema):
    token: str = Field(..., max_length=400)


class SimilarIn(Schema):
    class_code: str = Field(..., max_length=40)
    lng: float
    lat: float
    text: str = Field("", max_length=2000)


@intake_router.get("/cases/similar", response=list[SimilarOut])
def similar(request: ScopedRequest, query: Query[SimilarIn]) -> list[dict[str, Any]]:
    """Open cases of this class near this point with similar text (at most 5), to tell a
    reporter what is already reported. Only what a stranger may know (class, state,
    distance, age): never the description, the place, the number, anyone's identity, nor a
    token to follow one (that comes only with a report filed, `POST cases`)."""
    ratelimit.limit(request, "cases_similar")
    case_class = CaseClass.objects.filter(code=query.class_code, active=True).first()
    if case_class is None:
        raise DomainError(_("Unknown category."), field="class_code")
    check_point(query.lng, query.lat)
    now = timezone.now()
    found = similar_open_cases(case_class=case_class, lng=query.lng, lat=query.lat, text=query.text)
    return [_similar_out(s, now) for s in found]


@intake_router.post("/cases/follow", response=CaseOut)
def follow(request: ScopedRequest, payload: FollowIn) -> dict[str, Any]:
    """Follow a case offered with your report (a `follow_token` from the answer of `POST
    cases`: once, within 15 minutes, by the person it was given to); your report, if nobody
    has taken it on yet, is closed as its duplicate. The answer is the case's public view."""
    ratelimit.limit(request, "cases_follow")
    case = actions.follow_case(actor=request.user, token=payload.token)
    return _out(request, case_or_404(request.scope, case.pk))
