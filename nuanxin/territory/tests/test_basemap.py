"""The basemap: what every map draws without a tile server, the office's import of its lines,
and place names for a report made without GPS (territory/basemap.py, docs/territory.md)."""

import io
import json
import random
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from nuanxin.accounts.scope import scope_of
from nuanxin.core import maps
from nuanxin.core.errors import DomainError
from nuanxin.core.models import AuditEntry
from nuanxin.core.security import SecurityHeadersMiddleware
from nuanxin.demo.basemap import basemap_features
from nuanxin.demo.builder import COLUMNS, grid_cells
from nuanxin.territory import actions, basemap
from nuanxin.territory.models import BasemapLine
from nuanxin.testing import SYSTEM_SCOPE

AROUND = "102.695,24.975,102.715,24.995"  # the test community, its grids and the other one


def road(*points, kind="road", name="日新路"):
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": list(points)},
        "properties": {"kind": kind, "name": name},
    }


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def names(data, layer):
    return {f["properties"]["name"] for f in data["features"] if f["properties"]["layer"] == layer}


def test_anyone_reads_grid_outlines_and_names_and_the_named_places(world):
    response = Client().get("/territory/basemap.geojson", {"bbox": AROUND, "zoom": 16})
    assert response.status_code == 200
    data = response.json()
    assert {"测试社区", "一网格", "二网格", "另一社区", "另一网格"} <= names(data, "area")
    assert {"一号院", "二号院", "外社区院", "温新驿站一号"} <= names(data, "place")
    assert data["truncated"] is False
    # The same for everyone: a shared cache may keep a visitor's.
    assert response["Cache-Control"] == "public, max-age=300"


def test_a_signed_in_viewers_basemap_is_kept_by_their_browser_only(client_for, world):
    # Their answer may carry a renewed session cookie, which a shared cache must never hand on.
    response = client_for("grid1_worker").get("/territory/basemap.geojson", {"bbox": AROUND, "zoom": 16})
    assert response.status_code == 200 and "一网格" in names(response.json(), "area")
    assert response["Cache-Control"] == "private, max-age=300"


def test_a_place_on_the_basemap_carries_its_name_and_point_only(world):
    actions.change_place(
        actor=None, scope=SYSTEM_SCOPE, place=world.compound1, attributes={"物业": "某物业公司", "电话": "13800000000"}
    )
    data = Client().get("/territory/basemap.geojson", {"bbox": AROUND, "zoom": 16}).json()
    place = next(f for f in data["features"] if f["properties"].get("name") == "一号院")
    assert place["properties"] == {"layer": "place", "kind": "compound", "name": "一号院", "id": world.compound1.pk}
    assert "13800000000" not in json.dumps(data, ensure_ascii=False)


def test_far_out_only_the_communities_closer_grids_then_places_and_buildings_last(world):
    actions.create_place(actor=None, scope=SYSTEM_SCOPE, kind="building", name="一号院3栋", lng=102.7012, lat=24.9812)
    actions.create_place(actor=None, scope=SYSTEM_SCOPE, kind="merchant", name="小卖部", lng=102.7013, lat=24.9813)

    def at(zoom):
        return Client().get("/territory/basemap.geojson", {"bbox": AROUND, "zoom": zoom}).json()

    far, grids, places, close = at(12), at(14), at(16), at(17)
    assert names(far, "area") == {"测试社区", "另一社区"} and not names(far, "place")
    assert "一网格" in names(grids, "area") and not names(grids, "place")
    assert "一号院" in names(places, "place") and "一号院3栋" not in names(places, "place")
    assert "一号院3栋" in names(close, "place")
    # Merchants are not on the basemap at any zoom (there are a thousand of them a community).
    assert "小卖部" not in names(close, "place")


