// The phone's outbox (docs/offline.md). A form marked data-outbox is kept on the phone
// (IndexedDB: its address, fields, photos and an Idempotency-Key made once per submission)
// and sent with that key: at once when there is a network, else when it returns. The server
// acts once per key, so a send repeated after a lost answer does nothing twice. A form the
// server refuses on arrival stays in the outbox with the server's reason until dismissed.
// Also registers the service worker (it keeps the field pages; sw.js).
(function () {
  var body = document.body;
  var user = body.dataset.outboxUser;
  if (!user || !window.indexedDB) { return; }
  if (body.dataset.serviceWorker && "serviceWorker" in navigator) {
    navigator.serviceWorker.register(body.dataset.serviceWorker, { scope: "/" });
  }
  var badge = document.querySelector("[data-outbox-badge]");
  var words = badge ? badge.dataset : {};
  var sending = new Set();

  function store(mode, work) {
    return new Promise(function (resolve, reject) {
      var opening = indexedDB.open("nuanxin-outbox", 1);
      opening.onupgradeneeded = function () { opening.result.createObjectStore("items", { keyPath: "key" }); };
      opening.onerror = function () { reject(opening.error); };
      opening.onsuccess = function () {
        var db = opening.result;
        var tx = db.transaction("items", mode);
        var asked = work(tx.objectStore("items"));
        tx.oncomplete = function () { db.close(); resolve(asked && asked.result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
      };
    });
  }
  function mine() {
    return store("readonly", function (items) { return items.getAll(); }).then(function (all) {
      return all.filter(function (item) { return item.user === user; })
        .sort(function (a, b) { return a.created - b.created; });
    });
  }
  function keep(item) { return store("readwrite", function (items) { return items.put(item); }); }
  function forget(key) { return store("readwrite", function (items) { return items.delete(key); }); }

  // What the server said when it refused: the form's or the page's error, or a JSON error.
  function reasonOf(response) {
    return response.text().then(function (text) {
      try { return JSON.parse(text).error || response.statusText; } catch (notJson) { /* a page */ }
      var page = new DOMParser().parseFromString(text, "text/html");
      var said = Array.prototype.map.call(
        page.querySelectorAll("main .form-error, main .field-error, main .messages .error"),
        function (el) { return el.textContent.trim(); }
      ).filter(Boolean);
      return said.join(" ") || response.status + " " + response.statusText;
    });
  }

  // One send: {sent, location} | {refused: reason} | {} (not now: no network, signed out, busy).
  function send(item) {
    var data = new FormData();
    var token = document.querySelector("[name=csrfmiddlewaretoken]");  // this page's: sign-ins change it
    item.fields.forEach(function (field) {
      if (field[0] !== "csrfmiddlewaretoken") { data.append(field[0], field[1]); }
    });
    data.append("csrfmiddlewaretoken", token ? token.value : "");
    return fetch(item.url, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "Idempotency-Key": item.key }
    }).then(function (response) {
      if (response.status === 401 || (response.redirected && new URL(response.url).pathname === words.signInUrl)) {
        return {};  // signed out meanwhile: sent after signing in again
      }
      if (response.ok && (response.headers.get("Content-Type") || "").indexOf("application/json") === 0) {
        return response.json().then(function (answer) { return { sent: true, location: answer.location }; });
      }
      if (response.status >= 400 && response.status < 500 && response.status !== 409 && response.status !== 429) {
        return reasonOf(response).then(function (reason) { return { refused: reason }; });
      }
      return {};  // a 5xx, a key still being processed, a limit: try again later
    }, function () { return {}; });
  }

  function settle(item, outcome) {
    if (outcome.sent) { return forget(item.key); }
    if (outcome.refused) { item.refused = outcome.refused; return keep(item); }
    return Promise.resolve();
  }

  function sendAll() {
    if (!navigator.onLine) { return Promise.resolve(); }
    return mine().then(function (items) {
      return items.filter(function (item) { return !item.refused && !sending.has(item.key); })
        .reduce(function (done, item) {
          return done.then(function () {
            sending.add(item.key);
            return send(item).then(function (outcome) { return settle(item, outcome); })
              .finally(function () { sending.delete(item.key); });
          });
        }, Promise.resolve());
    }).then(show);
  }

  function show() {
    return mine().then(function (items) {
      if (badge) {
        badge.hidden = items.length === 0;
        badge.querySelector("[data-outbox-count]").textContent = String(items.length);
      }
      var list = document.querySelector("[data-outbox-list]");
      if (!list) { return; }
      list.hidden = items.length === 0;
      var rows = list.querySelector("ul");
      rows.replaceChildren.apply(rows, items.map(function (item) {
        var row = document.createElement("li");
        row.className = item.refused ? "refused" : "waiting";
        row.dataset.outboxItem = item.key;
        var what = document.createElement("strong");
        what.textContent = item.label;
        var state = document.createElement("span");
        state.textContent = item.refused ? words.refused.replace("{reason}", item.refused) : words.waiting;
        row.append(what, " ", new Date(item.created).toLocaleString(), " · ", state);
        if (item.refused) {
          var dismiss = document.createElement("button");
          dismiss.type = "button";
          dismiss.className = "link";
          dismiss.textContent = words.dismiss;
          dismiss.addEventListener("click", function () { forget(item.key).then(show); });
          row.append(" ", dismiss);
        }
        return row;
      }));
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-outbox]")) { return; }
    if (form.dataset.outboxPlain) { delete form.dataset.outboxPlain; return; }
    event.preventDefault();
    var submitter = event.submitter;
    var fields = [];
    new FormData(form, submitter).forEach(function (value, name) { fields.push([name, value]); });
    var item = {
      key: crypto.randomUUID(),
      user: user,
      url: form.action,
      label: [form.dataset.outbox, submitter && submitter.textContent.trim()].filter(Boolean).join(" · "),
      fields: fields,
      created: Date.now()
    };
    var buttons = form.querySelectorAll("button, input[type=submit]");
    buttons.forEach(function (b) { b.disabled = true; });
    var kept = function () {
      var note = document.createElement("p");
      note.className = "notice";
      note.setAttribute("role", "status");
      note.dataset.outboxKept = "";
      note.textContent = words.kept;
      form.replaceChildren(note);
      return show();
    };
    keep(item).then(function () {
      if (!navigator.onLine) { return kept(); }
      sending.add(item.key);
      return send(item).then(function (outcome) {
        sending.delete(item.key);
        if (outcome.sent) {
          return forget(item.key).then(function () { location.assign(outcome.location); });
        }
        if (outcome.refused) {
          // Refused at once: send it the ordinary way instead, so that the page shows the
          // errors where they were typed (nothing was done, the key was freed).
          return forget(item.key).then(function () {
            buttons.forEach(function (b) { b.disabled = false; });
            form.dataset.outboxPlain = "1";
            form.requestSubmit(submitter);
          });
        }
        return kept();
      });
    });
  });

  window.addEventListener("online", sendAll);
  sendAll();
  show();
})();
