"""ID numbers (GB 11643), mobiles and names are checked before anything is written."""

from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from nuanxin.core.errors import DomainError
from nuanxin.core.validators import (
    id_check_digit,
    id_check_of_sum,
    id_weighted_sum,
    normalize_id_number,
    normalize_mobile,
)
from nuanxin.people.actions import pinyin_keys
from nuanxin.people.tests.sample import make_id

CHECK_CHARACTERS = "0123456789X"

valid_first17 = st.builds(
    lambda region, born, sequence: f"{region}{born:%Y%m%d}{sequence:03d}",
    st.sampled_from(["110101", "530112", "310104", "440305"]),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)),
    st.integers(min_value=0, max_value=999),
)


@given(valid_first17)
def test_an_id_number_with_its_check_digit_is_accepted(first17):
    assert normalize_id_number(make_id(first17).lower()) == make_id(first17)


@given(valid_first17, st.sampled_from(CHECK_CHARACTERS))
def test_an_id_number_with_any_other_check_digit_is_rejected(first17, check):
    assume(check != id_check_digit(first17))
    with pytest.raises(DomainError) as error:
        normalize_id_number(first17 + check)
    assert error.value.field == "id_number"


@given(valid_first17, st.integers(min_value=0, max_value=17))
def test_the_check_digit_summed_from_two_parts_is_the_whole_numbers(first17, cut):
    # The city generator sums a region's and a birth day's part once for many numbers.
    head, tail = first17[:cut], first17[cut:]
    assert id_check_of_sum(id_weighted_sum(head) + id_weighted_sum(tail, cut)) == id_check_digit(first17)


@pytest.mark.parametrize(
    "bad",
    ["", "53011219800307123", "5301121980030712345", "53011219801307123X", "530112190002301234", "53011219800307123A"],
)
def test_malformed_id_numbers_are_rejected(bad):
    with pytest.raises(DomainError):
        normalize_id_number(bad)


def test_a_known_id_number_passes():
    # The example in GB 11643-1999's annex.
    assert normalize_id_number("11010519491231002X") == "11010519491231002X"


@pytest.mark.parametrize("good", ["13812345678", "138 1234 5678", "+8613812345678", "199-1234-5678"])
def test_mobile_numbers_are_normalised(good):
    assert normalize_mobile(good) == good.replace(" ", "").replace("-", "").removeprefix("+86")


@pytest.mark.parametrize("bad", ["", "12812345678", "1381234567", "138123456789", "0871-1234567", "abc"])
def test_bad_mobile_numbers_are_rejected(bad):
    with pytest.raises(DomainError) as error:
        normalize_mobile(bad)
    assert error.value.field == "phone"


@pytest.mark.parametrize(
    ("name", "full", "initials"),
    [
        ("张三", "zhangsan", "zs"),
        ("曾国藩", "zengguofan", "zgf"),  # a surname's own reading, not the everyday one
        ("单田芳", "shantianfang", "stf"),
        ("吕布", "lvbu", "lb"),
        ("阿依古丽·买买提", "ayigulimaimaiti", "aygl" + "mmt"),
    ],
)
def test_names_get_pinyin_and_initials(name, full, initials):
    assert pinyin_keys(name) == (full, initials)
