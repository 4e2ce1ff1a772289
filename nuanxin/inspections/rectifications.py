"""Rectification orders (整改): issued when a visit finds hazards, closed or escalated by
their re-check, and their deadline changed with a reason.

Called from `actions._complete` inside its transaction; `change_deadline` is an action of
its own. Audit entries name an order by its number and never the responsible party (for a
resident it is a masked name, but a name all the same) or a resident category.
"""

from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.cases.actions import report_case
from nuanxin.cases.models import CaseClass
from nuanxin.core import audit, changes
from nuanxin.core.access import check_at
from nuanxin.core.errors import DomainError
from nuanxin.core.masking import mask_name
from nuanxin.core.numbering import create_numbered, next_in_sequence
from nuanxin.core.scoping import Scope
from nuanxin.inspections.answers import is_hazard, worst
from nuanxin.inspections.models import CATEGORY_PERMISSION, Hazard, Rectification, Visit, with_category
from nuanxin.territory.models import Place

# The class of an unfixed order whose template NUANXIN_RECTIFICATION_CASE_CLASSES does not name.
FALLBACK_CASE_CLASS = "other"
REASON_MAX = 500


def deadline_days(severity: str) -> int:
    return int(settings.NUANXIN_RECTIFICATION_DAYS[severity])


def subject_place(visit: Visit) -> Place | None:
    """Where the visit happens: its place, the target's place, or a resident's home."""
    if visit.place is not None:
        return visit.place
    target = visit.target
    if target is None:
        return None
    if target.place is not None:
        return target.place
    return target.resident.place if target.resident is not None else None


def responsible_party(visit: Visit) -> str:
    """The place's name, or a resident's masked name (never the full name on paper)."""
    target = visit.target
    if target is not None and target.resident is not None:
        return mask_name(target.resident.name)
    place = subject_place(visit)
    return place.name if place is not None else ""


def _next_number(year: int) -> str:
    """ZG + year + a five-digit sequence within the year (ZG202400001)."""
    return next_in_sequence(Rectification.objects.select_for_update(), f"ZG{year}")


def issue_order(*, actor: Any, visit: Visit, hazards: list[dict[str, Any]], today: date) -> Rectification:
    """A rectification order for the hazards one visit found, with a hazard row for each and
    a re-check visit due on the deadline (same target, place, worker, grid, category and
    checklist version)."""
    severity = worst([h["severity"] for h in hazards])
    deadline = today + timedelta(days=deadline_days(severity))
    order = create_numbered(
        Rectification,
        lambda: _next_number(today.year),
        visit=visit,
        target=visit.target,
        place=visit.target.place if visit.target is not None else visit.place,
        category=visit.category,
        grid=visit.grid,
        responsible_party=responsible_party(visit)[:120],
        severity=severity,
        issued_on=today,
        deadline=deadline,
    )
    Hazard.objects.bulk_create(
        [
            Hazard(
                rectification=order,
                item=h["item"],
                label=h["label"][:200],
                answer=h["answer"],
                severity=h["severity"],
            )
            for h in hazards
        ]
    )
    changes.added(Rectification, [order.pk])
    Visit.objects.create(
        kind=Visit.Kind.RECHECK,
        target=visit.target,
        category=visit.category,
        place=visit.place,
        recheck_of=order,
        grid=visit.grid,
        worker=visit.worker,
        due_on=deadline,
        version=visit.version,
    )
    audit.record(
        "inspections.rectification_issued",
        actor=actor,
        obj=order,
        detail={"visit": visit.pk, "hazards": len(hazards), "severity": severity, "deadline": str(deadline)},
    )
    return order


def close_order(*, actor: Any, recheck: Visit, items: list[dict[str, Any]], now: datetime) -> Rectification:
    """Apply a recorded re-check to its order: hazards whose items now answer without a
    hazard are fixed; all fixed closes the order (FIXED), otherwise it is ESCALATED into a
    case through the cases action."""
    order = Rectification.objects.select_for_update().get(pk=recheck.recheck_of_id)
    if order.state != Rectification.State.OPEN:
        raise DomainError(_("This rectification order is already closed."))
    by_code = {item["code"]: item for item in items}
    hazards = list(order.hazards.all())
    fixed_ids = [
        h.pk
        for h in hazards
        if h.item in by_code
        and not is_hazard(by_code[h.item], recheck.answers.get(h.item))
        # an item the re-check could not answer (optional, left empty) is not fixed
        and h.item in recheck.answers
    ]
    with changes.tracking(Rectification, [order.pk]):
        Hazard.objects.filter(pk__in=fixed_ids).update(fixed=True)
        if len(fixed_ids) == len(hazards):
            order.state = Rectification.State.FIXED
        else:
            order.state = Rectification.State.ESCALATED
            unfixed = [h for h in hazards if h.pk not in fixed_ids]
            order.case = _escalate(actor=actor, order=order, recheck=recheck, unfixed=unfixed, now=now)
        order.closed_at = now
        order.save(update_fields=["state", "closed_at", "case"])
    audit.record(
        "inspections.rectification_closed",
        actor=actor,
        obj=order,
        detail={"state": order.state, "fixed": len(fixed_ids), "unfixed": len(hazards) - len(fixed_ids)},
    )
    return order


