"""The ledgers (台账): one register per kind of work, defined in code, read through the scope.

A `Ledger` is a saved view over records that already exist: which rows (through
`reached_by(scope)` and, for visits, the sensitive query set that hides key persons and
special groups), a fixed column template (title + value), filters (period, grid, worker,
result) and totals. The page, the API and the .xlsx export all read a ledger the same way:
`ledger.queryset(scope, filters)` gives the filtered rows as `values()` dicts, and
`ledger.cells(scope, batch)` turns a batch of them into cells, loading their to-many
details (parties, mediators, participants) with one query per batch, never per row.

Ledgers:
- one per checklist template (fire-safety, food-safety, elderly-care, key-person, generic):
  the done visits that used it (routine visits, re-checks and campaign checks);
- disputes;
- one per campaign kind (fire-safety sweeps, clean-ups, food-safety checks, anti-fraud).

The key-person ledger exists only for a viewer holding people.view_key_person (and the
elderly-care one only with people.view_special): for anyone else it is not listed and its
page is the same 404 as an unknown code.
"""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from nuanxin.core.access import deny
from nuanxin.core.errors import DomainError
from nuanxin.core.masking import mask_name
from nuanxin.core.periods import days_q, filter_period, moments_q
from nuanxin.core.scoping import Scope
from nuanxin.core.validators import is_ascii_digits
from nuanxin.inspections.models import Category, Hazard, Rectification, Visit
from nuanxin.ledgers.models import (
    Dispute,
    DisputeKind,
    DisputeParty,
    DisputeSource,
    MediationSession,
    Mediator,
    Outcome,
    SettledLevel,
)
from nuanxin.volunteers.models import (
    NEW_EMPLOYMENT_GROUPS,
    Activity,
    ActivityKind,
    Participant,
    ParticipantGroup,
)

# Rows handed to `cells` at a time by the export (and the size of the database cursor's
# chunks): memory stays flat however many rows a ledger has.
BATCH = 2000

Row = dict[str, Any]


@dataclass(frozen=True)
class LedgerColumn:
    """One column of a ledger's fixed template: its title, and the key of its cell in the
    dict `cells` builds. `total` names the totals entry shown under it (if any)."""

    key: str
    title: str | Promise
    total: str | None = None


@dataclass
class Filters:
    """A ledger view's filters, read from a query string (the view is bookmarkable as is).

    since/until: the period (inclusive) on the ledger's date; grid and worker: ids;
    result: one of the ledger's result choices. `errors` maps a bad parameter to its message.
    """

    since: date | None = None
    until: date | None = None
    grid: int | None = None
    worker: int | None = None
    result: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    PARAMS = ("from", "to", "grid", "worker", "result")

    @classmethod
    def from_query(cls, query: Mapping[str, Any], ledger: "Ledger") -> "Filters":
        since, until, errors = filter_period(query, "from", "to")
        filters = cls(since=since, until=until, errors=errors)
        for name in ("grid", "worker"):
            text = str(query.get(name) or "").strip()
            if text:
                if not is_ascii_digits(text) or len(text) > 12:
                    filters.errors[name] = _("Choose from the list.")
                else:
                    setattr(filters, name, int(text))
        result = str(query.get("result") or "").strip()
        if result:
            if result not in dict(ledger.result_choices()):
                filters.errors["result"] = _("Choose from the list.")
            else:
                filters.result = result
        return filters

    def raise_first_error(self) -> None:
        """For the API and the export: the first bad parameter as a DomainError naming it."""
        if self.errors:
            name, message = next(iter(self.errors.items()))
            raise DomainError(message, field=name)

    def active(self) -> dict[str, str]:
        """The filters in use, as query-string values (audit detail, links)."""
        values = {
            "from": self.since.isoformat() if self.since else "",
            "to": self.until.isoformat() if self.until else "",
            "grid": str(self.grid or ""),
            "worker": str(self.worker or ""),
            "result": self.result,
        }
        return {k: v for k, v in values.items() if v}


def _labels(choices: Iterable[tuple[str, Any]]) -> dict[str, str]:
    return {value: str(label) for value, label in choices}


