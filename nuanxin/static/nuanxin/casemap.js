// The case map: grid outlines from the page (json_script), case points fetched from the
// scoped GeoJSON endpoint named in data-source, over the basemap (basemap.js). Popups are
// built from text nodes: case data never becomes HTML.
(function () {
  document.querySelectorAll("[data-case-map]").forEach(function (el) {
    var node = document.getElementById(el.dataset.grids);
    var grids = node ? JSON.parse(node.textContent) : null;
    var status = document.querySelector("[data-case-map-status]");
    var map = nuanxinMap(el, { zoom: 14 });
    var outline = L.geoJSON(grids, { style: function () { return { color: "#6b7280", weight: 1, fillOpacity: 0 }; } }).addTo(map);
    var text = function (tag, value) { var e = document.createElement(tag); e.textContent = value; return e; };
    var popup = function (p) {
      var box = document.createElement("div");
      box.appendChild(text("strong", p.number));
      box.appendChild(text("div", p["class"]));
      box.appendChild(text("div", p.state));
      var link = text("a", el.dataset.openLabel || "→");
      link.href = p.url;
      box.appendChild(link);
      return box;
    };
    var style = function (p) {
      if (p.emergency) { return { radius: 8, color: "#b91c1c", weight: 3, fillColor: "#ef4444", fillOpacity: 0.9 }; }
      if (p.overdue) { return { radius: 6, color: "#c2410c", weight: 2, fillColor: "#fb923c", fillOpacity: 0.9 }; }
      return { radius: 5, color: "#1d4ed8", weight: 1, fillColor: "#60a5fa", fillOpacity: 0.8 };
    };
    var fit = function (layer) {
      var bounds = layer.getBounds();
      if (bounds.isValid()) { map.fitBounds(bounds, { padding: [12, 12], maxZoom: 17 }); }
    };
    fit(outline);
    fetch(el.dataset.source, { credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" } })
      .then(function (response) { if (!response.ok) { throw new Error(String(response.status)); } return response.json(); })
      .then(function (data) {
        var points = L.geoJSON(data, {
          pointToLayer: function (f, latlng) { return L.circleMarker(latlng, style(f.properties)); },
          onEachFeature: function (f, layer) { layer.bindPopup(popup(f.properties)); }
        }).addTo(map);
        if (!outline.getBounds().isValid()) { fit(points); }
        if (status) {
          status.textContent = (status.dataset.count || "") + " " + data.features.length;
          if (data.truncated) { status.textContent += " — " + (status.dataset.truncated || ""); }
        }
        el.dataset.ready = "1";
      })
      .catch(function () { if (status) { status.textContent = el.dataset.error || ""; } el.dataset.ready = "error"; });
  });
})();
