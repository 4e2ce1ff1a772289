"""What each Open311 answer says about the catalogue and the cases, as plain values for
protocol.render. Internal states become open/closed plus status_notes; the reporter's
identity is never part of any answer."""

from typing import Any

from django.utils.translation import gettext as _

from nuanxin.cases.actions import OPEN_STATES
from nuanxin.cases.models import Case, CaseClass, CaseEvent
from nuanxin.open311.protocol import iso
from nuanxin.open311.queries import private_services

K = CaseEvent.Kind
# mySociety's update statuses for a closure (FixMyStreet reads them as its own states).
CLOSURE_STATUS: dict[str, str] = {
    Case.Closure.FIXED: "fixed",
    Case.Closure.DUPLICATE: "duplicate",
    Case.Closure.REFERRED: "not_councils_responsibility",
    Case.Closure.NO_ACTION: "no_further_action",
    Case.Closure.CANCELLED: "closed",
}
STEP_STATUS: dict[str, str] = {
    K.ACCEPTED: "investigating",
    K.DISPATCHED: "action_scheduled",
    K.STARTED: "in_progress",
    K.RESOLVED: "in_progress",  # handled, not yet verified: only a verified case is fixed
    K.VERIFIED: "fixed",
    K.REOPENED: "reopen",
    K.ESCALATED: "internal_referral",
    K.TRANSFERRED: "internal_referral",
    K.MERGED: "duplicate",
}
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}


def emergency_notice() -> str:
    return _("If people or property are in danger, call 119 (fire), 110 (police) or 120 (ambulance) now.")


def service_answer(case_class: CaseClass) -> dict[str, Any]:
    return {
        "service_code": case_class.service_code,
        "service_name": case_class.name,
        "description": case_class.category.name if case_class.category.name != case_class.name else "",
        "metadata": bool(case_class.questions),
        "type": "realtime",
        "keywords": ", ".join(dict.fromkeys([case_class.category.name, case_class.name])),
        "group": case_class.category.name,
    }


def _datatype_description(datatype: str) -> str | None:
    return {
        "number": _("A number."),
        "datetime": _("A date and time, e.g. 2024-07-01T09:30:00+08:00."),
        "multivaluelist": _("One or more of the values."),
        "singlevaluelist": _("One of the values."),
    }.get(datatype)


def definition_answer(case_class: CaseClass) -> dict[str, Any]:
    attributes = []
    for order, question in enumerate(case_class.questions, start=1):
        datatype = question.get("datatype") if question.get("datatype") in DATATYPES else "string"
        attribute: dict[str, Any] = {
            "variable": True,
            "code": question["code"],
            "datatype": datatype,
            "required": bool(question.get("required")),
            "datatype_description": _datatype_description(datatype),
            "order": order,
            "description": question.get("label", question["code"]),
        }
        if datatype in ("singlevaluelist", "multivaluelist"):
            attribute["values"] = [
                {"key": v["key"], "name": v.get("name", v["key"])} for v in question.get("values", [])
            ]
        attributes.append(attribute)
    return {"service_code": case_class.service_code, "attributes": attributes}


def status_of(case: Case) -> str:
    return "open" if case.state in OPEN_STATES else "closed"


def status_notes(case: Case) -> str:
    if case.state in OPEN_STATES:
        return str(case.get_state_display())
    closure = case.get_closure_display() if case.closure else ""
    return f"{case.get_state_display()}: {closure}" if closure else str(case.get_state_display())


def request_answer(case: Case, *, keyed: bool) -> dict[str, Any]:
    """One request. With a key: the description (withheld for private classes), address and
    exact location. Without: no description or address, the location rounded to ~100 m."""
    private = case.case_class.service_code in private_services()
    open_ = case.state in OPEN_STATES
    updated = getattr(case, "updated_at", None) or case.reported_at
    return {
        "service_request_id": case.number,
        "status": status_of(case),
        "status_notes": status_notes(case),
        "service_name": case.case_class.name,
        "service_code": case.case_class.service_code,
        "description": case.description if keyed and not private else None,
        "agency_responsible": case.case_class.unit or case.grid.name,
        "service_notice": emergency_notice() if case.emergency else None,
        "requested_datetime": iso(case.reported_at),
        "updated_datetime": iso(case.closed_at if not open_ and case.closed_at else updated),
        "expected_datetime": iso(case.deadline) if open_ else None,
        "address": case.address if keyed and not private and case.address else None,
        "address_id": None,
        "zipcode": None,
        "lat": case.lat if keyed else round(case.lat, 3),
        "long": case.lng if keyed else round(case.lng, 3),
        "media_url": None,
    }


def update_status(event: CaseEvent) -> str:
    if event.kind in (K.CLOSED, K.REJECTED):
        return CLOSURE_STATUS.get(event.case.closure, "closed")
    return STEP_STATUS.get(event.kind, "open")


def update_answer(event: CaseEvent) -> dict[str, Any]:
    private = event.case.case_class.service_code in private_services()
    return {
        "update_id": str(event.pk),
        "service_request_id": event.case.number,
        "status": update_status(event),
        "updated_datetime": iso(event.at),
        "description": (event.note if not private else "") or str(event.get_kind_display()),
        "media_url": None,
        "external_status_code": event.kind,
    }
