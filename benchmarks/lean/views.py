"""The lean twin's views: what a nuanxin endpoint must do for a request, and nothing more.

Each request: the bearer token checked in one indexed query; then the SQL statements nuanxin
ran for that very path (captured by benchmarks/serving.py, replayed as they are), their rows
fetched as tuples; then the answer built by a small formatter per endpoint, byte for byte
nuanxin's (the same JSON separators as ninja's renderer, DjangoJSONEncoder for moments).
The formatters know the answers' shapes (the schemas in nuanxin/*/api.py) and find their
columns by the labels the capture read from each statement's select list, so they follow
whatever SQL nuanxin runs. They answer the benchmark's viewers: staff in scope. Intake's
twin, which writes, is lean/intake.py.
"""

import hashlib
import json
import os
import pickle
from collections.abc import Callable
from datetime import date, timedelta
from functools import cache
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext

from nuanxin.core.coords import route_links
from nuanxin.core.crypto import decrypt
from nuanxin.core.geo import distance_m
from nuanxin.core.masking import mask_phone
from nuanxin.stations.directions import open_now, walking

# accounts_apitoken.digest is unique (indexed); the same conditions as ApiToken.objects.active.
TOKEN_SQL = (
    'SELECT t."user_id" FROM "accounts_apitoken" t INNER JOIN "accounts_user" u ON u."id" = t."user_id" '
    'WHERE t."digest" = %s AND t."expires_at" > %s AND u."is_active" '
    'AND (t."last_used_at" > %s OR (t."last_used_at" IS NULL AND t."created_at" > %s))'
)
GRANTS_SQL = (
    'SELECT a."path" FROM "accounts_rolegrant" g INNER JOIN "territory_area" a ON a."id" = g."area_id" '
    'WHERE g."user_id" = %s'
)


@cache
def captured() -> dict[str, dict[str, Any]]:
    """path -> {"statements": [(sql, params)], "columns": [{label: position}]}, and a report's
    body -> the same with its "targets" and "answer" (lean/intake.py); read once."""
    with open(os.environ["BENCH_LEAN_CAPTURE"], "rb") as file:
        return pickle.load(file)  # noqa: S301 (written by benchmarks/serving.py for this run)


