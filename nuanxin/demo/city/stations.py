"""The warm stations, their places and a year of their riders' check-ins."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from nuanxin.demo.city.geometry import point
from nuanxin.demo.city.moments import dt
from nuanxin.demo.city.names import mobile, person
from nuanxin.demo.city.plan import random_stream
from nuanxin.demo.city.sink import json_text
from nuanxin.demo.city.state import GeneratorState
from nuanxin.demo.city.territory import PLACE_COLUMNS
from nuanxin.stations.models import Amenity, Station, StationCheckIn
from nuanxin.territory.models import Place


class StationsPart(GeneratorState):
    """The warm stations and their check-ins."""

    def stations(self) -> None:
        p = self.plan
        if not p.stations:
            return
        rng = random_stream(self.seed, "stations")
        place_first = self.ids.take(Place, p.stations)
        station_first = self.ids.take(Station, p.stations)
        at = dt(self.start, 12 * 3600)
        hours = (("00:00-24:00", [["00:00", "24:00"]]), ("08:00-22:00", [["08:00", "22:00"]]))
        places, stations = [], []
        for k in range(p.stations):
            grid = self.grids[k % len(self.grids)]
            lng, lat = point(rng, grid.box)
            name = f"温新驿站·{grid.name}{k // len(self.grids) + 1}号"
            places.append((place_first + k, "station", name, f"{grid.name}驿站", lng, lat, grid.id, None, "{}", at, at))
            text, parsed = hours[rng.random() < 0.7]
            amenities = rng.sample(Amenity.values, rng.randint(3, 6))
            stations.append(
                (
                    station_first + k,
                    place_first + k,
                    f"s{self.seed}-{k + 1:05d}",
                    None,
                    text,
                    json_text(parsed),
                    json_text(amenities),
                    rng.randint(4, 20),
                    person(rng)[0],
                    mobile(rng),
                    "open",
                    "",
                    at,
                )
            )
        self.sink.write(Place, PLACE_COLUMNS, places)
        columns = (
            "id",
            "place_id",
            "code",
            "host_id",
            "opening_hours_text",
            "opening_hours",
            "amenities",
            "capacity",
            "contact_name",
            "contact_phone",
            "status",
            "note",
            "updated_at",
        )
        self.counts["stations"] = self.sink.write(Station, columns, stations)
        # About 20 check-ins a station over the last year, by the riders of its street.
        checkins = p.stations * 20
        first = self.ids.take(StationCheckIn, checkins)
        riders = self.riders

        def checkin_rows() -> Iterator[tuple[Any, ...]]:
            for k in range(checkins):
                day = self.until - timedelta(days=rng.randrange(365))
                yield (
                    first + k,
                    station_first + k % p.stations,
                    riders[rng.randrange(len(riders))],
                    dt(day, rng.randrange(7 * 3600, 23 * 3600)),
                )

        with self.sink.loading([StationCheckIn], checkins):
            self.counts["station check-ins"] = self.sink.write(
                StationCheckIn, ("id", "station_id", "user_id", "at"), checkin_rows()
            )
