"""The codes printed as QR at a venue (an activity's check-in, a joint meeting's sign-in): the
object's id signed with its own secret, so a new secret voids every printed code, and a code
can be neither forged nor moved to another object. Which object, and when a code is valid,
stay with the app that prints it."""

import secrets
from collections.abc import Callable
from typing import TypeVar

from django.core import signing
from django.utils.translation import gettext as _

from nuanxin.core.errors import DomainError
from nuanxin.core.validators import ascii_int

T = TypeVar("T")


def new_secret() -> str:
    return secrets.token_urlsafe(24)


def _signer(salt: str, secret: str) -> signing.Signer:
    return signing.Signer(salt=f"{salt}:{secret}")


def code_for(salt: str, pk: int, secret: str) -> str:
    """The code of the object `pk` with `secret` (`salt` names the kind of object)."""
    return _signer(salt, secret).sign(str(pk))


def object_for(token: str, salt: str, find: Callable[[int], T | None], secret_of: Callable[[T], str]) -> T:
    """The object a code belongs to, found by `find(id)` and checked against its secret;
    refuses a forged, mangled or voided code, naming "token"."""
    value, _sep, _signature = (token or "").partition(":")
    pk = ascii_int(value)
    found = find(pk) if pk else None
    if found is None or not secret_of(found):
        raise DomainError(_("This check-in code is not genuine."), field="token")
    try:
        _signer(salt, secret_of(found)).unsign(token)
    except signing.BadSignature:
        raise DomainError(_("This check-in code is not genuine."), field="token") from None
    return found
