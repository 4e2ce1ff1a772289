"""The territory (the city, its districts, streets, communities and grids), the accounts that
work in it, and its places: the homes the residents live in and the business places the
watchlist and the cases point at."""

import math
from bisect import bisect
from collections.abc import Iterator
from itertools import accumulate
from typing import Any

from django.contrib.auth.hashers import make_password

from nuanxin.accounts.models import RoleGrant, User
from nuanxin.accounts.roles import Role
from nuanxin.demo.city.geometry import GridInfo, boundary, coordinate, grid_label, point, tiles
from nuanxin.demo.city.moments import dt, moment
from nuanxin.demo.city.names import mobile, numeral, person
from nuanxin.demo.city.plan import city_code, random_stream
from nuanxin.demo.city.sink import json_text
from nuanxin.demo.city.state import GeneratorState
from nuanxin.demo.words import BRAND_FIRST, BRAND_SECOND, ENTERPRISE_TRADES, TRADES
from nuanxin.territory.models import Area, Place, StaffAssignment

CITY_NAME = "春城市"
# The city's box: about 40 km east-west by 30 km north-south around Kunming.
CITY_BOX = (102.55, 24.85, 102.95, 25.15)
# Business places per place target: some shops and firms are not on the watchlist.
PLACES_PER_TARGET = 1.2
RESIDENT_TARGET_SHARE = 0.03
DISTRICT_NAMES = "五华盘龙官渡西山呈贡晋宁东川安宁富民宜良嵩明石林禄劝寻甸"
ROAD_WORDS = "新华人民建设解放和平友谊胜利光明青年团结文化春城金碧滇池北京环城东风南屏拓东"


