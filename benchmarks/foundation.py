"""Foundation benchmarks, bounded in time, appended to docs/performance.md.

Runs in-process (Django test client, no HTTP server) on a separate SQLite file holding
the demo community, so it measures the application's own cost per request: the view, the
scope check, the queries and the template. The HTTP harness with wrk and a bare-Django
ceiling comes with the scale work (issue 6).

    make bench            # or: .venv/bin/python benchmarks/foundation.py
"""

import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import measure, report, setup  # noqa: E402

setup("bench.sqlite3")

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402


def main() -> None:
    from nuanxin.core import audit
    from nuanxin.people.models import Resident
    from nuanxin.territory.models import Area, Place
    from nuanxin.territory.queries import locate_grid

    call_command("migrate", verbosity=0)
    built = ""
    if not Area.objects.exists():
        started = time.perf_counter()
        call_command("load_demo", "--no-history", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        built = f"{time.perf_counter() - started:.1f} s"

    grid1 = Area.objects.get(level="grid", code="G1")
    someone = Resident.objects.filter(grid=grid1).exclude(phone_index="").first()
    assert someone is not None
    phone = someone.phone
    worker, admin = Client(), Client()
    from nuanxin.accounts.models import User

    worker.force_login(User.objects.get(username="grid1-worker"))
    admin.force_login(User.objects.get(username="community"))

    def get(client, url):
        def call():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return call

    # The per-user limit on exact searches (docs/rate-limits.md) would stop the loop after 30;
    # its counting stays in what is measured.
    settings.RATE_LIMIT_PEOPLE_SEARCH = (10**9, 600)

    def search_by_phone():
        response = worker.post("/people/", {"q": phone})
        assert response.status_code == 200 and someone.name in response.content.decode()

    rng = random.Random(1)
    minx, miny, maxx, maxy = 102.690, 24.970, 102.710, 24.990

    def locate():
        locate_grid(rng.uniform(minx, maxx), rng.uniform(miny, maxy))

    def audit_append():
        audit.record("bench.append", object_repr="benchmark")

    rows = [
        measure("grid worker: residents list (page 1)", get(worker, "/people/")),
        measure("grid worker: search by phone (blind index)", search_by_phone),
        measure("grid worker: grid page (map, places, staff)", get(worker, f"/territory/areas/{grid1.pk}/")),
        measure("community admin: residents list (page 1)", get(admin, "/people/")),
        measure("API: places, 50 per page", get(worker, "/api/v1/places?limit=50")),
        measure("API: residents, 50 per page", get(admin, "/api/v1/people/residents?limit=50")),
        measure("locate_grid (STRtree, random point)", locate, max_runs=100000),
        measure("audit.record (hash-chained append)", audit_append, max_runs=3000),
    ]
    size = (
        f"{Area.objects.filter(level='grid').count()} grids, {Place.objects.count()} places, "
        f"{Resident.objects.count()} residents"
    )
    report("Foundation", f"the demo community ({size})." + (f" Demo built in {built}." if built else ""), rows)


if __name__ == "__main__":
    main()
