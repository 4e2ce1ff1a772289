// nuanxin's service worker (docs/offline.md), rendered by nuanxin.views.service_worker.
// - The shell (CSS, scripts, Leaflet, icons, the offline page): answered from the phone's copy
//   at once and refreshed behind it.
// - Pages the server marks "keep" (the field pages of a signed-in person): from the network
//   when there is one, the last copy kept when there is none, else the offline page.
// - Everything else (API answers, photos, other pages) is never kept.
// - Signing in or out forgets every kept page.
// Forms sent offline are kept by the page (outbox.js), not here.
"use strict";
var CONFIG = {{ config|safe }};
var SHELL = "nuanxin-shell-" + CONFIG.version;
var PAGES = "nuanxin-pages";
var shellPaths = new Set(CONFIG.shell);

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) {
    // The offline page is fetched without cookies: it must not show whoever installed the worker.
    var offline = fetch(CONFIG.offline, { credentials: "omit" }).then(function (response) {
      return cache.put(CONFIG.offline, response);
    });
    return Promise.all([cache.addAll(CONFIG.shell), offline]);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("nuanxin-shell-") === 0 && name !== SHELL;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function fromShell(event) {
  return caches.open(SHELL).then(function (cache) {
    return cache.match(event.request).then(function (kept) {
      var fresh = fetch(event.request).then(function (response) {
        if (response.ok) { return cache.put(event.request, response.clone()).then(function () { return response; }); }
        return response;
      });
      if (!kept) { return fresh; }
      event.waitUntil(fresh.catch(function () {}));
      return kept;
    });
  });
}

function page(request) {
  return fetch(request).then(function (response) {
    if (response.ok && response.headers.get(CONFIG.header) === "keep") {
      var copy = response.clone();
      return caches.open(PAGES).then(function (cache) { return cache.put(request, copy); }).then(function () { return response; });
    }
    return response;
  }, function () {
    return caches.open(PAGES).then(function (cache) { return cache.match(request); }).then(function (kept) {
      return kept || caches.match(CONFIG.offline);
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.method === "POST" && request.mode === "navigate" && CONFIG.signInOut.indexOf(url.pathname) >= 0) {
    event.waitUntil(caches.delete(PAGES));
    return;
  }
  if (request.method !== "GET") { return; }
  if (shellPaths.has(url.pathname)) {
    event.respondWith(fromShell(event));
  } else if (request.mode === "navigate") {
    event.respondWith(page(request));
  }
});
