"""Loading an office's existing ledgers from .xlsx, all or nothing (see docs/ledgers.md).

Two kinds of sheet are accepted:
- an inspection ledger (fire-safety, food-safety, general): each row is a past visit of a
  place that is on the watchlist now, in a category the ledger's checklist covers; it
  becomes a done visit of that watch target, dated that day, with the checklist's current
  version, the row's result and hazard count kept in its answers (`_imported`) and its
  note. No rectification order is issued for a past visit: its follow-up happened on paper.
  Special-group and key-person ledgers are not importable (no resident data comes in by file);
- the dispute ledger: each row becomes a dispute with its parties, mediators and, when the
  row says so, its outcome, level and closing day (the rules of ledgers/actions.py).

The sheet goes through core/spreadsheets.py (streaming, size limits, header matching,
formulas and HTML refused cell by cell); each row is checked by the rules below and
buffered; rows are written with bulk inserts, in one transaction that is rolled back when
any row is refused. One `ledgers.imported` audit entry holds the ledger and the count.
"""

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nuanxin.accounts.scope import scope_of
from nuanxin.core import audit, changes
from nuanxin.core.errors import DomainError
from nuanxin.core.scoping import Scope
from nuanxin.core.spreadsheets import (
    MAX_BYTES,
    Column,
    ImportReport,
    SheetRow,
    normalize_title,
    refuse_markup,
    run_import,
)
from nuanxin.core.validators import is_ascii_digits, plain_text
from nuanxin.inspections.models import Category, ChecklistTemplate, Visit, WatchTarget
from nuanxin.ledgers.disputes.actions import (
    LEVEL_REQUIRED,
    MAX_PARTIES,
    MEDIATOR_NAME_MAX,
    SUMMARY_MAX,
    PartyIn,
    check_day,
    check_records,
    clean_parties,
    next_number,
)
from nuanxin.ledgers.models import (
    Dispute,
    DisputeKind,
    DisputeParty,
    DisputeSource,
    Mediator,
    Outcome,
    SettledLevel,
)
from nuanxin.ledgers.registry.queries import DisputeLedger, Ledger, VisitLedger
from nuanxin.territory.models import Area

# Rows are validated one by one and written in bulk (no per-row action call), so a file may
# be far larger than the 20,000 rows of the place and resident imports.
MAX_ROWS = 100_000
FLUSH = 2000
NOTE_MAX = 500
OLDEST = date(2000, 1, 1)
_SEPARATORS = re.compile(r"[、,，;；/]+")


def parse_day(text: str) -> date:
    """2024-03-05, 2024/3/5, 2024.3.5 or 2024年3月5日."""
    cleaned = re.sub(r"[年月/.]", "-", text.strip()).rstrip("日").split(" ")[0]
    try:
        year, month, day = (int(part) for part in cleaned.split("-"))
        return date(year, month, day)
    except (ValueError, TypeError):
        raise DomainError(_("Enter a date as YYYY-MM-DD.")) from None


def parse_count(text: str) -> int:
    if not is_ascii_digits(text) or int(text) > 999:
        raise DomainError(_("Enter a whole number from 0 to 999."))
    return int(text)


def _choice(choices: Any, words: Mapping[Any, tuple[str, ...]]) -> Callable[[str], str]:
    """A parser accepting a choice's code, its label (in the current language) or an
    office's usual words for it."""

    def parse(text: str) -> str:
        wanted = normalize_title(text)
        for value, label in choices:
            if wanted in {normalize_title(w) for w in (value, str(label), *words.get(value, ()))}:
                return str(value)
        names = "、".join(words[v][0] if words.get(v) else str(label) for v, label in choices)
        raise DomainError(_("Unknown value %(text)s. Use one of: %(names)s.") % {"text": text[:40], "names": names})

    return parse


def split_names(text: str | None) -> list[str]:
    return [name.strip() for name in _SEPARATORS.split(text or "") if name.strip()]


