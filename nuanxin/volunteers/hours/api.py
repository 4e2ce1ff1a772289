"""Service hours over the API (/api/v1/hours): the caller's own records, total and stars;
asking for a correction; for organisers, an activity's records, approving one or all and
deciding corrections; the certificate in Word or PDF. The rules are in
`nuanxin.volunteers.hours.actions`; a caller who sees an activity but does not certify its hours
gets a 403, anything out of reach a 404."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpResponse
from ninja import Field, FilterSchema, Query, Router, Schema, Status

from nuanxin.core.access import deny, get_in_scope_or_404
from nuanxin.core.http import ScopedRequest
from nuanxin.core.masking import mask_name
from nuanxin.core.schemas import Id
from nuanxin.volunteers.hours import actions as hours
from nuanxin.volunteers.hours import queries
from nuanxin.volunteers.hours.views import certificate_response
from nuanxin.volunteers.models import Activity, HoursCorrection, ServiceRecord, Volunteer
from nuanxin.volunteers.signups.queries import volunteer_of

router = Router(tags=["hours"])


class CorrectionOut(Schema):
    id: int
    record_id: int
    minutes: int
    reason: str
    state: HoursCorrection.State
    requested_at: datetime
    decided_at: datetime | None
    decision_note: str


class RecordOut(Schema):
    id: int
    activity_id: int
    activity_number: str
    activity_title: str
    starts_on: str
    minutes: int
    hours: Decimal
    state: ServiceRecord.State
    approved_at: datetime | None
    corrections: list[CorrectionOut]

    @staticmethod
    def resolve_activity_number(obj: ServiceRecord) -> str:
        return obj.activity.number

    @staticmethod
    def resolve_activity_title(obj: ServiceRecord) -> str:
        return obj.activity.title

    @staticmethod
    def resolve_starts_on(obj: ServiceRecord) -> str:
        return obj.activity.starts_on.isoformat()

    @staticmethod
    def resolve_hours(obj: ServiceRecord) -> Decimal:
        return queries.hours_of(obj.minutes)

    @staticmethod
    def resolve_corrections(obj: ServiceRecord) -> list[HoursCorrection]:
        return list(obj.corrections.all())


class MineOut(Schema):
    registered: bool
    minutes: int = 0
    hours: Decimal = Decimal(0)
    stars: int = 0
    star_hours: list[int] = []
    next_star_hours: int | None = None
    records: list[RecordOut] = []


class OrganiserRecordOut(RecordOut):
    volunteer_id: int
    volunteer_name: str = Field(description="Masked: the first character only")
    volunteer_group: str
    checked_in_at: datetime
    checked_out_at: datetime | None

    @staticmethod
    def resolve_volunteer_name(obj: ServiceRecord) -> str:
        return mask_name(obj.volunteer.name)

    @staticmethod
    def resolve_volunteer_group(obj: ServiceRecord) -> str:
        return obj.volunteer.group

    @staticmethod
    def resolve_checked_in_at(obj: ServiceRecord) -> datetime:
        return obj.attendance.checked_in_at

    @staticmethod
    def resolve_checked_out_at(obj: ServiceRecord) -> datetime | None:
        return obj.attendance.checked_out_at


class CorrectionIn(Schema):
    minutes: int = Field(..., ge=0, le=1_000_000)
    reason: str = Field(..., max_length=2000)


class DecisionIn(Schema):
    approve: bool
    note: str = Field("", max_length=2000)


class ApprovedAllOut(Schema):
    approved: int
    skipped: int


class RecordFilter(FilterSchema):
    state: ServiceRecord.State | None = None


@router.get("/mine", response=MineOut)
def my_hours(request: ScopedRequest) -> dict[str, Any]:
    """The caller's records (newest activity first), approved total, stars and the hours
    still needed for the next star; `registered` false for someone not registered."""
    volunteer = volunteer_of(request.user)
    if volunteer is None:
        return {"registered": False}
    standing = queries.standing_of(volunteer)
    return {
        "registered": True,
        "minutes": standing.minutes,
        "hours": standing.hours,
        "stars": standing.stars,
        "star_hours": list(standing.thresholds),
        "next_star_hours": standing.next_star_hours,
        "records": list(queries.records_of(volunteer)),
    }


@router.post("/records/{record_id}/corrections", response={201: CorrectionOut})
def request_correction(request: ScopedRequest, record_id: Id, payload: CorrectionIn) -> Status[HoursCorrection]:
    """Ask for a correction of one's own record (404 for anyone else's); beyond the
    activity's time is a 400 naming "minutes"."""
    record = queries.own_record_or_404(request.user, record_id)
    correction = hours.request_correction(
        actor=request.user, record=record, minutes=payload.minutes, reason=payload.reason
    )
    return Status(201, correction)


