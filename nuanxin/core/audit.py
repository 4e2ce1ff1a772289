"""Writing and checking the audit log.

`record()` appends one entry inside the caller's transaction, so an action that rolls back
leaves no entry. Each entry carries a MAC (HMAC-SHA256) over its fields and the previous
entry's MAC, under the audit key NUANXIN_AUDIT_KEY, which lives outside the database: someone
who can write the database but has not the key cannot recompute the chain after an edit.

The chain head is a database row, so whoever can write the database can cut off the newest
entries with it. Checkpoints pin it: `write_checkpoint()` appends a signed line (time, last
entry id, its MAC, count) to NUANXIN_AUDIT_CHECKPOINT_FILE and to the `nuanxin.audit.checkpoint`
logger, every hour (a periodic job) and at every backup and restore. `verify_log()` checks the
chain and every checkpoint since the last restore against it.

Entries written before the key existed (mac_version 0) carry a plain SHA-256; they verify
with it as long as no keyed entry comes before them. Old keys stay in NUANXIN_AUDIT_OLD_KEYS
after a rotation; each entry and checkpoint names its key by key_id. See docs/audit.md.
"""

import base64
import binascii
import functools
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models, transaction
from django.utils import timezone

from nuanxin.core.inserts import insert_sql, inserted
from nuanxin.core.middleware import current_context
from nuanxin.core.models import AuditChainHead, AuditEntry

GENESIS = "0" * 64
LEGACY = 0  # mac_version of entries written before the audit key: a plain SHA-256
KEYED = 1  # HMAC-SHA256 under the audit key named by key_id

checkpoint_logger = logging.getLogger("nuanxin.audit.checkpoint")


# ---------------------------------------------------------------------------------------
# Keys


@dataclass(frozen=True)
class AuditKey:
    key_id: str
    entry_key: bytes
    checkpoint_key: bytes


def _audit_key(master: bytes) -> AuditKey:
    # One master key, three separate uses: the id names it without revealing it.
    def derive(purpose: bytes) -> bytes:
        return hmac.new(master, purpose, hashlib.sha256).digest()

    return AuditKey(
        key_id=derive(b"nuanxin audit key id").hex()[:16],
        entry_key=derive(b"nuanxin audit entries"),
        checkpoint_key=derive(b"nuanxin audit checkpoints"),
    )


def _decode_key(text: str, name: str) -> bytes:
    try:
        master = base64.urlsafe_b64decode(text.strip())
    except (binascii.Error, ValueError):
        master = b""
    if len(master) != 32:
        raise ImproperlyConfigured(f"{name} must be 32 bytes, urlsafe base64.")
    return master


@functools.cache
def _keyring(current: str, old: str, secret_key: str) -> tuple[AuditKey, dict[str, AuditKey]]:
    if current:
        master = _decode_key(current, "NUANXIN_AUDIT_KEY")
    else:
        # Development only (production refuses to start without the key): derived from
        # SECRET_KEY so a fresh machine works.
        master = hashlib.sha256(("nuanxin-audit-key:" + secret_key).encode()).digest()
    key = _audit_key(master)
    keys = {key.key_id: key}
    for text in old.split(","):
        if text.strip():
            retired = _audit_key(_decode_key(text, "each of NUANXIN_AUDIT_OLD_KEYS"))
            keys.setdefault(retired.key_id, retired)
    return key, keys


def current_key() -> AuditKey:
    """The key new entries and checkpoints are signed with."""
    return _keyring(settings.NUANXIN_AUDIT_KEY, settings.NUANXIN_AUDIT_OLD_KEYS, settings.SECRET_KEY)[0]


def key_by_id(key_id: str) -> AuditKey | None:
    """The current key or a retired one (NUANXIN_AUDIT_OLD_KEYS) by its id; None if unknown."""
    keys = _keyring(settings.NUANXIN_AUDIT_KEY, settings.NUANXIN_AUDIT_OLD_KEYS, settings.SECRET_KEY)[1]
    return keys.get(key_id)


# ---------------------------------------------------------------------------------------
# Entry MACs


