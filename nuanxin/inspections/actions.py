"""Writes on the watchlist, checklists and visits.

Each write runs in one transaction and leaves an audit entry whose detail never names a
resident or a resident category (a target's text is its id only).
"""

import calendar
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.core import audit
from nuanxin.core.errors import DomainError
from nuanxin.core.scoping import Scope
from nuanxin.inspections.checklists import clean_items, template_for
from nuanxin.inspections.models import (
    CATEGORY_PERMISSION,
    CATEGORY_SUBJECT,
    Category,
    ChecklistTemplate,
    ChecklistVersion,
    Frequency,
    Subject,
    Tier,
    Visit,
    WatchChange,
    WatchTarget,
)
from nuanxin.people.models import Resident, ResidentTag
from nuanxin.territory.models import Area, Place, StaffAssignment

REASON_MAX = 500
NOTE_MAX = 500

# Visit frequency by tier, for every category; NUANXIN_VISIT_FREQUENCIES overrides it per
# category: {"key_person": {"low": "monthly"}, ...}.
DEFAULT_FREQUENCIES: dict[str, str] = {
    Tier.HIGH: Frequency.WEEKLY,
    Tier.MEDIUM: Frequency.MONTHLY,
    Tier.LOW: Frequency.QUARTERLY,
}


def frequency_for(category: str, tier: str) -> str:
    """The visit frequency of a target of this category and tier (settings read at call time)."""
    overrides = getattr(settings, "NUANXIN_VISIT_FREQUENCIES", {}) or {}
    frequency = (overrides.get(category) or {}).get(tier) or DEFAULT_FREQUENCIES[tier]
    if frequency not in Frequency.values:
        raise DomainError(_("The visit frequency table names an unknown frequency."), field="tier")
    return str(frequency)


def period_of(frequency: str, day: date) -> tuple[date, date]:
    """The period (first and last day) of this frequency that holds `day`: the ISO week
    (Monday to Sunday), the calendar month or the calendar quarter."""
    if frequency == Frequency.WEEKLY:
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    first_month = day.month if frequency == Frequency.MONTHLY else 3 * ((day.month - 1) // 3) + 1
    last_month = day.month if frequency == Frequency.MONTHLY else first_month + 2
    return date(day.year, first_month, 1), date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])


def _clean_reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(_("A reason is required."), field="reason")
    if len(reason) > REASON_MAX:
        raise DomainError(_("A reason has at most %(n)d characters.") % {"n": REASON_MAX}, field="reason")
    return reason


def _check_tier(tier: str) -> None:
    if tier not in Tier.values:
        raise DomainError(_("Unknown risk tier."), field="tier")


def _check_manages(scope: Scope | None, grid: Area, category: str, *, field: str | None) -> None:
    """Given a scope, inspections.manage at the grid and, for a resident category, its
    permission there; the message does not tell which is missing."""
    if scope is None:
        return
    needed = ["inspections.manage"] + ([CATEGORY_PERMISSION[category]] if category in CATEGORY_PERMISSION else [])
    if not all(scope.has_at(permission, grid.path) for permission in needed):
        raise DomainError(
            _("%(grid)s is outside the area where you manage the watchlist.") % {"grid": grid.name},
            field=field,
            code="invalid" if field else "forbidden",
        )


def _check_worker(worker: Any, grid: Area, day: date) -> None:
    on_duty = StaffAssignment.objects.filter(StaffAssignment.active_on_q(day), grid=grid, person=worker)
    if worker is None or not on_duty.exists():
        raise DomainError(_("The responsible worker must be on the staff of the target's grid."), field="worker")


