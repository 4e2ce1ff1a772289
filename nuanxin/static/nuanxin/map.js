// Draws the territory map from data embedded in the page (json_script), with no external
// tiles unless a tile URL is configured. Each map element names its data elements.
(function () {
  document.querySelectorAll("[data-map]").forEach(function (el) {
    // Names are user data: tooltips get text nodes, never HTML.
    var label = function (text) { var span = document.createElement("span"); span.textContent = text; return span; };
    var read = function (id) { var node = document.getElementById(id); return node ? JSON.parse(node.textContent) : null; };
    var features = read(el.dataset.features);
    var points = read(el.dataset.points);
    if (!Array.isArray(points)) { points = []; }
    // Leaflet needs a view before vector layers are added; fitBounds below replaces it.
    var map = L.map(el, { attributionControl: !!el.dataset.tileUrl, zoomControl: false }).setView([24.98, 102.70], 14);
    L.control.zoom({ zoomInTitle: el.dataset.zoomIn || "+", zoomOutTitle: el.dataset.zoomOut || "-" }).addTo(map);
    if (el.dataset.tileUrl) {
      L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }
    var palette = ["#c2410c", "#2563eb", "#15803d", "#7c3aed", "#b45309", "#0e7490", "#be185d"];
    var layer = L.geoJSON(features, {
      style: function (f) {
        var i = (f.properties.id || 0) % palette.length;
        return { color: palette[i], weight: 2, fillOpacity: f.properties.level === "grid" ? 0.15 : 0.04 };
      },
      onEachFeature: function (f, l) { l.bindTooltip(label(f.properties.name), { sticky: true }); }
    }).addTo(map);
    points.forEach(function (p) {
      L.circleMarker([p.lat, p.lng], { radius: 3, color: "#1f2937", weight: 1, fillOpacity: 0.8 })
        .bindTooltip(label(p.name + " · " + p.kind)).addTo(map);
    });
    var bounds = layer.getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds, { padding: [10, 10] }); }
    else if (points.length) { map.setView([points[0].lat, points[0].lng], 16); }
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