class _Rows:
    """Shared by both importers: the buffer written in bulk, and who is who."""

    def __init__(self, actor: Any, scope: Scope, today: date) -> None:
        self.actor = actor
        self.scope = scope
        self.today = today
        self.users: dict[str, Any] = {}
        self.scopes: dict[int, Scope] = {}

    def user_named(self, text: str) -> Any:
        """The active account with this username, or the only one with this name; None if none."""
        if text not in self.users:
            users = list(get_user_model().objects.filter(Q(username=text) | Q(display_name=text), is_active=True)[:3])
            exact = [u for u in users if u.username == text]
            self.users[text] = exact[0] if exact else users[0] if len(users) == 1 else ("ambiguous" if users else None)
        return self.users[text]

    def scope_of(self, user: Any) -> Scope:
        if user.pk not in self.scopes:
            self.scopes[user.pk] = scope_of(user)
        return self.scopes[user.pk]

    def day(self, value: date, field: str) -> date:
        if value < OLDEST:
            raise DomainError(_("The date cannot be before %(day)s.") % {"day": OLDEST.isoformat()}, field=field)
        return check_day(value, field=field, today=self.today)


# --- inspection ledgers ---------------------------------------------------------------------

VISIT_COLUMNS = (
    Column("date", ("日期", "巡查日期", "检查日期", "date"), required=True, parse=parse_day, help="YYYY-MM-DD"),
    Column(
        "place",
        ("场所", "场所名称", "检查对象", "place"),
        required=True,
        help=gettext_lazy("The name of a place on the watchlist (or its number, for two of the same name)."),
    ),
    Column(
        "category",
        ("类别", "重点类别", "category"),
        help=gettext_lazy("Needed only when the place is watched in several categories of this ledger."),
    ),
    Column(
        "worker",
        ("巡查人", "检查人", "worker"),
        required=True,
        help=gettext_lazy("The worker's user name or name; they must record visits in the place's grid."),
    ),
    Column("result", ("检查结果", "结果", "result"), help=gettext_lazy("As written in the ledger, e.g. 合格.")),
    Column("hazards", ("隐患数", "隐患数量", "hazards"), parse=parse_count, help="0–999"),
    Column("hazard_note", ("隐患情况", "隐患描述", "hazard details")),
    Column("note", ("备注", "note")),
)


class _VisitRows(_Rows):
    def __init__(self, actor: Any, scope: Scope, today: date, template: ChecklistTemplate) -> None:
        super().__init__(actor, scope, today)
        self.template = template
        self.version = template.current_version()
        self.categories = set(template.categories)
        self.category_parse = _choice([(c, Category(c).label) for c in sorted(self.categories)], {})
        self.places: dict[str, list[int]] = {}
        # The active targets of this ledger's categories the importer reaches, by place; a
        # place the importer may not see is the same "not on the watchlist" as an unknown one.
        self.targets: dict[int, list[WatchTarget]] = {}
        for target in (
            WatchTarget.objects.reached_by(scope)
            .active()
            .filter(category__in=self.categories, place__isnull=False)
            .select_related("grid", "place")
        ):
            self.targets.setdefault(target.place_id, []).append(target)
            self.places.setdefault(target.place.name, [])
            if target.place_id not in self.places[target.place.name]:
                self.places[target.place.name].append(target.place_id)
        # Per target, the days that already have a routine visit (recorded, or earlier in the file).
        self.taken: dict[int, set[date]] = {}
        self.buffer: list[Visit] = []
        self.tz = timezone.get_current_timezone()

    def _target(self, text: str, category: str | None) -> WatchTarget:
        place_ids = self.places.get(text, [])
        if not place_ids and is_ascii_digits(text) and int(text) in self.targets:
            place_ids = [int(text)]
        if not place_ids:
            raise DomainError(
                _("%(name)s is not on the watchlist of this ledger in your area.") % {"name": text[:40]},
                field="place",
            )
        if len(place_ids) > 1:
            raise DomainError(
                _("Several places are called %(name)s; write the place's number instead.") % {"name": text[:40]},
                field="place",
            )
        targets = [t for t in self.targets[place_ids[0]] if category is None or t.category == category]
        if not targets:
            raise DomainError(_("The place is not watched in this category."), field="category")
        if len(targets) > 1:
            raise DomainError(_("The place is watched in several categories: say which."), field="category")
        return targets[0]

    def __call__(self, row: SheetRow) -> None:
        values = row.values
        day = self.day(values["date"], "date")
        category = self.category_parse(values["category"]) if values["category"] else None
        target = self._target(values["place"], category)
        if not self.scope.has_at("ledgers.import", target.grid.path):
            raise DomainError(
                _("%(grid)s is outside the area where you import ledgers.") % {"grid": target.grid.name},
                field="place",
            )
        worker = self.user_named(values["worker"])
        if worker == "ambiguous":
            raise DomainError(_("Several accounts have this name; write the user name."), field="worker")
        if worker is None or not self.scope_of(worker).has_at("inspections.record", target.grid.path):
            raise DomainError(_("Choose someone who records visits in the place's grid."), field="worker")
        result = plain_text(values["result"] or "", field="result", required=False, limit=100)
        hazard_note = plain_text(values["hazard_note"] or "", field="hazard_note", required=False, limit=NOTE_MAX)
        note = plain_text(values["note"] or "", field="note", required=False, limit=NOTE_MAX)
        if target.pk not in self.taken:
            # One query per target, not per row: the days it already has a visit on.
            self.taken[target.pk] = set(
                Visit.objects.filter(target=target, kind=Visit.Kind.ROUTINE).values_list("due_on", flat=True)
            )
        if day in self.taken[target.pk]:
            raise DomainError(_("A visit of this place on this day is already recorded."), field="date")
        self.taken[target.pk].add(day)
        self.buffer.append(
            Visit(
                kind=Visit.Kind.ROUTINE,
                target=target,
                category=target.category,
                place=target.place,
                grid=target.grid,
                worker=worker,
                due_on=day,
                version=self.version,
                state=Visit.State.DONE,
                # The ledger gives a day, not a time: noon local time keeps it on that day.
                done_at=datetime.combine(day, time(12), tzinfo=self.tz),
                answers={
                    "_imported": {"result": result, "hazards": values["hazards"] or 0, "hazard_note": hazard_note}
                },
                note=note,
            )
        )
        if len(self.buffer) >= FLUSH:
            self.flush()

    def flush(self) -> None:
        changes.added(Visit, [visit.pk for visit in Visit.objects.bulk_create(self.buffer, batch_size=500)])
        self.buffer = []


