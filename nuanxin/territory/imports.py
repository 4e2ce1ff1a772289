"""Importing places from an office's .xlsx sheet (see docs/import.md), all or nothing."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nuanxin.core import audit
from nuanxin.core.errors import DomainError
from nuanxin.core.scoping import Scope
from nuanxin.core.spreadsheets import Column, ImportReport, SheetRow, normalize_title, parse_number, run_import
from nuanxin.territory.actions import create_place
from nuanxin.territory.models import Place
from nuanxin.territory.queries import places_for

# The words offices use for each kind, besides the code and the English label.
KIND_WORDS = {
    Place.Kind.COMPOUND: ("住宅小区", "小区", "居民楼院", "居民小区"),
    Place.Kind.BUILDING: ("楼栋", "楼宇", "居民楼"),
    Place.Kind.COMMERCIAL_CENTRE: ("商业中心", "商圈", "商业综合体"),
    Place.Kind.PUBLIC_UNIT: ("公共单位", "辖区单位"),
    Place.Kind.MERCHANT: ("商户", "个体工商户"),
    Place.Kind.ENTERPRISE: ("企业", "公司"),
    Place.Kind.STATION: ("驿站", "温新驿站", "暖新驿站"),
}


def parse_kind(text: str) -> str:
    wanted = normalize_title(text)
    for kind, words in KIND_WORDS.items():
        if wanted in {normalize_title(w) for w in (*words, kind.value, kind.label)}:
            return kind.value
    raise DomainError(
        _("Unknown kind of place: %(text)s. Use one of: %(kinds)s.")
        % {"text": text[:40], "kinds": "、".join(words[0] for words in KIND_WORDS.values())}
    )


COLUMNS = (
    Column("name", ("名称", "场所名称", "name"), required=True),
    Column(
        "kind",
        ("类型", "场所类型", "kind", "type"),
        required=True,
        parse=parse_kind,
        help="、".join(words[0] for words in KIND_WORDS.values()),  # the words to write, in any language
    ),
    Column("address", ("地址", "详细地址", "address")),
    Column(
        "lng",
        ("经度", "longitude", "lng"),
        required=True,
        parse=parse_number,
        help=gettext_lazy("WGS-84, e.g. 102.7012."),
    ),
    Column(
        "lat",
        ("纬度", "latitude", "lat"),
        required=True,
        parse=parse_number,
        help=gettext_lazy("WGS-84, e.g. 24.9813."),
    ),
    Column(
        "parent",
        ("所属小区", "所属场所", "within", "parent"),
        help=gettext_lazy("The name of a place already registered or on an earlier row."),
    ),
)
# Where an action's refusal points: the location is both coordinates.
FIELD_COLUMNS = {"location": ("lng", "lat")}


class _PlaceRows:
    """Turns sheet rows into places, remembering the ones made earlier in the file."""

    def __init__(self, actor: Any, scope: Scope) -> None:
        self.actor = actor
        self.scope = scope
        self.made: dict[str, list[Place]] = {}
        self.registered: dict[str, list[Place]] = {}
        # Loaded once: one query per row would make a large file quadratic.
        self.keys = set(places_for(scope).values_list("kind", "name", "address"))

    def __call__(self, row: SheetRow) -> None:
        values = row.values
        key = (values["kind"], values["name"], values["address"] or "")
        if key in self.keys:
            raise DomainError(_("This place is already registered (same kind, name and address)."), field="name")
        place = create_place(
            actor=self.actor,
            kind=key[0],
            name=key[1],
            lng=values["lng"],
            lat=values["lat"],
            address=key[2],
            attributes=row.extra,
            parent=self._parent(values["parent"]) if values["parent"] else None,
            scope=self.scope,
        )
        self.keys.add(key)
        self.made.setdefault(place.name, []).append(place)

    def _parent(self, name: str) -> Place:
        """A place of this name on an earlier row, else one registered where the importer manages places."""
        if name not in self.made and name not in self.registered:
            self.registered[name] = [
                p for p in places_for(self.scope).filter(name=name) if self.scope.has_at("places.manage", p.grid.path)
            ]
        candidates = self.made.get(name) or self.registered[name]
        if not candidates:
            raise DomainError(_("No place called %(name)s in your area.") % {"name": name}, field="parent")
        if len(candidates) > 1:
            raise DomainError(
                _("Several places are called %(name)s; rename one before importing.") % {"name": name}, field="parent"
            )
        return candidates[0]


@transaction.atomic
def import_places(*, actor: Any, scope: Scope, upload: Any) -> ImportReport:
    """Create a place for every row of an .xlsx sheet (columns in COLUMNS; any other column is
    kept in the place's attributes), through `create_place` with the importer's scope.

    All or nothing: the report names every refused row, column and reason, and when it has
    any, nothing is written. Refused besides what `create_place` refuses: a row repeating a
    place (same kind, name and address) already registered or earlier in the file, a
    parent name that matches no place or several. Records `places.imported` with the count."""
    report = run_import(upload, COLUMNS, _PlaceRows(actor, scope), field_columns=FIELD_COLUMNS, keep_extra=True)
    if report.ok:
        audit.record("places.imported", actor=actor, detail={"count": report.imported})
    return report
