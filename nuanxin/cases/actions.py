"""The closed loop: every change to a case is one of these actions.

Each action checks who may do it (the viewer's scope, at the case's grid), checks the move
is allowed from the case's state (`STATE_FLOW`), writes the case with a conditional update
on its version (so two people acting at once cannot both succeed: the second gets a "reload"
error), appends a timeline event and an audit entry, all in one transaction.
"""

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from nuanxin.accounts.scope import scope_of
from nuanxin.cases import follow_links, notices
from nuanxin.cases.models import (
    LEVEL_ORDER,
    Case,
    CaseClass,
    CaseCounter,
    CaseEvent,
    CaseFollower,
    CasePhoto,
    FollowTokenUse,
    Level,
)
from nuanxin.cases.queries import FOLLOW_MAX_AGE, FOLLOW_SALT, may_manage_at_its_level, surviving_case
from nuanxin.core import audit, changes
from nuanxin.core.access import check_at
from nuanxin.core.errors import DomainError
from nuanxin.core.geo import check_point
from nuanxin.core.photos import StoredPhoto, accept_photo
from nuanxin.core.scoping import Scope, system_scope
from nuanxin.core.validators import normalize_mobile, plain_text
from nuanxin.core.workcalendar import add_working_days, add_working_hours
from nuanxin.territory.models import Area, Place, StaffAssignment
from nuanxin.territory.queries import locate_grid, on_duty

S = Case.State
# Which state each step may start from, and where it leads.
STATE_FLOW: dict[str, tuple[frozenset[str], str | None]] = {
    CaseEvent.Kind.ACCEPTED: (frozenset({S.REPORTED}), S.ACCEPTED),
    CaseEvent.Kind.REJECTED: (frozenset({S.REPORTED}), S.REJECTED),
    CaseEvent.Kind.DISPATCHED: (frozenset({S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS}), S.DISPATCHED),
    # A case routed to its handler at report needs no dispatch: accepted, its handler starts it.
    CaseEvent.Kind.STARTED: (frozenset({S.ACCEPTED, S.DISPATCHED}), S.IN_PROGRESS),
    CaseEvent.Kind.RESOLVED: (frozenset({S.IN_PROGRESS}), S.RESOLVED),
    CaseEvent.Kind.VERIFIED: (frozenset({S.RESOLVED}), S.VERIFIED),
    CaseEvent.Kind.REOPENED: (frozenset({S.RESOLVED, S.VERIFIED}), S.IN_PROGRESS),
    CaseEvent.Kind.CLOSED: (frozenset({S.VERIFIED}), S.CLOSED),
    CaseEvent.Kind.ESCALATED: (frozenset({S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS}), S.ACCEPTED),
    CaseEvent.Kind.TRANSFERRED: (frozenset({S.REPORTED, S.ACCEPTED, S.DISPATCHED}), S.ACCEPTED),
    CaseEvent.Kind.MERGED: (frozenset({S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS}), S.CLOSED),
}
OPEN_STATES = frozenset({S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS, S.RESOLVED, S.VERIFIED})
# Which stage's time limit runs in each state (CaseClass.time_limits keys).
STAGE_OF_STATE: dict[str, str] = {
    S.REPORTED: "accept",
    S.ACCEPTED: "dispatch",
    S.DISPATCHED: "handle",
    S.IN_PROGRESS: "handle",
    S.RESOLVED: "verify",
}
MAX_PHOTOS = 6


def _clean_text(text: str, *, field: str, required: bool, limit: int = 2000) -> str:
    return plain_text(text, field=field, limit=limit, required=required, message=_("Please describe what you saw."))


def deadline_for(case_class: CaseClass, state: str, start: datetime) -> datetime | None:
    """When the stage that runs in `state` is due: on the work calendar, except emergencies,
    whose limits run around the clock (a gas leak at 5 a.m. on a Sunday cannot wait for
    Monday). None without a limit."""

    limit = case_class.time_limits.get(STAGE_OF_STATE.get(state, ""), {})
    if case_class.emergency:
        hours = float(limit.get("hours", 0)) + 24 * float(limit.get("days", 0))
        return start + timedelta(hours=hours) if hours else None
    if "hours" in limit:
        return add_working_hours(start=start, hours=float(limit["hours"]))
    if "days" in limit:
        return add_working_days(start=start, days=int(limit["days"]))
    return None


