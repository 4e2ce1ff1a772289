"""Notifications: one interface for every message the system sends to a person.

`notify()` writes one `Notification` per recipient inside the caller's transaction: that row is
the in-app channel, so a notice exists exactly when the action that caused it committed. For
each external channel that is switched on and set up (`NUANXIN_NOTIFY_CHANNELS`: e-mail, the
webhook) it also writes a pending `Delivery`; after the commit a django-tasks task sends them.
A channel that fails marks its delivery failed with the error and never raises into the
caller: the case (or whatever caused the notice) and its in-app notification stand whatever
the mail server or the webhook receiver does. `retry_deliveries()` (task `retry_notifications`,
command `manage.py retry_notifications`) tries failed deliveries again, a bounded number of
times with a growing pause.

Callers build the text; it must never carry a reporter's name or phone (see cases/notices.py).

Text messages to a phone number that has no account yet (the code that proves a phone when
joining) do not fit a notification, which belongs to a user: `send_text()` sends them at once
through the SMS gateway webhook (`NUANXIN_SMS_WEBHOOK_URL`) or, in demo mode only, into the
development sink, which logs the text and hands it back for the page to show.
"""

import hashlib
import hmac
import json
import logging
import urllib.request
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from nuanxin.core import audit
from nuanxin.core.errors import DomainError
from nuanxin.core.masking import mask_phone
from nuanxin.core.models import Delivery, Notification

logger = logging.getLogger(__name__)


# --- settings (nuanxin/settings.py), read at call time -----------------------------------------


def max_attempts() -> int:
    return int(settings.NUANXIN_NOTIFY_MAX_ATTEMPTS)


def absolute_url(path: str) -> str:
    """A link for messages read outside the app: the site's address before the path, if known."""
    base = str(settings.NUANXIN_SITE_URL or "").rstrip("/")
    return f"{base}{path}" if base and path.startswith("/") else path


# --- channels ----------------------------------------------------------------------------------


class Skip(Exception):
    """This channel does not apply to this notification (e.g. the recipient has no e-mail)."""


class EmailChannel:
    """An e-mail to the recipient's address through Django's mail API (EMAIL_* settings)."""

    name: ClassVar[str] = "email"

    @staticmethod
    def configured() -> bool:
        return bool(settings.EMAIL_HOST)

    def send(self, notification: Notification) -> None:
        address = (notification.recipient.email or "").strip()
        if not address:
            raise Skip("the recipient has no e-mail address")
        text = notification.body
        if notification.url:
            text = f"{text}\n\n{absolute_url(notification.url)}"
        send_mail(notification.title, text, None, [address], fail_silently=False)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A webhook that answers with a redirect has failed: never follow it somewhere else."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def webhook_signature(body: bytes, secret: str) -> str:
    """The value of X-Nuanxin-Signature: "sha256=" and the HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_payload(notification: Notification) -> dict[str, Any]:
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "url": absolute_url(notification.url),
        "recipient_id": notification.recipient_id,
        "created_at": notification.created_at.isoformat(),
    }


class WebhookChannel:
    """A JSON POST to NUANXIN_WEBHOOK_URL, signed with NUANXIN_WEBHOOK_SECRET (HMAC-SHA256).

    Any answer other than 2xx, a redirect, a refused connection or a timeout is a failure."""

    name: ClassVar[str] = "webhook"

    @staticmethod
    def configured() -> bool:
        return bool(settings.NUANXIN_WEBHOOK_URL)

    def send(self, notification: Notification) -> None:
        url = str(settings.NUANXIN_WEBHOOK_URL)
        if not url:
            raise Skip("no webhook URL is set")
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError("the webhook URL must start with http:// or https://")
        body = json.dumps(webhook_payload(notification), ensure_ascii=False, sort_keys=True).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "nuanxin-webhook/1",
            "X-Nuanxin-Kind": notification.kind,
            "X-Nuanxin-Notification": str(notification.pk),
        }
        secret = str(settings.NUANXIN_WEBHOOK_SECRET or "")
        if secret:
            headers["X-Nuanxin-Signature"] = webhook_signature(body, secret)
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (http/https checked above)
        opener = urllib.request.build_opener(_NoRedirect)
        timeout = float(settings.NUANXIN_WEBHOOK_TIMEOUT)
        with opener.open(request, timeout=timeout) as response:  # non-2xx raises HTTPError
            if not 200 <= response.status < 300:
                raise OSError(f"the webhook answered {response.status}")


CHANNELS: dict[str, type[EmailChannel] | type[WebhookChannel]] = {
    EmailChannel.name: EmailChannel,
    WebhookChannel.name: WebhookChannel,
}


# --- text messages to a phone number ----------------------------------------------------------


@dataclass(frozen=True)
class SentText:
    """A text message that went out: through which channel, and, from the development sink
    only, the text itself (for the page to show the developer)."""

    channel: str
    shown: str = ""


# The development sink's last messages, newest last (tests and the browser test read them).
dev_texts: deque[tuple[str, str]] = deque(maxlen=50)


def dev_sink_on() -> bool:
    """The development sink stands in for an SMS gateway in demo mode, never in production."""
    return bool(settings.NUANXIN_DEMO) and not bool(settings.NUANXIN_PRODUCTION)


def _post_json(url: str, payload: dict[str, Any], *, headers: dict[str, str] | None = None) -> None:
    """POST `payload` as JSON, signed like the notification webhook; non-2xx, a redirect, a
    refused connection or a timeout raise."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValueError("the URL must start with http:// or https://")
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    sent = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "nuanxin-webhook/1", **(headers or {})}
    secret = str(settings.NUANXIN_WEBHOOK_SECRET or "")
    if secret:
        sent["X-Nuanxin-Signature"] = webhook_signature(body, secret)
    request = urllib.request.Request(url, data=body, headers=sent, method="POST")  # noqa: S310 (http/https checked above)
    opener = urllib.request.build_opener(_NoRedirect)
    with opener.open(request, timeout=float(settings.NUANXIN_WEBHOOK_TIMEOUT)) as response:
        if not 200 <= response.status < 300:
            raise OSError(f"the gateway answered {response.status}")


