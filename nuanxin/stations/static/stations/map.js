// The public station map: stations, rider meal offers, parking points and green channels as
// layers the viewer switches on and off. Names and texts are user data: popups are built
// from text nodes, never HTML.
(function () {
  var el = document.querySelector("[data-stations-map]");
  if (!el || !window.nuanxinMap) { return; }
  var data = JSON.parse(document.getElementById(el.dataset.layers).textContent);
  var t = el.dataset;
  var map = nuanxinMap(el, { zoom: 15 });
  var popup = function (title, lines, link) {
    var box = document.createElement("div");
    var head = document.createElement(link ? "a" : "strong");
    head.textContent = title;
    if (link) { head.href = link; }
    box.appendChild(head);
    lines.forEach(function (line) {
      if (!line) { return; }
      var p = document.createElement("div");
      p.textContent = line;
      box.appendChild(p);
    });
    return box;
  };
  var marker = function (p, color) {
    return L.circleMarker([p.lat, p.lng], { radius: 8, color: color, weight: 3, fillOpacity: 0.6 });
  };
  var groups = {};
  groups[t.stationsLabel] = L.layerGroup(data.stations.map(function (s) {
    return marker(s, s.open ? "#c2410c" : "#6b7280").bindPopup(popup(s.name, [
      (s.open ? t.openLabel : t.closedLabel) + " · " + s.hours, s.amenities.join(" · ")
    ], s.url));
  }));
  groups[t.offersLabel] = L.layerGroup(data.offers.map(function (o) {
    return marker(o, "#15803d").bindPopup(popup(o.name, [o.title, [o.price ? "¥" + o.price : "", o.discount].join(" "), o.hours]));
  }));
  groups[t.parkingLabel] = L.layerGroup(data.parking.map(function (p) {
    return marker(p, "#2563eb").bindPopup(popup(p.name, [t.capacityLabel + " " + p.capacity, p.note]));
  }));
  groups[t.channelsLabel] = L.layerGroup(data.channels.map(function (c) {
    return marker(c, "#7c3aed").bindPopup(popup(c.name, [c.route, c.hours]));
  }));
  var all = [];
  Object.keys(groups).forEach(function (k) { groups[k].addTo(map); groups[k].eachLayer(function (l) { all.push(l.getLatLng()); }); });
  L.control.layers(null, groups, { collapsed: false }).addTo(map);
  if (all.length) { map.fitBounds(L.latLngBounds(all), { padding: [20, 20], maxZoom: 17 }); }
  el.dataset.ready = "1";
})();
