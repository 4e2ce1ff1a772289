"""Residents' voice, the writes (docs/voice.md): an opinion given on the phone or entered by
staff for someone, grouped with the open opinions like it, and its outcome (answered, turned
into a case, put on the needs list, declined) told to whoever gave it, who may rate it. Each
checked, in one transaction and audited; an anonymous opinion's entry names no actor."""

from datetime import datetime
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from nuanxin.cases.actions import report_case
from nuanxin.cases.models import Case, CaseClass
from nuanxin.cases.queries import content_words, text_similarity
from nuanxin.core import audit, changes
from nuanxin.core.access import check_at
from nuanxin.core.errors import DomainError
from nuanxin.core.notifications import notify
from nuanxin.core.photos import accept_photo
from nuanxin.core.scoping import Scope
from nuanxin.core.validators import plain_text
from nuanxin.party.alliance import raise_need
from nuanxin.party.models import Need, PartyOrg
from nuanxin.people.models import Resident
from nuanxin.territory.models import Area, Place
from nuanxin.voice.models import Opinion, OpinionCategory, OpinionChannel

NOT_HERE = gettext_noop("You do not give opinions to this community.")
NOT_RECORDED_HERE = gettext_noop("You do not enter opinions there.")
NOT_TRIAGED_HERE = gettext_noop("You do not answer opinions there.")
PHOTO_SUBDIR = "voice"
# Open opinions of the same community and category this alike (content words, Jaccard) are
# one topic; the newest CANDIDATES of them are compared.
SIMILAR = 0.4
CANDIDATES = 200


def _where(community: Area, place: Place | None) -> Area:
    """The node an opinion belongs to: its place's grid, else the community. Refuses a place
    outside the community ("place")."""
    if community.level != Area.Level.COMMUNITY:
        raise DomainError(_("Choose a community."), field="community")
    if place is None:
        return community
    if place.grid is None or not place.grid.path.startswith(community.path):
        raise DomainError(_("Choose a building or place of this community."), field="place")
    return place.grid


def _topic_for(community: Area, category: str, text: str) -> Opinion | None:
    """The topic of the most alike open opinion of the community and category, if alike enough."""
    words = content_words(text)
    best, leader = SIMILAR, None
    rows = Opinion.objects.filter(community=community, category=category, state=Opinion.State.OPEN).order_by(
        "-received_at", "-id"
    )
    for pk, topic_id, other in rows.values_list("pk", "topic_id", "text")[:CANDIDATES]:
        alike = text_similarity(words, content_words(other))
        if alike >= best:
            best, leader = alike, topic_id or pk
    return Opinion.objects.get(pk=leader) if leader else None


def _create(
    *,
    actor: Any,
    community: Area,
    area: Area,
    place: Place | None,
    channel: str,
    category: str,
    text: str,
    anonymous: bool,
    photo: IO[bytes] | None,
    now: datetime | None,
    author: Any = None,
    resident: Resident | None = None,
    entered_by: Any = None,
) -> Opinion:
    if category not in OpinionCategory.values:
        raise DomainError(_("Choose what it is about."), field="category")
    text = plain_text(text, field="text", limit=1000, required=True, message=_("Say what you think."))
    stored = accept_photo(photo, field="photo", subdir=PHOTO_SUBDIR) if photo is not None else None
    opinion = Opinion.objects.create(
        community=community,
        area=area,
        place=place,
        channel=channel,
        category=category,
        text=text,
        photo_name=stored.name if stored else "",
        anonymous=anonymous,
        author=None if anonymous else author,
        resident=None if anonymous else resident,
        entered_by=entered_by,
        received_at=now or timezone.now(),
        topic=_topic_for(community, category, text),
    )
    changes.added(Opinion, [opinion.pk])
    audit.record(
        "voice.opinion_given",
        actor=audit.NOBODY if anonymous and entered_by is None else actor,
        obj=opinion,
        detail={"channel": channel, "anonymous": anonymous, "topic": opinion.topic_id},
    )
    return opinion


