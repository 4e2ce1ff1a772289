"""Residents' voice over the API, under /api/v1/voice/ (docs/voice.md), with the same scope and
rules as the pages: opinions read with voice.view where they belong (their giver reads their
own), given with voice.give, entered for someone with voice.record, their outcome with
voice.manage; the echo wall is public and names nobody. A refusal is a 400 naming the field;
out of reach is a 404."""

from datetime import datetime
from typing import Any

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from nuanxin.cases.models import CaseClass
from nuanxin.core.access import deny, require, require_at
from nuanxin.core.errors import api_field_names
from nuanxin.core.http import ANYONE, ScopedRequest
from nuanxin.core.schemas import Id, RowPages, Rows
from nuanxin.core.scoping import sent_row
from nuanxin.people.models import Resident
from nuanxin.territory.models import Area, Place
from nuanxin.voice import actions, queries
from nuanxin.voice.models import Opinion, OpinionCategory, OpinionChannel

router = Router(tags=["voice"])
_JSON_NAMES = {"community": "community_id", "place": "place_id", "resident": "resident_id"}


class OpinionOut(Schema):
    id: int
    community_id: int
    area_id: int
    place_id: int | None
    channel: OpinionChannel
    category: OpinionCategory
    text: str
    anonymous: bool
    entered: bool = Field(description="Entered by staff for someone (代录).")
    received_at: datetime
    topic_id: int | None = Field(description="The first opinion of its topic, when grouped under one.")
    state: Opinion.State
    reply: str
    replied_at: datetime | None
    case_id: int | None
    need_id: int | None
    rating: int | None


class EchoWallOut(Schema):
    id: int
    category: OpinionCategory
    text: str
    received_at: datetime
    state: Opinion.State
    reply: str
    replied_at: datetime | None


class OpinionGiveIn(Schema):
    community_id: Id
    category: OpinionCategory
    text: str = Field(..., max_length=1000)
    place_id: Id | None = None
    anonymous: bool = False


class OpinionRecordIn(OpinionGiveIn):
    channel: OpinionChannel
    resident_id: Id | None = None


class OpinionReplyIn(Schema):
    reply: str = Field(..., max_length=1000)


class OpinionCaseIn(OpinionReplyIn):
    case_class_id: Id


class OpinionNeedIn(OpinionReplyIn):
    title: str = Field(..., max_length=100)


class OpinionRatingIn(Schema):
    rating: int = Field(..., ge=1, le=5)


class OpinionFilter(Schema):
    state: Opinion.State | None = None
    category: OpinionCategory | None = None
    channel: OpinionChannel | None = None


def _opinion(o: Opinion) -> dict[str, Any]:
    return {
        "id": o.pk,
        "community_id": o.community_id,
        "area_id": o.area_id,
        "place_id": o.place_id,
        "channel": o.channel,
        "category": o.category,
        "text": o.text,
        "anonymous": o.anonymous,
        "entered": o.entered_by_id is not None,
        "received_at": o.received_at,
        "topic_id": o.topic_id,
        "state": o.state,
        "reply": o.reply,
        "replied_at": o.replied_at,
        "case_id": o.case_id,
        "need_id": o.need_id,
        "rating": o.rating,
    }


def _where(request: ScopedRequest, community_id: int, place_id: int | None) -> tuple[Area, Place | None]:
    community = sent_row(
        Area.objects.filter(level=Area.Level.COMMUNITY),
        community_id,
        field="community_id",
        message=_("Unknown community."),
    )
    place = sent_row(Place.objects.all(), place_id, field="place_id", message=_("Unknown place."))
    return community, place


@router.get("/opinions", response=list[OpinionOut])
@paginate(RowPages)
def list_opinions(request: ScopedRequest, filters: Query[OpinionFilter]) -> Any:
    """The topics the caller reaches through the territory (each topic's first opinion), oldest
    first, filtered by state, category and channel."""
    require(request.scope, "voice.view")
    rows = queries.triage_list(request.scope)
    for name in ("state", "category", "channel"):
        if getattr(filters, name):
            rows = rows.filter(**{name: getattr(filters, name)})
    return Rows.each(rows.order_by("received_at", "id"), _opinion)


@router.get("/opinions/mine", response=list[OpinionOut])
@paginate(RowPages)
def my_opinions(request: ScopedRequest) -> Any:
    """The caller's own named opinions, newest first."""
    return Rows.each(queries.mine(request.user.pk), _opinion)


@router.post("/opinions", response={201: OpinionOut})
def give_opinion(request: ScopedRequest, payload: OpinionGiveIn) -> Status:
    """Give one's own opinion to a community one belongs to, named or anonymous."""
    require(request.scope, "voice.give")
    community, place = _where(request, payload.community_id, payload.place_id)
    with api_field_names(_JSON_NAMES):
        opinion = actions.give_opinion(
            actor=request.user,
            scope=request.scope,
            community=community,
            category=payload.category,
            text=payload.text,
            place=place,
            anonymous=payload.anonymous,
        )
    return Status(201, _opinion(opinion))