def _fields(entry: AuditEntry) -> list[Any]:
    return [
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


def _canonical(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def legacy_digest(entry: AuditEntry) -> str:
    """The plain SHA-256 of entries written before the audit key (mac_version 0)."""
    return hashlib.sha256(_canonical(_fields(entry))).hexdigest()


def entry_mac(entry: AuditEntry, key: AuditKey) -> str:
    # The version and key id are inside the MAC, so neither can be swapped afterwards.
    return hmac.new(key.entry_key, _canonical([KEYED, key.key_id, *_fields(entry)]), hashlib.sha256).hexdigest()


def seal(entry: AuditEntry, key: AuditKey | None = None) -> AuditEntry:
    """Set the entry's MAC (and its key id and version) from its fields and prev_hash; for any
    writer that appends entries itself (record() does it for one entry). The caller keeps the
    chain: prev_hash is the MAC of the entry before, and the head follows the last one."""
    key = key or current_key()
    entry.mac_version = KEYED
    entry.key_id = key.key_id
    entry.hash = entry_mac(entry, key)
    return entry


class _Nobody:
    """An actor recorded as nobody on purpose (an anonymous report): no fallback to the
    request's user, and no IP address."""

    def __repr__(self) -> str:
        return "NOBODY"


NOBODY: Any = _Nobody()


class _System:
    """The installation itself acting on purpose (the demo builder, the test world, a side
    effect the rules allow): no user, no fallback to the request's user; recorded with the
    role "system". Permission checks let it pass only when they test `actor is SYSTEM`."""

    pk = None
    username = ""
    audit_role = "system"

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM: Any = _System()


def _actor_and_ip(actor: Any) -> tuple[Any, str]:
    """Whom an entry names, and from where: NOBODY is no one from nowhere; None is the
    current request's user, and outside a request (a periodic job, a command) the
    installation itself, recorded as SYSTEM (role "system"), as its system scope acts."""
    ctx = current_context()
    if actor is NOBODY:
        return None, ""
    if actor is None and ctx.request is None:
        return SYSTEM, ctx.ip
    if actor is None:
        user = getattr(ctx.request, "user", None)
        if user is not None and user.is_authenticated:
            return user, ctx.ip
    return actor, ctx.ip


def load_actor(actor: Any = None) -> None:
    """Load now what record() will say of `actor` (their roles, a query that the user object
    keeps), for an action about to lock rows it holds until COMMIT: the query then runs
    before the locks, not under them."""
    getattr(_actor_and_ip(actor)[0], "audit_role", None)


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
    actor, ip = _actor_and_ip(actor)
    if obj is not None and not area_path:
        area_path = str(getattr(obj, "audit_area_path", "") or "")
    key = current_key()  # before the lock: a bad key fails without holding it
    # Every field but the time and the chain before the lock too: the actor's role may be a
    # query (their role grants), and the head is held by every writer until COMMIT.
    entry = AuditEntry(
        actor_id=getattr(actor, "pk", None),
        actor_name=getattr(actor, "username", "") or "",
        role=str(getattr(actor, "audit_role", "") or ""),
        ip=ip,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=(object_repr or (str(obj) if obj is not None else ""))[:200],
        result=result,
        request_id=current_context().request_id,
        area_path=area_path,
        detail=detail or {},
    )
    # No savepoint of its own inside a caller's transaction: a failure here fails the caller's
    # work too (nothing may commit unrecorded), and a savepoint's two statements would run
    # while the head is locked.
    with transaction.atomic(savepoint=False):
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1, defaults={"last_hash": GENESIS})
        entry.at, entry.prev_hash = timezone.now(), head.last_hash
        seal(entry, key)
        head.last_hash = entry.hash
        head.count += 1
        if connection.vendor == "postgresql":
            _append(entry, head)
        else:
            entry.save()
            head.save(update_fields=["last_hash", "count"])
    return entry


def _append(entry: AuditEntry, head: AuditChainHead) -> None:
    """The entry inserted and the head moved on in one statement (a data-modifying WITH, which
    PostgreSQL has and SQLite has not): every statement under the head's lock is a round trip
    in which every other audited write waits. The INSERT is the one Django writes for the
    entry; the entry gets its id as save() would give it."""
    values, params = insert_sql(entry)
    table, pk = connection.ops.quote_name(AuditChainHead._meta.db_table), connection.ops.quote_name("id")
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH entry AS ({values}) "  # noqa: S608 (Django's INSERT and names, not values)
            f'UPDATE {table} SET "last_hash" = %s, "count" = %s WHERE {pk} = %s RETURNING (SELECT {pk} FROM entry)',
            [*params, head.last_hash, head.count, head.pk],
        )
        (entry_id,) = cursor.fetchone()
    inserted(entry, entry_id)