# --- the dispute ledger ---------------------------------------------------------------------

KIND_WORDS = {
    DisputeKind.NEIGHBOUR: ("邻里纠纷", "邻里"),
    DisputeKind.FAMILY: ("婚姻家庭纠纷", "家庭纠纷", "婚姻家庭", "家庭"),
    DisputeKind.PROPERTY_MANAGEMENT: ("物业纠纷", "物业"),
    DisputeKind.LANDLORD_TENANT: ("房屋租赁纠纷", "租赁纠纷", "租赁"),
    DisputeKind.LABOUR: ("劳动纠纷", "劳资纠纷", "劳动", "劳资"),
    DisputeKind.CONSUMER: ("消费纠纷", "消费"),
    DisputeKind.OTHER: ("其他纠纷", "其他"),
}
SOURCE_WORDS = {
    DisputeSource.REPORT: ("群众上报", "上报", "事件"),
    DisputeSource.VISIT: ("走访发现", "走访", "巡查"),
    DisputeSource.WALK_IN: ("来访", "来电来访", "上门"),
    DisputeSource.REFERRAL: ("转交", "转办", "移交"),
}
OUTCOME_WORDS = {
    Outcome.AGREEMENT: ("调解成功", "达成协议", "化解", "成功"),
    Outcome.REFERRED: ("移交", "转交", "转办"),
    Outcome.FAILED: ("调解失败", "未达成", "失败"),
}
LEVEL_WORDS = {
    SettledLevel.GRID: ("网格",),
    SettledLevel.COMMUNITY: ("社区",),
    SettledLevel.STREET: ("街道",),
}

DISPUTE_COLUMNS = (
    Column("received_on", ("受理日期", "登记日期", "received on"), required=True, parse=parse_day, help="YYYY-MM-DD"),
    Column(
        "number",
        ("编号", "纠纷编号", "number"),
        help=gettext_lazy("Kept when given (unique); otherwise numbered JF + year + sequence."),
    ),
    Column(
        "kind",
        ("纠纷类型", "类型", "kind"),
        required=True,
        parse=_choice(DisputeKind.choices, KIND_WORDS),
        help="、".join(words[0] for words in KIND_WORDS.values()),
    ),
    Column(
        "grid", ("网格", "所属网格", "grid"), required=True, help=gettext_lazy("The grid's name or code in your area.")
    ),
    Column(
        "source",
        ("来源", "纠纷来源", "source"),
        parse=_choice(DisputeSource.choices, SOURCE_WORDS),
        help="、".join(words[0] for words in SOURCE_WORDS.values()),
    ),
    Column(
        "parties",
        ("当事人", "parties"),
        help=gettext_lazy("People, separated by 、 (masked in lists and exports)."),
    ),
    Column("units", ("涉及单位", "单位当事人", "units"), help=gettext_lazy("Units that are parties, separated by 、.")),
    Column("summary", ("简要情况", "纠纷情况", "summary"), required=True),
    Column(
        "mediators",
        ("调解人", "调解员", "mediators"),
        help=gettext_lazy(
            "Separated by 、; an account recording disputes in the grid is staff, anyone else a volunteer."
        ),
    ),
    Column(
        "outcome",
        ("调解结果", "结果", "outcome"),
        parse=_choice(Outcome.choices, OUTCOME_WORDS),
        help=gettext_lazy("Empty while still being mediated."),
    ),
    Column("level", ("化解层级", "层级", "settled at"), parse=_choice(SettledLevel.choices, LEVEL_WORDS)),
    Column("closed_on", ("结案日期", "closed on"), parse=parse_day, help="YYYY-MM-DD"),
)
# The actions' field names -> the sheet's columns.
DISPUTE_FIELDS: dict[str, str | tuple[str, ...]] = {"settled_level": "level"}


