"""Writes on the watchlist, checklists and visits.

Each write runs in one transaction and leaves an audit entry whose detail never names a
resident or a resident category (a target's text is its id only).
"""

import calendar
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.accounts.scope import scope_of
from nuanxin.core import audit, changes
from nuanxin.core.access import check_at
from nuanxin.core.errors import DomainError
from nuanxin.core.geo import check_point, distance_m
from nuanxin.core.photos import accept_photo
from nuanxin.core.scoping import Scope
from nuanxin.core.validators import plain_text
from nuanxin.inspections import rectifications
from nuanxin.inspections.answers import check_answers, field_name, hazards_in
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
    VisitPhoto,
    WatchChange,
    WatchTarget,
    with_category,
)
from nuanxin.people.models import Resident, ResidentTag
from nuanxin.territory.models import Area, Place, StaffAssignment

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
    frequency = settings.NUANXIN_VISIT_FREQUENCIES.get(category, {}).get(tier) or DEFAULT_FREQUENCIES[tier]
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


def _moment(today: date | None) -> datetime:
    """When a change made "on `today`" happened: now, or for a day given by the caller (the
    demo's history, an import) that day at the present time of day."""
    now = timezone.localtime()
    if today is None or today == now.date():
        return now
    return timezone.make_aware(datetime.combine(today, now.time().replace(tzinfo=None)))


def _check_tier(tier: str) -> None:
    if tier not in Tier.values:
        raise DomainError(_("Unknown risk tier."), field="tier")


def _check_manages(scope: Scope, grid: Area, category: str, *, field: str | None) -> None:
    """inspections.manage at the grid and, for a resident category, its permission there;
    the message does not tell which is missing."""
    message = _("%(grid)s is outside the area where you manage the watchlist.") % {"grid": grid.name}
    check_at(scope, grid.path, *with_category("inspections.manage", category), message=message, field=field)


def _check_worker(worker: Any, grid: Area, category: str, day: date) -> None:
    """On the grid's staff that day, and for a resident category allowed to know of it (a
    worker who may not see key persons could never see, let alone record, the visit)."""
    on_duty = StaffAssignment.objects.filter(StaffAssignment.active_on_q(day), grid=grid, person=worker)
    if worker is None or not on_duty.exists():
        raise DomainError(_("The responsible worker must be on the staff of the target's grid."), field="worker")
    permission = CATEGORY_PERMISSION.get(category)
    if permission and not scope_of(worker).has_at(permission, grid.path):
        raise DomainError(_("This worker may not visit targets of this category."), field="worker")


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
    scope: Scope,
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
    staff ("worker"); a note over 500 characters ("note"); a grid where the
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
    note = plain_text(note, field="note", limit=NOTE_MAX)
    today = today or timezone.localdate()
    _check_worker(worker, grid, category, today)
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
        at=_moment(today),
        new_tier=tier,
        new_frequency=frequency,
        reason=rectifications.clean_reason(reason) if (reason or "").strip() else "added",
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
    scope: Scope,
    today: date | None = None,
) -> WatchChange:
    """Move an active target to another risk tier; its frequency follows category × tier.
    A WatchChange keeps the old and new tier and frequency and the reason. When the
    frequency changes, the visit still due is planned again for the new period.

    Refuses, naming the field: an empty or over-long reason ("reason"); an unknown tier or
    the target's present tier ("tier"); an ended target (no field); a grid
    where the viewer may not manage this target (no field)."""
    _check_manages(scope, target.grid, target.category, field=None)
    if not target.is_active:
        raise DomainError(_("This target is no longer on the watchlist."))
    reason = rectifications.clean_reason(reason)
    _check_tier(tier)
    if tier == target.tier:
        raise DomainError(_("The target is already at this tier."), field="tier")
    frequency = frequency_for(target.category, tier)
    change = WatchChange.objects.create(
        target=target,
        actor=actor,
        at=_moment(today),
        old_tier=target.tier,
        new_tier=tier,
        old_frequency=target.frequency,
        new_frequency=frequency,
        reason=reason,
    )
    target.tier, target.frequency = tier, frequency
    target.save(update_fields=["tier", "frequency", "updated_at"])
    if frequency != change.old_frequency:
        _replan(target, today or timezone.localdate())
    audit.record(
        "inspections.tier_changed",
        actor=actor,
        obj=target,
        detail={"tier": [change.old_tier, tier], "frequency": [change.old_frequency, frequency]},
    )
    return change


