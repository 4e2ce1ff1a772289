"""Reads on cases: scoped lists with the related rows preloaded, and the timeline a viewer
may read. The console's filters over these lists are in cases/filters.py."""

import logging
import math
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from typing import Any

from django.core import signing
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from nuanxin.accounts.roles import PERMISSIONS
from nuanxin.cases.models import ESCALATED_LEVELS, ESCALATED_ONLY_ROLES, Case, CaseClass, CaseEvent, CaseFollower
from nuanxin.core.access import get_in_scope_or_404
from nuanxin.core.geo import distance_m
from nuanxin.core.schemas import built_once
from nuanxin.core.scoping import Scope, prepared_rows, replayed_count

# Roles whose holders accept, dispatch and escalate the cases of their node, and those among
# them that act on a case at every level (street and district staff: escalated cases only).
MANAGING_ROLES = tuple(sorted(role for role, perms in PERMISSIONS.items() if "cases.manage" in perms))
MANAGING_AT_EVERY_LEVEL = tuple(role for role in MANAGING_ROLES if role not in ESCALATED_ONLY_ROLES)


def managing_paths(actor: Any) -> set[str]:
    """The nodes on which `actor` holds a role that manages cases at every level."""
    grants = getattr(actor, "role_grants", None)
    if grants is None:
        return set()
    return set(grants.filter(role__in=MANAGING_AT_EVERY_LEVEL).values_list("area__path", flat=True))


def may_manage_at_its_level(actor: Any, scope: Scope, case: Case) -> bool:
    """Whether `actor`'s cases.manage (checked apart) acts on `case` at its level: a case still
    in its grid or community only through a role held on its grid or above that acts at
    every level; an escalated one through any."""
    if scope.everything or case.level in ESCALATED_LEVELS:
        return True
    return any(case.grid.path.startswith(path) for path in managing_paths(actor))


def managed_by(scope: Scope, actor: Any) -> Q:
    """The cases `actor` manages, as a filter: cases.manage on the case's grid, acting at the
    case's level (`may_manage_at_its_level`)."""
    q = scope.q("cases.manage", "grid__path")
    if scope.everything:
        return q
    at_its_level = Q(level__in=list(ESCALATED_LEVELS))
    for path in managing_paths(actor):
        at_its_level |= Q(grid__path__startswith=path)
    return q & at_its_level