# ---------------------------------------------------------------------------------------
# Checkpoints


class CheckpointError(Exception):
    """A checkpoint that cannot be written truthfully (the head names no entry)."""


@dataclass(frozen=True)
class Checkpoint:
    at: str
    kind: str  # "periodic", "backup", "restore" or "manual"
    last_id: int
    last_mac: str
    count: int
    key_id: str
    note: str = ""

    def signature(self, key: AuditKey) -> str:
        return hmac.new(key.checkpoint_key, _canonical(asdict(self)), hashlib.sha256).hexdigest()


def checkpoint_path() -> Path:
    return Path(settings.NUANXIN_AUDIT_CHECKPOINT_FILE)


def write_checkpoint(*, kind: str, note: str = "") -> Checkpoint:
    """Append the chain head (last entry id, its MAC, the count), signed with the audit key,
    to the checkpoint file and the `nuanxin.audit.checkpoint` log. Raises CheckpointError when
    the head names no entry (someone rewrote it): signing that would vouch for the damage."""
    key = current_key()
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None or head.count == 0:
        last_id, last_mac, count = 0, GENESIS, 0
    else:
        found = AuditEntry.objects.filter(hash=head.last_hash).values_list("id", flat=True).first()
        if found is None:
            checkpoint_logger.error("audit chain head names no entry; no checkpoint written: run audit_verify")
            raise CheckpointError("the audit chain head names no entry: run manage.py audit_verify")
        last_id, last_mac, count = found, head.last_hash, head.count
    checkpoint = Checkpoint(
        at=timezone.now().isoformat(timespec="seconds"),
        kind=kind,
        last_id=last_id,
        last_mac=last_mac,
        count=count,
        key_id=key.key_id,
        note=note[:200],
    )
    line = json.dumps({**asdict(checkpoint), "sig": checkpoint.signature(key)}, ensure_ascii=False) + "\n"
    path = checkpoint_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Appended in one write (O_APPEND), never rewritten; owner-only.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    checkpoint_logger.info("audit checkpoint %s", line.rstrip("\n"))
    return checkpoint


@dataclass
class ChainProblem:
    entry_id: int | None
    reason: str


_CHECKPOINT_FIELDS = {"at": str, "kind": str, "last_id": int, "last_mac": str, "count": int, "key_id": str}


def read_checkpoints(path: Path | None = None) -> tuple[list[Checkpoint], list[ChainProblem]]:
    """The checkpoints of the file whose signature holds, in file order, and a problem for each
    line that is unreadable, signed with an unknown key, or altered. No file: no checkpoints."""
    path = path or checkpoint_path()
    checkpoints: list[Checkpoint] = []
    problems: list[ChainProblem] = []
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            fields = {name: data[name] for name in _CHECKPOINT_FIELDS}
            if not all(type(fields[name]) is kind for name, kind in _CHECKPOINT_FIELDS.items()):
                raise TypeError("a field has the wrong type")
            checkpoint = Checkpoint(**fields, note=str(data.get("note", "")))
            signature = str(data["sig"])
        except (ValueError, KeyError, TypeError):
            problems.append(ChainProblem(None, f"checkpoint line {number} is unreadable: the file was altered"))
            continue
        key = key_by_id(checkpoint.key_id)
        if key is None:
            problems.append(
                ChainProblem(
                    None,
                    f"checkpoint line {number} is signed with an unknown audit key ({checkpoint.key_id}): "
                    "the line was forged, or a retired key is missing from NUANXIN_AUDIT_OLD_KEYS",
                )
            )
        elif not hmac.compare_digest(checkpoint.signature(key), signature):
            problems.append(
                ChainProblem(None, f"checkpoint line {number} does not match its signature: the line was altered")
            )
        else:
            checkpoints.append(checkpoint)
    return checkpoints, problems