@router.post("/opinions/entered", response={201: OpinionOut})
def enter_opinion(request: ScopedRequest, payload: OpinionRecordIn) -> Status:
    """Enter an opinion heard by another channel for someone (代录), for a resident when known."""
    require(request.scope, "voice.record")
    community, place = _where(request, payload.community_id, payload.place_id)
    resident = sent_row(
        Resident.objects.visible_to(request.scope),
        payload.resident_id,
        field="resident_id",
        message=_("Unknown resident."),
    )
    with api_field_names(_JSON_NAMES):
        opinion = actions.enter_opinion(
            actor=request.user,
            scope=request.scope,
            community=community,
            channel=payload.channel,
            category=payload.category,
            text=payload.text,
            place=place,
            resident=resident,
            anonymous=payload.anonymous,
        )
    return Status(201, _opinion(opinion))


@router.get("/opinions/{opinion_id}", response=OpinionOut)
def get_opinion(request: ScopedRequest, opinion_id: Id) -> dict[str, Any]:
    return _opinion(queries.opinion_or_404(request.scope, opinion_id))


def _managed(request: ScopedRequest, opinion_id: int) -> Opinion:
    opinion = queries.opinion_or_404(request.scope, opinion_id)
    require_at(request.scope, "voice.manage", opinion, opinion.community.path)
    return opinion


def _topic(topic: list[Opinion]) -> list[dict[str, Any]]:
    return [_opinion(o) for o in topic]


@router.post("/opinions/{opinion_id}/answer", response=list[OpinionOut])
def answer(request: ScopedRequest, opinion_id: Id, payload: OpinionReplyIn) -> list[dict[str, Any]]:
    """Answer the opinion's topic; the answer is every opinion of the topic, each giver told."""
    opinion = _managed(request, opinion_id)
    return _topic(actions.answer(actor=request.user, scope=request.scope, opinion=opinion, reply=payload.reply))


@router.post("/opinions/{opinion_id}/decline", response=list[OpinionOut])
def decline(request: ScopedRequest, opinion_id: Id, payload: OpinionReplyIn) -> list[dict[str, Any]]:
    """Decline the opinion's topic with the reason (`reply`)."""
    opinion = _managed(request, opinion_id)
    return _topic(actions.decline(actor=request.user, scope=request.scope, opinion=opinion, reason=payload.reply))


@router.post("/opinions/{opinion_id}/case", response=list[OpinionOut])
def to_case(request: ScopedRequest, opinion_id: Id, payload: OpinionCaseIn) -> list[dict[str, Any]]:
    """Turn the opinion's topic into a case of the class named."""
    opinion = _managed(request, opinion_id)
    case_class = sent_row(
        CaseClass.objects.filter(active=True),
        payload.case_class_id,
        field="case_class_id",
        message=_("Unknown case class."),
    )
    return _topic(
        actions.to_case(
            actor=request.user, scope=request.scope, opinion=opinion, case_class=case_class, reply=payload.reply
        )
    )


@router.post("/opinions/{opinion_id}/need", response=list[OpinionOut])
def to_need(request: ScopedRequest, opinion_id: Id, payload: OpinionNeedIn) -> list[dict[str, Any]]:
    """Put the opinion's topic on the needs list of the community's alliance."""
    opinion = _managed(request, opinion_id)
    with api_field_names(_JSON_NAMES):
        topic = actions.to_need(
            actor=request.user, scope=request.scope, opinion=opinion, title=payload.title, reply=payload.reply
        )
    return _topic(topic)


@router.post("/opinions/{opinion_id}/rate", response=OpinionOut)
def rate(request: ScopedRequest, opinion_id: Id, payload: OpinionRatingIn) -> dict[str, Any]:
    """Whoever gave the opinion rates its outcome, 1 to 5."""
    opinion = queries.opinion_or_404(request.scope, opinion_id)
    if opinion.author_id != request.user.pk:
        raise deny(request.scope, f"voice.opinion {opinion.pk} rate")
    return _opinion(actions.rate(actor=request.user, scope=request.scope, opinion=opinion, rating=payload.rating))


class EchoWallFilter(Schema):
    q: str = Field("", max_length=50)


@router.get("/wall/{community_id}", auth=ANYONE, response=list[EchoWallOut])
@paginate(RowPages)
def wall(request: ScopedRequest, community_id: Id, filters: Query[EchoWallFilter]) -> Any:
    """The community's echo wall: each topic with its outcome, newest first, naming nobody."""
    community = get_object_or_404(Area, pk=community_id, level=Area.Level.COMMUNITY)
    fields = ("id", "category", "text", "received_at", "state", "reply", "replied_at")
    return Rows.each(queries.wall(community, filters.q.strip()), lambda o: {name: getattr(o, name) for name in fields})
