"""Notifications over the JSON API: the caller's own list and marking them read."""

from datetime import datetime

from ninja import Router, Schema
from ninja.pagination import paginate

from nuanxin.core import notifications
from nuanxin.core.http import ScopedRequest
from nuanxin.core.models import Notification
from nuanxin.core.schemas import BoundedPagination, Id

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    created_at: datetime
    read_at: datetime | None


class ReadAllOut(Schema):
    marked: int


@router.get("notifications", response=list[NotificationOut])
@paginate(BoundedPagination)
def list_notifications(request: ScopedRequest, unread: bool | None = None) -> list[Notification]:
    """The caller's notifications, newest first; `unread=true` for the unread ones only."""
    qs = notifications.notifications_for(request.user)
    if unread is not None:
        qs = qs.filter(read_at__isnull=unread)
    return qs  # type: ignore[return-value]


@router.post("notifications/read-all", response=ReadAllOut)
def read_all(request: ScopedRequest) -> dict[str, int]:
    return {"marked": notifications.mark_all_read(actor=request.user)}


@router.post("notifications/{notification_id}/read", response=NotificationOut)
def read_one(request: ScopedRequest, notification_id: Id) -> Notification:
    """Mark one of the caller's notifications read; another's is a 404."""
    note = notifications.notification_or_404(request.user, notification_id)
    return notifications.mark_read(actor=request.user, notification=note)
