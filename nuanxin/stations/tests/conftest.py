from dataclasses import dataclass
from typing import Any

import pytest

from nuanxin.cases.catalogue import install_catalogue
from nuanxin.stations import actions
from nuanxin.stations.models import Station
from nuanxin.territory import actions as territory_actions
from nuanxin.territory.models import Place
from nuanxin.testing import SYSTEM_SCOPE, Shared, World, own_copy


@dataclass
class Stations:
    station: Station  # YXQ-01 on world.station (grid 2), host: the grid 2 compound
    host: Place
    merchant: Place  # grid 1
    bare: Place  # a station place in grid 1 with no record yet


def _stations(world: World) -> Stations:
    install_catalogue(actor=None)
    merchant = territory_actions.create_place(
        actor=None, scope=SYSTEM_SCOPE, kind="merchant", name="小锅米线", lng=102.7012, lat=24.9812
    )
    bare = territory_actions.create_place(
        actor=None, scope=SYSTEM_SCOPE, kind="station", name="温新驿站二号", lng=102.7008, lat=24.9808
    )
    station = actions.create_station(
        actor=None,
        scope=SYSTEM_SCOPE,
        place=world.station,
        code="YXQ-01",
        host=world.compound2,
        opening_hours_text="00:00-24:00",
        amenities=["hot_water", "wifi", "microwave"],
        contact_name="王师傅",
        contact_phone="0871-65551234",
    )
    return Stations(station=station, host=world.compound2, merchant=merchant, bare=bare)


@pytest.fixture(scope="module")
def shared_stations(shared: Shared, shared_world: World | None) -> Stations | None:
    return shared.build("stations", lambda: _stations(shared_world))  # type: ignore[arg-type]


@pytest.fixture
def stations(world: World, shared_stations: Stations | None, copies: dict[int, Any]) -> Stations:
    """The station YXQ-01 and its places on the world, shared like the world."""
    return _stations(world) if shared_stations is None else own_copy(shared_stations, copies)


def make_station(world: World, name: str, lng: float, lat: float, code: str, hours: str = "24h") -> Station:
    place = territory_actions.create_place(actor=None, scope=SYSTEM_SCOPE, kind="station", name=name, lng=lng, lat=lat)
    return actions.create_station(
        actor=None, scope=SYSTEM_SCOPE, place=place, code=code, opening_hours_text=hours, amenities=[]
    )


def error_of(response: Any) -> dict[str, Any]:
    return response.json()  # type: ignore[no-any-return]