def responsible_worker(grid: Area, day: Any) -> Any:
    """Who a new grid-level case goes to: the grid's full-time worker on duty, else its leader."""
    roster = on_duty(grid, day)
    for duty in (StaffAssignment.Duty.GRID_WORKER, StaffAssignment.Duty.GRID_LEADER):
        for assignment in roster:
            if assignment.duty == duty:
                return assignment.person
    return None


def _check_answers(case_class: CaseClass, answers: dict[str, Any]) -> dict[str, Any]:
    """The class's extra questions: required ones answered, choices among their values."""
    clean: dict[str, Any] = {}
    for question in case_class.questions:
        code = question["code"]
        value = answers.get(code)
        if value in (None, "", []):
            if question.get("required"):
                raise DomainError(_("Please answer: %(q)s") % {"q": question["label"]}, field=f"attribute[{code}]")
            continue
        allowed = {str(v["key"]) for v in question.get("values", [])}
        values = value if isinstance(value, list) else [value]
        if allowed and not {str(v) for v in values} <= allowed:
            raise DomainError(_("Not one of the offered answers."), field=f"attribute[{code}]")
        if question.get("datatype") == "number":
            try:
                float(str(value))
            except ValueError:
                raise DomainError(_("Enter a number."), field=f"attribute[{code}]") from None
        clean[code] = (
            _clean_text(value, field=f"attribute[{code}]", required=False, limit=500)
            if isinstance(value, str)
            else value
        )
    return clean


