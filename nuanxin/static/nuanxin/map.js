// Draws the territory map from data embedded in the page (json_script) over the basemap
// (basemap.js). Each map element names its data elements.
(function () {
  document.querySelectorAll("[data-map]").forEach(function (el) {
    // Names are user data: tooltips get text nodes, never HTML.
    var label = function (text) { var span = document.createElement("span"); span.textContent = text; return span; };
    var read = function (id) { var node = document.getElementById(id); return node ? JSON.parse(node.textContent) : null; };
    var features = read(el.dataset.features);
    var points = read(el.dataset.points);
    if (!Array.isArray(points)) { points = []; }
    // fitBounds below replaces the first view.
    var map = nuanxinMap(el, { zoom: 14 });
    var palette = ["#c2410c", "#2563eb", "#15803d", "#7c3aed", "#b45309", "#0e7490", "#be185d"];
    var layer = L.geoJSON(features, {
      style: function (f) {
        var i = (f.properties.id || 0) % palette.length;
        return { color: palette[i], weight: 2, fillOpacity: f.properties.level === "grid" ? 0.08 : 0.02 };
      },
      onEachFeature: function (f, l) { l.bindTooltip(label(f.properties.name), { sticky: true }); }
    }).addTo(map);
    // One point is the page's subject (where a case or a visit is): a pin, not a dot.
    var style = points.length === 1 ? { radius: 9, color: "#c2410c", weight: 3, fillOpacity: 0.5 } : { radius: 3, color: "#1f2937", weight: 1, fillOpacity: 0.8 };
    points.forEach(function (p) {
      L.circleMarker([p.lat, p.lng], style).bindTooltip(label([p.name, p.kind].filter(Boolean).join(" · "))).addTo(map);
    });
    var bounds = layer.getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds, { padding: [10, 10] }); }
    else if (points.length) { map.setView([points[0].lat, points[0].lng], 17); }
    // A form marked data-pick-location takes its coordinates from a click on the map.
    var picker = document.querySelector("form[data-pick-location]");
    if (picker) {
      var pin = null;
      map.on("click", function (e) {
        picker.querySelector("[name=lat]").value = e.latlng.lat.toFixed(6);
        picker.querySelector("[name=lng]").value = e.latlng.lng.toFixed(6);
        if (pin) { pin.setLatLng(e.latlng); } else { pin = L.circleMarker(e.latlng, { radius: 8, color: "#c2410c", weight: 3 }).addTo(map); }
        var details = picker.closest("details"); if (details) { details.open = true; }
      });
    }
    el.dataset.ready = "1";
  });
})();
