"""The people: households in the buildings and their residents, some tagged as a special
group or a key person."""

import random
from bisect import bisect
from typing import Any

from nuanxin.demo.builder import AGE_REFERENCE
from nuanxin.demo.city.moments import dt, moment
from nuanxin.demo.city.names import IdNumbers, mobile, name_pinyin, person
from nuanxin.demo.city.plan import random_stream
from nuanxin.demo.city.sink import Secret
from nuanxin.demo.city.state import GeneratorState
from nuanxin.people.models import (
    ID_NUMBER_PURPOSE,
    PHONE_PURPOSE,
    TAG_CATEGORY_PURPOSE,
    Household,
    KeyPersonCategory,
    Resident,
    ResidentTag,
    SpecialGroup,
)

# The residents are made in this many chunks whatever their number or the number of
# processes, so the rows are the same either way; each chunk has its own range of ID-number
# sequence codes, which keeps the numbers of different chunks apart.
PEOPLE_CHUNKS = 50


# Households of 1 to 5 people: cumulative weights.
HOUSEHOLD_SIZES = (15, 40, 70, 90, 100)


def _between(rng: random.Random, low: int, high: int) -> int:
    """rng.randint(low, high) at a quarter of its cost (millions of ages)."""
    return low + int(rng.random() * (high - low + 1))


# Special groups other than the elderly living alone, one for each percent of chance below 3.
OTHER_SPECIAL_GROUPS = (SpecialGroup.DISABLED, SpecialGroup.LOW_INCOME, SpecialGroup.VETERAN)


class PeoplePart(GeneratorState):
    """The households and residents, and the residents' tags."""

    def people(self) -> None:
        """Households in the buildings and their residents, some tagged as a special group
        or a key person. Made in PEOPLE_CHUNKS chunks of residents, each on its own, so that
        worker processes can make them (Sink.write_chunks)."""
        p = self.plan
        grid_count = len(self.grids)
        # A household's id, room and grid follow from its first resident's number r: ids
        # are taken for as many households as residents, a tag's id is its resident's.
        household_first = self.ids.take(Household, p.residents)
        resident_first = self.ids.take(Resident, p.residents)
        tag_first = self.ids.take(ResidentTag, p.residents)
        at = moment(dt(self.start, 11 * 3600), postgres=self.sink.postgres)
        index = self.sink.sealer.blind_index
        reference = AGE_REFERENCE.toordinal()  # birth days are handled as ordinals

        def chunk(c: int) -> tuple[tuple[list[tuple[Any, ...]], ...], list[tuple[int, int, str]]]:
            """Residents [r0, r1) and their households and tags, and the tagged residents
            (resident id, grid index, tag kind) for the watchlist."""
            rng = random_stream(self.seed, "people", c)
            r, r1 = p.residents * c // PEOPLE_CHUNKS, p.residents * (c + 1) // PEOPLE_CHUNKS
            residents: list[tuple[Any, ...]] = []
            households: list[tuple[Any, ...]] = []
            tags: list[tuple[Any, ...]] = []
            tagged: list[tuple[int, int, str]] = []
            numbers = IdNumbers(c)
            while r < r1:
                gi = r % grid_count
                grid = self.grids[gi]
                buildings = self.buildings_of[grid.id]
                k = r // grid_count
                building = buildings[k % len(buildings)]
                slot = k // len(buildings)
                household_id = household_first + r
                number = f"{slot // 24 + 1}-{(slot % 24) // 2 + 1}{slot % 2 + 1:02d}"
                households.append((household_id, number, building, grid.id, at, at))
                random_ = rng.random
                size = min(r1 - r, bisect(HOUSEHOLD_SIZES, random_() * HOUSEHOLD_SIZES[-1]) + 1)
                head_name, head_gender = person(rng)
                low, high = (22, 90) if size == 1 else (25, 85) if size == 2 else (30, 58)
                head_age = _between(rng, low, high)
                members = [(head_name, head_gender, head_age)]
                family = head_name[0]
                for m in range(1, size):
                    if m == 1:
                        gender = "female" if head_gender == "male" else "male"
                        members.append((*person(rng, gender), max(20, head_age + _between(rng, -4, 4))))
                    elif m < 4:
                        name, gender = person(rng, surname=family)
                        members.append((name, gender, _between(rng, max(0, head_age - 36), max(0, head_age - 22))))
                    else:
                        name, gender = person(rng, surname=family)
                        members.append((name, gender, min(95, head_age + _between(rng, 25, 32))))
                for name, gender, age in members:
                    rid = resident_first + r
                    born = reference - age * 365 - int(random_() * 365)
                    id_number = numbers.make(rng, grid.district_index, born, gender)
                    phone = mobile(rng) if age >= 14 else ""
                    pinyin, initials = name_pinyin(name)
                    residents.append(
                        (
                            rid,
                            name,
                            pinyin,
                            initials,
                            gender,
                            int(id_number[6:10]),  # the year of birth it gives
                            Secret(id_number),
                            index(id_number, purpose=ID_NUMBER_PURPOSE),
                            Secret(phone),
                            index(phone, purpose=PHONE_PURPOSE) if phone else "",
                            household_id,
                            building,
                            grid.id,
                            None,
                            at,
                            at,
                        )
                    )
                    chance = random_()
                    kind: str | None = None
                    category: str | None = None
                    if age >= 70 and size == 1 and chance < 0.8:
                        kind, category = "special_group", SpecialGroup.ELDERLY_ALONE
                    elif chance < 0.03:
                        kind, category = "special_group", OTHER_SPECIAL_GROUPS[int(chance * 100)]
                    elif 20 <= age <= 60 and chance < 0.035:
                        kind, category = "key_person", KeyPersonCategory.values[rng.randrange(4)]
                    if kind and category:
                        tags.append(
                            (
                                tag_first + r,
                                rid,
                                kind,
                                Secret(str(category)),
                                index(str(category), purpose=TAG_CATEGORY_PURPOSE),
                                Secret(""),
                                at,
                            )
                        )
                        tagged.append((rid, gi, kind))
                    r += 1
            return (residents, households, tags), tagged

        tables = (
            (Resident, RESIDENT_COLUMNS),
            (Household, ("id", "number", "place_id", "grid_id", "created_at", "updated_at")),
            (ResidentTag, ("id", "resident_id", "kind", "category", "category_index", "note", "created_at")),
        )
        with self.sink.loading([Resident, Household], p.residents):
            counts, tagged = self.sink.write_chunks(tables, chunk, PEOPLE_CHUNKS, expected=p.residents)
        self.counts["residents"], self.counts["households"], self.counts["resident tags"] = counts
        self.tagged = [t for part in tagged for t in part]


RESIDENT_COLUMNS = (
    "id",
    "name",
    "name_pinyin",
    "name_initials",
    "gender",
    "birth_year",
    "id_number",
    "id_number_index",
    "phone",
    "phone_index",
    "household_id",
    "place_id",
    "grid_id",
    "user_id",
    "created_at",
    "updated_at",
)
