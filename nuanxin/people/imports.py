"""Importing residents from an office's .xlsx roster (see docs/import.md), all or nothing."""

import re
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nuanxin.core import audit
from nuanxin.core.errors import DomainError
from nuanxin.core.scoping import Scope
from nuanxin.core.spreadsheets import Column, ImportReport, SheetRow, normalize_title, run_import
from nuanxin.people.actions import register_household, register_resident, tag_resident
from nuanxin.people.models import HOME_KINDS, Household, Resident, ResidentTag, SpecialGroup
from nuanxin.territory.models import Place
from nuanxin.territory.queries import places_for

GENDER_WORDS = {
    Resident.Gender.MALE: ("男", "男性", "m"),
    Resident.Gender.FEMALE: ("女", "女性", "f"),
}
# The words offices use for each special group, besides the code and the English label.
# Key-person categories are not importable: they are set one by one, by those allowed to.
SPECIAL_GROUP_WORDS = {
    SpecialGroup.ELDERLY_ALONE: ("独居老人", "空巢老人"),
    SpecialGroup.DISABLED: ("残疾人",),
    SpecialGroup.LEFT_BEHIND_CHILD: ("留守儿童",),
    SpecialGroup.LOW_INCOME: ("低保户", "低保"),
    SpecialGroup.VETERAN: ("退役军人",),
}
_LIST_SEPARATORS = re.compile(r"[,，、;；/]+")


def _word_lookup(words: Mapping[Any, tuple[str, ...]]) -> dict[str, str]:
    return {normalize_title(w): choice.value for choice, ws in words.items() for w in (*ws, choice.value, choice.label)}


def parse_gender(text: str) -> str:
    gender = _word_lookup(GENDER_WORDS).get(normalize_title(text))
    if gender is None:
        raise DomainError(_("Unknown gender: %(text)s. Write 男 or 女.") % {"text": text[:20]})
    return gender


def parse_special_groups(text: str) -> list[str]:
    lookup = _word_lookup(SPECIAL_GROUP_WORDS)
    groups = []
    for label in filter(None, (part.strip() for part in _LIST_SEPARATORS.split(text))):
        group = lookup.get(normalize_title(label))
        if group is None:
            raise DomainError(
                _("Unknown special group: %(label)s. Use %(groups)s.")
                % {"label": label[:20], "groups": "、".join(ws[0] for ws in SPECIAL_GROUP_WORDS.values())}
            )
        if group not in groups:
            groups.append(group)
    return groups


COLUMNS = (
    Column("name", ("姓名", "name"), required=True),
    Column("gender", ("性别", "gender"), parse=parse_gender, help="男、女"),
    Column(
        "id_number",
        ("身份证号", "身份证号码", "公民身份号码", "id number", "id_number"),
        help=gettext_lazy("18 characters; format the column as text so Excel keeps every digit."),
    ),
    Column("phone", ("手机号", "手机号码", "联系电话", "phone", "mobile")),
    Column(
        "place",
        ("所属小区", "小区", "居住小区", "楼栋", "place"),
        required=True,
        help=gettext_lazy("The name of a registered residential compound or building in your area."),
    ),
    Column(
        "household",
        ("户号", "门牌号", "household"),
        help=gettext_lazy("e.g. 3-2-501; residents with the same number at the same place form one household."),
    ),
    Column(
        "special_groups",
        ("特殊群体", "special groups", "special_groups"),
        parse=parse_special_groups,
        help="、".join(ws[0] for ws in SPECIAL_GROUP_WORDS.values()),  # the words to write, in any language
    ),
)
# Where the actions' refusals point: the household's number, the tag's kind and category.
FIELD_COLUMNS = {"number": "household", "kind": "special_groups", "category": "special_groups"}


class _ResidentRows:
    """Turns sheet rows into residents, reusing the places and households already met."""

    def __init__(self, actor: Any, scope: Scope) -> None:
        self.actor = actor
        self.scope = scope
        self.places: dict[str, list[Place]] = {}
        self.households: dict[tuple[int, str], Household] = {}

    def __call__(self, row: SheetRow) -> None:
        values = row.values
        place = self._place(values["place"])
        household = self._household(place, values["household"]) if values["household"] else None
        resident = register_resident(
            actor=self.actor,
            name=values["name"],
            place=place,
            household=household,
            gender=values["gender"] or "",
            id_number=values["id_number"] or "",
            phone=values["phone"] or "",
            scope=self.scope,
        )
        for group in values["special_groups"] or ():
            tag_resident(
                actor=self.actor,
                resident=resident,
                kind=ResidentTag.Kind.SPECIAL_GROUP,
                category=group,
                scope=self.scope,
            )

    def _place(self, name: str) -> Place:
        if name not in self.places:
            self.places[name] = list(places_for(self.scope).filter(kind__in=HOME_KINDS, name=name))
        candidates = self.places[name]
        if not candidates:
            raise DomainError(
                _("No residential compound or building called %(name)s in your area.") % {"name": name}, field="place"
            )
        if len(candidates) > 1:
            raise DomainError(
                _("Several compounds or buildings are called %(name)s; rename one before importing.") % {"name": name},
                field="place",
            )
        return candidates[0]

    def _household(self, place: Place, number: str) -> Household:
        # A household registered for a row that is then refused is undone with that row but
        # stays here; later rows may reuse it harmlessly, as the import then rolls back whole.
        key = (place.pk, number)
        if key not in self.households:
            existing = Household.objects.filter(place=place, number=number).first()
            self.households[key] = existing or register_household(
                actor=self.actor, place=place, number=number, scope=self.scope
            )
        return self.households[key]


@transaction.atomic
def import_residents(*, actor: Any, scope: Scope, upload: Any) -> ImportReport:
    """Register a resident for every row of an .xlsx roster (columns in COLUMNS) through
    `register_resident` with the importer's scope; a household number is registered once per
    place (or an existing household reused); special groups are set through `tag_resident`,
    so an importer without people.view_special at that grid gets a row error.

    All or nothing: the report names every refused row, column and reason, and when it has
    any, nothing is written. Refused besides what the actions refuse: a place name that
    matches no compound or building the importer sees, or several. Records `people.imported`
    with the count (never a name, ID number or phone)."""
    report = run_import(upload, COLUMNS, _ResidentRows(actor, scope), field_columns=FIELD_COLUMNS)
    if report.ok:
        audit.record("people.imported", actor=actor, detail={"count": report.imported})
    return report
