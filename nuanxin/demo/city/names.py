"""Names and numbers of people: names drawn by the surnames' weights, their pinyin keys,
mobile numbers, ID numbers (with their check digit), and Chinese numerals for area names."""

import random
from bisect import bisect
from datetime import date
from itertools import accumulate

from nuanxin.core.validators import id_check_of_sum, id_weighted_sum
from nuanxin.demo.words import GIVEN_FEMALE, GIVEN_MALE, MOBILE_PREFIXES, SURNAME_WEIGHTS, SURNAMES
from nuanxin.people.actions import SURNAME_READINGS, pinyin_keys

_SURNAME_CUM = list(accumulate(SURNAME_WEIGHTS))
_PINYIN: dict[str, tuple[str, str]] = {}
_NAME_PINYIN: dict[str, tuple[str, str]] = {}


def person(rng: random.Random, gender: str | None = None, surname: str | None = None) -> tuple[str, str]:
    """A name and gender (drawn unless given); the surname by its weight unless given."""
    gender = gender or ("male" if rng.random() < 0.5 else "female")
    if surname is None:
        surname = SURNAMES[bisect(_SURNAME_CUM, rng.random() * _SURNAME_CUM[-1])]
    pool = GIVEN_MALE if gender == "male" else GIVEN_FEMALE
    # int(random() * n) rather than randrange(n): a third of the cost, on millions of names.
    given = pool[int(rng.random() * len(pool))]
    if rng.random() < 0.75:
        given += pool[int(rng.random() * len(pool))]
    return surname + given, gender


def _pinyin_of(text: str) -> tuple[str, str]:
    keys = _PINYIN.get(text)
    if keys is None:
        keys = _PINYIN[text] = pinyin_keys(text)
    return keys


def name_pinyin(name: str) -> tuple[str, str]:
    """pinyin_keys(name) composed from the surname's (with its surname reading) and the given
    name's: a few thousand distinct parts instead of a pypinyin call per distinct full name,
    and each full name composed once."""
    keys = _NAME_PINYIN.get(name)
    if keys is None:
        surname, given = _pinyin_of(name[0]), _pinyin_of(name[1:])
        if name[0] in SURNAME_READINGS:
            surname = (SURNAME_READINGS[name[0]], SURNAME_READINGS[name[0]][0])
        keys = _NAME_PINYIN[name] = ((surname[0] + given[0])[:200], (surname[1] + given[1])[:60])
    return keys


def mobile(rng: random.Random) -> str:
    """A mobile number with one of the real prefixes."""
    return MOBILE_PREFIXES[int(rng.random() * len(MOBILE_PREFIXES))] + f"{int(rng.random() * 100_000_000):08d}"


# A birth day's ordinal -> its YYYYMMDD and their part of the check digit's weighted sum.
_BIRTH_DAYS: dict[int, tuple[str, int]] = {}


def _birth_day(ordinal: int) -> tuple[str, int]:
    day = _BIRTH_DAYS.get(ordinal)
    if day is None:
        born = date.fromordinal(ordinal)
        text = f"{born.year:04d}{born.month:02d}{born.day:02d}"
        day = _BIRTH_DAYS[ordinal] = (text, id_weighted_sum(text, 6))
    return day


class IdNumbers:
    """ID numbers for one chunk of residents: region of the district, birth day, a sequence
    code and the check digit. Chunk c draws its sequence codes from its own ten (five per
    gender), so numbers of different chunks never meet; within the chunk they are kept
    unique, moving to the next day when all five of a day are taken. The check digit is
    summed from the parts' sums, each computed once."""

    def __init__(self, chunk: int) -> None:
        base = chunk * 10  # chunk < PEOPLE_CHUNKS: codes up to 499
        # odd codes for men, even for women: (code, its text, its part of the sum)
        self.codes = {
            odd: [(code, f"{code:03d}", id_weighted_sum(f"{code:03d}", 14)) for code in range(base + odd, base + 10, 2)]
            for odd in (0, 1)
        }
        self.regions: dict[int, tuple[str, int]] = {}
        self.seen: set[int] = set()  # region, day and code of the numbers made, as one int

    def make(self, rng: random.Random, district: int, born: int, gender: str) -> str:
        """A number for someone born on the day of ordinal `born` in the district."""
        region = district % 100
        prefix = self.regions.get(region)
        if prefix is None:
            text = f"5301{region:02d}"
            prefix = self.regions[region] = (text, id_weighted_sum(text))
        codes = self.codes[gender == "male"]
        first = int(rng.random() * 5)
        while True:
            day, day_sum = _birth_day(born)
            key = (region * 1_000_000 + born) * 1000
            for k in range(5):
                code, code_text, code_sum = codes[(first + k) % 5]
                if key + code not in self.seen:
                    self.seen.add(key + code)
                    return prefix[0] + day + code_text + id_check_of_sum(prefix[1] + day_sum + code_sum)
            born += 1


CN_DIGITS = "〇一二三四五六七八九"


def numeral(n: int) -> str:
    """n in Chinese numerals (up to 99; digits beyond), for the names of areas."""
    if n <= 10:
        return "零一二三四五六七八九十"[n]
    if n < 20:
        return "十" + CN_DIGITS[n % 10]
    if n < 100:
        return CN_DIGITS[n // 10] + "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    return str(n)