# ---------------------------------------------------------------------------------------
# Verifying


def _mac_problem(entry: AuditEntry, keyed_before: bool) -> str | None:
    if entry.mac_version == LEGACY:
        if keyed_before:
            return "written without the audit key after keyed entries: the entry was rewritten"
        if legacy_digest(entry) != entry.hash:
            return "content does not match its hash: the entry was edited"
        return None
    if entry.mac_version != KEYED:
        return f"unknown MAC version {entry.mac_version}: the entry was rewritten"
    key = key_by_id(entry.key_id)
    if key is None:
        return (
            f"signed with an unknown audit key ({entry.key_id}): the entry was forged, "
            "or a retired key is missing from NUANXIN_AUDIT_OLD_KEYS"
        )
    if not hmac.compare_digest(entry_mac(entry, key), entry.hash):
        return "content does not match its MAC: the entry was edited or its MAC recomputed without the key"
    return None


def verify_chain(
    entries: Iterable[AuditEntry] | None = None, *, checkpoints: Sequence[Checkpoint] = ()
) -> list[ChainProblem]:
    """Recompute the chain and compare it with the given checkpoints; an empty list means no
    entry was edited, removed or inserted (and, with checkpoints, none cut off the end)."""
    problems: list[ChainProblem] = []
    expected_prev = GENESIS
    count = 0
    keyed_before = False
    wanted = {checkpoint.last_id for checkpoint in checkpoints}
    seen: dict[int, tuple[int, str]] = {}  # entry id → (entries up to it, its MAC)
    rows = entries if entries is not None else AuditEntry.objects.order_by("id").iterator(chunk_size=2000)
    for entry in rows:
        count += 1
        if entry.prev_hash != expected_prev:
            problems.append(ChainProblem(entry.id, "previous hash does not match: an entry before it was removed"))
        reason = _mac_problem(entry, keyed_before)
        if reason:
            problems.append(ChainProblem(entry.id, reason))
        keyed_before = keyed_before or entry.mac_version != LEGACY
        if entry.id in wanted:
            seen[entry.id] = (count, entry.hash)
        expected_prev = entry.hash
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_hash != expected_prev or head.count != count):
        problems.append(ChainProblem(None, "the newest entries were removed (chain head does not match)"))
    for checkpoint in checkpoints:
        if checkpoint.count == 0:
            continue  # taken on an empty log: nothing to pin
        where = f"the {checkpoint.kind} checkpoint of {checkpoint.at}"
        got = seen.get(checkpoint.last_id)
        if got is None:
            problems.append(
                ChainProblem(
                    checkpoint.last_id,
                    f"missing, though {where} names it as entry {checkpoint.count}: the newest entries were removed",
                )
            )
        elif got[1] != checkpoint.last_mac:
            problems.append(ChainProblem(checkpoint.last_id, f"does not match {where}: the chain was rewritten"))
        elif got[0] != checkpoint.count:
            problems.append(
                ChainProblem(
                    checkpoint.last_id,
                    f"is entry {got[0]} of the log but entry {checkpoint.count} in {where}: entries were removed",
                )
            )
    return problems


@dataclass
class LogReport:
    problems: list[ChainProblem]
    entries: int
    # The checkpoints compared with the chain: those since the last restore.
    checkpoints: list[Checkpoint]


def verify_log() -> LogReport:
    """Check the whole log: the checkpoint file's signatures, the chain, and the chain against
    every checkpoint since the last restore (a restore brings back an older chain on purpose;
    it writes its own checkpoint, so the checkpoints before it describe a chain that is gone)."""
    checkpoints, problems = read_checkpoints()
    restores = [i for i, checkpoint in enumerate(checkpoints) if checkpoint.kind == "restore"]
    current = checkpoints[restores[-1] :] if restores else checkpoints
    problems += verify_chain(checkpoints=current)
    return LogReport(problems=problems, entries=AuditEntry.objects.count(), checkpoints=current)
