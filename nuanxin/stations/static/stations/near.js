// The nearest-station finder: ask the phone for its location and reload the page with
// ?lng=&lat= (the server sorts and measures). Without permission the page lists every station.
(function () {
  var button = document.querySelector("[data-locate]");
  if (!button || !navigator.geolocation) { if (button) { button.hidden = true; } return; }
  var status = document.querySelector("[data-locate-status]");
  var go = function () {
    if (status) { status.textContent = button.dataset.finding || ""; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      var url = new URL(window.location.href);
      url.searchParams.set("lng", pos.coords.longitude.toFixed(6));
      url.searchParams.set("lat", pos.coords.latitude.toFixed(6));
      window.location.replace(url.toString());
    }, function () {
      if (status) { status.textContent = button.dataset.denied || ""; }
    }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
  };
  button.addEventListener("click", go);
  // First visit without a location: ask at once (the browser asks the rider's permission).
  if (button.dataset.auto === "1") { go(); }
})();
