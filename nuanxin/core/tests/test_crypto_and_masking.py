import base64
import hashlib
import hmac

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from nuanxin.core import crypto
from nuanxin.core.masking import mask_id_number, mask_phone


@given(st.text(min_size=1, max_size=50))
def test_encryption_round_trips_and_hides_the_plaintext(value):
    token = crypto.encrypt(value)
    assert crypto.decrypt(token) == value
    assert value not in token or len(value) < 3


def test_same_plaintext_encrypts_differently_but_indexes_the_same():
    assert crypto.encrypt("13812345678") != crypto.encrypt("13812345678")
    assert crypto.blind_index("13812345678", purpose="phone") == crypto.blind_index("13812345678", purpose="phone")
    assert crypto.blind_index("13812345678", purpose="phone") != crypto.blind_index("13812345678", purpose="id")


FIELD_KEY = base64.urlsafe_b64encode(b"a fixed 32-byte field key, test!").decode()


@given(st.text(max_size=40), st.sampled_from(["phone", "id", "name", "门牌"]))
def test_the_blind_index_is_the_standard_hmac_of_the_derived_key(value, purpose):
    # Every stored index (phones, ID numbers, user names) was made this way: the fast path
    # must give exactly the standard library's HMAC-SHA256 under the HKDF-derived index key.
    index_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"nuanxin blind index").derive(
        base64.urlsafe_b64decode(FIELD_KEY)
    )
    expected = hmac.new(index_key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()
    with override_settings(NUANXIN_FIELD_KEY=FIELD_KEY):
        assert crypto.blind_index(value, purpose=purpose) == expected
    assert crypto.blind_index(value, purpose=purpose) != expected  # another key, another index


def test_a_flipped_byte_raises_instead_of_returning_wrong_data():
    token = crypto.encrypt("530112199001011234")
    body = bytearray(token.encode())
    body[10] = ord("A") if body[10] != ord("A") else ord("B")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(body.decode())


def test_phone_mask_keeps_three_and_four():
    assert mask_phone("13812345678") == "138****5678"


def test_id_mask_never_shows_the_birth_date():
    masked = mask_id_number("53011219900307123X")
    assert masked == "530112********123X"
    assert "19900307" not in masked


def test_full_width_digits_fold_to_one_canonical_id_and_phone():
    from nuanxin.core.validators import normalize_id_number, normalize_mobile

    ascii_id = "11010519491231002X"
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in ascii_id)
    assert normalize_id_number(full_width) == ascii_id
    assert normalize_mobile("１３８１２３４５６７８") == "13812345678"


def test_other_unicode_digits_are_refused():
    import pytest as _pytest

    from nuanxin.core.errors import DomainError
    from nuanxin.core.validators import normalize_mobile

    with _pytest.raises(DomainError):
        normalize_mobile("١٣٨١٢٣٤٥٦٧٨")  # Arabic-Indic digits are not a mainland mobile number
