"""Reads on people: scoped lists, search, and which tags a viewer may see."""

from django.db.models import Prefetch, Q, QuerySet

from nuanxin.core.crypto import blind_index
from nuanxin.core.errors import DomainError
from nuanxin.core.scoping import Scope, ScopedQuerySet, get_in_scope_or_404
from nuanxin.core.validators import normalize_id_number, normalize_mobile
from nuanxin.people.models import (
    ID_NUMBER_PURPOSE,
    PHONE_PURPOSE,
    TAG_CATEGORY_PURPOSE,
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


def search_residents(scope: Scope, text: str) -> QuerySet[Resident]:
    """Residents matching `text`: a valid mobile or ID number matches exactly (by blind
    index); anything else matches the name, its pinyin ("zhangsan", "zhang san") or its
    initials ("zs")."""
    residents = residents_for(scope)
    text = (text or "").strip()
    if not text:
        return residents
    try:
        phone = normalize_mobile(text)
    except DomainError:
        pass
    else:
        return residents.filter(phone_index=blind_index(phone, purpose=PHONE_PURPOSE))
    try:
        id_number = normalize_id_number(text)
    except DomainError:
        pass
    else:
        return residents.filter(id_number_index=blind_index(id_number, purpose=ID_NUMBER_PURPOSE))
    letters = "".join(text.split()).lower()
    match = Q(name__icontains=text)
    if letters.isascii() and letters.isalnum():
        match |= Q(name_pinyin__contains=letters) | Q(name_initials__startswith=letters)
    return residents.filter(match)


def with_tag(scope: Scope, residents: QuerySet[Resident], kind: str, category: str = "") -> QuerySet[Resident]:
    """Narrow to residents with a tag of this kind (and category), only where the viewer
    may see such tags: elsewhere nothing matches, so the filter reveals nothing."""
    if kind not in TAG_PERMISSION:
        return residents.none()
    where = Q(pk__in=[])
    for path in scope.paths_for(TAG_PERMISSION[kind]):
        where |= Q(grid__path__startswith=path)
    tagged = ResidentTag.objects.filter(kind=kind)
    if category:
        tagged = tagged.filter(category_index=blind_index(category, purpose=TAG_CATEGORY_PURPOSE))
    return residents.filter(where, pk__in=tagged.values("resident_id"))


def may_see_tags(scope: Scope, resident: Resident) -> bool:
    """Whether the viewer may see any kind of tag on this resident."""
    return any(scope.has_at(permission, resident.grid.path) for permission in TAG_PERMISSION.values())


def visible_tags(scope: Scope, resident: Resident) -> list[ResidentTag]:
    """The resident's tags whose kind the viewer may see at the resident's grid (uses the
    prefetched tags of `residents_for`)."""
    path = resident.grid.path
    return [tag for tag in resident.tags.all() if scope.has_at(TAG_PERMISSION[tag.kind], path)]
