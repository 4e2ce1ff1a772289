// The report page: the phone's location, a compound, building or place found by name, or a
// tap on the map (which shows the community's basemap) fills the hidden lat/lng, and
// choosing an emergency category shows the emergency numbers at once. Without a location
// after a few seconds the form says so and offers the search and the map. Once the category and
// the location are set, open cases like it nearby are shown (to follow one, send the report:
// its page offers "this is the same: follow it").
// The staff intake page uses the same file without the phone's GPS (data-no-gps).
(function () {
  var form = document.querySelector("[data-report-form]");
  if (!form) { return; }
  var lat = form.querySelector("[name=lat]"), lng = form.querySelector("[name=lng]");
  var status = form.querySelector("[data-location-status]");
  var banner = document.querySelector("[data-emergency-banner]");
  var emergencies = (form.dataset.emergencyCodes || "").split(",");
  var select = form.querySelector("[name=case_class]");
  var showBanner = function () { if (banner) { banner.hidden = emergencies.indexOf(select.value) < 0; } };
  select.addEventListener("change", showBanner);
  showBanner();

  // Before a location is found the map opens over the viewer's area (or the first community).
  var pickMap = form.querySelector("[data-pick-map]");
  var centre = (pickMap.dataset.centre || "").split(",").map(parseFloat);
  var start = lat.value && lng.value ? [parseFloat(lat.value), parseFloat(lng.value)] : centre.length === 2 ? centre : undefined;
  var map = nuanxinMap(pickMap, { center: start, zoom: 16 });
  var pin = null;
  // Similar open cases: only class, state, distance and age come back (no token).
  var similar = document.querySelector("[data-similar]");
  var similarList = similar && similar.querySelector("[data-similar-list]");
  var itemTemplate = document.querySelector("template[data-similar-item]");
  var texts = (document.querySelector("[data-similar-texts]") || { dataset: {} }).dataset;
  var description = form.querySelector("[name=description]");
  var fill = function (pattern, n) { return (pattern || "%(n)s").replace("%(n)s", String(n)); };
  var asked = "";
  var lookUp = function () {
    if (!similar || !form.dataset.similarUrl || !select.value || !lat.value || !lng.value) { return; }
    var query = new URLSearchParams({ class_code: select.value, lng: lng.value, lat: lat.value, text: (description && description.value) || "" });
    if (query.toString() === asked) { return; }
    asked = query.toString();
    fetch(form.dataset.similarUrl + "?" + asked, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (rows) {
        similarList.replaceChildren();
        rows.forEach(function (row) {
          var item = itemTemplate.content.firstElementChild.cloneNode(true);
          item.querySelector("[data-what]").textContent = row.class_name + " · " + row.state_name;
          var age = row.age_hours < 1 ? (texts.recent || "") : row.age_hours < 24 ? fill(texts.hours, row.age_hours) : fill(texts.days, Math.floor(row.age_hours / 24));
          item.querySelector("[data-meta]").textContent = fill(texts.metres, row.distance_m) + " · " + age;
          similarList.appendChild(item);
        });
        similar.hidden = rows.length === 0;
      })
      .catch(function () { similar.hidden = true; });
  };
  var timer = null;
  var later = function () { clearTimeout(timer); timer = setTimeout(lookUp, 500); };
  select.addEventListener("change", lookUp);
  if (description) { description.addEventListener("input", later); }

  var place = function (latitude, longitude, text) {
    lat.value = latitude.toFixed(6);
    lng.value = longitude.toFixed(6);
    if (pin) { pin.setLatLng([latitude, longitude]); }
    else { pin = L.circleMarker([latitude, longitude], { radius: 9, color: "#c2410c", weight: 3 }).addTo(map); }
    map.setView([latitude, longitude]);
    status.textContent = text;
    lookUp();
  };
  var where = function (latitude, longitude) { return "✓ " + latitude.toFixed(5) + ", " + longitude.toFixed(5); };
  if (lat.value && lng.value) { place(parseFloat(lat.value), parseFloat(lng.value), status.dataset.done || ""); }
  map.on("click", function (e) { place(e.latlng.lat, e.latlng.lng, where(e.latlng.lat, e.latlng.lng)); });
  var noLocation = function () { if (!(lat.value && lng.value)) { status.textContent = status.dataset.none || ""; } };
  if (navigator.geolocation && !(lat.value && lng.value) && !("noGps" in form.dataset)) {
    // A phone that never answers (permission not given yet, indoors) must not keep the form waiting.
    var waiting = setTimeout(noLocation, 6000);
    navigator.geolocation.getCurrentPosition(function (p) {
      clearTimeout(waiting);
      if (!(lat.value && lng.value)) { place(p.coords.latitude, p.coords.longitude, where(p.coords.latitude, p.coords.longitude)); }
    }, function () { clearTimeout(waiting); noLocation(); }, { enableHighAccuracy: true, timeout: 8000 });
  } else {
    noLocation();
  }

  // A compound, building or place found by name (the basemap's places, near the map's view).
  var search = form.querySelector("[data-place-search]");
  var results = form.querySelector("[data-place-results]");
  var address = form.querySelector("[name=address]");
  var searched = "", searchTimer = null;
  var find = function () {
    var text = search.value.trim();
    var query = new URLSearchParams({ q: text, bbox: map.getBounds().toBBoxString() }).toString();
    if (!text) { results.replaceChildren(); searched = ""; return; }
    if (query === searched) { return; }
    searched = query;
    fetch(nuanxinMap.config.places + "?" + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { places: [] }; })
      .then(function (data) {
        results.replaceChildren();
        data.places.forEach(function (p) {
          var button = document.createElement("button");
          button.type = "button";
          button.className = "place-choice";
          button.textContent = p.name;
          var meta = document.createElement("small");
          meta.textContent = " " + p.kind_name + " · " + p.grid;
          button.appendChild(meta);
          button.addEventListener("click", function () {
            place(p.lat, p.lng, "✓ " + p.name);
            map.setView([p.lat, p.lng], 17);
            if (address && !address.value) { address.value = p.name; }
            results.replaceChildren();
            search.value = p.name;
          });
          var item = document.createElement("li");
          item.appendChild(button);
          results.appendChild(item);
        });
        if (!data.places.length) {
          var none = document.createElement("li");
          none.className = "muted";
          none.textContent = search.dataset.nothing || "";
          results.appendChild(none);
        }
      })
      .catch(function () { searched = ""; });
  };
  if (search) {
    search.addEventListener("input", function () { clearTimeout(searchTimer); searchTimer = setTimeout(find, 300); });
    search.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); find(); } });
  }
})();
