// The report page: the phone's location (or a tap on the map) fills the hidden lat/lng, and
// choosing an emergency category shows the emergency numbers at once.
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

  var start = [lat.value || 24.98, lng.value || 102.70];
  var map = L.map(form.querySelector("[data-pick-map]"), { attributionControl: false }).setView(start, 16);
  var pin = null;
  var place = function (latitude, longitude, text) {
    lat.value = latitude.toFixed(6);
    lng.value = longitude.toFixed(6);
    if (pin) { pin.setLatLng([latitude, longitude]); }
    else { pin = L.circleMarker([latitude, longitude], { radius: 9, color: "#c2410c", weight: 3 }).addTo(map); }
    map.setView([latitude, longitude]);
    status.textContent = text;
  };
  if (lat.value && lng.value) { place(parseFloat(lat.value), parseFloat(lng.value), status.dataset.done || ""); }
  map.on("click", function (e) { place(e.latlng.lat, e.latlng.lng, "✓ " + e.latlng.lat.toFixed(5) + ", " + e.latlng.lng.toFixed(5)); });
  if (navigator.geolocation && !(lat.value && lng.value)) {
    navigator.geolocation.getCurrentPosition(function (p) {
      place(p.coords.latitude, p.coords.longitude, "✓ " + p.coords.latitude.toFixed(5) + ", " + p.coords.longitude.toFixed(5));
    }, function () { /* keep the map for a tap */ }, { enableHighAccuracy: true, timeout: 8000 });
  }
})();
