"""The city-scale data generator behind `manage.py generate_city`: benchmark data for a district
or a whole city (1 city → districts → streets → communities → grids), deterministic for a seed.

Unlike the demo (builder.py), nothing here goes through the actions: a city of millions of
rows written one action at a time would take days. Rows are streamed straight into the
tables (COPY on PostgreSQL, executemany in big batches on SQLite) with ids allocated here, so
foreign keys are known without reading anything back. What keeps the data valid for the app
is that every row is what the actions would have written: encrypted fields go through the
same field encryption (core.crypto) with their blind indexes, paths and grids follow the
territory rules, roles are the demo's (accounts.roles), numbers follow each register's
format. No audit entry is written per row: bulk data is benchmark data, and the hash chain
stays whole because it is never touched.

Determinism: every stream draws from its own `random.Random` seeded by (seed, stream, chunk),
and every timestamp is derived from the rows' own dates, so the same flags, seed and end day
give the same rows (ciphertexts differ, their plaintexts do not). `Sink.digests` hashes the
key columns of what was written (plaintexts for encrypted values); `database_digest` hashes
the same columns read back from the tables.

Growing a city: when the city of this seed exists, only the cases are topped up to the
number asked for; case k is the same case whatever run writes it.

Layout, one module per concern (each imports only those above it in this list):
- plan: the flags (CityPlan, DEFAULTS), CityError, the seeded random streams;
- moments: Beijing days and moments as UTC, and their text;
- sink: writing rows (Sink, Secret, the digests' KEY_COLUMNS), the worker processes of big
  loads, the ids allocated here (Ids);
- names, geometry: people's names and numbers; the grids' boxes, boundaries and points;
- state: what the Generator's parts share; territory (areas, accounts, places), people,
  stations, watchlist (targets, visits, rectifications), disputes, activities, party
  (organisations, members, meetings, the two-new survey, alliances): the parts;
- cases: the cases and their timelines, for a build or a top-up;
- this module: the Generator and the whole-city run (generate_city, finish, find_city,
  database_digest).
"""

import hashlib
import time
from dataclasses import dataclass

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, models, transaction

from nuanxin.accounts.models import User
from nuanxin.cases.catalogue import install_catalogue
from nuanxin.cases.models import Case, CaseCounter
from nuanxin.demo.city.activities import ActivitiesPart
from nuanxin.demo.city.cases import case_context_from_build, case_context_from_db, write_cases
from nuanxin.demo.city.disputes import DisputesPart
from nuanxin.demo.city.party import PartyPart
from nuanxin.demo.city.people import PeoplePart
from nuanxin.demo.city.plan import CityError, CityPlan, city_code
from nuanxin.demo.city.sink import KEY_COLUMNS, Ids, Say, Sink, TableStats, digest_line
from nuanxin.demo.city.stations import StationsPart
from nuanxin.demo.city.territory import TerritoryPart
from nuanxin.demo.city.watchlist import WatchlistPart
from nuanxin.insights import rollups as figure_rollups
from nuanxin.insights.models import FigureCount
from nuanxin.inspections.checklists import install_demo_templates
from nuanxin.territory.models import Area
from nuanxin.territory.queries import forget_grid_index


class Generator(TerritoryPart, PeoplePart, StationsPart, WatchlistPart, DisputesPart, ActivitiesPart, PartyPart):
    """The city but its cases, one part per concern (GeneratorState holds what they share);
    generate_city runs the parts in order, in one transaction."""


@dataclass
class CityResult:
    created: bool
    counts: dict[str, int]
    stats: dict[str, TableStats]
    digests: dict[str, str]
    # Seconds of the closing VACUUM (ANALYZE); None when the run did not vacuum (SQLite, a dry
    # run, or a run inside a transaction, where only ANALYZE can run).
    vacuum_seconds: float | None = None


def find_city(seed: int) -> Area | None:
    """The city of this seed, if built; CityError when the database holds another territory."""
    roots = list(Area.objects.filter(parent__isnull=True))
    ours = [a for a in roots if a.level == "city" and a.code == city_code(seed)]
    if roots and (not ours or len(roots) > 1):
        names = "、".join(sorted(a.name for a in roots if a not in ours))
        raise CityError(
            f"The database holds another territory ({names}): the city generator only builds into an empty "
            f"database or tops up the cases of its own city (seed {seed})."
        )
    return ours[0] if ours else None