@router.get("/activities/{activity_id}/records", response=list[OrganiserRecordOut])
def activity_records(request: ScopedRequest, activity_id: Id, filters: Query[RecordFilter]) -> Any:
    """An activity's records for those who certify its hours (403 for a viewer who only
    sees the activity, 404 out of reach); names masked."""
    activity = _activity_in_reach(request, activity_id)
    hours.check_certifies(request.scope, activity)
    return list(filters.filter(queries.activity_records(activity).select_related("activity")))


@router.post("/activities/{activity_id}/approve-all", response=ApprovedAllOut)
def approve_all(request: ScopedRequest, activity_id: Id) -> dict[str, int]:
    activity = _activity_in_reach(request, activity_id)
    done = hours.approve_all(actor=request.user, activity=activity, scope=request.scope)
    return {"approved": len(done.approved), "skipped": done.skipped}


@router.post("/records/{record_id}/approve", response=RecordOut)
def approve_record(request: ScopedRequest, record_id: Id) -> ServiceRecord:
    """Certify a record (403 unless the caller certifies hours at the activity's area; 409
    when already approved; 400 "corrections" while a correction is open)."""
    record = queries.record_in_reach_or_404(request.scope, record_id)
    hours.approve_record(actor=request.user, record=record, scope=request.scope)
    return queries.records_of(record.volunteer).get(pk=record.pk)


@router.post("/corrections/{correction_id}/decide", response=CorrectionOut)
def decide_correction(request: ScopedRequest, correction_id: Id, payload: DecisionIn) -> HoursCorrection:
    correction = queries.correction_in_reach_or_404(request.scope, correction_id)
    return hours.decide_correction(
        actor=request.user, correction=correction, approve=payload.approve, note=payload.note, scope=request.scope
    )


def _own_certificate(request: ScopedRequest, fmt: str) -> HttpResponse:
    volunteer = volunteer_of(request.user)
    if volunteer is None:
        raise Http404
    return certificate_response(request, volunteer, fmt)


def _staff_certificate(request: ScopedRequest, volunteer_id: Id, fmt: str) -> HttpResponse:
    volunteer = get_in_scope_or_404(
        Volunteer.objects.select_related("home_grid").defer("home_grid__boundary"), request.scope, pk=volunteer_id
    )
    return certificate_response(request, volunteer, fmt)


@router.get("/certificate.docx", response={200: None})
def my_certificate_docx(request: ScopedRequest) -> HttpResponse:
    """The caller's own certificate in Word (404 without a registration); audited."""
    return _own_certificate(request, "docx")


@router.get("/certificate.pdf", response={200: None})
def my_certificate_pdf(request: ScopedRequest) -> HttpResponse:
    """The caller's own certificate in PDF (404 without a registration); audited."""
    return _own_certificate(request, "pdf")


@router.get("/volunteers/{volunteer_id}/certificate.docx", response={200: None})
def volunteer_certificate_docx(request: ScopedRequest, volunteer_id: Id) -> HttpResponse:
    """A volunteer's certificate in Word, for staff with volunteers.view at their home grid
    (404, audited, for anyone else)."""
    return _staff_certificate(request, volunteer_id, "docx")


@router.get("/volunteers/{volunteer_id}/certificate.pdf", response={200: None})
def volunteer_certificate_pdf(request: ScopedRequest, volunteer_id: Id) -> HttpResponse:
    """A volunteer's certificate in PDF, for staff with volunteers.view at their home grid
    (404, audited, for anyone else)."""
    return _staff_certificate(request, volunteer_id, "pdf")


def _activity_in_reach(request: ScopedRequest, activity_id: Id) -> Activity:
    """An activity the caller reaches through the territory; 404 (audited) otherwise."""
    activity: Activity | None = (
        Activity.objects.reached_by(request.scope)
        .select_related("area")
        .defer("area__boundary")
        .filter(pk=activity_id)
        .first()
    )
    if activity is None:
        raise deny(request.scope, f"hours activity {activity_id}")
    return activity