@transaction.atomic
def end_target(*, actor: Any, target: WatchTarget, reason: str, scope: Scope, today: date | None = None) -> WatchTarget:
    """Take a target off the watchlist from today. Its visits still due are dropped (they
    were only planned); done and missed visits stay in the record.

    Refuses: an empty or over-long reason ("reason"); an ended target; a
    grid where the viewer may not manage this target."""
    _check_manages(scope, target.grid, target.category, field=None)
    if not target.is_active:
        raise DomainError(_("This target is no longer on the watchlist."))
    reason = rectifications.clean_reason(reason)
    target.ended_on = today or timezone.localdate()
    target.save(update_fields=["ended_on", "updated_at"])
    # Routine visits only: a re-check still due follows its rectification order.
    dropped, _detail = target.visits.filter(state=Visit.State.DUE, kind=Visit.Kind.ROUTINE).delete()
    audit.record(
        "inspections.target_ended", actor=actor, obj=target, detail={"reason": reason, "visits_dropped": dropped}
    )
    return target


@transaction.atomic
def publish_checklist_version(*, actor: Any, template: ChecklistTemplate, items: Any, scope: Scope) -> ChecklistVersion:
    """Publish a new version of a template; earlier versions (and the visits that used
    them) are never changed. Refuses malformed items (field "items"); a
    viewer without inspections.manage anywhere."""
    if not scope.has("inspections.manage"):
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
        overdue = Visit.objects.filter(state=Visit.State.DUE, due_on__lt=today)
        with changes.tracking(Visit, overdue.values_list("pk", flat=True)):
            missed = overdue.update(state=Visit.State.MISSED)
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


def _replan(target: WatchTarget, today: date) -> None:
    """After a frequency change: the routine visit still due is planned again for the new
    period (re-checks keep their deadlines)."""
    target.visits.filter(state=Visit.State.DUE, kind=Visit.Kind.ROUTINE).delete()
    _plan_target(target, today)


# ---------------------------------------------------------------------------------------
# Recording visits: routine visits, re-checks and campaign checks share `_complete`.

VISIT_NOTE_MAX = 2000
MAX_VISIT_PHOTOS = 12
# From least to most frequent: a hazard moves a target one step right, clean visits one left.
FREQUENCY_STEPS = [Frequency.QUARTERLY, Frequency.MONTHLY, Frequency.WEEKLY]

Photos = Iterable[tuple[str, IO[bytes]]]


def checkin_radius_m() -> int:
    return int(settings.NUANXIN_VISIT_CHECKIN_RADIUS_M)


def is_far(visit: Visit) -> bool:
    """Checked in farther from the target than the check-in radius (the visit still counts)."""
    return is_far_distance(visit.checked_in_distance)


def is_far_distance(checked_in_distance: int | None) -> bool:
    """`is_far` for a check-in this many metres from the target (None: not checked in)."""
    return checked_in_distance is not None and checked_in_distance > checkin_radius_m()


def _check_records(scope: Scope, actor: Any, visit: Visit) -> None:
    """The visit's own worker, or inspections.record at its grid; and for a resident
    category, that category's permission there too (a worker who may not know that a person
    is watched cannot record a visit to them)."""
    own = getattr(actor, "pk", None) is not None and actor.pk == visit.worker_id
    needed = with_category("inspections.record", visit.category)[1 if own else 0 :]
    message = _("This visit is for a target outside your grid: you may not record it.")
    check_at(scope, visit.grid.path, *needed, message=message)


def _clean_location(lng: Any, lat: Any) -> tuple[float, float] | None:
    if lng in (None, "") and lat in (None, ""):
        return None
    for name, value in (("lng", lng), ("lat", lat)):
        if value in (None, "") or isinstance(value, bool) or not isinstance(value, int | float):
            raise DomainError(_("Give both longitude and latitude, as numbers."), field=name)
    check_point(float(lng), 0.0, field="lng")
    check_point(0.0, float(lat), field="lat")
    return float(lng), float(lat)


def _count_photos(items: list[dict[str, Any]], photos: list[tuple[str, IO[bytes]]], visit: Visit) -> dict[str, int]:
    """How many photos each item has (those added before recording and the new ones);
    refuses a photo for an item that takes none, and more than MAX_VISIT_PHOTOS."""
    photo_items = {item["code"] for item in items if item["kind"] == "photo"}
    codes = {item["code"] for item in items}
    counts: dict[str, int] = {}
    if visit.pk is not None:
        for code in VisitPhoto.objects.filter(visit_id=visit.pk).values_list("item", flat=True):
            counts[code] = counts.get(code, 0) + 1
    if sum(counts.values()) + len(photos) > MAX_VISIT_PHOTOS:
        raise DomainError(_("At most %(n)d photos per visit.") % {"n": MAX_VISIT_PHOTOS}, field="photos")
    for code, _upload in photos:
        code = code or ""
        if code and code not in photo_items:
            field = field_name(code) if code in codes else "photos"
            raise DomainError(_("This item takes no photo."), field=field)
        counts[code] = counts.get(code, 0) + 1
    return counts