def _listed(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Related rows preloaded; open emergencies first, then the newest (the index `cases_case_queue`)."""
    return (
        cases.select_related("case_class", "grid", "handler")
        .defer("grid__boundary")
        .order_by("-urgent", "-reported_at", "-id")
    )


class Pages:
    """A case list cut into pages in two steps: the page's ids first, read from the ordering
    index alone, then those rows by id (the ids came through the scope already, so the rows
    are read without it). Asked for whole rows in one step, the database sorts every case of
    the territory to find one page (a million-case community: a quarter of a second). Django's
    Paginator and ninja's pagination both take it.

    `rows(ids)` reads the page's rows, keyed by id: whole cases with their related rows by
    default (pages render them), plain values for an API answer (`case_rows`).

    With `kept=(scope, key)`, where `key` names everything besides the scope that decides the
    list's query (its filters, none of them depending on the clock), the count and each
    window's ids are compiled once for the scope and replayed after (Scope.replayed)."""

    def __init__(
        self,
        cases: QuerySet[Case],
        rows: Callable[[list[int]], Mapping[int, Any]] | None = None,
        *,
        kept: tuple[Scope, tuple[Any, ...]] | None = None,
    ) -> None:
        self.cases = cases
        self.rows = rows or (lambda ids: _listed(Case.objects.filter(pk__in=ids)).in_bulk(ids))
        self.kept = kept

    def count(self) -> int:
        if self.kept is None:
            return self.cases.count()
        return replayed_count(*self.kept, self.cases)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[Any]:
        ids = self._ids(window)
        found = self.rows(ids) if ids else {}
        return [found[pk] for pk in ids if pk in found]

    def _ids(self, window: slice) -> list[int]:
        def run() -> list[int]:
            return list(self.cases.values_list("pk", flat=True)[window])

        if self.kept is None:
            return run()
        scope, key = self.kept
        return scope.replayed(
            ("ids", window.start, window.stop, *key), run, lambda cursor: [row[0] for row in cursor.fetchall()]
        )


# What an API answer reads of a case: its own columns, and its class's and grid's few.
CASE_ROW_COLUMNS = (
    "id",
    "number",
    "description",
    "lng",
    "lat",
    "address",
    "grid_id",
    "state",
    "closure",
    "level",
    "emergency",
    "deadline",
    "reported_at",
    "closed_at",
    "satisfaction",
    "version",
    "handler_id",
    "reporter_id",
    "reporter_name",
    "reporter_phone",
    "anonymous",
)
CASE_ROW_RELATED = {"class_code": "case_class__code", "class_name": "case_class__name", "grid_path": "grid__path"}


_row_values = built_once(
    lambda: Case.objects.values(*CASE_ROW_COLUMNS, **{name: F(lookup) for name, lookup in CASE_ROW_RELATED.items()})
)


def case_rows(ids: list[int], scope: Scope | None = None) -> dict[int, dict[str, Any]]:
    """The cases with these ids as plain values (CASE_ROW_COLUMNS and CASE_ROW_RELATED), no
    model objects; the ids must have come through the scope. Given it, the statement is
    compiled once for it and the number of ids (Scope.prepared)."""

    def rows_of(*chosen: int) -> Any:
        return _row_values().filter(pk__in=chosen)

    rows = prepared_rows(scope, ("case rows", len(ids)), rows_of, *ids)
    return {row["id"]: row for row in rows}


def case_row_or_404(scope: Scope, case_id: int) -> dict[str, Any]:
    """One case the viewer may see, as the values `case_rows` reads (case_or_404 without the
    model objects, for an API answer): its statement compiled once per scope (Scope.prepared);
    a case the viewer may not see goes the way of every other miss (404, a denial audited)."""
    found = scope.prepared(("case row",), lambda pk: _row_values().visible_to(scope).filter(pk=pk).order_by(), case_id)
    if found:
        return found[0]
    return get_in_scope_or_404(_row_values(), scope, pk=case_id)  # type: ignore[no-any-return]


def case_row(case: Case) -> dict[str, Any]:
    """A case object as the same values `case_rows` reads."""
    row = {name: getattr(case, name) for name in CASE_ROW_COLUMNS}
    return row | {"class_code": case.case_class.code, "class_name": case.case_class.name, "grid_path": case.grid.path}


def cases_for(scope: Scope) -> QuerySet[Case]:
    """Cases the viewer may see at all: staff through the territory, reporters and followers
    their own (details and lookups)."""
    return _listed(Case.objects.visible_to(scope))


def territory_cases(scope: Scope) -> QuerySet[Case]:
    """The cases of the viewer's territory: what staff lists, maps and exports show."""
    return _listed(Case.objects.reached_by(scope))


def case_or_404(scope: Scope, case_id: int) -> Case:
    return get_in_scope_or_404(cases_for(scope), scope, pk=case_id)


def is_staff_viewer(scope: Scope, case: Case) -> bool:
    """Staff who see the case through the territory (not merely as its reporter)."""
    return staff_sees(scope, case.grid.path)


def staff_sees(scope: Scope, grid_path: str) -> bool:
    """Whether the viewer sees the cases of the grid at this path as staff."""
    return scope.has_at("cases.view", grid_path)


# A follower who is not the case's reporter sees its location to this many decimals (about 100 m).
PUBLIC_DECIMALS = 3


def sees_whole_case(scope: Scope, case: Case) -> bool:
    """Who sees the whole case (description, address, exact location, photos, notes): staff
    through the territory, its reporter, and the people who speak for the unit hosting its
    place (a warm station's host follows the feedback it must act on, why "host"). Every
    other follower (one who chose "this is the same", or followed a merged duplicate) sees
    the public view only: class, state, level, grid, rounded location and dates."""
    return bool(seen_whole(scope, [{"id": case.pk, "grid_path": case.grid.path, "reporter_id": case.reporter_id}]))


def seen_whole(scope: Scope, rows: Sequence[Mapping[str, Any]]) -> set[int]:
    """The ids among these case rows (id, grid_path, reporter_id) that the viewer sees whole
    (`sees_whole_case`), with one query at most for a whole page."""
    whole = {
        row["id"]
        for row in rows
        if staff_sees(scope, row["grid_path"]) or (scope.user_id is not None and row["reporter_id"] == scope.user_id)
    }
    rest = [row["id"] for row in rows if row["id"] not in whole]
    if rest and scope.user_id is not None:
        hosted = CaseFollower.objects.filter(case_id__in=rest, user_id=scope.user_id, why=CaseFollower.Why.HOST)
        whole.update(hosted.values_list("case_id", flat=True))
    return whole


def public_point(value: float) -> float:
    return round(value, PUBLIC_DECIMALS)


def timeline_for(scope: Scope, case: Case) -> QuerySet[CaseEvent]:
    """The case's events; a reporter sees no internal notes (and a follower who sees only
    the public view no notes at all: the views leave them out)."""
    return timeline_of(scope, case.pk, case.grid.path).select_related("actor")


def timeline_of(scope: Scope, case_id: int, grid_path: str) -> QuerySet[CaseEvent]:
    """`timeline_for` by the case's id and its grid's path (a case read as values)."""
    events = CaseEvent.objects.filter(case_id=case_id).order_by("at", "id")
    return events if staff_sees(scope, grid_path) else public_timeline(events)


def public_timeline(events: QuerySet[CaseEvent]) -> QuerySet[CaseEvent]:
    """The entries of a timeline anyone following the case may read: no internal ones (the
    pages of the public view show their steps and dates only, never a note or an actor)."""
    return events.filter(internal=False)


def surviving_case(case: Case) -> Case:
    """The case that carries on for `case`: itself, or the case it was merged into (again and
    again, if that one was merged too)."""
    while case.merged_into_id is not None:
        case = Case.objects.select_related("grid", "case_class").get(pk=case.merged_into_id)
    return case


def my_cases(scope: Scope) -> QuerySet[Case]:
    """The cases a person reported or follows ("my reports")."""
    return _listed(Case.objects.owned_by(scope))


# Duplicates at intake ------------------------------------------------------------------

# Open: neither closed (merged ones included) nor rejected.
DUPLICATE_STATES = tuple(s for s in Case.State.values if s not in (Case.State.CLOSED, Case.State.REJECTED))
SUGGESTIONS = 5
# The newest open cases of the class around a point compared with a new report.
CANDIDATES = 200
# A follow token is good for this many seconds after it was handed out with a report.
FOLLOW_MAX_AGE = 15 * 60
FOLLOW_SALT = "nuanxin.cases.follow"
_METRES_PER_DEGREE = 111_320.0
_WORDLIKE = re.compile(r"[0-9A-Za-z\u3400-\u9fff]")
# Words that say nothing about what was seen.
_STOPWORDS = (
    "的 了 在 是 我 有 和 就 不 人 都 一 一个 上 也 很 到 说 要 去 你 会 着 没有 看 好 这 那 里 这里 那里 "
    "他 她 它 们 我们 他们 把 被 让 给 还 又 吗 呢 吧 啊 呀 有人 请 已经 一直 非常 太 很多 个 些 一些 "
    "今天 现在 还是 还有 什么 怎么 为什么 因为 所以 但是 而且 或者 如果 就是 可以 这个 那个 附近"
)
STOPWORDS = frozenset(_STOPWORDS.split())


@dataclass(frozen=True)
class Suggestion:
    """A possible duplicate: an open case, how far away (metres) and how alike its text is."""

    case: Case
    distance_m: float
    similarity: float


@cache
def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def load_segmenter() -> None:
    """Load jieba's dictionary now (0.7 s), not in the first report's duplicate check: the WSGI
    application calls it as a server process starts (nuanxin/wsgi.py)."""
    _jieba().initialize()


# Content words per text, kept per process: the open cases near a spot are the candidates of
# every report made there, so the same descriptions are segmented again and again (a street
# light reported by twenty passers-by), and jieba is the costliest part of a report.
@lru_cache(maxsize=4096)
def content_words(text: str) -> frozenset[str]:
    """The words of a text that carry meaning (jieba's segmentation, minus stop words and
    punctuation), lower-cased."""
    words = (w.strip().lower() for w in _jieba().lcut(text or ""))
    return frozenset(w for w in words if w and _WORDLIKE.search(w) and w not in STOPWORDS)


def text_similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard similarity of two sets of content words (0 when either is empty)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def similar_open_cases(
    *,
    case_class: CaseClass,
    lng: float,
    lat: float,
    text: str = "",
    among: QuerySet[Case] | None = None,
    exclude_id: int | None = None,
    limit: int = SUGGESTIONS,
) -> list[Suggestion]:
    """Open cases of the same class within the class's duplicate radius, the most alike text
    first, then the nearest; at most `limit`. A bounding box around the point narrows the
    rows in SQL; the exact distance and the text (jieba content words, Jaccard) are compared
    here. `among` limits the candidates (a viewer's scope); by default every open case, so a
    caller showing them to a stranger must show only what docs/cases.md allows."""
    radius = float(case_class.duplicate_radius_m)
    if radius <= 0 or not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return []
    dlat = radius / _METRES_PER_DEGREE
    dlng = radius / (_METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    candidates = (among if among is not None else Case.objects.all()).filter(
        case_class=case_class,
        state__in=DUPLICATE_STATES,
        lat__gte=lat - dlat,
        lat__lte=lat + dlat,
        lng__gte=lng - dlng,
        lng__lte=lng + dlng,
    )
    if exclude_id is not None:
        candidates = candidates.exclude(pk=exclude_id)
    words = content_words(text)
    # Scored as plain rows (a hot spot has up to CANDIDATES of them); only the chosen few
    # become cases, read by their ids in a second statement.
    scored = []
    for pk, case_lng, case_lat, description in candidates.order_by("-reported_at").values_list(
        "pk", "lng", "lat", "description"
    )[:CANDIDATES]:
        distance = distance_m(lng, lat, case_lng, case_lat)
        if distance <= radius:
            scored.append((-text_similarity(words, content_words(description)), distance, -pk))
    chosen = sorted(scored)[:limit]
    if not chosen:
        return []
    cases = Case.objects.in_bulk([-pk for _s, _d, pk in chosen])
    for case in cases.values():
        case.case_class = case_class  # the class they were found by
    return [Suggestion(cases[-pk], distance, -minus) for minus, distance, pk in chosen if -pk in cases]


def follow_token(case: Case, *, user_id: int, report_id: int) -> str:
    """A signed token letting this user (and nobody else) follow this case once, handed out
    with their report `report_id` that the server found to be like it; good for
    FOLLOW_MAX_AGE seconds. The random nonce makes it single-use (actions.follow_case
    records it when it is used)."""
    return signing.dumps([case.pk, user_id, report_id, secrets.token_urlsafe(12)], salt=FOLLOW_SALT)


@dataclass(frozen=True)
class FollowOffer:
    """A similar open case offered to the reporter of a report just filed, with its token."""

    suggestion: Suggestion
    token: str


def follow_offers(
    report: Case, *, user_id: int | None, now: datetime | None = None, found: list[Suggestion] | None = None
) -> list[FollowOffer]:
    """Open cases like a report its reporter has just filed, each with a follow token: the
    only way to earn one. The reporter proved they saw something of this class at this
    place by filing it, so they may follow the same thing already reported. Only for the
    report's own reporter with an account, while the report is still only reported and at
    most FOLLOW_MAX_AGE seconds old; empty otherwise. What each offer tells is what a
    stranger may know (class, state, distance, age), never the description.

    `found`: the similar open cases, when the caller looked for them before filing the report
    (the API does, so that the search does not run while the report holds the day's counter)."""
    now = now or timezone.now()
    if (
        user_id is None
        or report.reporter_id != user_id
        or report.state != Case.State.REPORTED
        or (now - report.reported_at).total_seconds() > FOLLOW_MAX_AGE
    ):
        return []
    if found is None:
        found = similar_open_cases(
            case_class=report.case_class, lng=report.lng, lat=report.lat, text=report.description, exclude_id=report.pk
        )
    return [
        FollowOffer(s, follow_token(s.case, user_id=user_id, report_id=report.pk))
        for s in found
        if s.case.reporter_id != user_id
    ]


def age_hours(case: Case, now: datetime | None = None) -> int:
    """Whole hours since the case was reported."""
    return max(0, int(((now or timezone.now()) - case.reported_at).total_seconds() // 3600))