class _DisputeRows(_Rows):
    def __init__(self, actor: Any, scope: Scope, today: date) -> None:
        super().__init__(actor, scope, today)
        self.grids: dict[str, list[Area]] = {}
        for grid in Area.objects.filter(scope.q("disputes.record", "path"), level=Area.Level.GRID).only(
            "name", "code", "path"
        ):
            for key in {grid.name, grid.code}:
                self.grids.setdefault(key, []).append(grid)
        self.numbers: set[str] = set()
        self.next_sequence: dict[int, int] = {}
        self.buffer: list[tuple[Dispute, list[DisputeParty], list[Mediator]]] = []

    def _grid(self, text: str) -> Area:
        grids = self.grids.get(text, [])
        if not grids:
            raise DomainError(_("No grid called %(name)s in your area.") % {"name": text[:40]}, field="grid")
        if len(grids) > 1:
            raise DomainError(
                _("Several grids are called %(name)s; write its code.") % {"name": text[:40]}, field="grid"
            )
        grid = grids[0]
        if not self.scope.has_at("ledgers.import", grid.path):
            raise DomainError(
                _("%(grid)s is outside the area where you import ledgers.") % {"grid": grid.name}, field="grid"
            )
        check_records(self.scope, grid, field="grid")
        return grid

    def _number(self, text: str | None, received_on: date) -> str:
        if text:
            number = plain_text(text, field="number", required=True, limit=24)
            if number in self.numbers or Dispute.objects.filter(number=number).exists():
                raise DomainError(_("A dispute with this number is already recorded."), field="number")
            return number
        year = received_on.year
        if year not in self.next_sequence:
            self.next_sequence[year] = int(next_number(year)[len(f"JF{year}") :])
        while True:  # skip numbers given explicitly earlier in the file
            number = f"JF{year}{self.next_sequence[year]:05d}"
            self.next_sequence[year] += 1
            if number not in self.numbers:
                return number

    def _mediators(self, text: str | None, grid: Area) -> list[Mediator]:
        mediators: list[Mediator] = []
        users: set[int] = set()
        for name in split_names(text):
            name = plain_text(name, field="mediators", required=True, limit=MEDIATOR_NAME_MAX)
            user = self.user_named(name)
            if user not in (None, "ambiguous") and self.scope_of(user).has_at("disputes.record", grid.path):
                if user.pk in users:
                    raise DomainError(_("This person already mediates this dispute."), field="mediators")
                users.add(user.pk)
                mediators.append(Mediator(user=user, name=str(user)[:MEDIATOR_NAME_MAX], group=Mediator.Group.STAFF))
            else:
                mediators.append(Mediator(name=name, group=Mediator.Group.VOLUNTEER))
        return mediators

    def __call__(self, row: SheetRow) -> None:
        values = row.values
        received_on = self.day(values["received_on"], "received_on")
        grid = self._grid(values["grid"])
        number = self._number(values["number"], received_on)
        summary = plain_text(values["summary"], field="summary", required=True, limit=SUMMARY_MAX)
        people = [PartyIn(kind=DisputeParty.Kind.PERSON, name=n) for n in split_names(values["parties"])]
        units = [PartyIn(kind=DisputeParty.Kind.UNIT, name=n) for n in split_names(values["units"])]
        if len(people) + len(units) > MAX_PARTIES:
            raise DomainError(_("At most %(n)d parties.") % {"n": MAX_PARTIES}, field="parties")
        try:
            parties = clean_parties([*people, *units], self.scope)
        except DomainError as error:  # "parties.<n>.name" is a cell of the parties columns
            error.field = "parties"
            raise
        mediators = self._mediators(values["mediators"], grid)
        outcome, level, closed_on = values["outcome"] or "", values["level"] or "", values["closed_on"]
        if outcome:
            if outcome in LEVEL_REQUIRED and not level:
                raise DomainError(_("Say at which level it was settled or referred from."), field="level")
            if closed_on is None:
                raise DomainError(_("A dispute with an outcome needs its closing day."), field="closed_on")
            closed_on = check_day(closed_on, field="closed_on", today=self.today, not_before=received_on)
        elif closed_on is not None or level:
            raise DomainError(_("Give the outcome of a closed dispute."), field="outcome")
        self.numbers.add(number)
        dispute = Dispute(
            number=number,
            kind=values["kind"],
            summary=summary,
            source=values["source"] or DisputeSource.WALK_IN,
            grid=grid,
            received_on=received_on,
            state=Dispute.State.CLOSED if outcome else Dispute.State.OPEN,
            outcome=outcome,
            settled_level=level,
            closed_on=closed_on,
            recorded_by=self.actor,
        )
        self.buffer.append((dispute, parties, mediators))
        if len(self.buffer) >= FLUSH:
            self.flush()

    def flush(self) -> None:
        disputes = Dispute.objects.bulk_create([d for d, _p, _m in self.buffer], batch_size=500)
        changes.added(Dispute, [dispute.pk for dispute in disputes])
        parties, mediators = [], []
        for dispute, (_d, these_parties, these_mediators) in zip(disputes, self.buffer, strict=True):
            for party in these_parties:
                party.dispute = dispute
                parties.append(party)
            for mediator in these_mediators:
                mediator.dispute = dispute
                mediators.append(mediator)
        DisputeParty.objects.bulk_create(parties, batch_size=500)
        Mediator.objects.bulk_create(mediators, batch_size=500)
        self.buffer = []


