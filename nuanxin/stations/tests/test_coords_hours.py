from datetime import time

import pytest

from nuanxin.core.coords import (
    bd09_to_gcj02,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    out_of_china,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from nuanxin.core.errors import DomainError
from nuanxin.stations.hours import ALL_DAY, is_open_at, parse_hours


# Reference values of the standard formulas (as published with the widely used
# coordTransform libraries) for Tiananmen, 116.404 E 39.915 N.
def test_wgs84_to_gcj02_matches_reference() -> None:
    lng, lat = wgs84_to_gcj02(116.404, 39.915)
    assert lng == pytest.approx(116.41024449916938, abs=1e-9)
    assert lat == pytest.approx(39.91640428150164, abs=1e-9)


def test_gcj02_to_bd09_and_back_match_reference() -> None:
    assert gcj02_to_bd09(116.404, 39.915) == pytest.approx((116.41036949371029, 39.92133699351022), abs=1e-9)
    assert bd09_to_gcj02(116.404, 39.915) == pytest.approx((116.39762729119315, 39.90865673957631), abs=1e-9)


def test_round_trips_within_a_few_centimetres() -> None:
    for lng, lat in [(102.7035, 24.9815), (121.4737, 31.2304), (116.404, 39.915)]:
        back = gcj02_to_wgs84(*wgs84_to_gcj02(lng, lat))
        assert back == pytest.approx((lng, lat), abs=1e-7)
        assert bd09_to_gcj02(*gcj02_to_bd09(lng, lat)) == pytest.approx((lng, lat), abs=1e-5)


def test_kunming_offset_is_a_few_hundred_metres() -> None:
    glng, glat = wgs84_to_gcj02(102.7035, 24.9815)
    blng, blat = wgs84_to_bd09(102.7035, 24.9815)
    assert 0.001 < abs(glng - 102.7035) < 0.01 and 0.001 < abs(glat - 24.9815) < 0.01
    assert 0.005 < abs(blng - 102.7035) < 0.02


def test_outside_china_is_unchanged() -> None:
    assert out_of_china(2.35, 48.85)
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert wgs84_to_bd09(2.35, 48.85) == (2.35, 48.85)


@pytest.mark.parametrize("text", ["00:00-24:00", "24小时", "24h", "24H", "全天"])
def test_all_day_spellings(text: str) -> None:
    assert parse_hours(text) == ALL_DAY


@pytest.mark.parametrize(
    ("text", "ranges"),
    [
        ("09:00-22:00", [["09:00", "22:00"]]),
        ("9:00-12:00,14:00-22:30", [["09:00", "12:00"], ["14:00", "22:30"]]),
        ("08:30-12:00，14:00-21:00", [["08:30", "12:00"], ["14:00", "21:00"]]),
        ("08:30 - 12:00、 14:00～21:00", [["08:30", "12:00"], ["14:00", "21:00"]]),
        ("18:00-02:00", [["18:00", "02:00"]]),
    ],
)
def test_ranges_parse(text: str, ranges: list[list[str]]) -> None:
    assert parse_hours(text) == ranges


@pytest.mark.parametrize("text", ["", "morning", "25:00-26:00", "09:00-09:00", "09:60-10:00", "9-22", "09:00-24:30"])
def test_bad_hours_are_refused_naming_the_field(text: str) -> None:
    with pytest.raises(DomainError) as exc:
        parse_hours(text, field="hours")
    assert exc.value.field == "hours"


def test_open_at() -> None:
    assert is_open_at([["09:00", "22:00"]], time(9, 0))
    assert not is_open_at([["09:00", "22:00"]], time(22, 0))
    assert is_open_at([["18:00", "02:00"]], time(1, 30))
    assert not is_open_at([["18:00", "02:00"]], time(3, 0))
    assert is_open_at(ALL_DAY, time(23, 59))