def _complete(
    visit: Visit,
    *,
    actor: Any,
    answers: Any,
    note: str,
    lng: Any,
    lat: Any,
    photos: Photos,
    now: datetime,
) -> Visit:
    """Check and record a visit (saved here, new or not): answers against its checklist
    version, the check-in distance, the photos, the note; then the hazards (a rectification
    order with a re-check), the re-check's verdict on its order, and for a routine visit of
    a watch target the adaptive frequency. Nothing is written unless every check passes."""
    items: list[dict[str, Any]] = list(visit.version.items) if visit.version is not None else []
    photo_list = [(code or "", upload) for code, upload in photos]
    counts = _count_photos(items, photo_list, visit)
    clean, errors = check_answers(items, answers, counts)
    if errors:
        code, message = next(iter(errors.items()))
        raise DomainError(message, field=field_name(code) if code else "answers")
    note = (note or "").strip()
    if len(note) > VISIT_NOTE_MAX:
        raise DomainError(_("A note has at most %(n)d characters.") % {"n": VISIT_NOTE_MAX}, field="note")
    note = plain_text(note, field="note", limit=VISIT_NOTE_MAX)
    location = _clean_location(lng, lat)
    stored = [
        (code, accept_photo(upload, field=field_name(code) if code else "photos", subdir="inspections"))
        for code, upload in photo_list
    ]
    place = rectifications.subject_place(visit)
    visit.answers = clean
    visit.note = note
    visit.state = Visit.State.DONE
    visit.done_at = now
    visit.checked_in_at = now
    visit.checked_in_lng, visit.checked_in_lat = location if location else (None, None)
    visit.checked_in_distance = (
        round(distance_m(location[0], location[1], place.lng, place.lat)) if location and place else None
    )
    with changes.saving(visit):
        visit.save()
    VisitPhoto.objects.bulk_create(
        [VisitPhoto(visit=visit, item=code, **VisitPhoto.fields_of(p)) for code, p in stored]
    )
    today = timezone.localtime(now).date()
    found = hazards_in(items, clean)
    if visit.recheck_of_id is not None:
        order = rectifications.close_order(actor=actor, recheck=visit, items=items, now=now)
        # What the order already holds is judged by it; anything else is a new finding.
        known = set(order.hazards.values_list("item", flat=True))
        found = [h for h in found if h["item"] not in known]
    if found:
        rectifications.issue_order(actor=actor, visit=visit, hazards=found, today=today)
    if visit.kind == Visit.Kind.ROUTINE and visit.target is not None:
        _adapt_frequency(actor=actor, target=visit.target, visit=visit, hazard=bool(found), today=today, now=now)
    audit.record(
        "inspections.visit_recorded",
        actor=actor,
        obj=visit,
        detail={
            "kind": visit.kind,
            "hazards": len(found),
            "photos": len(stored),
            "distance_m": visit.checked_in_distance,
            "far": is_far(visit),
        },
    )
    return visit


def _adapt_frequency(
    *, actor: Any, target: WatchTarget, visit: Visit, hazard: bool, today: date, now: datetime
) -> None:
    """A hazard raises the frequency a step (quarterly → monthly → weekly) and restarts the
    count of clean visits; NUANXIN_CLEAN_VISITS_TO_LOWER clean visits in a row bring a
    raised frequency a step back down, never below what category × tier sets."""
    target = WatchTarget.objects.select_for_update().get(pk=target.pk)
    old = target.frequency
    step = FREQUENCY_STEPS.index(Frequency(old))
    new, reason = old, ""
    if hazard:
        target.clean_streak = 0
        if step + 1 < len(FREQUENCY_STEPS):
            new, reason = FREQUENCY_STEPS[step + 1], f"hazard found on visit #{visit.pk}"
    else:
        needed = int(settings.NUANXIN_CLEAN_VISITS_TO_LOWER)
        target.clean_streak = min(target.clean_streak + 1, needed)
        floor = FREQUENCY_STEPS.index(Frequency(frequency_for(target.category, target.tier)))
        if target.clean_streak >= needed and step > floor:
            new, reason = FREQUENCY_STEPS[step - 1], f"{target.clean_streak} clean visits"
            target.clean_streak = 0
    target.frequency = new
    target.save(update_fields=["frequency", "clean_streak", "updated_at"])
    if new == old:
        return
    WatchChange.objects.create(
        target=target,
        actor=actor,
        at=now,
        old_tier=target.tier,
        new_tier=target.tier,
        old_frequency=old,
        new_frequency=new,
        reason=reason,
    )
    _replan(target, today)
    audit.record(
        "inspections.frequency_changed", actor=actor, obj=target, detail={"frequency": [old, new], "reason": reason}
    )