def _count_by(queryset: QuerySet[Any], key: str, ids: list[int]) -> dict[int, int]:
    rows = queryset.filter(**{f"{key}__in": ids}).values(key).annotate(n=Count("pk")).values_list(key, "n")
    return dict(rows)


class Ledger:
    """The common shape; the three kinds below fill in rows, columns and totals."""

    code: str
    title: Promise
    kind: str
    permission: str
    # Also needed, somewhere, for the ledger to exist for a viewer.
    extra_permissions: tuple[str, ...] = ()
    date_key: str
    worker_label: Promise = gettext_lazy("Worker")
    importable: bool = False

    def available_to(self, scope: Scope) -> bool:
        return all(scope.has(p) for p in (self.permission, *self.extra_permissions))

    def result_choices(self) -> list[tuple[str, str]]:
        return []

    def columns(self) -> list[LedgerColumn]:
        raise NotImplementedError

    def base(self, scope: Scope) -> QuerySet[Any]:
        """Every row of this ledger the viewer reaches."""
        raise NotImplementedError

    def filtered(self, queryset: QuerySet[Any], filters: Filters) -> QuerySet[Any]:
        raise NotImplementedError

    def values(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """The filtered rows as dicts, in the ledger's order."""
        raise NotImplementedError

    def queryset(self, scope: Scope, filters: Filters) -> QuerySet[Any]:
        return self.values(self.filtered(self.base(scope), filters))

    def cells(self, scope: Scope, batch: list[Row]) -> list[Row]:
        """A batch of rows as {column key: cell value} (names masked), loading their to-many
        details with one query per batch."""
        raise NotImplementedError

    def totals(self, scope: Scope, filters: Filters) -> dict[str, int]:
        raise NotImplementedError

    def iter_cells(self, scope: Scope, filters: Filters, *, limit: int | None = None) -> Iterator[Row]:
        """Every row as cells, read in chunks from one cursor: memory stays flat."""
        rows = self.queryset(scope, filters)
        if limit is not None:
            rows = rows[:limit]
        batch: list[Row] = []
        for row in rows.iterator(chunk_size=BATCH):
            batch.append(row)
            if len(batch) >= BATCH:
                yield from self.cells(scope, batch)
                batch = []
        if batch:
            yield from self.cells(scope, batch)

    def totals_row(self, totals: Mapping[str, int]) -> dict[str, Any]:
        """The totals under their columns; the first column says what the row is."""
        row: dict[str, Any] = {c.key: totals.get(c.total) if c.total else None for c in self.columns()}
        first = self.columns()[0].key
        row[first] = _("Total: %(n)d") % {"n": totals.get("rows", 0)}
        return row


# --- inspection ledgers ---------------------------------------------------------------------


def _hazard_count() -> Coalesce:
    """Hazards a visit found: its rectification order's hazards, or for a visit imported from
    an office's ledger (no order was issued for it here) the count the ledger gave."""
    found = (
        Hazard.objects.filter(rectification__visit_id=OuterRef("pk"))
        .values("rectification__visit_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    imported = Cast(KeyTextTransform("hazards", KeyTransform("_imported", "answers")), IntegerField())
    return Coalesce(Subquery(found, output_field=IntegerField()), imported, 0, output_field=IntegerField())


class VisitLedger(Ledger):
    """The done visits that used one checklist template."""

    kind = "visits"
    permission = "inspections.view"
    date_key = "done_on"

    def __init__(
        self,
        template_code: str,
        title: Promise,
        *,
        extra_permissions: tuple[str, ...] = (),
        importable: bool = False,
    ) -> None:
        self.code = template_code
        self.template_code = template_code
        self.title = title
        self.extra_permissions = extra_permissions
        self.importable = importable

    def result_choices(self) -> list[tuple[str, str]]:
        return [("clean", _("No hazard")), ("hazards", _("Hazards found"))]

    def columns(self) -> list[LedgerColumn]:
        return [
            LedgerColumn("date", _("Date"), "rows"),
            LedgerColumn("grid", _("Grid")),
            LedgerColumn("subject", _("Place or person")),
            LedgerColumn("category", _("Category")),
            LedgerColumn("visit_kind", _("Kind of check")),
            LedgerColumn("worker", _("Worker")),
            LedgerColumn("result", _("Result")),
            LedgerColumn("hazards", _("Hazards"), "hazards"),
            LedgerColumn("rectification", _("Rectification notice"), "rectifications"),
            LedgerColumn("rectification_state", _("Rectification state"), "fixed"),
            LedgerColumn("on_time", _("Done on time"), "on_time"),
        ]

    def base(self, scope: Scope) -> QuerySet[Any]:
        return Visit.objects.reached_by(scope).filter(
            state=Visit.State.DONE, version__template__code=self.template_code
        )

    def filtered(self, queryset: QuerySet[Any], filters: Filters) -> QuerySet[Any]:
        queryset = queryset.filter(moments_q("done_at", filters.since, filters.until))
        if filters.grid:
            queryset = queryset.filter(grid_id=filters.grid)
        if filters.worker:
            queryset = queryset.filter(worker_id=filters.worker)
        queryset = queryset.annotate(
            hazard_count=_hazard_count(),
            done_on=TruncDate("done_at"),
        ).annotate(on_time=ExpressionWrapper(Q(done_on__lte=F("due_on")), output_field=BooleanField()))
        if filters.result == "clean":
            queryset = queryset.filter(hazard_count=0)
        elif filters.result == "hazards":
            queryset = queryset.filter(hazard_count__gt=0)
        return queryset

    def values(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.order_by("done_at", "id").values(
            "id",
            "done_on",
            "kind",
            "category",
            "on_time",
            "hazard_count",
            grid_name=F("grid__name"),
            place_name=F("place__name"),
            resident_name=F("target__resident__name"),
            target_place_name=F("target__place__name"),
            worker_name=F("worker__display_name"),
            worker_username=F("worker__username"),
            rectification_number=F("rectification__number"),
            rectification_state=F("rectification__state"),
        )

    def cells(self, scope: Scope, batch: list[Row]) -> list[Row]:
        categories = _labels(Category.choices)
        kinds = _labels(Visit.Kind.choices)
        states = _labels(Rectification.State.choices)
        clean, yes, no = _("clean"), _("yes"), _("no")
        out = []
        for row in batch:
            hazards = row["hazard_count"] or 0
            subject = row["place_name"] or row["target_place_name"] or mask_name(row["resident_name"] or "")
            out.append(
                {
                    "id": row["id"],
                    "date": row["done_on"],
                    "grid": row["grid_name"],
                    "subject": subject,
                    "category": categories.get(row["category"], ""),
                    "visit_kind": kinds.get(row["kind"], ""),
                    "worker": row["worker_name"] or row["worker_username"],
                    "result": ngettext("%(n)d hazard", "%(n)d hazards", hazards) % {"n": hazards} if hazards else clean,
                    "hazards": hazards,
                    "rectification": row["rectification_number"] or "",
                    "rectification_state": states.get(row["rectification_state"] or "", ""),
                    "on_time": yes if row["on_time"] else no,
                }
            )
        return out

    def totals(self, scope: Scope, filters: Filters) -> dict[str, int]:
        queryset = self.filtered(self.base(scope), filters)
        sums = queryset.aggregate(
            rows=Count("pk"),
            # Not named "on_time": that is the rows' own annotation, and the aggregate would
            # shadow it (and count nothing).
            visits_on_time=Count("pk", filter=Q(on_time=True)),
            rectifications=Count("rectification"),
            fixed=Count("rectification", filter=Q(rectification__state=Rectification.State.FIXED)),
        )
        # Summing the hazard subquery in the same aggregate is not portable; a second query is.
        sums["hazards"] = queryset.aggregate(n=Sum("hazard_count"))["n"] or 0
        sums["on_time"] = sums.pop("visits_on_time")
        return {k: int(v or 0) for k, v in sums.items()}


# --- disputes --------------------------------------------------------------------------------


class DisputeLedger(Ledger):
    code = "disputes"
    title = gettext_lazy("Dispute mediation ledger")
    kind = "disputes"
    permission = "disputes.view"
    date_key = "received_on"
    worker_label = gettext_lazy("Mediator")
    importable = True

    def result_choices(self) -> list[tuple[str, str]]:
        return [("open", _("being mediated")), *((v, str(label)) for v, label in Outcome.choices)]

    def columns(self) -> list[LedgerColumn]:
        return [
            LedgerColumn("received_on", _("Received on"), "rows"),
            LedgerColumn("number", _("Number")),
            LedgerColumn("dispute_kind", _("Kind")),
            LedgerColumn("parties", _("Parties")),
            LedgerColumn("grid", _("Grid")),
            LedgerColumn("source", _("Source")),
            LedgerColumn("mediators", _("Mediators")),
            LedgerColumn("sessions", _("Sessions"), "sessions"),
            LedgerColumn("outcome", _("Outcome"), "resolved"),
            LedgerColumn("level", _("Settled at")),
            LedgerColumn("closed_on", _("Closed on"), "closed"),
        ]

    def base(self, scope: Scope) -> QuerySet[Any]:
        return Dispute.objects.reached_by(scope)

    def filtered(self, queryset: QuerySet[Any], filters: Filters) -> QuerySet[Any]:
        queryset = queryset.filter(days_q("received_on", filters.since, filters.until))
        if filters.grid:
            queryset = queryset.filter(grid_id=filters.grid)
        if filters.worker:
            queryset = queryset.filter(pk__in=Mediator.objects.filter(user_id=filters.worker).values("dispute_id"))
        if filters.result == "open":
            queryset = queryset.filter(state=Dispute.State.OPEN)
        elif filters.result:
            queryset = queryset.filter(outcome=filters.result)
        return queryset

    def values(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        sessions = (
            MediationSession.objects.filter(dispute_id=OuterRef("pk"))
            .values("dispute_id")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return queryset.order_by("received_on", "id").values(
            "id",
            "received_on",
            "number",
            "kind",
            "source",
            "outcome",
            "settled_level",
            "closed_on",
            grid_name=F("grid__name"),
            session_count=Coalesce(Subquery(sessions, output_field=IntegerField()), 0),
        )

    def cells(self, scope: Scope, batch: list[Row]) -> list[Row]:
        ids = [row["id"] for row in batch]
        parties: dict[int, list[str]] = {}
        for dispute_id, kind, name in DisputeParty.objects.filter(dispute_id__in=ids).values_list(
            "dispute_id", "kind", "name"
        ):
            # A person is masked (张*); a unit is a business and keeps its name.
            parties.setdefault(dispute_id, []).append(name if kind == DisputeParty.Kind.UNIT else mask_name(name))
        mediators: dict[int, list[str]] = {}
        for dispute_id, group, name in Mediator.objects.filter(dispute_id__in=ids).values_list(
            "dispute_id", "group", "name"
        ):
            # Staff are named as on every work record; a volunteer is a private person.
            mediators.setdefault(dispute_id, []).append(name if group == Mediator.Group.STAFF else mask_name(name))
        kinds, sources = _labels(DisputeKind.choices), _labels(DisputeSource.choices)
        outcomes, levels = _labels(Outcome.choices), _labels(SettledLevel.choices)
        open_label = _("being mediated")
        return [
            {
                "id": row["id"],
                "received_on": row["received_on"],
                "number": row["number"],
                "dispute_kind": kinds.get(row["kind"], ""),
                "parties": "、".join(parties.get(row["id"], [])),
                "grid": row["grid_name"],
                "source": sources.get(row["source"], ""),
                "mediators": "、".join(mediators.get(row["id"], [])),
                "sessions": row["session_count"],
                "outcome": outcomes.get(row["outcome"], "") or open_label,
                "level": levels.get(row["settled_level"], ""),
                "closed_on": row["closed_on"],
            }
            for row in batch
        ]

    def totals(self, scope: Scope, filters: Filters) -> dict[str, int]:
        queryset = self.filtered(self.base(scope), filters)
        sums = queryset.aggregate(
            rows=Count("pk"),
            resolved=Count("pk", filter=Q(outcome=Outcome.AGREEMENT)),
            closed=Count("pk", filter=Q(state=Dispute.State.CLOSED)),
        )
        sessions = MediationSession.objects.filter(dispute__in=queryset.values("pk")).count()
        return {**{k: int(v or 0) for k, v in sums.items()}, "sessions": sessions}


# --- campaigns -------------------------------------------------------------------------------


class CampaignLedger(Ledger):
    """The campaigns (专项行动) of one kind, with who took part and what their checks found."""

    kind = "campaigns"
    permission = "activities.view"
    date_key = "starts_on"
    worker_label = gettext_lazy("Organiser")

    def __init__(self, code: str, activity_kind: str, title: Promise) -> None:
        self.code = code
        self.activity_kind = activity_kind
        self.title = title

    def result_choices(self) -> list[tuple[str, str]]:
        return [("clean", _("No hazard")), ("hazards", _("Hazards found"))]

    def columns(self) -> list[LedgerColumn]:
        return [
            LedgerColumn("number", _("Number"), "rows"),
            LedgerColumn("starts_on", _("Starts on")),
            LedgerColumn("ends_on", _("Ends on")),
            LedgerColumn("title", _("Title")),
            LedgerColumn("area", _("Area")),
            LedgerColumn("organiser", _("Organiser")),
            LedgerColumn("participants", _("Participants"), "participants"),
            *(
                LedgerColumn(f"group_{value}", str(label), f"group_{value}")
                for value, label in ParticipantGroup.choices
            ),
            LedgerColumn("new_employment", _("New-employment workers"), "new_employment"),
            LedgerColumn("places", _("Places covered"), "places"),
            LedgerColumn("checks", _("Checks"), "checks"),
            LedgerColumn("hazards", _("Hazards found"), "hazards"),
        ]

    def base(self, scope: Scope) -> QuerySet[Any]:
        return Activity.objects.reached_by(scope).filter(kind=self.activity_kind)

    def _checks(self, scope: Scope) -> QuerySet[Any]:
        return Visit.objects.reached_by(scope).filter(state=Visit.State.DONE, activity__isnull=False)

    def _hazards(self, scope: Scope) -> QuerySet[Any]:
        return Hazard.objects.filter(rectification__visit__in=self._checks(scope).values("pk"))

    def filtered(self, queryset: QuerySet[Any], filters: Filters) -> QuerySet[Any]:
        queryset = queryset.filter(days_q("starts_on", filters.since, filters.until))
        if filters.grid:
            queryset = queryset.filter(area_id=filters.grid)
        if filters.worker:
            queryset = queryset.filter(organiser_id=filters.worker)
        if filters.result:
            with_hazards = Hazard.objects.filter(rectification__visit__activity_id__isnull=False).values(
                "rectification__visit__activity_id"
            )
            if filters.result == "hazards":
                queryset = queryset.filter(pk__in=with_hazards)
            else:
                queryset = queryset.exclude(pk__in=with_hazards)
        return queryset

    def values(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.order_by("starts_on", "id").values(
            "id",
            "number",
            "starts_on",
            "ends_on",
            "title",
            area_name=F("area__name"),
            organiser_name=F("organiser__display_name"),
            organiser_username=F("organiser__username"),
            unit_name=F("organiser_unit__name"),
        )

    def cells(self, scope: Scope, batch: list[Row]) -> list[Row]:
        ids = [row["id"] for row in batch]
        groups: dict[int, dict[str, int]] = {}
        for activity_id, group, n in (
            Participant.objects.filter(activity_id__in=ids)
            .values("activity_id", "group")
            .annotate(n=Count("pk"))
            .values_list("activity_id", "group", "n")
        ):
            groups.setdefault(activity_id, {})[group] = n
        places = _count_by(Activity.places.through.objects.all(), "activity_id", ids)
        checks = _count_by(self._checks(scope), "activity_id", ids)
        hazards = _count_by(self._hazards(scope), "rectification__visit__activity_id", ids)
        out = []
        for row in batch:
            by_group = groups.get(row["id"], {})
            organiser = row["organiser_name"] or row["organiser_username"]
            cell: Row = {
                "id": row["id"],
                "number": row["number"],
                "starts_on": row["starts_on"],
                "ends_on": row["ends_on"],
                "title": row["title"],
                "area": row["area_name"],
                "organiser": f"{row['unit_name']} · {organiser}" if row["unit_name"] else organiser,
                "participants": sum(by_group.values()),
                "new_employment": sum(by_group.get(g, 0) for g in NEW_EMPLOYMENT_GROUPS),
                "places": places.get(row["id"], 0),
                "checks": checks.get(row["id"], 0),
                "hazards": hazards.get(row["id"], 0),
            }
            for value in ParticipantGroup.values:
                cell[f"group_{value}"] = by_group.get(value, 0)
            out.append(cell)
        return out

    def totals(self, scope: Scope, filters: Filters) -> dict[str, int]:
        activities = self.filtered(self.base(scope), filters).values("pk")
        totals = {"rows": self.filtered(self.base(scope), filters).count()}
        by_group = dict(
            Participant.objects.filter(activity__in=activities)
            .values("group")
            .annotate(n=Count("pk"))
            .values_list("group", "n")
        )
        for value in ParticipantGroup.values:
            totals[f"group_{value}"] = by_group.get(value, 0)
        totals["participants"] = sum(by_group.values())
        totals["new_employment"] = sum(by_group.get(g, 0) for g in NEW_EMPLOYMENT_GROUPS)
        totals["places"] = Activity.places.through.objects.filter(activity__in=activities).count()
        totals["checks"] = self._checks(scope).filter(activity__in=activities).count()
        totals["hazards"] = self._hazards(scope).filter(rectification__visit__activity__in=activities).count()
        return totals


# --- the registry ----------------------------------------------------------------------------

LEDGERS: tuple[Ledger, ...] = (
    VisitLedger("fire-safety", gettext_lazy("Fire-safety inspection ledger"), importable=True),
    VisitLedger("food-safety", gettext_lazy("Food-safety inspection ledger"), importable=True),
    VisitLedger(
        "elderly-care", gettext_lazy("Special-group care visit ledger"), extra_permissions=("people.view_special",)
    ),
    VisitLedger("key-person", gettext_lazy("Key-person visit ledger"), extra_permissions=("people.view_key_person",)),
    VisitLedger("generic", gettext_lazy("General inspection ledger"), importable=True),
    DisputeLedger(),
    CampaignLedger("campaign-fire-check", ActivityKind.FIRE_CHECK, gettext_lazy("Fire-safety sweep ledger")),
    CampaignLedger("campaign-cleanup", ActivityKind.CLEANUP, gettext_lazy("Clean-up ledger")),
    CampaignLedger(
        "campaign-food-safety-check", ActivityKind.FOOD_SAFETY_CHECK, gettext_lazy("Food-safety check ledger")
    ),
    CampaignLedger("campaign-anti-fraud", ActivityKind.ANTI_FRAUD, gettext_lazy("Anti-fraud campaign ledger")),
)

BY_CODE: dict[str, Ledger] = {ledger.code: ledger for ledger in LEDGERS}


def ledgers_for(scope: Scope) -> list[Ledger]:
    """The ledgers this viewer may open (the key-person one only with its permission)."""
    return [ledger for ledger in LEDGERS if ledger.available_to(scope)]


def ledger_or_404(scope: Scope, code: str) -> Ledger:
    """The ledger, or 404 (audited as a denial when it exists but not for this viewer)."""
    ledger = BY_CODE.get(code)
    if ledger is None:
        raise Http404
    if not ledger.available_to(scope):
        raise deny(scope, f"ledger {code}")
    return ledger


def cell_text(value: Any) -> str:
    """A cell as the page and the API show it."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def page_rows(ledger: Ledger, scope: Scope, rows: Iterable[Row]) -> list[list[str]]:
    """Rows (values dicts) as lists of text cells in column order."""
    keys = [c.key for c in ledger.columns()]
    return [[cell_text(cell.get(k)) for k in keys] for cell in ledger.cells(scope, list(rows))]
