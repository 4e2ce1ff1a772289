"""One-time codes that prove a person holds a mobile number (joining: docs/volunteers.md).

A code is 6 digits from `secrets`, sent by text message (core.notifications.send_text). Only
its HMAC is kept, in the shared "ratelimit" cache (every worker and server sees it), with a
short life (NUANXIN_PHONE_CODE_SECONDS, 10 minutes) and a few tries (NUANXIN_PHONE_CODE_TRIES,
5), after which it is gone and a new one must be sent. A new code replaces the last one for
that number. At most RATE_LIMIT_PHONE_CODE codes go to one number an hour.
"""

import hmac
import secrets
from typing import Any

from django.conf import settings
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from nuanxin.core import audit, ratelimit
from nuanxin.core.errors import DomainError
from nuanxin.core.notifications import SentText, send_text

CODE_DIGITS = 6


def code_seconds() -> int:
    return int(settings.NUANXIN_PHONE_CODE_SECONDS)


def code_tries() -> int:
    return int(settings.NUANXIN_PHONE_CODE_TRIES)


def _digest(purpose: str, value: str) -> str:
    return salted_hmac(f"nuanxin.phone_codes.{purpose}", value, algorithm="sha256").hexdigest()


def _entry_key(purpose: str, phone: str) -> str:
    return f"phone_code:{purpose}:{_digest('phone', phone)}"


def send_code(*, phone: str, purpose: str, text: str) -> SentText:
    """Make a fresh code for the normalised mobile `phone` and send it; `text` holds
    "%(code)s" where the code goes (and may hold "%(minutes)d", how long it is valid).
    Refuses with RateLimited (field "phone") past the allowance for this number, and
    DomainError (field "phone") when no text-message channel is set up or the gateway fails
    (then no code is kept). Audited `phone_code.sent` with
    the channel, never the number or the code."""
    who = _digest("phone", phone)
    ratelimit.hit("phone_code", who, field="phone")
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    words = text % {"code": code, "minutes": max(code_seconds() // 60, 1)}
    sent = send_text(phone=phone, kind=f"{purpose}.code", text=words)
    nonce = secrets.token_hex(8)
    entry = {"digest": _digest(f"code.{nonce}", code), "nonce": nonce}
    ratelimit.counter_cache().set(_entry_key(purpose, phone), entry, timeout=code_seconds())
    audit.record("phone_code.sent", detail={"purpose": purpose, "channel": sent.channel})
    return sent


def check_code(*, phone: str, purpose: str, code: Any) -> None:
    """Accept the code last sent to `phone` for `purpose`, or raise DomainError (field
    "code"): none sent or expired ("expired"), wrong ("wrong"; each wrong try spends one of
    the code's tries, counted atomically, and the last one forgets the code). A right code
    stays valid until `forget_code` or its expiry, so a join refused for another field can
    be sent again without a new code."""
    cache = ratelimit.counter_cache()
    key = _entry_key(purpose, phone)
    entry = cache.get(key)
    if not entry:
        raise DomainError(_("This code has expired. Send a new one."), field="code", code="expired")
    typed = str(code or "").strip()
    expected = entry["digest"]
    if hmac.compare_digest(_digest(f"code.{entry['nonce']}", typed), expected):
        return
    tries_key = f"{key}:tries:{entry['nonce']}"
    if cache.add(tries_key, 1, timeout=code_seconds()):
        spent = 1
    else:
        try:
            spent = int(cache.incr(tries_key))
        except ValueError:
            spent = code_tries()
    if spent >= code_tries():
        cache.delete(key)
        audit.record("phone_code.exhausted", result="denied", detail={"purpose": purpose})
        raise DomainError(_("Wrong code too many times. Send a new one."), field="code", code="expired")
    raise DomainError(_("Wrong code. Check the text message and try again."), field="code", code="wrong")


def forget_code(*, phone: str, purpose: str) -> None:
    """The code has done its job: it cannot be used again."""
    ratelimit.counter_cache().delete(_entry_key(purpose, phone))