# --- the import action ----------------------------------------------------------------------


def columns_for(ledger: Ledger) -> tuple[Column, ...]:
    if isinstance(ledger, DisputeLedger):
        return DISPUTE_COLUMNS
    if isinstance(ledger, VisitLedger) and ledger.importable:
        return VISIT_COLUMNS
    raise DomainError(_("This ledger cannot be imported."), field="ledger")


@transaction.atomic
def import_ledger(
    *,
    actor: Any,
    scope: Scope,
    ledger: Ledger,
    upload: Any,
    today: date | None = None,
    max_rows: int = MAX_ROWS,
    max_bytes: int = MAX_BYTES,
) -> ImportReport:
    """Write every row of an office's ledger sheet (see the module docstring), or nothing.

    The caller checks that the ledger is available to the viewer and that they hold
    ledgers.import somewhere; each row is checked against the importer's reach
    (ledgers.import, and disputes.record for disputes, at the row's grid). Refused per row,
    naming the column: a bad date (future, before 2000), an unknown place or grid, a worker
    who does not record visits there, a repeated visit or number, missing or over-long text,
    HTML or a formula in any cell, an outcome without its level or closing day, a closing
    day before receipt. Refused for the file: not an .xlsx, too large, over `max_rows` rows,
    a missing column. Records `ledgers.imported` with the ledger and the count."""
    today = today or timezone.localdate()
    columns = columns_for(ledger)
    handler: _VisitRows | _DisputeRows
    fields: dict[str, str | tuple[str, ...]] = DISPUTE_FIELDS if isinstance(ledger, DisputeLedger) else {}
    if isinstance(ledger, VisitLedger):
        template = ChecklistTemplate.objects.filter(code=ledger.template_code).first()
        if template is None or template.current_version() is None:
            raise DomainError(_("The checklist of this ledger is not installed."), field="ledger")
        handler = _VisitRows(actor, scope, today, template)
    else:
        handler = _DisputeRows(actor, scope, today)
    report = run_import(
        upload,
        columns,
        handler,
        field_columns=fields,
        max_rows=max_rows,
        max_bytes=max_bytes,
        refuse_formulas=True,
        check_text=refuse_markup,
    )
    if report.ok and report.imported:
        handler.flush()
        audit.record(
            "ledgers.imported",
            actor=actor,
            object_repr=f"ledger {ledger.code}",
            detail={"ledger": ledger.code, "count": report.imported},
        )
    return report