def send_text(*, phone: str, kind: str, text: str) -> SentText:
    """Send `text` to the mobile `phone` now (not after a commit: the person is waiting).

    Through the SMS gateway webhook when NUANXIN_SMS_WEBHOOK_URL is set: a signed JSON POST
    `{"kind", "phone", "text"}` that the operator's relay hands to its SMS provider. Else, in
    demo mode only (NUANXIN_DEMO, never with NUANXIN_PRODUCTION), the development sink: the
    text goes to the log and `dev_texts`, and comes back in `SentText.shown`. Raises
    DomainError (field "phone") when no channel is set up or the gateway fails; the log
    names the phone masked only."""
    url = str(settings.NUANXIN_SMS_WEBHOOK_URL or "")
    if url:
        try:
            _post_json(url, {"kind": kind, "phone": phone, "text": text}, headers={"X-Nuanxin-Kind": kind})
        except Exception as exc:  # the gateway's trouble is the person's "try again", never a 500
            logger.warning("text message %s to %s failed: %s", kind, mask_phone(phone), exc)
            raise DomainError(
                _("The text message could not be sent. Try again in a minute."), field="phone", code="not_sent"
            ) from None
        return SentText(channel="sms")
    if dev_sink_on():
        logger.warning("development sink (demo mode): text message %s to %s: %s", kind, mask_phone(phone), text)
        dev_texts.append((phone, text))
        return SentText(channel="dev", shown=text)
    raise DomainError(
        _("This site cannot send text messages yet, so joining by phone is closed. Ask the organiser."),
        field="phone",
        code="no_channel",
    )


def active_channels() -> list[str]:
    """The external channels named in NUANXIN_NOTIFY_CHANNELS that are set up, in that order."""
    raw = settings.NUANXIN_NOTIFY_CHANNELS
    names = raw.split(",") if isinstance(raw, str) else list(raw)
    active = []
    for name in (n.strip() for n in names):
        if not name:
            continue
        channel = CHANNELS.get(name)
        if channel is None:
            logger.warning("NUANXIN_NOTIFY_CHANNELS names an unknown channel %r; ignored", name)
        elif channel.configured() and name not in active:
            active.append(name)
    return active


# --- writing -----------------------------------------------------------------------------------


def notify(
    *,
    recipients: Iterable[Any],
    kind: str,
    title: str,
    body: str,
    url: str = "",
    now: datetime | None = None,
) -> list[Notification]:
    """Write one notification per active recipient (each user once; None and inactive users
    are dropped) in the caller's transaction, with a pending delivery per active external
    channel, sent after the commit. Never raises for a channel; returns the notifications."""
    now = now or timezone.now()
    users: dict[int, Any] = {}
    for user in recipients:
        if user is not None and getattr(user, "pk", None) is not None and user.is_active:
            users.setdefault(user.pk, user)
    if not users:
        return []
    notes = Notification.objects.bulk_create(
        [
            Notification(recipient=user, kind=kind, title=title[:200], body=body[:2000], url=url[:300], created_at=now)
            for user in users.values()
        ]
    )
    channels = active_channels()
    deliveries = Delivery.objects.bulk_create(
        [Delivery(notification=note, channel=channel) for note in notes for channel in channels]
    )
    ids = [d.pk for d in deliveries]
    if ids:
        transaction.on_commit(lambda: _enqueue(ids), robust=True)
    return notes


def _enqueue(delivery_ids: list[int]) -> None:
    try:
        deliver_notifications.enqueue(delivery_ids=delivery_ids)
    except Exception:  # the queue is down: the deliveries stay pending for the retry job
        logger.exception("could not queue notification deliveries %s", delivery_ids)