def case_class_for(order: Rectification) -> Any:
    """The case class an unfixed order becomes, by its checklist template (None if no case
    class is installed at all)."""

    mapping = settings.NUANXIN_RECTIFICATION_CASE_CLASSES
    version = order.visit.version
    code = mapping.get(version.template.code if version is not None else "", FALLBACK_CASE_CLASS)
    classes = CaseClass.objects.filter(active=True)
    return (
        classes.filter(code=code).first()
        or classes.filter(code=FALLBACK_CASE_CLASS).first()
        or classes.filter(emergency=False).order_by("pk").first()
    )


def _escalate(*, actor: Any, order: Rectification, recheck: Visit, unfixed: list[Hazard], now: datetime) -> Any:
    case_class = case_class_for(order)
    place = subject_place(recheck)
    if case_class is None or place is None:
        return None
    if order.category in CATEGORY_PERMISSION:
        # A case is seen by everyone on the grid's case work: it must not tell them that a
        # resident is watched, let alone why. The order (in scope) holds the details.
        description = _("A visit's finding was not put right by the deadline (order %(number)s).") % {
            "number": order.number
        }
    else:
        description = _("Rectification order %(number)s for %(party)s not complied with by %(deadline)s: %(items)s") % {
            "number": order.number,
            "party": order.responsible_party,
            "deadline": order.deadline.isoformat(),
            "items": "；".join(h.label for h in unfixed),
        }
    return report_case(
        actor=actor,
        case_class=case_class,
        description=description[:2000],
        lng=place.lng,
        lat=place.lat,
        channel="inspection",
        place=place,
        now=now,
    )


def clean_reason(reason: str) -> str:
    """A reason for a change (a deadline, a tier, a target leaving the list), white space
    folded; refused at `reason` when empty or too long. inspections/actions.py uses it too."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(_("A reason is required."), field="reason")
    if len(reason) > REASON_MAX:
        raise DomainError(_("A reason has at most %(n)d characters.") % {"n": REASON_MAX}, field="reason")
    return reason


@transaction.atomic
def change_deadline(
    *,
    actor: Any,
    order: Rectification,
    deadline: date,
    reason: str,
    scope: Scope,
    today: date | None = None,
) -> Rectification:
    """Move an open order's deadline (an agreed extension, or a shorter one), with a reason;
    the re-check still due moves with it.

    Refuses: a viewer without inspections.record at the order's grid (and
    the category's permission for a resident); a closed order; a missing reason
    ("reason"); a deadline that is not a date, before today or unchanged ("deadline")."""
    needed = with_category("inspections.record", order.category)
    check_at(scope, order.grid.path, *needed, message=_("You may not change this order's deadline."))
    order = Rectification.objects.select_for_update().get(pk=order.pk)
    if order.state != Rectification.State.OPEN:
        raise DomainError(_("This rectification order is already closed."))
    reason = clean_reason(reason)
    today = today or timezone.localdate()
    if not isinstance(deadline, date) or isinstance(deadline, datetime):
        raise DomainError(_("Enter a date."), field="deadline")
    if deadline < today:
        raise DomainError(_("The deadline cannot be in the past."), field="deadline")
    if deadline == order.deadline:
        raise DomainError(_("This is already the deadline."), field="deadline")
    old = order.deadline
    order.deadline = deadline
    order.save(update_fields=["deadline"])
    # A re-check already marked missed is due again on the new deadline.
    pending = order.rechecks.exclude(state=Visit.State.DONE)
    with changes.tracking(Visit, pending.values_list("pk", flat=True)):
        pending.update(due_on=deadline, state=Visit.State.DUE)
    audit.record(
        "inspections.deadline_changed",
        actor=actor,
        obj=order,
        detail={"deadline": [str(old), str(deadline)], "reason": reason},
    )
    return order