@transaction.atomic
def add_target(
    *,
    actor: Any,
    category: str,
    tier: str,
    worker: Any,
    place: Place | None = None,
    resident: Resident | None = None,
    note: str = "",
    reason: str = "",
    scope: Scope | None = None,
    today: date | None = None,
) -> WatchTarget:
    """Put a place or a resident on the watchlist in a category, at a risk tier, with a
    responsible worker; the grid is the place's or the resident's, the frequency comes from
    category × tier, and a first WatchChange records the tier, the frequency and the reason
    (default "added").

    Refuses, naming the field: an unknown category ("category"); a place for a resident
    category or a resident for a place category, or neither ("place"/"resident"); a
    resident without a tag of the category's kind ("resident"); a target already watched
    in this category ("category"); an unknown tier ("tier"); a worker not on the grid's
    staff ("worker"); a note over 500 characters ("note"); given a scope, a grid where the
    viewer lacks inspections.manage or the category's permission ("place"/"resident")."""
    if category not in Category.values:
        raise DomainError(_("Unknown category."), field="category")
    subject = CATEGORY_SUBJECT[category]
    if subject == Subject.PLACE:
        if place is None or resident is not None:
            raise DomainError(_("This category watches a place."), field="place")
        grid, field = place.grid, "place"
    else:
        if resident is None or place is not None:
            raise DomainError(_("This category watches a resident."), field="resident")
        grid, field = resident.grid, "resident"
    _check_manages(scope, grid, category, field=field)
    if subject == Subject.RESIDENT and not ResidentTag.objects.filter(resident=resident, kind=category).exists():
        raise DomainError(_("The resident has no tag of this kind."), field="resident")
    _check_tier(tier)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(_("A note has at most %(n)d characters.") % {"n": NOTE_MAX}, field="note")
    today = today or timezone.localdate()
    _check_worker(worker, grid, today)
    if WatchTarget.objects.active().filter(category=category, place=place, resident=resident).exists():
        raise DomainError(_("This target is already on the watchlist in this category."), field="category")
    frequency = frequency_for(category, tier)
    target = WatchTarget.objects.create(
        category=category,
        place=place,
        resident=resident,
        tier=tier,
        frequency=frequency,
        grid=grid,
        worker=worker,
        note=note,
        started_on=today,
    )
    WatchChange.objects.create(
        target=target,
        actor=actor,
        new_tier=tier,
        new_frequency=frequency,
        reason=_clean_reason(reason) if (reason or "").strip() else "added",
    )
    audit.record("inspections.target_added", actor=actor, obj=target)
    _plan_target(target, today)
    return target


@transaction.atomic
def change_tier(
    *,
    actor: Any,
    target: WatchTarget,
    tier: str,
    reason: str,
    scope: Scope | None = None,
    today: date | None = None,
) -> WatchChange:
    """Move an active target to another risk tier; its frequency follows category × tier.
    A WatchChange keeps the old and new tier and frequency and the reason. When the
    frequency changes, the visit still due is planned again for the new period.

    Refuses, naming the field: an empty or over-long reason ("reason"); an unknown tier or
    the target's present tier ("tier"); an ended target (no field); given a scope, a grid
    where the viewer may not manage this target (no field)."""
    _check_manages(scope, target.grid, target.category, field=None)
    if not target.is_active:
        raise DomainError(_("This target is no longer on the watchlist."))
    reason = _clean_reason(reason)
    _check_tier(tier)
    if tier == target.tier:
        raise DomainError(_("The target is already at this tier."), field="tier")
    frequency = frequency_for(target.category, tier)
    change = WatchChange.objects.create(
        target=target,
        actor=actor,
        old_tier=target.tier,
        new_tier=tier,
        old_frequency=target.frequency,
        new_frequency=frequency,
        reason=reason,
    )
    target.tier, target.frequency = tier, frequency
    target.save(update_fields=["tier", "frequency", "updated_at"])
    if frequency != change.old_frequency:
        target.visits.filter(state=Visit.State.DUE).delete()
        _plan_target(target, today or timezone.localdate())
    audit.record(
        "inspections.tier_changed",
        actor=actor,
        obj=target,
        detail={"tier": [change.old_tier, tier], "frequency": [change.old_frequency, frequency]},
    )
    return change


@transaction.atomic
def end_target(
    *, actor: Any, target: WatchTarget, reason: str, scope: Scope | None = None, today: date | None = None
) -> WatchTarget:
    """Take a target off the watchlist from today. Its visits still due are dropped (they
    were only planned); done and missed visits stay in the record.

    Refuses: an empty or over-long reason ("reason"); an ended target; given a scope, a
    grid where the viewer may not manage this target."""
    _check_manages(scope, target.grid, target.category, field=None)
    if not target.is_active:
        raise DomainError(_("This target is no longer on the watchlist."))
    reason = _clean_reason(reason)
    target.ended_on = today or timezone.localdate()
    target.save(update_fields=["ended_on", "updated_at"])
    dropped, _detail = target.visits.filter(state=Visit.State.DUE).delete()
    audit.record(
        "inspections.target_ended", actor=actor, obj=target, detail={"reason": reason, "visits_dropped": dropped}
    )
    return target


