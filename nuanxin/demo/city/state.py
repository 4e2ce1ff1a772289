"""What the parts of the Generator share: the plan, the sink and the ids, and what each part
leaves for the parts after it (the Generator runs them in order: territory, accounts, places,
people, stations, watchlist, disputes, activities, party)."""

from typing import Any

from nuanxin.demo.builder import FOUNDED
from nuanxin.demo.city.geometry import GridInfo
from nuanxin.demo.city.plan import CityPlan
from nuanxin.demo.city.sink import Ids, Say, Sink


class GeneratorState:
    # Left by territory(): the city's area id and its areas' rows.
    city_id: int
    areas: list[tuple[Any, ...]]
    # Left by accounts(): each grid's worker, each street's reporters (by district and
    # street index), the riders, each community's admin.
    worker_of: dict[int, int]
    reporters_of: dict[tuple[int, int], list[int]]
    riders: list[int]
    admin_of_community: dict[int, int]
    # Left by places(): each grid's buildings, the business places (ids computed, not looked
    # up: business_of_grid) and the place targets among them, the buildings' points.
    buildings_of: dict[int, list[int]]
    place_targets: int
    business_count: int
    business_first: int
    place_xy: dict[int, tuple[float, float]]
    # Left by people(): the tagged residents (resident id, grid index, tag kind).
    tagged: list[tuple[int, int, str]]

    def __init__(self, plan: CityPlan, sink: Sink, say: Say) -> None:
        self.plan = plan
        self.sink = sink
        self.say = say
        self.ids = Ids()
        self.seed = plan.seed
        self.start = FOUNDED
        self.until = plan.until
        self.span = (self.until - self.start).days
        self.grids: list[GridInfo] = []
        self.counts: dict[str, int] = {}

    def business_of_grid(self, grid_index: int, k: int) -> int | None:
        """The id of the k-th business place of a grid (None when the grid has fewer): business
        place j is in grid j mod G (TerritoryPart.places)."""
        j = grid_index + k * len(self.grids)
        return self.business_first + j if j < self.business_count else None
