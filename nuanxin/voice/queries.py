"""Residents' voice, the reads, all through the scope mechanism (voice.view at where an
opinion belongs; its giver sees their own); the echo wall is public and names nobody."""

from django.db.models import Count, Q, QuerySet

from nuanxin.core.access import get_in_scope_or_404
from nuanxin.core.scoping import Scope
from nuanxin.territory.models import Area, Place
from nuanxin.voice.models import Opinion

WALL_PAGE = 50


def opinions_for(scope: Scope) -> QuerySet[Opinion]:
    return Opinion.objects.visible_to(scope).select_related("community", "area", "place")


def opinion_or_404(scope: Scope, opinion_id: int) -> Opinion:
    return get_in_scope_or_404(opinions_for(scope), scope, pk=opinion_id)


def triage_list(scope: Scope) -> QuerySet[Opinion]:
    """The topics staff reach through the territory (not their own opinions): each topic's
    first opinion, with how many opinions it holds."""
    return (
        Opinion.objects.filter(Opinion.scoping.territory_q(scope, Opinion), topic__isnull=True)
        .select_related("community", "area", "place")
        .annotate(grouped_count=Count("grouped", distinct=True))
    )


def grouped_with(opinion: Opinion) -> QuerySet[Opinion]:
    """The other opinions of the opinion's topic (the opinion reached through the scope)."""
    leader = opinion.topic_id or opinion.pk
    return (
        Opinion.objects.filter(Q(pk=leader) | Q(topic_id=leader))
        .exclude(pk=opinion.pk)
        .select_related("place")
        .order_by("received_at", "id")
    )


def mine(user_id: int | None) -> QuerySet[Opinion]:
    """The named opinions the user gave (or staff entered for them), newest first."""
    return (
        Opinion.objects.filter(author_id=user_id).select_related("community", "place")
        if user_id
        else Opinion.objects.none()
    )


def communities_to_give(scope: Scope) -> QuerySet[Area]:
    """The communities the viewer gives opinions to (voice.give there)."""
    return Area.objects.filter(scope.q("voice.give", "path"), level=Area.Level.COMMUNITY).order_by("path")


def communities_to_record(scope: Scope) -> QuerySet[Area]:
    """The communities where the viewer enters opinions for others, in whole or in a grid."""
    grids = Area.objects.filter(scope.q("voice.record", "path"), level=Area.Level.GRID).values("parent_id")
    return Area.objects.filter(scope.q("voice.record", "path") | Q(pk__in=grids), level=Area.Level.COMMUNITY).order_by(
        "path"
    )


def places_of(community: Area) -> QuerySet[Place]:
    """The compounds and buildings of a community, for choosing what an opinion is about."""
    return Place.objects.filter(
        grid__path__startswith=community.path, kind__in=[Place.Kind.COMPOUND, Place.Kind.BUILDING]
    ).order_by("name")


def wall(community: Area, q: str = "") -> QuerySet[Opinion]:
    """The echo wall (回音壁): the community's opinions with their outcome, newest outcome
    first, each topic once; `q` searches the words and the reply."""
    rows = Opinion.objects.filter(community=community, topic__isnull=True).exclude(state=Opinion.State.OPEN)
    if q:
        rows = rows.filter(Q(text__icontains=q) | Q(reply__icontains=q))
    return rows.order_by("-replied_at", "-id")