def _take_number(case: Case, now: datetime) -> None:
    """Give `case` the next number of its day, 20261206-0001: gapless, as offices count their
    reports (docs/decisions/0003-case-numbers-taken-last.md). One statement creates or bumps
    the day's counter row and returns the new count; it locks the row until COMMIT, so
    report_case calls this after every other write of the report, and only the audit entry
    (the chain head, the other lock) comes after it. On PostgreSQL the same statement also
    writes the number into the case (a data-modifying WITH), one statement fewer under the
    lock; SQLite has no such WITH, and takes a second."""
    day = timezone.localtime(now).date()
    quote = connection.ops.quote_name
    table, day_column, last_column = quote(CaseCounter._meta.db_table), quote("day"), quote("last")
    # PostgreSQL and SQLite (3.35 and later) both take this upsert with RETURNING.
    bump = (
        f"INSERT INTO {table} ({day_column}, {last_column}) VALUES (%s, 1) "  # noqa: S608 (names, not values)
        f"ON CONFLICT ({day_column}) DO UPDATE SET {last_column} = {table}.{last_column} + 1 "
        f"RETURNING {day_column}, {last_column}"
    )
    params = [connection.ops.adapt_datefield_value(day)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The format below in SQL: the day as YYYYMMDD, a dash, the count in 4 digits or more.
            cases, number, last = quote(Case._meta.db_table), quote("number"), f"taken.{last_column}::text"
            cursor.execute(
                f"WITH taken AS ({bump}) UPDATE {cases} SET {number} = to_char(taken.{day_column}, 'YYYYMMDD') "  # noqa: S608
                f"|| '-' || lpad({last}, greatest(length({last}), 4), '0') FROM taken "
                f"WHERE {cases}.{quote('id')} = %s RETURNING {cases}.{number}",
                [*params, case.pk],
            )
            (case.number,) = cursor.fetchone()
            return
        cursor.execute(bump, params)
        (_day, last) = cursor.fetchone()
    case.number = f"{day:%Y%m%d}-{last:04d}"
    Case.objects.filter(pk=case.pk).update(number=case.number)


@transaction.atomic
def report_case(
    *,
    actor: Any,
    case_class: CaseClass,
    description: str,
    lng: float,
    lat: float,
    channel: str,
    place: Place | None = None,
    address: str = "",
    answers: dict[str, Any] | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    anonymous: bool = False,
    photos: list[Any] | None = None,
    now: datetime | None = None,
) -> Case:
    """Open a case from any channel. Routes it to the grid containing its location (or its
    place) at its class's level, to the grid's responsible worker for grid-level cases, and
    starts the acceptance time limit. Tells the grid's people and those who take it on
    (notices.report_recipients). Refuses an inactive class, a missing description, HTML in
    text, a location outside every grid, unanswered required questions and a bad phone.
    An anonymous report keeps no name or phone, and its audit entry names no actor; nor does
    that of a report without an account (no actor, no address; its detail says `account`).
    On the staff channel the actor is a staff member entering the case for a caller: the
    caller (name and phone, or nobody) is the reporter, never the staff member's account,
    and the staff member is the actor of the timeline entry and the audit entry. A reporter
    with an account follows the case from the start.
    Photos (at most MAX_PHOTOS) are checked and cleaned by core.photos before anything is
    written; a refused photo refuses the report (field "photos")."""
    now = now or timezone.now()
    if not case_class.active:
        raise DomainError(_("This category is no longer in use."), field="category")
    if channel not in Case.Channel.values:
        raise DomainError(_("Unknown channel."), field="channel")
    on_behalf = channel == Case.Channel.STAFF
    if on_behalf:
        staff_scope = scope_of(actor) if actor is not None else Scope()
        if not (staff_scope.has("cases.handle") or staff_scope.has("cases.manage")):
            raise DomainError(_("Only staff who work on cases can enter one for a caller."), code="forbidden")
    description = _clean_text(description, field="description", required=True)
    address = _clean_text(address, field="address", required=False, limit=200)
    check_point(lng, lat)
    grid = place.grid if place is not None else locate_grid(lng, lat)
    if grid is None:
        raise DomainError(_("This location is outside the community's grids."), field="location")
    clean_answers = _check_answers(case_class, answers or {})
    if anonymous:
        reporter_name, reporter_phone = "", ""
    else:
        reporter_name = _clean_text(reporter_name, field="reporter_name", required=False, limit=30)
        reporter_phone = normalize_mobile(reporter_phone, field="reporter_phone") if reporter_phone else ""
    stored = _store_photos(None, photos or [], stage=CasePhoto.Stage.REPORT)
    level = case_class.level
    worker = responsible_worker(grid, timezone.localdate(now))
    case = Case.objects.create(
        # Unique until _take_number gives the real one at the end; no one else sees it.
        number=f"pending-{secrets.token_hex(8)}",
        case_class=case_class,
        description=description,
        answers=clean_answers,
        lng=lng,
        lat=lat,
        address=address,
        grid=grid,
        place=place,
        channel=channel,
        reporter=actor if getattr(actor, "is_authenticated", False) and not on_behalf else None,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        anonymous=anonymous,
        level=level,
        handler=worker if level == Level.GRID else None,
        emergency=case_class.emergency,
        urgent=case_class.emergency,
        deadline=deadline_for(case_class, S.REPORTED, now),
        reported_at=now,
    )
    event = CaseEvent.objects.create(
        case=case,
        at=now,
        actor=actor if on_behalf else None if anonymous else case.reporter,
        kind=CaseEvent.Kind.REPORTED,
        to_state=S.REPORTED,
        to_level=level,
    )
    for photo in stored:
        _keep_photo(case, photo, stage=CasePhoto.Stage.REPORT, event=event)
    if case.reporter_id is not None:
        CaseFollower.objects.create(case=case, user_id=case.reporter_id, since=now, why=CaseFollower.Why.REPORTER)
    # The two rows every report locks until COMMIT come last (docs/decisions/0003): the day's
    # counter, then the audit chain head. Only the new case's notices, which carry the
    # number, come between them; whom they go to is read before.
    # A report without an account names nobody either: no actor and no address.
    audit_actor = actor if on_behalf or (case.reporter_id is not None and not anonymous) else audit.NOBODY
    audit.load_actor(audit_actor)
    told = notices.report_recipients(case, worker=worker)
    _take_number(case, now)
    notices.case_reported(case, actor=actor, recipients=told)
    audit.record(
        "cases.reported",
        actor=audit_actor,
        obj=case,
        detail={
            "class": case_class.code,
            "channel": channel,
            "anonymous": anonymous,
            "account": case.reporter_id is not None,
        },
    )
    return case


# A step the viewer may not take on this case (it does not say why).
REFUSED = gettext_noop("You may not do this to this case.")


def _require(scope: Scope, permission: str, case: Case) -> None:
    check_at(scope, case.grid.path, permission, message=_(REFUSED))


def _require_manager(scope: Scope, case: Case, actor: Any) -> None:
    """cases.manage at the case's grid, through a role that acts at the case's level."""

    _require(scope, "cases.manage", case)
    if not may_manage_at_its_level(actor, scope, case):
        raise DomainError(_(REFUSED), code="forbidden")


def _move(
    case: Case,
    *,
    actor: Any,
    kind: str,
    note: str = "",
    internal: bool = False,
    now: datetime | None = None,
    **changes: Any,
) -> Case:
    """Apply a step: check the state, update the case if nobody changed it meanwhile,
    append the event and the audit entry."""
    now = now or timezone.now()
    sources, target = STATE_FLOW[kind]
    if case.state not in sources:
        raise DomainError(
            _("A case that is %(state)s cannot be %(step)s.")
            % {"state": case.get_state_display(), "step": CaseEvent.Kind(kind).label},
            field="state",
            code="invalid_transition",
        )
    from_state, from_level = case.state, case.level
    late = case.deadline is not None and now > case.deadline
    to_state = target or case.state
    changes["state"] = to_state
    changes["urgent"] = case.emergency and to_state in OPEN_STATES
    if to_state in STAGE_OF_STATE:
        changes.setdefault("deadline", deadline_for(case.case_class, to_state, now))
    elif to_state not in OPEN_STATES:
        changes.setdefault("deadline", None)
    if to_state in (S.CLOSED, S.REJECTED):
        changes.setdefault("closed_at", now)
    updated = Case.objects.filter(pk=case.pk, version=case.version).update(version=case.version + 1, **changes)
    if updated != 1:
        raise DomainError(
            _("Someone else changed this case meanwhile; reload it and try again."), field=None, code="stale"
        )
    case.refresh_from_db()
    CaseEvent.objects.create(
        case=case,
        at=now,
        actor=actor,
        kind=kind,
        from_state=from_state,
        to_state=to_state,
        from_level=from_level,
        to_level=case.level,
        note=note,
        internal=internal,
        late=late,
    )
    audit.record(f"cases.{kind}", actor=actor, obj=case, detail={"from": from_state, "to": to_state})
    return case


def _require_taker(scope: Scope, case: Case, actor: Any) -> None:
    """Who takes a reported case on: the person it is routed to (its handler), where they
    handle cases (cases.handle at its grid), or else a manager of the case (_require_manager)."""
    if case.handler_id is not None and getattr(actor, "pk", None) == case.handler_id:
        check_at(scope, case.grid.path, "cases.handle", message=_(REFUSED))
    else:
        _require_manager(scope, case, actor)


@transaction.atomic
def accept_case(*, actor: Any, scope: Scope, case: Case, note: str = "", now: datetime | None = None) -> Case:
    """Take a reported case on: the person it is routed to (its handler, who may handle cases
    at its grid), or a manager of the case (community staff, grid leaders, admins). Anyone
    else is refused (forbidden): another grid's worker, a worker of the grid who is not its
    handler, a resident. Rejecting stays with the managers. A case accepted by or for
    its handler is theirs to start; a manager may still dispatch it to someone else."""
    _require_taker(scope, case, actor)
    return _move(
        case, actor=actor, kind=CaseEvent.Kind.ACCEPTED, note=_clean_text(note, field="note", required=False), now=now
    )


@transaction.atomic
def accept_and_start_case(*, actor: Any, scope: Scope, case: Case, now: datetime | None = None) -> Case:
    """Handle now (立即处置), one tap from an emergency's notice: the case's handler accepts a
    reported case routed to them and starts on it in one transaction; the timeline and the
    audit log record both steps (accepted, started). Refused to anyone but the handler
    (forbidden) and for a case no longer only reported (invalid_transition): nothing is written."""
    _require_handler(actor, case)
    case = accept_case(actor=actor, scope=scope, case=case, now=now)
    return start_case(actor=actor, case=case, now=now)


@transaction.atomic
def reject_case(
    *, actor: Any, scope: Scope, case: Case, reason: str, closure: str, now: datetime | None = None
) -> Case:
    """Refuse a reported case with a reason and an honest closure code (never "fixed")."""
    _require_manager(scope, case, actor)
    if closure not in Case.Closure.values or closure == Case.Closure.FIXED:
        raise DomainError(_("Choose why the case is not taken on."), field="closure")
    reason = _clean_text(reason, field="reason", required=True)
    case = _move(case, actor=actor, kind=CaseEvent.Kind.REJECTED, note=reason, closure=closure, now=now)
    notices.tell_followers(case, kind="cases.rejected", actor=actor)
    return case


@transaction.atomic
def dispatch_case(
    *, actor: Any, scope: Scope, case: Case, handler: Any, note: str = "", now: datetime | None = None
) -> Case:
    """Send an accepted case to a handler who may handle cases where it lies."""

    _require_manager(scope, case, actor)
    if handler is None or not scope_of(handler).has_at("cases.handle", case.grid.path):
        raise DomainError(_("This person does not handle cases here."), field="handler")
    note = _clean_text(note, field="note", required=False)
    case = _move(case, actor=actor, kind=CaseEvent.Kind.DISPATCHED, note=note, internal=True, handler=handler, now=now)
    notices.case_dispatched(case, actor=actor)
    return case


def _require_handler(actor: Any, case: Case) -> None:
    if case.handler_id is None or getattr(actor, "pk", None) != case.handler_id:
        raise DomainError(_("Only the case's handler can do this."), field=None, code="forbidden")


@transaction.atomic
def start_case(*, actor: Any, case: Case, now: datetime | None = None) -> Case:
    """The handler starts work on a case dispatched to them, or accepted with them as its
    handler (routed to them at report, or by a transfer)."""
    _require_handler(actor, case)
    return _move(case, actor=actor, kind=CaseEvent.Kind.STARTED, now=now)


@transaction.atomic
def resolve_case(
    *, actor: Any, case: Case, note: str, photos: list[Any] | None = None, now: datetime | None = None
) -> Case:
    """The handler reports the case handled, saying what was done and showing it: at least one
    after-photo, given here or added beforehand (add_case_photos) since handling started.
    The photos join the resolved step of the timeline."""
    _require_handler(actor, case)
    note = _clean_text(note, field="note", required=True)
    waiting = case.photos.filter(stage=CasePhoto.Stage.AFTER, event__isnull=True)
    if not photos and not waiting.exists():
        raise DomainError(_("Add a photo of the result."), field="photos")
    stored = _store_photos(case, photos or [], stage=CasePhoto.Stage.AFTER)
    case = _move(case, actor=actor, kind=CaseEvent.Kind.RESOLVED, note=note, now=now)
    event = case.events.order_by("-id").first()
    for photo in stored:
        _keep_photo(case, photo, stage=CasePhoto.Stage.AFTER, event=event)
    waiting.update(event=event)
    notices.tell_followers(case, kind="cases.resolved", actor=actor)
    return case


@transaction.atomic
def add_case_photos(*, actor: Any, case: Case, photos: list[Any]) -> list[CasePhoto]:
    """Add photos to a case: its reporter while it is still only reported (report photos), its
    handler while handling it (after-photos, joined to the resolved step). Anyone else, or at
    another stage, is refused; a refused photo refuses them all."""
    user_id = getattr(actor, "pk", None)
    if case.state == S.REPORTED and user_id is not None and user_id == case.reporter_id:
        stage, event = CasePhoto.Stage.REPORT, case.events.filter(kind=CaseEvent.Kind.REPORTED).first()
    elif case.state == S.IN_PROGRESS and user_id is not None and user_id == case.handler_id:
        stage, event = CasePhoto.Stage.AFTER, None
    else:
        raise DomainError(
            _("Photos can be added by the reporter before the case is taken on, or by its handler while handling it."),
            field=None,
            code="forbidden",
        )
    if not photos:
        raise DomainError(_("Choose at least one photo."), field="photos")
    stored = _store_photos(case, photos, stage=stage)
    kept = [_keep_photo(case, photo, stage=stage, event=event) for photo in stored]
    audit.record("cases.photos_added", actor=actor, obj=case, detail={"stage": stage, "count": len(kept)})
    return kept


def _store_photos(case: Case | None, photos: list[Any], *, stage: str) -> list[StoredPhoto]:
    """Check and store uploads, at most MAX_PHOTOS per stage of a case (core.photos)."""
    already = case.photos.filter(stage=stage).count() if case is not None else 0
    if already + len(photos) > MAX_PHOTOS:
        raise DomainError(_("At most %(n)d photos.") % {"n": MAX_PHOTOS}, field="photos")
    return [accept_photo(upload, field="photos", subdir="cases") for upload in photos]


def _keep_photo(case: Case, photo: StoredPhoto, *, stage: str, event: CaseEvent | None) -> CasePhoto:
    return CasePhoto.objects.create(
        case=case,
        event=event,
        stage=stage,
        **CasePhoto.fields_of(photo),
    )


@transaction.atomic
def verify_case(*, actor: Any, scope: Scope, case: Case, note: str = "", now: datetime | None = None) -> Case:
    """Someone other than the handler confirms the result."""
    _require_manager(scope, case, actor)
    if getattr(actor, "pk", None) == case.handler_id:
        raise DomainError(_("The handler cannot verify their own work."), field=None, code="forbidden")
    return _move(
        case, actor=actor, kind=CaseEvent.Kind.VERIFIED, note=_clean_text(note, field="note", required=False), now=now
    )


@transaction.atomic
def close_case(*, actor: Any, scope: Scope, case: Case, now: datetime | None = None) -> Case:
    """Close a verified case as fixed: only a verified case counts as fixed. Whoever reacts to
    a closed case hears of it in this transaction ("cases.closed", core.changes: the
    volunteers' points for a verified hazard report)."""
    _require_manager(scope, case, actor)
    case = _move(case, actor=actor, kind=CaseEvent.Kind.CLOSED, closure=Case.Closure.FIXED, now=now)
    notices.tell_followers(case, kind="cases.closed", actor=actor)
    changes.happened("cases.closed", actor=actor, case=case, now=now)
    return case


@transaction.atomic
def reopen_case(*, actor: Any, scope: Scope, case: Case, note: str, now: datetime | None = None) -> Case:
    """ "Not fixed": the reporter (or staff managing the case) sends it back to the handler."""
    is_reporter = case.reporter_id is not None and getattr(actor, "pk", None) == case.reporter_id
    if not is_reporter:
        _require_manager(scope, case, actor)
    note = _clean_text(note, field="note", required=True)
    case = _move(case, actor=actor, kind=CaseEvent.Kind.REOPENED, note=note, now=now)
    notices.case_reopened(case, actor=actor)
    return case


@transaction.atomic
def evaluate_case(*, actor: Any, case: Case, satisfaction: int, link: str = "", now: datetime | None = None) -> Case:
    """The reporter rates a closed case from 1 to 5. A case reported without an account is
    rated through its follow link (`link`, cases.follow_links) by whoever holds it, once; that
    evaluation names nobody, in the timeline and the audit log, even when its holder is
    signed in, so an anonymous report stays anonymous."""
    if link:
        if not follow_links.opens(link, case):
            raise DomainError(_("Only the reporter can evaluate the case."), field=None, code="forbidden")
        if case.satisfaction is not None:
            raise DomainError(_("This case has been evaluated already."), field="satisfaction", code="evaluated")
    elif case.reporter_id is None or getattr(actor, "pk", None) != case.reporter_id:
        raise DomainError(_("Only the reporter can evaluate the case."), field=None, code="forbidden")
    if case.state != S.CLOSED:
        raise DomainError(_("Only a closed case can be evaluated."), field="state", code="invalid_transition")
    if not isinstance(satisfaction, int) or not 1 <= satisfaction <= 5:
        raise DomainError(_("Choose from 1 to 5."), field="satisfaction")
    updated = Case.objects.filter(pk=case.pk, version=case.version).update(
        satisfaction=satisfaction, version=case.version + 1
    )
    if updated != 1:
        raise DomainError(_("Someone else changed this case meanwhile; reload it and try again."), code="stale")
    case.refresh_from_db()
    by = None if link else actor
    CaseEvent.objects.create(case=case, at=now or timezone.now(), actor=by, kind=CaseEvent.Kind.EVALUATED)
    audit.record("cases.evaluated", actor=by or audit.NOBODY, obj=case, detail={"satisfaction": satisfaction})
    return case


@transaction.atomic
def escalate_case(*, actor: Any, scope: Scope, case: Case, reason: str, now: datetime | None = None) -> Case:
    """Move a case one level up (grid → community → street → outside agency) with a reason.
    With a system scope it is the time-limit job acting on its own."""
    _require_manager(scope, case, actor)
    position = LEVEL_ORDER.index(Level(case.level))
    if position + 1 >= len(LEVEL_ORDER):
        raise DomainError(_("The case is already with an outside agency."), field="level")
    reason = _clean_text(reason, field="reason", required=True)
    case = _move(
        case,
        actor=actor,
        kind=CaseEvent.Kind.ESCALATED,
        note=reason,
        now=now,
        level=LEVEL_ORDER[position + 1],
        handler=None,
    )
    if not scope.system:  # the time-limit job sends one supervision notice instead
        notices.case_escalated(case, actor=actor)
    return case


@transaction.atomic
def transfer_case(
    *, actor: Any, scope: Scope, case: Case, grid: Area, reason: str, now: datetime | None = None
) -> Case:
    """Hand a case to another grid (both must be within the actor's reach). A grid-level case
    is routed to the new grid's responsible worker, who takes it on; the new grid's people
    hear of it as of a new case (notices.report_recipients)."""
    _require_manager(scope, case, actor)
    if grid.level != Area.Level.GRID or grid.pk == case.grid_id:
        raise DomainError(_("Choose another grid."), field="grid")
    if not scope.has_at("cases.manage", grid.path):
        raise DomainError(_(REFUSED), field="grid", code="forbidden")
    reason = _clean_text(reason, field="reason", required=True)
    worker = responsible_worker(grid, timezone.localtime(now).date())
    handler = worker if case.level == Level.GRID else None
    case = _move(case, actor=actor, kind=CaseEvent.Kind.TRANSFERRED, note=reason, grid=grid, handler=handler, now=now)
    notices.case_transferred(case, actor=actor, recipients=notices.report_recipients(case, worker=worker))
    return case


@transaction.atomic
def merge_case(*, actor: Any, scope: Scope, case: Case, into: Case, now: datetime | None = None) -> Case:
    """Close `case` as a duplicate of `into`, an open case of the same class. The merged
    case's reporter and followers follow `into` from now on."""
    _require_manager(scope, case, actor)
    _require_manager(scope, into, actor)
    if into.pk == case.pk or into.state not in OPEN_STATES or into.case_class_id != case.case_class_id:
        raise DomainError(_("Merge into another open case of the same kind."), field="into")
    return _close_as_duplicate(case, into=into, actor=actor, now=now)


def _close_as_duplicate(case: Case, *, into: Case, actor: Any, now: datetime | None) -> Case:
    """Close `case` as merged into `into`; its reporter and followers follow `into` from now on."""
    merged = _move(
        case,
        actor=actor,
        kind=CaseEvent.Kind.MERGED,
        note=into.number,
        closure=Case.Closure.DUPLICATE,
        merged_into=into,
        now=now,
    )
    _carry_followers(merged, into, since=now or timezone.now())
    return merged


def _carry_followers(merged: Case, into: Case, *, since: datetime) -> None:
    """The merged case's reporter and followers follow the case it was merged into."""
    users = set(merged.followers.values_list("user_id", flat=True))
    if merged.reporter_id is not None:
        users.add(merged.reporter_id)
    CaseFollower.objects.bulk_create(
        [CaseFollower(case=into, user_id=user, since=since, why=CaseFollower.Why.MERGED) for user in sorted(users)],
        ignore_conflicts=True,
    )


@transaction.atomic
def follow_case(*, actor: Any, token: str, now: datetime | None = None) -> Case:
    """The actor says "this is the same" about an open case offered to them with a report
    they have just filed (queries.follow_offers), and follows it. Only a token signed for
    this actor, for this case and for a report of theirs, within the last FOLLOW_MAX_AGE
    seconds, and never used before is honoured: a bare case id, a token of someone else's,
    an altered, expired or already used one is refused (field "token"), so nobody follows a
    case without having reported the same thing there. The token is recorded as used
    (FollowTokenUse), in this transaction. If their report is still only reported it is
    closed as a duplicate of the followed case ("instead of reporting it again"), as a
    merge would. A case merged meanwhile is followed where it was merged into; a closed or
    rejected one cannot be followed. The follower sees the case's public view."""

    if not getattr(actor, "is_authenticated", False):
        raise DomainError(_("Sign in to follow a case."), field=None, code="forbidden")
    now = now or timezone.now()
    invalid = DomainError(_("This suggestion is not valid."), field="token")
    try:
        case_id, user_id, report_id, nonce = signing.loads(str(token or ""), salt=FOLLOW_SALT, max_age=FOLLOW_MAX_AGE)
    except signing.SignatureExpired:
        raise DomainError(_("This suggestion has expired: look for similar cases again."), field="token") from None
    except (signing.BadSignature, TypeError, ValueError):
        raise invalid from None
    if user_id != actor.pk or not isinstance(nonce, str) or not 0 < len(nonce) <= 32:
        raise invalid
    report = Case.objects.select_related("grid", "case_class").filter(pk=report_id, reporter_id=actor.pk).first()
    case = Case.objects.select_related("grid").filter(pk=case_id).first()
    if report is None or case is None:
        raise invalid
    case = surviving_case(case)
    if case.state not in OPEN_STATES:
        raise DomainError(_("This case is already closed: report what you see as a new case."), field="token")
    try:
        with transaction.atomic():
            FollowTokenUse.objects.create(nonce=nonce, user=actor, case=case, used_at=now)
    except IntegrityError:
        raise DomainError(_("This suggestion has been used already."), field="token", code="used") from None
    _follower, created = CaseFollower.objects.get_or_create(
        case=case, user=actor, defaults={"since": now, "why": CaseFollower.Why.CHOSE}
    )
    if created:
        audit.record("cases.followed", actor=actor, obj=case, detail={"why": CaseFollower.Why.CHOSE.value})
    if report.state == S.REPORTED and report.pk != case.pk and report.case_class_id == case.case_class_id:
        _close_as_duplicate(report, into=case, actor=actor, now=now)
    return case


@transaction.atomic
def add_host_followers(*, actor: Any, case: Case, users: list[Any], now: datetime | None = None) -> int:
    """The people who speak for the unit hosting the case's place (a warm station's host)
    follow it: they see it as its reporter does and hear when it is resolved or closed.
    Returns how many began to follow; someone following already is left as they are."""
    since = now or timezone.now()
    added = 0
    for user in users:
        _follower, created = CaseFollower.objects.get_or_create(
            case=case, user=user, defaults={"since": since, "why": CaseFollower.Why.HOST}
        )
        added += created
    if added:
        audit.record("cases.followed", actor=actor, obj=case, detail={"why": CaseFollower.Why.HOST.value, "n": added})
    return added


# The time-limit job escalates as the installation itself, not as anyone's role.
TIME_LIMITS = system_scope("the time-limit job")


def escalate_overdue_cases(*, now: datetime | None = None) -> int:
    """The time-limit job: every open case whose stage deadline has passed gets a supervision
    notice (督办) and moves one level up; a case already with an outside agency is supervised
    and its deadline restarts. Each case is its own transaction, so one failure never blocks
    the rest; running it twice in a row does nothing the second time (deadlines move on).
    Returns how many cases it acted on."""
    now = now or timezone.now()
    overdue = Case.objects.filter(
        state__in=[S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS], deadline__lt=now
    ).values_list("pk", flat=True)
    acted = 0
    for pk in list(overdue[:1000]):
        with transaction.atomic():
            case = Case.objects.select_related("case_class", "grid").get(pk=pk)
            if case.deadline is None or case.deadline >= now or case.state not in STAGE_OF_STATE:
                continue  # handled meanwhile
            CaseEvent.objects.create(
                case=case,
                at=now,
                kind=CaseEvent.Kind.SUPERVISED,
                from_state=case.state,
                to_state=case.state,
                from_level=case.level,
                to_level=case.level,
                note=_("The time limit of this stage has passed."),
                internal=True,
            )
            audit.record("cases.supervised", obj=case, detail={"deadline": case.deadline.isoformat()})
            handler = case.handler
            if case.level != Level.AGENCY:
                escalate_case(actor=None, scope=TIME_LIMITS, case=case, reason=_("Escalated on time-out."), now=now)
            else:
                Case.objects.filter(pk=case.pk).update(
                    deadline=deadline_for(case.case_class, case.state, now), version=F("version") + 1
                )
            notices.case_supervised(case, handler=handler, now=now)
            acted += 1
    return acted


def apply_step(
    *,
    actor: Any,
    scope: Scope,
    case: Case,
    step: str,
    note: str = "",
    closure: str = "",
    handler: Any = None,
    grid: Area | None = None,
    into: Case | None = None,
    satisfaction: int | None = None,
    photos: list[Any] | None = None,
) -> Case:
    """One entry for every step, for the pages and the API alike: `step` names the action and
    the other arguments are what that action needs (the note is the reason where one is asked)."""
    if step == "accept":
        return accept_case(actor=actor, scope=scope, case=case, note=note)
    if step == "accept_and_start":
        return accept_and_start_case(actor=actor, scope=scope, case=case)
    if step == "reject":
        return reject_case(actor=actor, scope=scope, case=case, reason=note, closure=closure)
    if step == "dispatch":
        return dispatch_case(actor=actor, scope=scope, case=case, handler=handler, note=note)
    if step == "start":
        return start_case(actor=actor, case=case)
    if step == "resolve":
        return resolve_case(actor=actor, case=case, note=note, photos=photos)
    if step == "verify":
        return verify_case(actor=actor, scope=scope, case=case, note=note)
    if step == "close":
        return close_case(actor=actor, scope=scope, case=case)
    if step == "reopen":
        return reopen_case(actor=actor, scope=scope, case=case, note=note)
    if step == "escalate":
        return escalate_case(actor=actor, scope=scope, case=case, reason=note)
    if step == "transfer":
        if grid is None:
            raise DomainError(_("Choose a grid."), field="grid_id")
        return transfer_case(actor=actor, scope=scope, case=case, grid=grid, reason=note)
    if step == "merge":
        if into is None:
            raise DomainError(_("Choose the case to merge into."), field="into_id")
        return merge_case(actor=actor, scope=scope, case=case, into=into)
    if step == "evaluate":
        return evaluate_case(actor=actor, case=case, satisfaction=satisfaction or 0)
    raise DomainError(_("Unknown step."), field="step")
