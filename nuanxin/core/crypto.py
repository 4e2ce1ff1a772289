"""AES-GCM encryption of personal data at rest, and HMAC blind indexes for exact lookup.

The key is NUANXIN_FIELD_KEY (32 bytes, urlsafe base64) from the environment. Without it a
key is derived from SECRET_KEY so a fresh machine works; production must set its own.
Ciphertext layout: "v1:" + base64(nonce 12 bytes + ciphertext + tag). A flipped byte fails
authentication and raises instead of returning wrong data.
"""

import base64
import functools
import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_PREFIX = "v1:"


class DecryptionError(Exception):
    """Stored ciphertext failed authentication (tampered, or the wrong key)."""


@functools.cache
def _keys(master_setting: str, secret_key: str) -> tuple[bytes, bytes]:
    if master_setting:
        master = base64.urlsafe_b64decode(master_setting)
        if len(master) != 32:
            raise ValueError("NUANXIN_FIELD_KEY must be 32 bytes, urlsafe base64")
    else:
        master = hashlib.sha256(("nuanxin-field-key:" + secret_key).encode()).digest()

    def derive(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)

    return derive(b"nuanxin aes-gcm"), derive(b"nuanxin blind index")


def _current_keys() -> tuple[bytes, bytes]:
    return _keys(settings.NUANXIN_FIELD_KEY, settings.SECRET_KEY)


def encrypt(plaintext: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_current_keys()[0]).encrypt(nonce, plaintext.encode(), None)
    return _PREFIX + base64.b64encode(nonce + sealed).decode()


def decrypt(token: str) -> str:
    if not token.startswith(_PREFIX):
        raise DecryptionError("unknown ciphertext format")
    try:
        raw = base64.b64decode(token[len(_PREFIX) :], validate=True)
        return AESGCM(_current_keys()[0]).decrypt(raw[:12], raw[12:], None).decode()
    except Exception as exc:  # InvalidTag, binascii.Error, UnicodeDecodeError
        raise DecryptionError("ciphertext failed authentication") from exc


def blind_index(value: str, *, purpose: str) -> str:
    """A keyed hash of a normalised value, for exact-match lookup without decrypting."""
    message = f"{purpose}:{value}".encode()
    return hmac.new(_current_keys()[1], message, hashlib.sha256).hexdigest()