def test_a_crowded_view_says_places_were_left_out(world, monkeypatch):
    monkeypatch.setattr(basemap, "MAX_PLACES", 2)
    data = Client().get("/territory/basemap.geojson", {"bbox": AROUND, "zoom": 16}).json()
    assert data["truncated"] is True
    assert len(names(data, "place")) == 2
    assert "温新驿站一号" in names(data, "place")  # stations come first


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"bbox": "1,2,3", "zoom": 16}, "bbox"),
        ({"bbox": "x,24,102,25", "zoom": 16}, "bbox"),
        ({"bbox": "102.8,24.9,102.7,25.0", "zoom": 16}, "bbox"),  # west of east
        ({"bbox": "100,20,105,25", "zoom": 16}, "bbox"),  # a whole province
        ({"bbox": AROUND, "zoom": "x"}, "zoom"),
        ({"bbox": AROUND, "zoom": 40}, "zoom"),
        ({"bbox": AROUND}, "zoom"),
    ],
)
def test_a_bad_view_is_refused_naming_the_field(world, query, field):
    response = Client().get("/territory/basemap.geojson", query)
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_imported_lines_are_drawn_where_the_view_reaches_them(world, client_for):
    admin = world.users["community_admin"]
    count = actions.import_basemap(
        actor=admin,
        scope=scope_of(admin),
        community=world.community,
        data=collection(
            road([102.700, 24.981], [102.704, 24.981]),
            road([102.701, 24.980], [102.701, 24.982], kind="water", name="小河"),
        ),
    )
    assert count == 2
    entry = AuditEntry.objects.filter(action="territory.basemap_imported").get()
    assert entry.detail == {"lines": 2}
    data = Client().get("/territory/basemap.geojson", {"bbox": AROUND, "zoom": 15}).json()
    assert names(data, "line") == {"日新路", "小河"}
    elsewhere = Client().get("/territory/basemap.geojson", {"bbox": "102.60,24.90,102.62,24.92", "zoom": 15}).json()
    assert not names(elsewhere, "line")
    # Far out, no lines.
    assert not names(Client().get("/territory/basemap.geojson", {"bbox": AROUND, "zoom": 12}).json(), "line")


def test_an_import_replaces_the_lines_and_refuses_all_of_a_bad_file(world):
    admin = world.users["community_admin"]
    scope = scope_of(admin)
    actions.import_basemap(
        actor=admin, scope=scope, community=world.community, data=collection(road([102.700, 24.981], [102.704, 24.981]))
    )
    with pytest.raises(DomainError) as refused:
        actions.import_basemap(
            actor=admin,
            scope=scope,
            community=world.community,
            data=collection(
                road([102.700, 24.982], [102.704, 24.982], name="新路"), road([102.9, 25.2], [102.91, 25.2])
            ),
        )
    assert refused.value.field == "file" and "2" in refused.value.message and "测试社区" in refused.value.message
    assert list(BasemapLine.objects.values_list("name", flat=True)) == ["日新路"]  # nothing half-written
    actions.import_basemap(
        actor=admin,
        scope=scope,
        community=world.community,
        data=collection(road([102.700, 24.982], [102.704, 24.982], name="新路")),
    )
    assert list(BasemapLine.objects.values_list("name", flat=True)) == ["新路"]


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"type": "FeatureCollection", "features": []},
        collection({"type": "Feature", "geometry": {"type": "Point", "coordinates": [102.7, 24.98]}, "properties": {}}),
        collection(road([102.700, 24.981], [102.704, 24.981], kind="motorway")),
        collection(road([102.700, 24.981], [102.704, 24.981], name="<b>路</b>")),
        collection(road([102.700, 24.981])),
        collection(road([102.700, 24.981], [190, 24.981])),
    ],
)
def test_a_bad_file_is_refused_at_the_file(world, data):
    admin = world.users["community_admin"]
    with pytest.raises(DomainError) as refused:
        actions.import_basemap(actor=admin, scope=scope_of(admin), community=world.community, data=data)
    assert refused.value.field == "file"
    assert not BasemapLine.objects.exists()


def test_only_who_keeps_the_territory_imports_a_communitys_lines(world):
    for persona, community in (("grid1_worker", world.community), ("community_admin", world.other_community)):
        user = world.users[persona]
        with pytest.raises(DomainError) as refused:
            actions.import_basemap(
                actor=user,
                scope=scope_of(user),
                community=community,
                data=collection(road([102.700, 24.981], [102.704, 24.981])),
            )
        assert refused.value.code == "forbidden"
    admin = world.users["community_admin"]
    with pytest.raises(DomainError) as refused:
        actions.import_basemap(
            actor=admin,
            scope=scope_of(admin),
            community=world.grid1,
            data=collection(road([102.700, 24.981], [102.704, 24.981])),
        )
    assert refused.value.field == "community"


def upload(data, name="roads.geojson"):
    file = io.BytesIO(data if isinstance(data, bytes) else json.dumps(data).encode())
    file.name = name
    return file


def test_the_office_imports_from_the_community_page(world, client_for):
    client = client_for("community_admin")
    page = client.get(f"/territory/areas/{world.community.pk}/").content.decode()
    assert f"/territory/areas/{world.community.pk}/basemap/" in page
    url = f"/territory/areas/{world.community.pk}/basemap/"
    response = client.post(url, {"file": upload(collection(road([102.700, 24.981], [102.704, 24.981])))})
    assert response.status_code == 302 and BasemapLine.objects.count() == 1
    for content in (b"not json {", b"[" * 100_000):  # broken, and nested beyond any reader
        bad = client.post(url, {"file": upload(content)})
        assert bad.status_code == 400 and "GeoJSON" in bad.content.decode()
    assert BasemapLine.objects.count() == 1


