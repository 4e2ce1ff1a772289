"""Writes on people: households, residents, tags, and the audited reveal and exact search.

Each write runs in one transaction and leaves an audit entry whose detail never holds an ID
number, a phone or a tag category.
"""

import re
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from nuanxin.core import audit, ratelimit
from nuanxin.core.access import check_at, deny
from nuanxin.core.crypto import blind_index
from nuanxin.core.errors import DomainError
from nuanxin.core.ratelimit import RateLimited
from nuanxin.core.scoping import Scope
from nuanxin.core.validators import normalize_id_number, normalize_mobile, plain_name, plain_text
from nuanxin.people.models import (
    HOME_KINDS,
    ID_NUMBER_PURPOSE,
    PHONE_PURPOSE,
    TAG_CATEGORIES,
    TAG_CATEGORY_PURPOSE,
    TAG_PERMISSION,
    Household,
    Resident,
    ResidentTag,
)
from nuanxin.people.queries import parse_search, search_residents, visible_tags
from nuanxin.territory.models import Area, Place

NAME_MAX = 30
REASON_MIN = 4
REVEALABLE = ("id_number", "phone", "tags")
# Characters a name may hold besides letters (any script): the separators of minority and
# foreign names (阿依古丽·买买提).
_NAME_SEPARATORS = set(" ·•・.-'")
# Surnames whose reading differs from the character's everyday reading (曾 zeng, not ceng).
SURNAME_READINGS = {
    "曾": "zeng",
    "单": "shan",
    "仇": "qiu",
    "解": "xie",
    "区": "ou",
    "朴": "piao",
    "覃": "qin",
    "乐": "yue",
    "查": "zha",
    "缪": "miao",
    "翟": "zhai",
    "盖": "ge",
    "召": "shao",
    "尉": "yu",
}
_UNSET: Any = object()


def pinyin_keys(name: str) -> tuple[str, str]:
    """("zhangsan", "zs") for 张三: the sort key and the initials used by search."""
    from pypinyin import lazy_pinyin  # loads large dictionaries: only when a name is written

    syllables = [re.sub(r"[^a-z0-9]", "", s.lower()) for s in lazy_pinyin(name)]
    if name[:1] in SURNAME_READINGS and syllables:
        syllables[0] = SURNAME_READINGS[name[0]]
    syllables = [s for s in syllables if s]
    return "".join(syllables)[:200], "".join(s[0] for s in syllables)[:60]


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_("A name is required."), field="name")
    if len(name) > NAME_MAX:
        raise DomainError(_("A name has at most %(n)d characters.") % {"n": NAME_MAX}, field="name")
    if not all(c.isalpha() or c in _NAME_SEPARATORS for c in name) or not any(c.isalpha() for c in name):
        raise DomainError(_("A name holds letters only (and · between parts)."), field="name")
    return name


def _check_home(place: Place, scope: Scope) -> None:
    if place.kind not in HOME_KINDS:
        raise DomainError(_("People are registered at a residential compound or a building."), field="place")
    check_at(scope, place.grid.path, "people.manage", message=_outside(place.grid), field="place")


def _outside(grid: Area) -> str:
    return _("%(grid)s is outside the area where you manage residents.") % {"grid": grid.name}


def _id_number_facts(id_number: str) -> tuple[str, int, str]:
    """(blind index, birth year, gender) of a normalised ID number (GB 11643: the 17th
    digit is odd for men)."""
    gender = Resident.Gender.MALE if int(id_number[16]) % 2 else Resident.Gender.FEMALE
    return blind_index(id_number, purpose=ID_NUMBER_PURPOSE), int(id_number[6:10]), gender


def _check_id_free(index: str, *, exclude: Resident | None = None) -> None:
    others = Resident.objects.filter(id_number_index=index)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    if others.exists():
        raise DomainError(_("A resident with this ID number is already registered."), field="id_number")


def _check_gender(gender: str, from_id: str | None) -> str:
    if gender and gender not in Resident.Gender.values:
        raise DomainError(_("Unknown gender."), field="gender")
    if gender and from_id and gender != from_id:
        raise DomainError(_("The gender does not match the ID number."), field="gender")
    return gender or from_id or ""


@transaction.atomic
def register_household(*, actor: Any, place: Place, number: str, scope: Scope) -> Household:
    """Register a household (e.g. "3-2-501") at a compound or building.

    Refuses another kind of place or a place in a grid where the viewer does
    not hold people.manage (field "place"); an empty, over-long or already used number at
    this place (field "number")."""
    number = " ".join((number or "").split())
    if not number:
        raise DomainError(_("A household number is required."), field="number")
    if len(number) > 40:
        raise DomainError(_("A household number has at most 40 characters."), field="number")
    number = plain_name(number, field="number", limit=40)
    _check_home(place, scope)
    if Household.objects.filter(place=place, number=number).exists():
        raise DomainError(_("This place already has a household with this number."), field="number")
    household = Household.objects.create(place=place, number=number, grid=place.grid)
    audit.record("people.household_registered", actor=actor, obj=household)
    return household