@transaction.atomic
def record_visit(
    *,
    actor: Any,
    visit: Visit,
    answers: Any,
    note: str = "",
    lng: float | None = None,
    lat: float | None = None,
    photos: Photos = (),
    scope: Scope,
    now: datetime | None = None,
) -> Visit:
    """Record a planned visit (routine or re-check) as done: answers, check-in location,
    photos ((item code, upload) pairs; "" for the visit as a whole) and a note. A missed
    visit may still be recorded (done late). Far from the target (more than
    NUANXIN_VISIT_CHECKIN_RADIUS_M metres) it is recorded all the same and flagged.

    Refuses: a visit already done; an actor who is neither the visit's
    worker nor holds inspections.record at its grid ("forbidden"); answers that do not fit
    the checklist ("answers.<item code>"); a bad location ("lng"/"lat"); a bad or extra
    photo ("photos" or the item); a note over 2000 characters ("note")."""
    now = now or timezone.now()
    visit = Visit.objects.select_for_update(of=("self",)).select_related("grid", "version").get(pk=visit.pk)
    _check_records(scope, actor, visit)
    if visit.state == Visit.State.DONE:
        raise DomainError(_("This visit is already recorded."), code="stale")
    return _complete(visit, actor=actor, answers=answers, note=note, lng=lng, lat=lat, photos=photos, now=now)


@transaction.atomic
def record_check(
    *,
    actor: Any,
    activity: Any,
    place: Place,
    template: ChecklistTemplate,
    answers: Any,
    note: str = "",
    lng: float | None = None,
    lat: float | None = None,
    photos: Photos = (),
    scope: Scope,
    now: datetime | None = None,
) -> Visit:
    """Record a campaign's check of a place (a fire-safety sweep, a food-safety check): a
    done visit of kind "campaign" by the actor, with the template's current version, in the
    category of the place's active watch target if it has one. Answers, photos, location,
    hazards and rectification as for `record_visit`.

    Refuses: a template without a version ("template"); a place outside the
    grids where the actor holds inspections.record or activities.manage ("place")."""
    now = now or timezone.now()
    check_at(
        scope,
        place.grid.path,
        "inspections.record",
        "activities.manage",
        any_of=True,
        message=_("This place is outside the area where you may record checks."),
        field="place",
    )
    version = template.current_version() if template is not None else None
    if version is None:
        raise DomainError(_("This checklist has no published version."), field="template")
    watched = WatchTarget.objects.active().filter(place=place).order_by("pk").values_list("category", flat=True).first()
    visit = Visit(
        kind=Visit.Kind.CAMPAIGN,
        activity=activity,
        place=place,
        grid=place.grid,
        worker=actor,
        category=watched or "",
        version=version,
        due_on=timezone.localtime(now).date(),
    )
    return _complete(visit, actor=actor, answers=answers, note=note, lng=lng, lat=lat, photos=photos, now=now)


@transaction.atomic
def add_visit_photos(
    *,
    actor: Any,
    visit: Visit,
    photos: list[IO[bytes]],
    item: str = "",
    scope: Scope,
) -> list[VisitPhoto]:
    """Add photos to a visit before recording it (the API's way: upload, then record), for
    a photo item ("item") or the visit as a whole (""). Recording counts them for the item.

    Refuses: an actor who may not record the visit ("forbidden"); a visit
    already recorded; no photo, too many, a bad photo ("photos"); an item that takes no
    photo ("answers.<item>", or "photos" for a code the checklist does not have)."""
    visit = Visit.objects.select_for_update(of=("self",)).select_related("grid", "version").get(pk=visit.pk)
    _check_records(scope, actor, visit)
    if visit.state == Visit.State.DONE:
        raise DomainError(_("This visit is already recorded."), code="stale")
    if not photos:
        raise DomainError(_("Choose at least one photo."), field="photos")
    items: list[dict[str, Any]] = list(visit.version.items) if visit.version is not None else []
    pairs = [(item or "", upload) for upload in photos]
    _count_photos(items, pairs, visit)
    kept = []
    for code, upload in pairs:
        p = accept_photo(upload, field=field_name(code) if code else "photos", subdir="inspections")
        kept.append(VisitPhoto.objects.create(visit=visit, item=code, **VisitPhoto.fields_of(p)))
    audit.record("inspections.visit_photos_added", actor=actor, obj=visit, detail={"photos": len(kept)})
    return kept