def test_an_imported_line_keeps_its_shape_and_nothing_the_file_put_beside_it(world):
    admin = world.users["community_admin"]
    line = road([102.700, 24.981], [102.704, 24.981])
    line["geometry"]["note"] = "某物业 13800000000"  # not part of a geometry: never served
    actions.import_basemap(actor=admin, scope=scope_of(admin), community=world.community, data=collection(line))
    stored = BasemapLine.objects.get().geometry
    assert stored == {"type": "LineString", "coordinates": [[102.700, 24.981], [102.704, 24.981]]}
    served = Client().get("/territory/basemap.geojson", {"bbox": AROUND, "zoom": 16}).content.decode()
    assert "13800000000" not in served


def test_the_import_is_denied_to_who_does_not_keep_the_territory(world, client_for):
    url = f"/territory/areas/{world.community.pk}/basemap/"
    page = client_for("grid1_worker").get(f"/territory/areas/{world.grid1.pk}/").content.decode()
    assert 'enctype="multipart/form-data"' not in page
    for persona in ("grid1_worker", "other_admin", "resident"):
        response = client_for(persona).post(
            url, {"file": upload(collection(road([102.700, 24.981], [102.704, 24.981])))}
        )
        assert response.status_code == 404, persona
    assert Client().post(url).status_code == 302  # to sign in
    assert not BasemapLine.objects.exists()


def test_a_place_is_found_by_name_near_the_view(world):
    found = Client().get("/territory/basemap/places.json", {"q": "院", "bbox": AROUND}).json()["places"]
    assert {p["name"] for p in found} == {"一号院", "二号院", "外社区院"}
    first = next(p for p in found if p["name"] == "一号院")
    assert first["grid"] == "一网格" and first["lat"] == pytest.approx(24.981) and first["kind_name"] == "居民楼院"
    far = Client().get("/territory/basemap/places.json", {"q": "号院", "bbox": "103.5,25.5,103.52,25.52"}).json()
    assert far["places"] == []
    assert Client().get("/territory/basemap/places.json", {"q": " ", "bbox": AROUND}).json()["places"] == []
    bad = Client().get("/territory/basemap/places.json", {"q": "号院"})
    assert bad.status_code == 400 and bad.json()["field"] == "bbox"


def test_the_demo_lines_are_a_valid_import(world):
    cells = grid_cells(random.Random(1))
    features = basemap_features(cells, COLUMNS)
    kinds = [f["properties"]["kind"] for f in features]
    # Two roads between the three columns, one between the two rows, the ring road.
    assert kinds.count("road") == 4 and {"water", "green", "path"} <= set(kinds)
    assert actions.import_basemap(
        actor=None, scope=SYSTEM_SCOPE, community=world.community, data=collection(*features)
    ) == len(features)


def test_tiles_are_a_setting_and_a_wrong_one_fails_at_start(settings):
    settings.NUANXIN_TILE_URL = ""
    settings.NUANXIN_MAP_TILES = ""
    assert maps.tiles() is None and maps.tile_origins() == []
    settings.NUANXIN_MAP_TILES = "amap"
    assert maps.tiles()["crs"] == "gcj02"
    assert "https://*.is.autonavi.com" in SecurityHeadersMiddleware.policy()
    settings.NUANXIN_MAP_TILES = "tianditu"
    settings.NUANXIN_TIANDITU_KEY = ""
    with pytest.raises(ImproperlyConfigured):
        maps.tiles()
    settings.NUANXIN_TIANDITU_KEY = "k3y"
    tiles = maps.tiles()
    assert tiles["crs"] == "wgs84" and all("tk=k3y" in layer["url"] for layer in tiles["layers"])
    assert maps.tile_origins() == ["https://*.tianditu.gov.cn"]
    settings.NUANXIN_MAP_TILES = "google"
    with pytest.raises(ImproperlyConfigured):
        maps.tiles()
    settings.NUANXIN_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    settings.NUANXIN_TILE_CRS = "gcj02"
    assert maps.tiles()["crs"] == "gcj02" and maps.tile_origins() == ["https://tiles.example.org"]
    settings.NUANXIN_TILE_CRS = "bd09"
    with pytest.raises(ImproperlyConfigured):
        maps.tiles()


def test_a_wrong_tile_setting_stops_the_site_at_start():
    env = {"NUANXIN_MAP_TILES": "tianditu", "NUANXIN_TIANDITU_KEY": "", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "manage.py", "check"], capture_output=True, text=True, check=False, env=env, timeout=120
    )
    assert done.returncode != 0 and "NUANXIN_TIANDITU_KEY" in done.stderr