def deliver(delivery_ids: Iterable[int], *, now: datetime | None = None) -> int:
    """Send these deliveries (the task's body); returns how many went out."""
    return sum(attempt_delivery(pk, now=now) for pk in delivery_ids)


@task()
def deliver_notifications(delivery_ids: list[int]) -> int:
    """Send the external deliveries (e-mail, webhook) of notifications just committed. A task
    of its own module, which queues it (core.tasks holds the periodic ones)."""
    return deliver(delivery_ids)


def attempt_delivery(delivery_id: int, *, now: datetime | None = None) -> bool:
    """Try one delivery once. It is claimed with a conditional update, so two workers never
    send it twice at once. Success marks it sent; a Skip marks it skipped; any error marks it
    failed with the error (never raised). Returns whether it was sent."""
    now = now or timezone.now()
    delivery = Delivery.objects.select_related("notification__recipient").filter(pk=delivery_id).first()
    if delivery is None or delivery.status not in (Delivery.Status.PENDING, Delivery.Status.FAILED):
        return False
    claimed = Delivery.objects.filter(pk=delivery.pk, status=delivery.status, attempts=delivery.attempts).update(
        attempts=F("attempts") + 1, last_attempt_at=now
    )
    if claimed != 1:
        return False  # someone else is sending it
    changes: dict[str, Any]
    try:
        channel = CHANNELS.get(delivery.channel)
        if channel is None:
            raise Skip(f"unknown channel {delivery.channel!r}")
        channel().send(delivery.notification)
    except Skip as exc:
        changes = {"status": Delivery.Status.SKIPPED, "last_error": str(exc)[:500]}
    except Exception as exc:  # any failure of the outside world is recorded, never raised
        logger.warning("notification delivery %s via %s failed: %s", delivery.pk, delivery.channel, exc)
        changes = {"status": Delivery.Status.FAILED, "last_error": f"{type(exc).__name__}: {exc}"[:500]}
    else:
        changes = {"status": Delivery.Status.SENT, "last_error": "", "sent_at": timezone.now()}
    Delivery.objects.filter(pk=delivery.pk).update(**changes)
    return changes["status"] == Delivery.Status.SENT


def retry_wait(attempts: int) -> timedelta:
    """How long after its last try a delivery waits before the next: 1, 2, 4, 8... minutes."""
    return timedelta(minutes=2 ** max(attempts - 1, 0))


def retry_deliveries(*, now: datetime | None = None, limit: int = 500) -> int:
    """The retry job: try again each failed delivery whose pause has passed, while it has had
    fewer than NUANXIN_NOTIFY_MAX_ATTEMPTS tries, and each pending one the queue lost (never
    tried a minute after it was written, or tried and left unfinished for ten minutes).
    Returns how many went out."""
    now = now or timezone.now()
    candidates = Delivery.objects.filter(
        status__in=[Delivery.Status.FAILED, Delivery.Status.PENDING], attempts__lt=max_attempts()
    ).select_related("notification")
    sent = 0
    for delivery in candidates.order_by("id")[:limit]:
        if delivery.status == Delivery.Status.FAILED:
            due = delivery.last_attempt_at is None or delivery.last_attempt_at + retry_wait(delivery.attempts) <= now
        elif delivery.last_attempt_at is None:
            due = delivery.notification.created_at + timedelta(minutes=1) <= now
        else:
            due = delivery.last_attempt_at + timedelta(minutes=10) <= now
        if due:
            sent += attempt_delivery(delivery.pk, now=now)
    return sent


# --- the in-app inbox --------------------------------------------------------------------------


def notifications_for(user: Any) -> QuerySet[Notification]:
    """The user's own notifications, newest first (nobody reads another's, admins included)."""
    return Notification.objects.filter(recipient_id=user.pk).order_by("-created_at", "-id")


UNREAD_CAP = 100


def unread_count(user: Any) -> int:
    """Unread notifications, counted up to UNREAD_CAP (the badge shows "99+") in one query."""
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True)[:UNREAD_CAP].count()


def notification_or_404(user: Any, notification_id: int) -> Notification:
    """The user's own notification; another's, or none, is a 404."""
    note = notifications_for(user).filter(pk=notification_id).first()
    if note is None:
        raise Http404
    return note


@transaction.atomic
def mark_read(*, actor: Any, notification: Notification, now: datetime | None = None) -> Notification:
    """Mark one of the actor's notifications read (already read: unchanged)."""
    if notification.recipient_id != getattr(actor, "pk", None):
        raise Http404
    if notification.read_at is None:
        notification.read_at = now or timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
        audit.record("notifications.read", actor=actor, obj=notification)
    return notification


@transaction.atomic
def mark_all_read(*, actor: Any, now: datetime | None = None) -> int:
    """Mark every unread notification of the actor read; returns how many."""
    count = notifications_for(actor).filter(read_at__isnull=True).update(read_at=now or timezone.now())
    if count:
        audit.record("notifications.read_all", actor=actor, detail={"count": count})
    return count