def generate_city(
    plan: CityPlan, *, say: Say | None = None, dry: bool = False, digest: bool = False, rollups: bool = True
) -> CityResult:
    """Build the city of `plan` into an empty database (after migrate), or top up the cases
    of the city of this seed to plan.cases. With digest=True the result holds the digests of
    the rows written; with dry=True nothing is written, only digested."""
    plan.check()
    say = say or (lambda _m: None)
    sink = Sink(say, dry=dry, digest=digest)
    city = find_city(plan.seed)
    created = city is None
    counts: dict[str, int] = {}
    ids = Ids()
    if created:
        if not dry:
            # The case catalogue and the checklists first, as their commands install them.
            install_catalogue(actor=None)
            install_demo_templates(actor=None)
        gen = Generator(plan, sink, say)
        gen.ids = ids
        started = time.monotonic()
        with transaction.atomic():
            gen.territory()
            if not dry:
                # Cases reported through the app find their grid in the new territory at once.
                forget_grid_index()
                transaction.on_commit(forget_grid_index)
            gen.accounts()
            gen.places()
            gen.people()
            gen.stations()
            gen.watchlist()
            gen.disputes()
            gen.activities()
            gen.party()
        say(f"city structure written in {time.monotonic() - started:.1f} s")
        counts |= gen.counts
        context = case_context_from_build(gen)
        have = 0
    else:
        assert city is not None
        context = case_context_from_db(city)
        have = Case.objects.filter(grid__path__startswith=city.path).count()
        say(f"the city of seed {plan.seed} exists with {have:,} cases: topping up to {plan.cases:,}")
    counters = dict(CaseCounter.objects.values_list("day", "last")) if not dry else {}
    counts["cases"] = write_cases(plan=plan, context=context, sink=sink, ids=ids, have=have, counters=counters, say=say)
    vacuum_seconds = None
    if not dry:
        # Cases are not among the period figures: a top-up leaves the rollups as they are.
        vacuum_seconds = finish(sink.stats, say, rollups=rollups and created)
    return CityResult(
        created=created, counts=counts, stats=sink.stats, digests=sink.digests, vacuum_seconds=vacuum_seconds
    )


def finish(stats: dict[str, TableStats], say: Say, *, rollups: bool = True) -> float | None:
    """Sequences past the ids written, the period figures, and fresh planner statistics for
    every table written, small ones too: without them PostgreSQL guesses that a subtree of
    7,000 areas holds a dozen and plans a street's or the city's figures as a loop over them.

    On PostgreSQL the tables are vacuumed too (VACUUM (ANALYZE)), and its seconds returned: a
    bulk load leaves the visibility map empty, so until a vacuum every index-only scan reads
    the heap as well (a grid's page of case ids read 1,931 heap buffers instead of 16-18 in a
    city of 1,000,000 cases), and an autovacuum may be hours away or off. VACUUM cannot run
    in a transaction block; a run inside one (the tests) gets the ANALYZE alone."""

    written = [m for m in _all_models() if m._meta.db_table in stats]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), written):
                cursor.execute(sql)
    if rollups:
        started = time.monotonic()
        figure_rollups.rebuild()
        say(f"period figures rebuilt in {time.monotonic() - started:.1f} s")
        written.append(FigureCount)
    if connection.vendor != "postgresql" or not written:
        return None
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in written)
    vacuum = not connection.in_atomic_block
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {tables}" if vacuum else f"ANALYZE {tables}")
    return time.monotonic() - started if vacuum else None


def _all_models() -> list[type[models.Model]]:
    return list(apps.get_models())


def database_digest(seed: int) -> dict[str, str]:
    """The digests of KEY_COLUMNS read back from the tables (rows in id order, plaintexts
    decrypted by their fields), to compare with what a run wrote."""
    out = {}
    for model, columns in KEY_COLUMNS.items():
        digest = hashlib.sha256()
        rows = model._default_manager.order_by("id").values_list(*columns)
        if model is User:
            rows = rows.filter(username__regex=r"^(grid|rider|resident|street|community|district|city)-")
        count = 0
        for row in rows.iterator(chunk_size=10_000):
            digest.update(digest_line(row, range(len(row))).encode())
            count += 1
        if count:
            out[model._meta.db_table] = digest.hexdigest()
    return out