class TerritoryPart(GeneratorState):
    """The areas, the accounts and their staff assignments, the places."""

    def territory(self) -> None:
        p = self.plan
        rng = random_stream(self.seed, "territory")
        total = 1 + p.districts * (1 + p.streets * (1 + p.communities * (1 + p.grids)))
        next_id = self.ids.take(Area, total)
        at = dt(self.start, 9 * 3600)
        rows: list[tuple[Any, ...]] = []

        def add(level: str, code: str, name: str, parent: tuple[int, str] | None, box: Any) -> tuple[int, str]:
            nonlocal next_id
            area_id, next_id = next_id, next_id + 1
            path = f"{parent[1] if parent else ''}{code}/"
            west, south, east, north = box
            rows.append(
                (
                    area_id,
                    level,
                    code,
                    name,
                    parent[0] if parent else None,
                    path,
                    boundary(box),
                    coordinate((west + east) / 2),
                    coordinate((south + north) / 2),
                    at,
                )
            )
            return area_id, path

        city = add("city", city_code(self.seed), CITY_NAME, None, CITY_BOX)
        for d, dbox in enumerate(tiles(CITY_BOX, p.districts), start=1):
            dname = (DISTRICT_NAMES[(d - 1) * 2 : d * 2] if d <= len(DISTRICT_NAMES) // 2 else f"第{numeral(d)}") + "区"
            district = add("district", f"D{d:02d}", dname, city, dbox)
            for s, sbox in enumerate(tiles(dbox, p.streets), start=1):
                word = ROAD_WORDS[rng.randrange(len(ROAD_WORDS) // 2) * 2 :][:2]
                street = add("street", f"S{s:02d}", f"{dname[:-1]}{word}街道{numeral(s)}", district, sbox)
                for c, cbox in enumerate(tiles(sbox, p.communities), start=1):
                    cword = ROAD_WORDS[rng.randrange(len(ROAD_WORDS) // 2) * 2 :][:2]
                    community = add("community", f"C{c:02d}", f"{cword}社区{numeral(c)}", street, cbox)
                    for g, gbox in enumerate(tiles(cbox, p.grids), start=1):
                        gid, gpath = add("grid", f"G{g}", f"第{numeral(g)}网格", community, gbox)
                        # Rounded as stored: a later run reading the grids back sees the same boxes.
                        rounded = (coordinate(gbox[0]), coordinate(gbox[1]), coordinate(gbox[2]), coordinate(gbox[3]))
                        label = grid_label(gpath)
                        self.grids.append(
                            GridInfo(gid, gpath, f"第{numeral(g)}网格", rounded, community[0], s, d, label)
                        )
        self.city_id = city[0]
        columns = (
            "id",
            "level",
            "code",
            "name",
            "parent_id",
            "path",
            "boundary",
            "center_lng",
            "center_lat",
            "updated_at",
        )
        self.counts["areas"] = self.sink.write(Area, columns, rows)
        self.areas = rows

    def accounts(self) -> None:
        """Per grid a grid worker, per community a community admin, per street a street admin,
        per district a district admin, one city admin (a system admin: no role is held on a
        city), and per street a few riders and residents who report from the phone."""
        p = self.plan
        rng = random_stream(self.seed, "accounts")
        password = make_password(p.password)  # hashed once: argon2 per user would take hours
        users: list[tuple[Any, ...]] = []
        grants: list[tuple[Any, ...]] = []
        assignments: list[tuple[Any, ...]] = []
        joined = dt(self.start, 9 * 3600)
        user_total = 1 + p.districts * (1 + p.streets * (1 + 8 + p.communities * (1 + p.grids)))
        next_user = self.ids.take(User, user_total)
        next_grant = self.ids.take(RoleGrant, user_total)
        self.worker_of: dict[int, int] = {}
        self.reporters_of: dict[tuple[int, int], list[int]] = {}
        self.riders: list[int] = []
        self.admin_of_community: dict[int, int] = {}

        def user(username: str, role: str, area_id: int | None, superuser: bool = False) -> int:
            nonlocal next_user, next_grant
            uid, next_user = next_user, next_user + 1
            name = person(rng)[0]
            users.append((uid, password, None, superuser, username, "", "", "", superuser, True, joined, name))
            grants.append((next_grant, uid, role, area_id, None, joined))
            next_grant += 1
            return uid

        user("city-admin", Role.SYSTEM_ADMIN, None, superuser=True)
        areas = {row[5]: row[0] for row in self.areas}
        city_path = f"{city_code(self.seed)}/"
        for d in range(1, p.districts + 1):
            dpath = f"{city_path}D{d:02d}/"
            user(f"district-d{d:02d}", Role.DISTRICT_ADMIN, areas[dpath])
            for s in range(1, p.streets + 1):
                spath = f"{dpath}S{s:02d}/"
                user(f"street-d{d:02d}-s{s:02d}", Role.STREET_ADMIN, areas[spath])
                reporters = []
                for k in range(1, 6):
                    reporters.append(user(f"rider-d{d:02d}-s{s:02d}-{k}", Role.MOBILE_REPORTER, areas[spath]))
                self.riders.extend(reporters)
                for k in range(1, 4):
                    reporters.append(user(f"resident-d{d:02d}-s{s:02d}-{k}", Role.RESIDENT, areas[spath]))
                self.reporters_of[(d, s)] = reporters
                for c in range(1, p.communities + 1):
                    cpath = f"{spath}C{c:02d}/"
                    self.admin_of_community[areas[cpath]] = user(
                        f"community-d{d:02d}-s{s:02d}-c{c:02d}", Role.COMMUNITY_ADMIN, areas[cpath]
                    )
        for grid in self.grids:
            worker = user(f"grid-{grid.label}", Role.GRID_WORKER, grid.id)
            self.worker_of[grid.id] = worker
            assignments.append((grid.id, worker, StaffAssignment.Duty.GRID_WORKER, self.start, None, ""))
        first_assignment = self.ids.take(StaffAssignment, len(assignments))
        columns = (
            "id",
            "password",
            "last_login",
            "is_superuser",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_staff",
            "is_active",
            "date_joined",
            "display_name",
        )
        self.counts["users"] = self.sink.write(User, columns, users)
        self.sink.write(RoleGrant, ("id", "user_id", "role", "area_id", "unit_id", "created_at"), grants)
        self.sink.write(
            StaffAssignment,
            ("id", "grid_id", "person_id", "duty", "starts_on", "ends_on", "note"),
            [(first_assignment + i, *row) for i, row in enumerate(assignments)],
        )

    def places(self) -> None:
        """Per grid: one or more compounds with their buildings (homes), then the business
        places (merchants and enterprises) that the watch targets are drawn from."""
        p = self.plan
        rng = random_stream(self.seed, "places")
        grid_count = len(self.grids)
        residents_per_grid = p.residents / grid_count
        # About 2.7 people a household and 36 households a building.
        buildings_per_grid = max(1, math.ceil(residents_per_grid / 2.7 / 36))
        self.buildings_of: dict[int, list[int]] = {}
        self.place_targets = round(p.targets * (1 - RESIDENT_TARGET_SHARE))
        self.business_count = math.ceil(self.place_targets * PLACES_PER_TARGET) + grid_count
        at = moment(dt(self.start, 10 * 3600), postgres=self.sink.postgres)
        homes = grid_count * (math.ceil(buildings_per_grid / 8) + buildings_per_grid)
        next_id = self.ids.take(Place, homes + self.business_count)
        self.place_xy: dict[int, tuple[float, float]] = {}

        def home_rows() -> Iterator[tuple[Any, ...]]:
            nonlocal next_id
            for grid in self.grids:
                word = ROAD_WORDS[rng.randrange(len(ROAD_WORDS) // 2) * 2 :][:2]
                compounds = math.ceil(buildings_per_grid / 8)
                self.buildings_of[grid.id] = []
                left = buildings_per_grid
                for k in range(compounds):
                    cid, next_id = next_id, next_id + 1
                    lng, lat = point(rng, grid.box)
                    cname = f"{word}{'苑园居'[k % 3]}{numeral(k + 1) if k else ''}"
                    attributes = json_text({"built_year": rng.randint(1995, 2020)})
                    address = f"{word}路{rng.randint(1, 400)}号"
                    yield (cid, "compound", cname, address, lng, lat, grid.id, None, attributes, at, at)
                    for b in range(min(8, left)):
                        bid, next_id = next_id, next_id + 1
                        self.buildings_of[grid.id].append(bid)
                        blng, blat = point(rng, grid.box)
                        self.place_xy[bid] = (blng, blat)
                        attributes = json_text({"floors": rng.choice((6, 7, 11, 18, 24)), "units": rng.randint(1, 4)})
                        yield (
                            bid,
                            "building",
                            f"{cname}{b + 1}栋",
                            address,
                            blng,
                            blat,
                            grid.id,
                            cid,
                            attributes,
                            at,
                            at,
                        )
                    left -= min(8, left)

        # Business place j is in grid j mod G: where a target or case needs a place of a grid,
        # the ids are computed, not looked up.
        self.business_first = next_id + homes
        trades = list(TRADES.items())
        trade_cum = list(accumulate(weight for _name, (_endings, weight) in trades))

        def business_rows() -> Iterator[tuple[Any, ...]]:
            for j in range(self.business_count):
                grid = self.grids[j % grid_count]
                lng, lat = point(rng, grid.box)
                brand = BRAND_FIRST[rng.randrange(len(BRAND_FIRST))] + BRAND_SECOND[rng.randrange(len(BRAND_SECOND))]
                if rng.random() < 0.8:
                    category, (endings, _w) = trades[bisect(trade_cum, rng.random() * trade_cum[-1])]
                    kind, name = "merchant", brand + endings[rng.randrange(len(endings))]
                else:
                    category = ENTERPRISE_TRADES[rng.randrange(len(ENTERPRISE_TRADES))]
                    kind, name = "enterprise", f"昆明{brand}{category}有限公司"
                attributes = json_text({"category": category, "contact": mobile(rng)})
                address = f"{grid.name}{rng.randint(1, 500)}号"
                yield (self.business_first + j, kind, name, address, lng, lat, grid.id, None, attributes, at, at)

        with self.sink.loading([Place], homes + self.business_count):
            self.sink.write(Place, PLACE_COLUMNS, home_rows())
            self.sink.write(Place, PLACE_COLUMNS, business_rows())
        self.counts["places"] = homes + self.business_count


PLACE_COLUMNS = (
    "id",
    "kind",
    "name",
    "address",
    "lng",
    "lat",
    "grid_id",
    "parent_id",
    "attributes",
    "created_at",
    "updated_at",
)
