"""The audit log: append-only and chained with a keyed MAC so an edited or deleted entry is detected;
notifications and their deliveries; and the fields every kept photo has."""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from nuanxin.core.appendonly import AppendOnlyMixin, AppendOnlyModel
from nuanxin.core.scoping import ScopedQuerySet, Scoping


class AuditQuerySet(AppendOnlyMixin, ScopedQuerySet):  # type: ignore[misc]
    pass


class AuditEntry(AppendOnlyModel):
    class Result(models.TextChoices):
        OK = "ok", _("succeeded")
        DENIED = "denied", _("denied")
        FAILED = "failed", _("failed")

    at = models.DateTimeField(_("time (UTC)"), db_index=True)
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True, db_index=True)
    actor_name = models.CharField(_("actor"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=40, blank=True)
    ip = models.CharField(_("IP address"), max_length=45, blank=True)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    object_type = models.CharField(_("object type"), max_length=80, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    result = models.CharField(_("result"), max_length=10, choices=Result.choices, default=Result.OK)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    # The territory path of the object, so auditors on a node see their subtree.
    area_path = models.CharField(_("area path"), max_length=255, blank=True, db_index=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    # The entry's MAC (hex): HMAC-SHA256 under the audit key named by key_id (mac_version 1),
    # or a plain SHA-256 for entries written before the audit key existed (mac_version 0).
    hash = models.CharField(max_length=64, unique=True)
    mac_version = models.PositiveSmallIntegerField(default=1)
    key_id = models.CharField(max_length=16, blank=True)

    # Auditors on a node read entries about their subtree; on no node, everything.
    scoping = Scoping(permission="audit.view", area="area_path")
    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.object_repr}"


class AuditChainHead(models.Model):
    """One row holding the newest MAC; locking it serialises appends to the chain. Whoever can
    write the database can rewrite this row too: the checkpoints outside it are what pin it."""

    last_hash = models.CharField(max_length=64)
    count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.count} entries, head {self.last_hash[:12]}"


class CalendarDay(models.Model):
    """A date where the work calendar departs from "Monday to Friday work, weekends off".

    A holiday is a day off (public holidays and the weekdays swapped into them); a workday is a
    make-up workday (调休上班) on a weekend. Dates not listed follow the weekday rule.
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("holiday (day off)")
        WORKDAY = "workday", _("make-up workday")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("work calendar")

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()} {self.name}".rstrip()


class IdempotencyRecord(models.Model):
    """One `Idempotency-Key` claimed by one caller, and the answer to replay (see core/idempotency.py).

    The row is inserted before the endpoint runs (the unique constraint makes the claim), completed
    with the response when it succeeds, and deleted when it fails, so a corrected retry can run;
    all in the request's one transaction, so other requests only ever see a completed row.
    """

    owner = models.CharField(_("owner"), max_length=100)
    key = models.CharField(_("key"), max_length=128)
    request_hash = models.CharField(_("request hash"), max_length=64)
    completed = models.BooleanField(_("completed"), default=False)
    status = models.PositiveSmallIntegerField(_("status"), null=True, blank=True)
    body = models.JSONField(_("body"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="core_idempotency_owner_key")]
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")

    def __str__(self) -> str:
        return f"{self.owner} {self.key}"


class Notification(models.Model):
    """A message to one user; the row itself is the in-app channel (see core/notifications.py).

    Written in the caller's transaction, so a rolled-back action leaves no notification. The text
    never names or shows a reporter's name or phone: it is built from case numbers, classes and
    places only.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), max_length=2000, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["recipient", "read_at"], name="core_notif_recipient_unread")]

    def __str__(self) -> str:
        return self.title


class Delivery(models.Model):
    """One notification through one external channel (e-mail, webhook): whether it went out.

    A failed delivery keeps its error and is retried by `retry_deliveries` a bounded number of
    times; the notification itself stays in the app whatever happens here.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        SKIPPED = "skipped", _("skipped")

    notification = models.ForeignKey(
        Notification, verbose_name=_("notification"), on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("channel"), max_length=20)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="core_delivery_one_per_channel")
        ]
        indexes = [models.Index(fields=["status", "last_attempt_at"], name="core_delivery_status")]

    def __str__(self) -> str:
        return f"{self.channel} {self.get_status_display()} #{self.notification_id}"


class PhotoRecord(models.Model):
    """A photo stored re-encoded under a random name by core.photos (`accept_photo`), as a
    case, a visit or a station keeps it; served only through its owner's scoped view."""

    name = models.CharField(max_length=200, unique=True)
    content_type = models.CharField(max_length=20)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    class Meta:
        abstract = True
        ordering = ["id"]

    @staticmethod
    def fields_of(stored: Any) -> dict[str, Any]:
        """The record's fields from what `accept_photo` returned."""
        return {
            "name": stored.name,
            "content_type": stored.content_type,
            "width": stored.width,
            "height": stored.height,
        }


class PeriodicClaim(models.Model):
    """One periodic job's turn in one period (period = floor(unix time / interval)).

    Every scheduler (`manage.py run_periodic`, one per app server) tries to insert the row for
    the current period; the unique constraint lets exactly one insert succeed, and only that
    scheduler queues the job. Old rows are deleted by core.periodic as new ones are claimed.
    """

    job = models.CharField(_("job"), max_length=200)
    period = models.BigIntegerField(_("period"))
    claimed_at = models.DateTimeField(_("claimed at"))
    # host:pid of the scheduler that queued it, for whoever wonders which server did.
    claimed_by = models.CharField(_("claimed by"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("periodic job claim")
        verbose_name_plural = _("periodic job claims")
        constraints = [models.UniqueConstraint(fields=["job", "period"], name="core_periodic_claim_once")]

    def __str__(self) -> str:
        return f"{self.job} #{self.period}"
