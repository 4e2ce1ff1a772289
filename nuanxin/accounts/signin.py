"""Sign-in identifiers and the lockout (reference AUTH-3).

Whatever a person types to sign in is first brought to one form (`signin_identifier`), so
"199 5550 1234", "+86 199-5550-1234" and full-width "１９９５５５０１２３４" are one number for
the account lookup and for the lockout count alike. The sign-in page, the API token endpoint
and django-axes (AXES_USERNAME_CALLABLE) all go through it.

The lockout counts failed attempts per account, from any address (AXES_FAILURE_LIMIT), and
per address, over any accounts (SIGNIN_ADDRESS_FAILURE_LIMIT, higher: an office's people share
one address). Reaching either limit refuses every sign-in it covers, the right password
included, until AXES_COOLOFF_TIME has passed. django-axes has one failure limit for all its
lockout parameters, so `LockoutHandler` counts the two itself from axes' AccessAttempt rows.
"""

import re
import unicodedata
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest

from nuanxin.core.crypto import blind_index

# A mainland mobile number: 11 ASCII digits, 13 to 19 first.
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
# What people put between the digits of a number: hyphens and dashes, brackets, dots.
_NUMBER_SEPARATORS = re.compile(r"[\-\u2010-\u2015().]")
# The ways a number is written with China's country code in front.
_COUNTRY_CODES = ("+86", "0086", "86")
# Usernames are at most 150 characters (Django's field); the lockout key never holds more.
_KEY_LENGTH = 150
_LOCKOUT_PURPOSE = "signin-lockout"


def signin_identifier(typed: str | None) -> str:
    """The one form of what someone typed in the username box: full-width characters folded
    (NFKC), spaces and invisible characters (controls, zero-width and direction marks) removed;
    a mainland mobile number as its 11 digits (separators and a leading +86, 0086 or 86
    dropped); anything else is a username, its letters' case kept (usernames are matched
    exactly)."""
    text = unicodedata.normalize("NFKC", typed or "")
    text = "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) not in ("Cc", "Cf"))
    number = _NUMBER_SEPARATORS.sub("", text)
    if _MOBILE.match(number):
        return number
    for prefix in _COUNTRY_CODES:
        if number.startswith(prefix) and _MOBILE.match(number[len(prefix) :]):
            return number[len(prefix) :]
    return text


def lockout_key(typed: str | None) -> str:
    """The name a failed attempt is counted under: the sign-in identifier, lower-cased, so
    "Grid1-Worker" and "grid1-worker" count against one account. A mobile number is counted
    under its keyed hash: axes keeps its rows in the clear, and a phone is personal data."""
    identifier = signin_identifier(typed)
    if _MOBILE.match(identifier):
        return "phone:" + blind_index(identifier, purpose=_LOCKOUT_PURPOSE)
    return identifier.lower()[:_KEY_LENGTH]


def axes_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    """AXES_USERNAME_CALLABLE: the lockout key of the username in the credentials (or in the
    posted form). The key of an attempt that carried a password is kept on the request, so a
    success resets the failures of what was typed (a phone number) besides the account's
    username."""
    typed = (credentials or {}).get("username")
    if typed is None and request is not None and hasattr(request, "POST"):
        typed = request.POST.get("username")
    if typed is None:
        return None
    key = lockout_key(str(typed))
    if request is not None and credentials and "password" in credentials:
        request.nuanxin_signin_key = key  # type: ignore[attr-defined]
    return key


def address_failure_limit() -> int:
    """Failed sign-ins from one address, over all accounts, before the address is locked."""
    return int(settings.SIGNIN_ADDRESS_FAILURE_LIMIT)


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler with two limits: per account and per address.

    `get_failures` answers the account's count, or the account limit once the address has
    reached its own, so axes' one comparison with AXES_FAILURE_LIMIT locks on either. A
    success resets the account's failures only: resetting the address's too would let a
    sprayer wipe their count by signing in to an account of their own now and then."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
        username = get_client_username(request, credentials)
        by_account = _failures(recent.filter(username=username)) if username else 0
        by_address = _failures(recent.filter(ip_address=getattr(request, "axes_ip_address", None)))
        if by_address >= address_failure_limit():
            return max(by_account, get_failure_limit(request, credentials))
        return by_account

    def reset_user_attempts(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        keys = {get_client_username(request, credentials), getattr(request, "nuanxin_signin_key", None)}
        count, _ = AccessAttempt.objects.filter(username__in=[key for key in keys if key]).delete()
        return count


def _failures(attempts: Any) -> int:
    return attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
