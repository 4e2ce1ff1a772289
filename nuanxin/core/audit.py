"""Writing and checking the audit log.

`record()` appends one entry inside the caller's transaction, so an action that rolls back
leaves no entry. Each entry's hash covers its fields and the previous entry's hash;
`verify_chain()` recomputes them all and reports the first entries that do not match.
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from nuanxin.core.middleware import current_context
from nuanxin.core.models import AuditChainHead, AuditEntry

GENESIS = "0" * 64


def _digest(entry: AuditEntry) -> str:
    payload = [
        entry.prev_hash,
        entry.at.isoformat(timespec="microseconds"),
        entry.actor_id,
        entry.actor_name,
        entry.role,
        entry.ip,
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.object_repr,
        entry.result,
        entry.request_id,
        entry.area_path,
        entry.detail,
    ]
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class _Nobody:
    """An actor recorded as nobody on purpose (an anonymous report): no fallback to the
    request's user, and no IP address."""

    def __repr__(self) -> str:
        return "NOBODY"


NOBODY: Any = _Nobody()


def record(
    action: str,
    *,
    actor: Any = None,
    obj: models.Model | None = None,
    result: str = AuditEntry.Result.OK,
    detail: dict[str, Any] | None = None,
    area_path: str = "",
    object_repr: str = "",
) -> AuditEntry:
    """Append an audit entry. The actor defaults to the user of the current request; pass
    `actor=NOBODY` to record no actor and no IP address (an anonymous reporter).

    `detail` must never hold raw personal data (ID numbers, phones, passwords, tokens).
    """
    ctx = current_context()
    ip = ctx.ip
    if actor is NOBODY:
        actor, ip = None, ""
    elif actor is None and ctx.request is not None:
        user = getattr(ctx.request, "user", None)
        if user is not None and user.is_authenticated:
            actor = user
    if obj is not None and not area_path:
        area_path = str(getattr(obj, "audit_area_path", "") or "")
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1, defaults={"last_hash": GENESIS})
        entry = AuditEntry(
            at=timezone.now(),
            actor_id=getattr(actor, "pk", None),
            actor_name=getattr(actor, "username", "") or "",
            role=str(getattr(actor, "audit_role", "") or ""),
            ip=ip,
            action=action,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            object_repr=(object_repr or (str(obj) if obj is not None else ""))[:200],
            result=result,
            request_id=ctx.request_id,
            area_path=area_path,
            detail=detail or {},
            prev_hash=head.last_hash,
        )
        entry.hash = _digest(entry)
        entry.save()
        head.last_hash = entry.hash
        head.count += 1
        head.save(update_fields=["last_hash", "count"])
    return entry


@dataclass
class ChainProblem:
    entry_id: int | None
    reason: str


def verify_chain(entries: Iterable[AuditEntry] | None = None) -> list[ChainProblem]:
    """Recompute the chain; an empty list means no entry was edited, removed or inserted."""
    problems: list[ChainProblem] = []
    expected_prev = GENESIS
    count = 0
    rows = entries if entries is not None else AuditEntry.objects.order_by("id").iterator(chunk_size=2000)
    for entry in rows:
        count += 1
        if entry.prev_hash != expected_prev:
            problems.append(ChainProblem(entry.id, "previous hash does not match: an entry before it was removed"))
        if _digest(entry) != entry.hash:
            problems.append(ChainProblem(entry.id, "content does not match its hash: the entry was edited"))
        expected_prev = entry.hash
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_hash != expected_prev or head.count != count):
        problems.append(ChainProblem(None, "the newest entries were removed (chain head does not match)"))
    return problems
