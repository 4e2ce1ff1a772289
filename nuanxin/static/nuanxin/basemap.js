// Every map of the site is made by nuanxinMap(element, options), the same way: a zoom control
// in the page's language, and under the page's own layers either the configured tiles or,
// by default, the community's own basemap (grid outlines and names, compounds, buildings,
// public places, the office's roads and rivers), fetched for the part in view from the
// basemap endpoint and drawn like the office's wall map. The configuration comes from the
// page (json_script "map-config", core/maps.py).
//
// Coordinates are WGS-84 everywhere. With GCJ-02 tiles (Amap, Tencent) the map's projection
// adds the GCJ-02 offset when it draws and takes it off a tap, so points land on the right
// building and what a tap gives is still WGS-84.
(function () {
  var node = document.getElementById("map-config");
  var config = node ? JSON.parse(node.textContent) : { tiles: null, texts: {} };
  var texts = config.texts || {};

  // GCJ-02: the standard public formulas (Krasovsky 1940), as nuanxin/core/coords.py.
  var A = 6378245.0, EE = 0.00669342162296594323;
  var outOfChina = function (lng, lat) { return !(lng >= 72.004 && lng <= 137.8347 && lat >= 0.8293 && lat <= 55.8271); };
  var tLat = function (x, y) {
    var r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
    r += (20 * Math.sin(y * Math.PI) + 40 * Math.sin(y / 3 * Math.PI)) * 2 / 3;
    return r + (160 * Math.sin(y / 12 * Math.PI) + 320 * Math.sin(y * Math.PI / 30)) * 2 / 3;
  };
  var tLng = function (x, y) {
    var r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
    r += (20 * Math.sin(x * Math.PI) + 40 * Math.sin(x / 3 * Math.PI)) * 2 / 3;
    return r + (150 * Math.sin(x / 12 * Math.PI) + 300 * Math.sin(x / 30 * Math.PI)) * 2 / 3;
  };
  var toGcj = function (lng, lat) {
    if (outOfChina(lng, lat)) { return [lng, lat]; }
    var dLat = tLat(lng - 105, lat - 35), dLng = tLng(lng - 105, lat - 35);
    var rad = lat / 180 * Math.PI, magic = 1 - EE * Math.sin(rad) * Math.sin(rad), sq = Math.sqrt(magic);
    dLat = (dLat * 180) / ((A * (1 - EE)) / (magic * sq) * Math.PI);
    dLng = (dLng * 180) / (A / sq * Math.cos(rad) * Math.PI);
    return [lng + dLng, lat + dLat];
  };
  // The inverse by iteration: three rounds are well under a centimetre.
  var fromGcj = function (lng, lat) {
    var w = [lng, lat];
    for (var i = 0; i < 3; i += 1) { var g = toGcj(w[0], w[1]); w = [w[0] - (g[0] - lng), w[1] - (g[1] - lat)]; }
    return w;
  };
  var crs = L.CRS.EPSG3857;
  if (config.tiles && config.tiles.crs === "gcj02") {
    var mercator = L.Projection.SphericalMercator;
    crs = L.extend({}, L.CRS.EPSG3857, {
      projection: {
        bounds: mercator.bounds,
        project: function (ll) { var g = toGcj(ll.lng, ll.lat); return mercator.project(L.latLng(g[1], g[0])); },
        unproject: function (p) { var ll = mercator.unproject(p), w = fromGcj(ll.lng, ll.lat); return L.latLng(w[1], w[0]); }
      }
    });
  }

  var labelled = function (layer, text, className) {
    // Names are user data: a text node, never HTML.
    var span = document.createElement("span");
    span.textContent = text;
    layer.bindTooltip(span, { permanent: true, direction: "center", className: "basemap-label " + className, interactive: false });
  };
  var LINE_STYLES = {
    road: [{ color: "#d4cbb8", weight: 8 }, { color: "#ffffff", weight: 5 }],
    path: [{ color: "#ffffff", weight: 3, dashArray: "4 3" }],
    water: [{ color: "#7fb2d9", weight: 5, fillColor: "#bcd8ee", fillOpacity: 0.9 }],
    railway: [{ color: "#8a8a8a", weight: 4 }, { color: "#ffffff", weight: 2, dashArray: "6 6" }],
    green: [{ color: "#9cc79a", weight: 1, fillColor: "#cfe6c4", fillOpacity: 0.9 }],
    other: [{ color: "#b9b2a3", weight: 2 }]
  };
  var PLACE_STYLES = {
    compound: { radius: 5, color: "#a8957a", fillColor: "#efe4d2" },
    building: { radius: 3, color: "#a8957a", fillColor: "#d9c9b0" },
    commercial_centre: { radius: 6, color: "#7c3aed", fillColor: "#ddd6fe" },
    public_unit: { radius: 6, color: "#0e7490", fillColor: "#cffafe" },
    station: { radius: 6, color: "#c2410c", fillColor: "#fed7aa" }
  };

  var drawBasemap = function (map, el) {
    map.createPane("basemap").style.zIndex = 250;
    var renderer = L.canvas({ pane: "basemap", padding: 0.3 });
    var group = L.layerGroup().addTo(map);
    var asked = "", controller = null;
    var draw = function (data) {
      group.clearLayers();
      var zoom = map.getZoom();
      data.features.forEach(function (f) {
        var p = f.properties;
        if (p.layer === "area") {
          var grid = p.level === "grid";
          var area = L.geoJSON(f, { renderer: renderer, pane: "basemap", interactive: false, style: {
            color: grid ? "#b45309" : "#7c2d12", weight: grid ? 1.5 : 3, dashArray: grid ? "6 4" : null,
            fillColor: grid ? "#fdf6e3" : "#f6f1e4", fillOpacity: grid ? 0.5 : 0.3
          } });
          group.addLayer(area);
          if (grid || zoom < 15) { labelled(area, p.name, grid ? "basemap-grid" : "basemap-community"); }
        } else if (p.layer === "line") {
          (LINE_STYLES[p.kind] || LINE_STYLES.other).forEach(function (style) {
            group.addLayer(L.geoJSON(f, { renderer: renderer, pane: "basemap", interactive: false, style: style }));
          });
        } else if (p.layer === "place") {
          var c = f.geometry.coordinates, style = PLACE_STYLES[p.kind] || PLACE_STYLES.building;
          var dot = L.circleMarker([c[1], c[0]], L.extend({ renderer: renderer, pane: "basemap", interactive: false, weight: 1, fillOpacity: 1 }, style));
          group.addLayer(dot);
          if (zoom >= 17 || (zoom >= 16 && p.kind !== "building")) { labelled(dot, p.name, "basemap-place"); }
        }
      });
      el.dataset.basemap = String(data.features.length);
    };
    var load = function () {
      var b = map.getBounds();
      if (b.getEast() - b.getWest() > 2 || b.getNorth() - b.getSouth() > 2) { group.clearLayers(); return; }
      // Rounded outward to about 100 m, so small pans ask for the same (cached) box.
      var r = function (v, up) { return (up ? Math.ceil(v * 1000) : Math.floor(v * 1000)) / 1000; };
      var query = "bbox=" + [r(b.getWest()), r(b.getSouth()), r(b.getEast(), true), r(b.getNorth(), true)].join(",") + "&zoom=" + map.getZoom();
      if (query === asked) { return; }
      asked = query;
      if (controller) { controller.abort(); }
      controller = window.AbortController ? new AbortController() : null;
      fetch(config.basemap + "?" + query, { credentials: "same-origin", signal: controller && controller.signal })
        .then(function (response) { if (!response.ok) { throw new Error(String(response.status)); } return response.json(); })
        .then(draw)
        .catch(function (error) { if (error.name !== "AbortError") { el.dataset.basemap = "error"; asked = ""; } });
    };
    map.on("moveend", load);
    map.whenReady(load);
  };

  // options: center ([lat, lng]) and zoom for the first view; Leaflet's map options besides.
  window.nuanxinMap = function (el, options) {
    options = options || {};
    var tiles = config.tiles;
    var map = L.map(el, L.extend({ crs: crs, zoomControl: false, attributionControl: !!tiles, maxZoom: 19 }, options.leaflet || {}));
    L.control.zoom({ zoomInTitle: texts.zoomIn || "+", zoomOutTitle: texts.zoomOut || "-" }).addTo(map);
    if (map.attributionControl) { map.attributionControl.setPrefix(false); }
    el.classList.add(tiles ? "map-tiled" : "map-drawn");
    map.setView(options.center || [24.98, 102.70], options.zoom || 15);
    if (tiles) {
      tiles.layers.forEach(function (layer) {
        L.tileLayer(layer.url, { subdomains: layer.subdomains, attribution: layer.attribution, maxZoom: 19, maxNativeZoom: 18 }).addTo(map);
      });
    } else {
      drawBasemap(map, el);
    }
    return map;
  };
  window.nuanxinMap.config = config;
})();