@transaction.atomic
def publish_checklist_version(
    *, actor: Any, template: ChecklistTemplate, items: Any, scope: Scope | None = None
) -> ChecklistVersion:
    """Publish a new version of a template; earlier versions (and the visits that used
    them) are never changed. Refuses malformed items (field "items"); given a scope, a
    viewer without inspections.manage anywhere."""
    if scope is not None and not scope.has("inspections.manage"):
        raise DomainError(_("You may not publish checklists."), code="forbidden")
    items = clean_items(items)
    last = template.current_version()
    version = ChecklistVersion.objects.create(
        template=template, number=(last.number + 1) if last else 1, items=items, published_by=actor
    )
    audit.record("inspections.checklist_published", actor=actor, obj=template, detail={"version": version.number})
    return version


CHUNK = 2000


def generate_due_visits(*, today: date | None = None) -> int:
    """Plan the visit of the current period (week, month or quarter, by the target's
    frequency) for every active target that has none in that period yet, due on the
    period's last day, for the target's worker, with the current version of its category's
    checklist; mark visits still due from before today as missed. Returns how many visits
    were created. Safe to run again: a second run on the same day creates nothing (and
    the database refuses a second visit of a target on the same day)."""
    today = today or timezone.localdate()
    versions = _current_versions(Category.values)
    created = 0
    with transaction.atomic():
        missed = Visit.objects.filter(state=Visit.State.DUE, due_on__lt=today).update(state=Visit.State.MISSED)
    targets = (
        WatchTarget.objects.active()
        .filter(started_on__lte=today)
        .order_by("pk")
        .values_list("pk", "category", "frequency", "grid_id", "worker_id", "place_id")
    )
    last_pk = 0
    while True:
        chunk = list(targets.filter(pk__gt=last_pk)[:CHUNK])
        if not chunk:
            break
        last_pk = chunk[-1][0]
        created += _plan_chunk(chunk, today, versions)
    if created or missed:
        audit.record("inspections.visits_generated", detail={"created": created, "missed": missed, "on": str(today)})
    return created


def _current_versions(categories: list[str]) -> dict[str, int | None]:
    """The id of the current checklist version each category's visits use (None: no template)."""
    versions: dict[str, int | None] = {}
    for category in categories:
        template = template_for(category)
        version = template.current_version() if template else None
        versions[category] = version.pk if version else None
    return versions


def _plan_target(target: WatchTarget, today: date) -> int:
    """Plan the visit of the current period for one target (after it is added or its
    frequency changes), as the daily job would."""
    row = (target.pk, target.category, target.frequency, target.grid_id, target.worker_id, target.place_id)
    return _plan_chunk([row], today, _current_versions([target.category]))


@transaction.atomic
def _plan_chunk(
    chunk: list[tuple[int, str, str, int, int, int | None]], today: date, versions: dict[str, int | None]
) -> int:
    periods = {pk: period_of(frequency, today) for pk, _c, frequency, _g, _w, _p in chunk}
    earliest = min(start for start, _end in periods.values())
    planned: dict[int, list[date]] = {}
    routine = Visit.objects.filter(kind=Visit.Kind.ROUTINE, target_id__in=list(periods), due_on__gte=earliest)
    for target_id, due_on in routine.values_list("target_id", "due_on"):
        planned.setdefault(target_id, []).append(due_on)
    new = [
        Visit(
            target_id=pk,
            category=category,
            place_id=place_id,
            grid_id=grid_id,
            worker_id=worker_id,
            due_on=periods[pk][1],
            version_id=versions.get(category),
        )
        for pk, category, _f, grid_id, worker_id, place_id in chunk
        if not any(periods[pk][0] <= due_on <= periods[pk][1] for due_on in planned.get(pk, ()))
    ]
    Visit.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)