@transaction.atomic
def give_opinion(
    *,
    actor: Any,
    scope: Scope,
    community: Area,
    category: str,
    text: str,
    place: Place | None = None,
    anonymous: bool = False,
    photo: IO[bytes] | None = None,
    now: datetime | None = None,
) -> Opinion:
    """A resident's (or a rider's) own opinion from the phone, named or anonymous. Refuses,
    naming the field: a community the actor does not belong to (voice.give there,
    "community"); a place outside it ("place"); no category; no words ("text"); a file that is
    not a photo ("photo"). An anonymous opinion keeps neither the author nor, in its audit
    entry, the actor."""
    check_at(scope, community.path, "voice.give", message=_(NOT_HERE), field="community")
    area = _where(community, place)
    return _create(
        actor=actor,
        community=community,
        area=area,
        place=place,
        channel=OpinionChannel.PHONE,
        category=category,
        text=text,
        anonymous=anonymous,
        photo=photo,
        now=now,
        author=actor,
    )


@transaction.atomic
def enter_opinion(
    *,
    actor: Any,
    scope: Scope,
    community: Area,
    channel: str,
    category: str,
    text: str,
    place: Place | None = None,
    resident: Resident | None = None,
    anonymous: bool = False,
    photo: IO[bytes] | None = None,
    now: datetime | None = None,
) -> Opinion:
    """Staff enter an opinion heard by another channel (a visit, a meeting, the hotline, a paper
    form; 代录), for a resident when known; the entry keeps who entered it. Refuses, naming the
    field: where the actor does not enter opinions (voice.record at the place's grid or the
    community, "place" or "community"); the phone channel ("channel"); a resident of another
    community ("resident"); and as give_opinion."""
    area = _where(community, place)
    check_at(scope, area.path, "voice.record", message=_(NOT_RECORDED_HERE), field="place" if place else "community")
    if channel not in OpinionChannel.values or channel == OpinionChannel.PHONE:
        raise DomainError(_("Choose where it was heard."), field="channel")
    if resident is not None and not resident.grid.path.startswith(community.path):
        raise DomainError(_("Choose a resident of this community."), field="resident")
    return _create(
        actor=actor,
        community=community,
        area=area,
        place=place,
        channel=channel,
        category=category,
        text=text,
        anonymous=anonymous,
        photo=photo,
        now=now,
        resident=resident,
        author=resident.user if resident is not None else None,
        entered_by=actor,
    )


# --- the outcome ---------------------------------------------------------------------------


def _topic_of(opinion: Opinion) -> list[Opinion]:
    """The open opinions of the opinion's topic, locked: its leader and those grouped under it."""
    leader = opinion.topic_id or opinion.pk
    rows = Opinion.objects.select_for_update().filter(Q(pk=leader) | Q(topic_id=leader), state=Opinion.State.OPEN)
    return list(rows.order_by("received_at", "id"))


def _close(
    *,
    actor: Any,
    scope: Scope,
    opinion: Opinion,
    state: str,
    action: str,
    reply: str,
    now: datetime | None,
    case: Case | None = None,
    need: Need | None = None,
) -> list[Opinion]:
    """Give the topic its outcome: every open opinion of it, each one's giver told; `action`
    names it in the audit log."""
    now = now or timezone.now()
    topic = _topic_of(opinion)
    if not topic:
        raise DomainError(_("This opinion has its outcome already."), field="opinion")
    ids = [row.pk for row in topic]
    with changes.tracking(Opinion, ids):
        Opinion.objects.filter(pk__in=ids).update(
            state=state, reply=reply, replied_at=now, replied_by=actor, case=case, need=need
        )
    audit.record(action, actor=actor, obj=topic[0], detail={"opinions": len(ids), "case": case and case.pk})
    outcome = str(Opinion.State(state).label)
    for row in topic:
        notify(
            recipients=[row.author],
            kind="voice.outcome",
            title=_("Your opinion: %(outcome)s") % {"outcome": outcome},
            body=reply[:200],
            url=reverse("voice:mine"),
            now=now,
        )
    for row in topic:
        row.state, row.reply, row.replied_at, row.case, row.need = state, reply, now, case, need
    return topic


def _check_triage(scope: Scope, opinion: Opinion) -> None:
    check_at(scope, opinion.community.path, "voice.manage", message=_(NOT_TRIAGED_HERE))


def _reply_text(text: str, *, message: str) -> str:
    return plain_text(text, field="reply", limit=1000, required=True, message=message)


