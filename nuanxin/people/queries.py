"""Reads on people: scoped lists, search, and which tags a viewer may see."""

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from nuanxin.core.access import deny, get_in_scope_or_404
from nuanxin.core.crypto import blind_index
from nuanxin.core.errors import DomainError
from nuanxin.core.scoping import Scope, ScopedQuerySet
from nuanxin.core.validators import normalize_id_number, normalize_mobile
from nuanxin.people.models import (
    ID_NUMBER_PURPOSE,
    PHONE_PURPOSE,
    TAG_PERMISSION,
    Household,
    Resident,
    ResidentTag,
)


def _with_related() -> ScopedQuerySet[Resident]:
    # Lists never need the grid's polygon or the place's attributes: skip decoding their JSON.
    return (
        Resident.objects.select_related("place", "grid", "household")
        .defer("grid__boundary", "place__attributes")
        .prefetch_related(Prefetch("tags", queryset=ResidentTag.objects.order_by("kind", "id")))
    )


def residents_for(scope: Scope) -> QuerySet[Resident]:
    """Residents the viewer may see, sorted by pinyin, with what lists show preloaded."""
    return _with_related().visible_to(scope).order_by("name_pinyin", "id")


def resident_or_404(scope: Scope, resident_id: int) -> Resident:
    """One resident the viewer may see; 404 (a denial is audited) otherwise."""
    return get_in_scope_or_404(_with_related(), scope, pk=resident_id)


def households_for(scope: Scope) -> QuerySet[Household]:
    return Household.objects.visible_to(scope).select_related("place", "grid").order_by("place__name", "number")


def may_look_up_people(scope: Scope) -> bool:
    """Whether the people pages are for this viewer at all: staff with people.view, or a
    person with a resident record of their own."""
    return scope.has("people.view") or (
        scope.user_id is not None and Resident.objects.filter(user_id=scope.user_id).exists()
    )


def parse_search(text: str) -> tuple[str, str]:
    """What a search text is: ("phone", normalised mobile), ("id_number", normalised ID
    number), or ("name", the text stripped) for anything else (empty included)."""
    text = (text or "").strip()
    for by, normalize in (("phone", normalize_mobile), ("id_number", normalize_id_number)):
        try:
            return by, normalize(text)
        except DomainError:
            pass
    return "name", text


def search_residents(scope: Scope, text: str) -> QuerySet[Resident]:
    """Residents matching `text`: a valid mobile or ID number matches exactly (by blind
    index); anything else matches the name, its pinyin ("zhangsan", "zhang san") or its
    initials ("zs"). A plain read: the page and the API go through
    `actions.look_up_residents`, which gates, limits and audits exact searches."""
    residents = residents_for(scope)
    by, value = parse_search(text)
    if by == "phone":
        return residents.filter(phone_index=blind_index(value, purpose=PHONE_PURPOSE))
    if by == "id_number":
        return residents.filter(id_number_index=blind_index(value, purpose=ID_NUMBER_PURPOSE))
    if not value:
        return residents
    letters = "".join(value.split()).lower()
    match = Q(name__icontains=value)
    if letters.isascii() and letters.isalnum():
        match |= Q(name_pinyin__contains=letters) | Q(name_initials__startswith=letters)
    return residents.filter(match)


def with_tag(scope: Scope, residents: QuerySet[Resident], kind: str) -> QuerySet[Resident]:
    """Narrow to residents with a tag of this kind, only where the viewer may see such tags:
    elsewhere nothing matches, so the filter reveals nothing. There is deliberately no filter
    by category: it would tell categories without an audited reveal."""
    if kind not in TAG_PERMISSION:
        return residents.none()
    return residents.filter(
        scope.q(TAG_PERMISSION[kind], "grid__path"),
        pk__in=ResidentTag.objects.filter(kind=kind).values("resident_id"),
    )


def may_see_tags(scope: Scope, resident: Resident) -> bool:
    """Whether the viewer may see any kind of tag on this resident."""
    return any(scope.has_at(permission, resident.grid.path) for permission in TAG_PERMISSION.values())


def visible_tags(scope: Scope, resident: Resident) -> list[ResidentTag]:
    """The resident's tags whose kind the viewer may see at the resident's grid (uses the
    prefetched tags of `residents_for`). Their categories and notes are shown only through
    an audited reveal; lists, pages and the API show `visible_tag_kinds`."""
    path = resident.grid.path
    return [tag for tag in resident.tags.all() if scope.has_at(TAG_PERMISSION[tag.kind], path)]


def visible_tag_kinds(scope: Scope, resident: Resident) -> list[ResidentTag.Kind]:
    """The kinds (special group, key person) of the tags the viewer may see, each once."""
    kinds = {tag.kind for tag in visible_tags(scope, resident)}
    return [kind for kind in ResidentTag.Kind if kind in kinds]


def tag_or_404(scope: Scope, resident: Resident, tag_id: int) -> ResidentTag:
    """One of the resident's tags the viewer may see; 404 otherwise (audited when the tag
    exists but is not for this viewer)."""
    tag = next((tag for tag in visible_tags(scope, resident) if tag.pk == tag_id), None)
    if tag is not None:
        return tag
    if ResidentTag.objects.filter(pk=tag_id, resident=resident).exists():
        raise deny(scope, f"people.residenttag {tag_id}")
    raise Http404