@transaction.atomic
def register_resident(
    *,
    actor: Any,
    name: str,
    place: Place,
    household: Household | None = None,
    gender: str = "",
    id_number: str = "",
    phone: str = "",
    user: Any = None,
    scope: Scope,
) -> Resident:
    """Register a resident living at `place` (a compound or building), optionally in one of
    its households and linked to their own account.

    The ID number (GB 11643 check digit) and mobile number are validated and normalised,
    stored encrypted with a blind index; the birth year and, when not given, the gender come
    from the ID number. Refuses, naming the field: a bad name, ID number or phone; an ID
    number already registered; a household at another place; a gender contradicting the ID
    number; an account already linked to a resident; a place outside the viewer's
    people.manage scope."""
    name = _clean_name(name)
    id_number = normalize_id_number(id_number) if (id_number or "").strip() else ""
    phone = normalize_mobile(phone) if (phone or "").strip() else ""
    _check_home(place, scope)
    if household is not None and household.place_id != place.pk:
        raise DomainError(_("This household is at another place."), field="household")
    id_index, birth_year, id_gender = _id_number_facts(id_number) if id_number else ("", None, None)
    gender = _check_gender(gender, id_gender)
    if id_index:
        _check_id_free(id_index)
    if user is not None and Resident.objects.filter(user=user).exists():
        raise DomainError(_("This account is already linked to a resident."), field="user")
    name_pinyin, name_initials = pinyin_keys(name)
    resident = Resident.objects.create(
        name=name,
        name_pinyin=name_pinyin,
        name_initials=name_initials,
        gender=gender,
        birth_year=birth_year,
        id_number=id_number,
        id_number_index=id_index,
        phone=phone,
        phone_index=blind_index(phone, purpose=PHONE_PURPOSE) if phone else "",
        household=household,
        place=place,
        grid=place.grid,
        user=user,
    )
    audit.record("people.resident_registered", actor=actor, obj=resident)
    return resident


@transaction.atomic
def change_resident(
    *,
    actor: Any,
    resident: Resident,
    scope: Scope,
    name: str | None = None,
    gender: str | None = None,
    id_number: str | None = None,
    phone: str | None = None,
    place: Place | None = None,
    household: Household | None = _UNSET,
) -> Resident:
    """Edit a resident. A field left out (None) stays; "" clears a phone or ID number,
    household=None takes the resident out of their household. Moving to another place
    needs a household at that place or none. The same checks as `register_resident` apply
    to every new value; both the old and the new grid must be where the viewer holds
    people.manage."""
    check_at(scope, resident.grid.path, "people.manage", message=_outside(resident.grid))
    changed: list[str] = []
    if name is not None:
        name = _clean_name(name)
        if name != resident.name:
            resident.name = name
            resident.name_pinyin, resident.name_initials = pinyin_keys(name)
            changed.append("name")
    if id_number is not None:
        id_number = normalize_id_number(id_number) if id_number.strip() else ""
        if id_number != resident.id_number:
            index, birth_year = _id_number_facts(id_number)[:2] if id_number else ("", None)
            if index:
                _check_id_free(index, exclude=resident)
            resident.id_number, resident.id_number_index, resident.birth_year = id_number, index, birth_year
            changed.append("id_number")
    if gender is not None or "id_number" in changed:
        id_gender = _id_number_facts(resident.id_number)[2] if resident.id_number else None
        new_gender = _check_gender(gender or "", id_gender) or resident.gender
        if new_gender != resident.gender:
            resident.gender = new_gender
            changed.append("gender")
    if phone is not None:
        phone = normalize_mobile(phone) if phone.strip() else ""
        if phone != resident.phone:
            resident.phone = phone
            resident.phone_index = blind_index(phone, purpose=PHONE_PURPOSE) if phone else ""
            changed.append("phone")
    if place is not None and place.pk != resident.place_id:
        _check_home(place, scope)
        resident.place, resident.grid = place, place.grid
        changed.append("place")
    if household is not _UNSET and getattr(household, "pk", None) != resident.household_id:
        resident.household = household
        changed.append("household")
    if resident.household is not None and resident.household.place_id != resident.place_id:
        raise DomainError(_("This household is at another place."), field="household")
    if changed:
        resident.save()
        audit.record("people.resident_changed", actor=actor, obj=resident, detail={"fields": changed})
    return resident


# Setting or removing a tag needs people.manage and the kind's view permission at the
# resident's grid (refused at the field "kind").
TAG_REFUSED = gettext_noop("You may not set or remove this kind of tag here.")