@transaction.atomic
def answer(*, actor: Any, scope: Scope, opinion: Opinion, reply: str, now: datetime | None = None) -> list[Opinion]:
    """Answer the opinion's topic directly. Refuses where the actor does not answer opinions
    (voice.manage at the community), an empty answer ("reply"), a topic with its outcome."""
    _check_triage(scope, opinion)
    text = _reply_text(reply, message=_("Write the answer."))
    return _close(
        actor=actor,
        scope=scope,
        opinion=opinion,
        state=Opinion.State.ANSWERED,
        action="voice.opinion_answered",
        reply=text,
        now=now,
    )


@transaction.atomic
def decline(*, actor: Any, scope: Scope, opinion: Opinion, reason: str, now: datetime | None = None) -> list[Opinion]:
    """Decline the opinion's topic, saying why ("reply")."""
    _check_triage(scope, opinion)
    text = _reply_text(reason, message=_("Say why it is declined."))
    return _close(
        actor=actor,
        scope=scope,
        opinion=opinion,
        state=Opinion.State.DECLINED,
        action="voice.opinion_declined",
        reply=text,
        now=now,
    )


@transaction.atomic
def to_case(
    *, actor: Any, scope: Scope, opinion: Opinion, case_class: CaseClass, reply: str, now: datetime | None = None
) -> list[Opinion]:
    """Turn the topic into a case through the cases action (at its place, else the centre of
    where it belongs), telling the givers `reply`. Refuses as report_case does, at its fields."""
    _check_triage(scope, opinion)
    text = _reply_text(reply, message=_("Tell them what happens next."))
    place, area = opinion.place, opinion.area
    case = report_case(
        actor=actor,
        case_class=case_class,
        description=opinion.text,
        lng=place.lng if place is not None else area.center_lng,
        lat=place.lat if place is not None else area.center_lat,
        channel=Case.Channel.STAFF,
        place=place,
        now=now,
    )
    return _close(
        actor=actor,
        scope=scope,
        opinion=opinion,
        state=Opinion.State.CASE,
        action="voice.opinion_case",
        reply=text,
        now=now,
        case=case,
    )


@transaction.atomic
def to_need(
    *, actor: Any, scope: Scope, opinion: Opinion, title: str, reply: str, now: datetime | None = None
) -> list[Opinion]:
    """Put the topic on the needs list of the community's alliance (party.alliance.raise_need,
    raised by residents). Refuses a community without a party committee ("need")."""
    _check_triage(scope, opinion)
    text = _reply_text(reply, message=_("Tell them what happens next."))
    committee = PartyOrg.objects.filter(
        kind=PartyOrg.Kind.COMMITTEE, area=opinion.community, ended_on__isnull=True
    ).first()
    if committee is None:
        raise DomainError(_("This community has no party committee to take up needs."), field="need")
    need = raise_need(
        actor=actor,
        scope=scope,
        committee=committee,
        area=opinion.area,
        title=title,
        source=Need.Source.RESIDENTS,
        raised_on=timezone.localdate(now),
        description=opinion.text,
    )
    return _close(
        actor=actor,
        scope=scope,
        opinion=opinion,
        state=Opinion.State.NEED,
        action="voice.opinion_need",
        reply=text,
        now=now,
        need=need,
    )


@transaction.atomic
def rate(*, actor: Any, scope: Scope, opinion: Opinion, rating: int, now: datetime | None = None) -> Opinion:
    """Whoever gave a named opinion rates its outcome, 1 to 5, once it has one; a later rating
    replaces the earlier. Refuses anyone else (forbidden), an opinion still open, a rating
    outside 1-5 ("rating")."""
    if not isinstance(scope, Scope):
        raise TypeError(f"an action's check needs a Scope, not {scope!r}: a viewer's, or system_scope(...)")
    if opinion.author_id is None or opinion.author_id != scope.user_id:
        raise DomainError(_("Only whoever gave the opinion rates its outcome."), code="forbidden")
    if opinion.state == Opinion.State.OPEN:
        raise DomainError(_("Rate it once it has its outcome."), field="rating")
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise DomainError(_("Rate it from 1 to 5."), field="rating")
    with changes.tracking(Opinion, [opinion.pk]):
        opinion.rating, opinion.rated_at = rating, now or timezone.now()
        opinion.save(update_fields=["rating", "rated_at"])
    audit.record("voice.opinion_rated", actor=actor, obj=opinion, detail={"rating": rating})
    return opinion


def answer_days() -> int:
    """Days an opinion may wait for its outcome (NUANXIN_VOICE_ANSWER_DAYS)."""
    return int(settings.NUANXIN_VOICE_ANSWER_DAYS)
