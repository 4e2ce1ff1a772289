// The visit page: the phone's location fills the hidden lng/lat inputs (check-in). Without a
// location the visit can still be recorded; the server measures the distance to the target.
(function () {
  var form = document.querySelector("[data-visit-form]");
  if (!form) { return; }
  var lng = form.querySelector("[name=lng]"), lat = form.querySelector("[name=lat]");
  var status = form.querySelector("[data-location-status]");
  var say = function (text) { if (status) { status.textContent = text; } };
  if (lng.value && lat.value) { say(status.dataset.found || ""); return; }
  if (!navigator.geolocation) { say(status.dataset.failed || ""); return; }
  navigator.geolocation.getCurrentPosition(function (p) {
    lng.value = p.coords.longitude.toFixed(6);
    lat.value = p.coords.latitude.toFixed(6);
    say((status.dataset.found || "") + " ±" + Math.round(p.coords.accuracy) + " m");
  }, function () { say(status.dataset.failed || ""); }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
})();