@transaction.atomic
def tag_resident(
    *, actor: Any, resident: Resident, kind: str, category: str, note: str = "", scope: Scope
) -> ResidentTag:
    """Tag a resident as one of a special group or a key person. Refuses an unknown kind or
    a category not of that kind, a category the resident already has (field "category"),
    a note over 500 characters; a viewer without people.manage and the
    kind's view permission at the resident's grid (field "kind"). The audit entry holds the
    tag's id only: its kind alone would tell that the resident is a key person."""
    if kind not in TAG_CATEGORIES:
        raise DomainError(_("Unknown kind of tag."), field="kind")
    if category not in TAG_CATEGORIES[kind].values:
        raise DomainError(_("Unknown category for this kind of tag."), field="category")
    note = (note or "").strip()
    if len(note) > 500:
        raise DomainError(_("A note has at most 500 characters."), field="note")
    note = plain_text(note, field="note", limit=500)
    check_at(scope, resident.grid.path, "people.manage", TAG_PERMISSION[kind], message=_(TAG_REFUSED), field="kind")
    index = blind_index(category, purpose=TAG_CATEGORY_PURPOSE)
    if resident.tags.filter(category_index=index).exists():
        raise DomainError(_("The resident already has this tag."), field="category")
    tag = ResidentTag.objects.create(resident=resident, kind=kind, category=category, category_index=index, note=note)
    audit.record("people.resident_tagged", actor=actor, obj=resident, detail={"tag_id": tag.pk})
    return tag


@transaction.atomic
def untag_resident(*, actor: Any, tag: ResidentTag, scope: Scope) -> None:
    """Remove a tag; the same permission as for setting it (field "kind").
    Audited with the tag's id only."""
    path = tag.resident.grid.path
    check_at(scope, path, "people.manage", TAG_PERMISSION[tag.kind], message=_(TAG_REFUSED), field="kind")
    audit.record("people.resident_untagged", actor=actor, obj=tag.resident, detail={"tag_id": tag.pk})
    tag.delete()


class SearchRateLimited(RateLimited):
    """Too many exact searches (the "people_search" rate limit): `retry_after` seconds until
    the next window opens. Shown at the search field."""


def _count_exact_search(user_id: int | None) -> None:
    """Count one exact search against the user's allowance (RATE_LIMIT_PEOPLE_SEARCH, shared
    by every app server, core/ratelimit.py); refuse once it is spent."""
    try:
        ratelimit.hit("people_search", f"u{user_id}", field="text")
    except RateLimited as error:
        raise SearchRateLimited(
            _("Too many searches by phone or ID number; try again in a few minutes."),
            retry_after=error.retry_after,
            field="text",
        ) from None


def look_up_residents(*, actor: Any, scope: Scope, text: str) -> QuerySet[Resident]:
    """Residents the viewer may see matching `text` (see `queries.search_residents`), for
    the list page and the API.

    A search by phone or ID number confirms a guessed value, so it is a kind of reveal:
    it needs people.reveal somewhere (DomainError, field "text"), at most
    RATE_LIMIT_PEOPLE_SEARCH of them per user (30 in ten minutes by default;
    SearchRateLimited, field "text"), and each leaves a `people.searched` entry with what was searched by and how
    many residents matched, never the value. Searches by name are neither limited nor
    audited."""
    by = parse_search(text)[0]
    residents = search_residents(scope, text)
    if by == "name":
        return residents
    if not scope.has("people.reveal"):
        raise DomainError(_("Searching by phone or ID number needs the permission to reveal them."), field="text")
    _count_exact_search(scope.user_id)
    audit.record("people.searched", actor=actor, detail={"by": by, "matches": residents.count()})
    return residents


def reveal_resident_field(
    *, actor: Any, scope: Scope, resident: Resident, field: str, reason: str
) -> str | list[ResidentTag]:
    """The full ID number or phone of a resident, or their tags with categories and notes
    (`field="tags"`: only the kinds the viewer may see there), for a viewer holding
    people.reveal at the resident's grid, given a reason of at least four characters.

    Raises Http404 (and records the denial) when the viewer lacks the permission there, so a
    reveal outside one's reach looks like any other missing page; DomainError for an unknown
    field or one with nothing recorded, or no tag the viewer may see (field "field"), and for
    a missing reason (field "reason"). At most RATE_LIMIT_REVEAL reveals per account
    (RateLimited, counted once the request is allowed to reveal). Records `people.revealed`
    with the field and the reason, never the value."""
    if not scope.has_at("people.reveal", resident.grid.path):
        # Outside the transaction below: the denial entry must survive the refusal.
        raise deny(scope, f"people.resident {resident.pk} reveal")
    if field not in REVEALABLE:
        raise DomainError(_("Only an ID number, a phone or the tags can be revealed."), field="field")
    reason = " ".join((reason or "").split())
    if len(reason) < REASON_MIN:
        raise DomainError(
            _("Say why you need the full value (at least %(n)d characters).") % {"n": REASON_MIN}, field="reason"
        )
    if len(reason) > 200:
        raise DomainError(_("A reason has at most 200 characters."), field="reason")
    # Tags of a kind the viewer may not see do not exist for them: "nothing recorded" alike.
    value: str | list[ResidentTag] = visible_tags(scope, resident) if field == "tags" else str(getattr(resident, field))
    if not value:
        raise DomainError(_("Nothing is recorded for this resident here."), field="field")
    ratelimit.limit_account(actor, "reveal")
    with transaction.atomic():
        audit.record("people.revealed", actor=actor, obj=resident, detail={"field": field, "reason": reason})
    return value
