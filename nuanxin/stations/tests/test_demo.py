import pytest

from nuanxin.demo.builder import build_demo
from nuanxin.stations.models import GreenChannel, MealOffer, ParkingPoint, Station

pytestmark = pytest.mark.django_db


def test_demo_stations_from_the_seed_places() -> None:
    demo = build_demo(seed=7, residents=0, merchants=120, history=None)
    assert demo.counts["stations"] == 8
    assert list(Station.objects.order_by("code").values_list("code", flat=True)) == [
        f"YXQ-{n:02d}" for n in range(1, 9)
    ]
    always = Station.objects.get(place__name="温新驿站·怡心苑")
    assert always.opening_hours == [["00:00", "24:00"]]
    assert {"hot_water", "wifi", "first_aid", "toilet", "charging"} <= set(always.amenities)
    assert Station.objects.exclude(host=None).count() >= 6
    assert MealOffer.objects.count() >= 3 and ParkingPoint.objects.count() == 4 and GreenChannel.objects.count() == 4