def user_id(request: HttpRequest) -> int | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    now = timezone.now()
    idle_since = now - timedelta(days=settings.API_TOKEN_IDLE_DAYS)
    digest = hashlib.sha256(token.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute(TOKEN_SQL, (digest, now, idle_since, idle_since))
        row = cursor.fetchone()
    return row[0] if row else None


# A user's grant areas, kept per process as nuanxin keeps its scope (the token is still checked
# on every request).
_grant_paths: dict[int, tuple[str, ...]] = {}


def grant_paths(user: int) -> tuple[str, ...]:
    if user not in _grant_paths:
        with connection.cursor() as cursor:
            cursor.execute(GRANTS_SQL, (user,))
            _grant_paths[user] = tuple(path for (path,) in cursor.fetchall())
    return _grant_paths[user]


class Rows:
    """The rows of a request's statements, found by column label."""

    def __init__(self, columns: list[dict[str, int]], results: list[list[tuple]]) -> None:
        self.columns, self.results = columns, results

    def of(self, *labels: str | tuple[str, ...]) -> tuple[list[tuple], list[int]]:
        """The rows of the first statement that selects every label (a label may be a tuple of
        alternatives: an alias, or "table.column"), with each label's position."""
        for columns, rows in zip(self.columns, self.results, strict=True):
            found = [next((columns[a] for a in _alternatives(label) if a in columns), None) for label in labels]
            if None not in found:
                return rows, found  # type: ignore[return-value]
        raise LookupError(f"no statement selects {labels}")

    def count(self) -> int:
        rows, _ = self.of("__count")
        return rows[0][0]


def _alternatives(label: str | tuple[str, ...]) -> tuple[str, ...]:
    return label if isinstance(label, tuple) else (label,)


def _record(row: tuple, positions: list[int], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: row[at] for name, at in zip(names, positions, strict=True)}


# --- cases -----------------------------------------------------------------------------------

# CaseOut's columns, in its order (its other fields are made from the rest below).
_CASE = (
    *("id", "number", "description", "lng", "lat", "address", "grid_id", "state", "closure", "level"),
    *("emergency", "deadline", "reported_at", "closed_at", "satisfaction", "version", "handler_id"),
)
_CASE_EXTRA = ("reporter_id", "reporter_name", "reporter_phone", "anonymous")
_CASE_LABELS = [(name, f"cases_case.{name}") for name in _CASE + _CASE_EXTRA] + [
    ("class_code", "cases_caseclass.code"),
    ("class_name", "cases_caseclass.name"),
    ("grid_path", "territory_area.path"),
]
_CASE_NAMES = (*_CASE, *_CASE_EXTRA, "class_code", "class_name", "grid_path")


def _case_rows(rows: Rows) -> list[dict[str, Any]]:
    found, positions = rows.of(*_CASE_LABELS)
    return [_record(row, positions, _CASE_NAMES) for row in found]


def _case_out(case: dict[str, Any], user: int) -> dict[str, Any]:
    """CaseOut for staff who reach the case's grid (the whole view)."""
    if not case["grid_path"].startswith(grant_paths(user)):
        raise NotImplementedError("the lean twin answers staff in scope only")
    out = {name: case[name] for name in _CASE[:2]}
    out |= {"view": "whole", "class_code": case["class_code"], "class_name": case["class_name"]}
    out |= {name: case[name] for name in _CASE[2:]}
    out["reporter_name"] = out["reporter_phone_masked"] = None
    if not case["anonymous"]:
        out["reporter_name"] = decrypt(case["reporter_name"]) if case["reporter_name"] else ""
        out["reporter_phone_masked"] = mask_phone(decrypt(case["reporter_phone"]) if case["reporter_phone"] else "")
    return out


def case_page(rows: Rows, user: int, request: HttpRequest) -> Any:
    return {"items": [_case_out(case, user) for case in _case_rows(rows)], "count": rows.count()}


_EVENT = ("at", "kind", "from_state", "to_state", "from_level", "to_level", "note", "internal")
_PHOTO = ("id", "stage", "width", "height")


def case_detail(rows: Rows, user: int, request: HttpRequest) -> Any:
    (case,) = _case_rows(rows)
    out = _case_out(case, user)
    events, positions = rows.of(*[(name, f"cases_caseevent.{name}") for name in _EVENT])
    out["timeline"] = [_record(event, positions, _EVENT) for event in events]
    photos, positions = rows.of(*[(f"cases_casephoto.{name}", name) for name in _PHOTO])
    out["photos"] = [
        {"id": p[0], "stage": p[1], "url": f"/cases/{out['id']}/photos/{p[0]}/", "width": p[2], "height": p[3]}
        for p in ([photo[at] for at in positions] for photo in photos)
    ]
    return out


# --- visits ----------------------------------------------------------------------------------

_VISIT = (
    *("id", "kind", "target_id", "grid_id", "worker_id", "due_on", "state", "version_id", "done_at"),
    "checked_in_distance",
)


def visit_page(rows: Rows, user: int, request: HttpRequest) -> Any:
    found, positions = rows.of(*[(f"inspections_visit.{name}", name) for name in _VISIT])
    radius = settings.NUANXIN_VISIT_CHECKIN_RADIUS_M
    items = []
    for row in found:
        visit = _record(row, positions, _VISIT)
        visit["far"] = visit["checked_in_distance"] is not None and visit["checked_in_distance"] > radius
        items.append(visit)
    return {"items": items, "count": rows.count()}


# --- period figures ------------------------------------------------------------------------------

# ParticipantGroup's codes in its order, and the new-employment ones (nuanxin/volunteers/models.py).
_GROUPS = (
    *("staff", "volunteer", "resident", "rider", "courier", "driver", "merchant", "unit_staff"),
    *("party_member", "student"),
)
_NEW_EMPLOYMENT = ("rider", "courier", "driver")
# PeriodFigures.summary's sentence (nuanxin/insights/queries.py), translated by nuanxin's catalogue.
_SUMMARY = (
    "From %(start)s to %(end)s, %(node)s resolved %(disputes)s disputes, carried out "
    "%(sweeps)s fire-safety sweeps, held %(cleanups)s environmental clean-up drives and "
    "checked %(enterprises)s enterprises for food safety; inspections found %(hazards)s "
    "hazards, %(fixed)s of them fixed; new-employment workers took part in "
    "%(ne_sweeps)s fire-safety checks and %(ne_cleanups)s clean-ups."
)


def period(rows: Rows, user: int, request: HttpRequest) -> Any:
    """PeriodFigures.as_dict from the node's row and the rollup totals: rows per metric,
    category and node, those the viewer counts (the capture's "counted": per metric family and
    category, the node paths, as nuanxin's rollups.counted_paths says) added up per metric (SUM
    of a bigint is numeric in PostgreSQL, a Decimal here: counted as int, as nuanxin's answer
    has it)."""
    (node,), at = rows.of(
        ("id", "territory_area.id"), ("name", "territory_area.name"), ("level", "territory_area.level")
    )
    found, (metric, category, path, total) = rows.of("metric", "category", "node__path", "total")
    counted = captured()[request.get_full_path()]["counted"]
    t: dict[str, int] = {}
    for row in found:
        name = row[metric]
        if row[path] in counted.get((name.split("_", 1)[0], row[category]), ()):
            t[name] = t.get(name, 0) + int(row[total])

    def n(name: str) -> Any:
        return t.get(name, 0)

    start, end = date.fromisoformat(request.GET["from"]), date.fromisoformat(request.GET["to"])
    done, on_time, missed = n("visits_done"), n("visits_on_time"), n("visits_missed")
    figures = {
        "node": {"id": node[at[0]], "name": node[at[1]], "level": node[at[2]]},
        "from": start,
        "to": end,
        "disputes": {
            "received": n("disputes_received"),
            "resolved": n("disputes_resolved"),
            "resolved_by_level": {level: n(f"disputes_resolved_{level}") for level in ("grid", "community", "street")},
            "referred": n("disputes_referred"),
            "failed": n("disputes_failed"),
        },
        "fire_safety": {
            "sweeps": n("activities_fire_check"),
            "hazards_found": n("hazards_fire_found"),
            "hazards_fixed": n("hazards_fire_fixed"),
        },
        "hazards": {"found": n("hazards_found"), "fixed": n("hazards_fixed")},
        "cleanups": n("activities_cleanup"),
        "food_safety": {"enterprises_checked": n("visits_food_places"), "checks": n("visits_food_checks")},
        "visits": {
            "done": done,
            "on_time": on_time,
            "missed": missed,
            "on_time_rate": round(on_time / (done + missed), 4) if done + missed else None,
        },
        "participation": {
            "participants": sum(n(f"participants_{group}") for group in _GROUPS),
            "by_group": {group: n(f"participants_{group}") for group in _GROUPS},
            "new_employment": {
                "fire_checks": n("activities_fire_check_new"),
                "cleanups": n("activities_cleanup_new"),
                "by_group": {
                    group: {
                        "fire_checks": n(f"activities_fire_check_{group}"),
                        "cleanups": n(f"activities_cleanup_{group}"),
                    }
                    for group in _NEW_EMPLOYMENT
                },
            },
        },
    }
    figures["summary"] = gettext(_SUMMARY) % {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "node": node[at[1]],
        "disputes": figures["disputes"]["resolved"],
        "sweeps": figures["fire_safety"]["sweeps"],
        "hazards": figures["hazards"]["found"],
        "fixed": figures["hazards"]["fixed"],
        "cleanups": figures["cleanups"],
        "enterprises": figures["food_safety"]["enterprises_checked"],
        "ne_sweeps": figures["participation"]["new_employment"]["fire_checks"],
        "ne_cleanups": figures["participation"]["new_employment"]["cleanups"],
    }
    return figures


# --- nearest stations ------------------------------------------------------------------------

# NearbyStationOut's own columns of the station, in its order (nuanxin/stations/api.py), then
# those read through the place and host (queries.STATION_RELATED's names, aliased in the SQL).
_STATION = (
    *("code", "name", "address", "lng", "lat", "place_id", "host_id", "host_name", "opening_hours_text"),
    *("opening_hours", "amenities", "capacity", "contact_name", "contact_phone", "status", "note"),
)
_STATION_RELATED = ("name", "address", "lng", "lat", "host_name")
_STATION_LABELS = [
    *[name if name in _STATION_RELATED else (name, f"stations_station.{name}") for name in _STATION],
    ("id", "stations_station.id"),
    "photo_id",
]
_STATION_JSON = ("opening_hours", "amenities")  # jsonb, read as text as Django's backend reads it
_STATION_OPEN = "open"  # Station.Status.OPEN


def nearest_stations(rows: Rows, user: int, request: HttpRequest) -> Any:
    """NearbyStationOut for each station of queries.station_values' statement (a row per photo,
    folded), nearest first as nuanxin's nearest_ids orders them (distance, then id); the figures
    beyond the rows from nuanxin's own model-free helpers."""
    found, positions = rows.of(*_STATION_LABELS)
    stations: dict[int, dict[str, Any]] = {}
    for row in found:
        values = [row[at] for at in positions]
        station = stations.setdefault(values[-2], {**dict(zip(_STATION, values[:-2], strict=True)), "photo_ids": []})
        if values[-1] is not None:
            station["photo_ids"].append(values[-1])
    lng, lat = float(request.GET["lng"]), float(request.GET["lat"])
    answer = []
    for distance, _id, station in sorted(
        (distance_m(lng, lat, s["lng"], s["lat"]), pk, s) for pk, s in stations.items()
    ):
        for name in _STATION_JSON:
            station[name] = json.loads(station[name])
        walking_m, walking_minutes = walking(distance)
        out = {name: station[name] for name in _STATION}
        out["open_now"] = open_now(station["status"] == _STATION_OPEN, station["opening_hours"])
        out |= {"photo_ids": station["photo_ids"], "distance_m": round(distance)}
        out |= {"walking_m": walking_m, "walking_minutes": walking_minutes}
        out["links"] = route_links(station["name"], station["lng"], station["lat"], from_lng=lng, from_lat=lat)
        answer.append(out)
    return answer


# --- the view --------------------------------------------------------------------------------


def answering(formatter: Callable[[Rows, int, HttpRequest], Any]) -> Callable[..., HttpResponse]:
    """A view: the token, then the captured statements of this path, then the formatter's answer."""

    def view(request: HttpRequest, **_kwargs: Any) -> HttpResponse:
        user = user_id(request)
        if user is None:
            return HttpResponse(status=401)
        plan = captured().get(request.get_full_path())
        if plan is None:
            return HttpResponse(status=404)
        results = []
        with connection.cursor() as cursor:
            for sql, params in plan["statements"]:
                cursor.execute(sql, params)
                results.append(cursor.fetchall() if cursor.description is not None else [])
        body = json.dumps(formatter(Rows(plan["columns"], results), user, request), cls=DjangoJSONEncoder)
        return HttpResponse(body, content_type="application/json; charset=utf-8")

    return view
