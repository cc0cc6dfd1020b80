// Qadam's service worker (participants/offline_views.py renders it; ADR 0018).
// - The app shell (CSS, JS, htmx, Bootstrap, icons) is kept when the worker installs and served
//   from the cache first.
// - The pages of the user's events (an event's page, attendance grid, scores and paper entry,
//   new-person registration, feedback kiosk) are asked from the network first and kept; with
//   no connection the kept copy is shown.
// - On a message from the page ("precache") it keeps the pages listed by /offline/pages/ for
//   the user's upcoming and recent events; on "forget-pages" (logging out) it drops them.
// Writes are never handled here: the page's outbox (static/js/outbox.js) queues them.
"use strict";
var VERSION = "{{ version }}";
var SHELL_CACHE = "qadam-shell-" + VERSION;
var PAGES_CACHE = "qadam-pages";
var SHELL = {{ shell_json|safe }};
var STATIC_PREFIX = {{ static_prefix_json|safe }};
var OFFLINE_TEXT = {{ offline_text_json|safe }};
// Event page: /events/<id>/; attendance grid: /people/events/<id>/attendance/; scores entry:
// /people/events/<id>/scores/; paper-feedback entry: /people/events/<id>/feedback/add/;
// new-person registration: /people/events/<id>/roster/new/.
var PAGE_PATTERNS = [/^\/events\/\d+\/$/, /^\/people\/events\/\d+\/attendance\/$/,
  /^\/people\/events\/\d+\/scores\/$/, /^\/people\/events\/\d+\/feedback\/add\/$/,
  /^\/people\/events\/\d+\/roster\/new\/$/, /^\/people\/events\/\d+\/feedback\/kiosk\/$/];

function isKeptPage(url) {
  return url.origin === self.location.origin &&
    PAGE_PATTERNS.some(function (pattern) { return pattern.test(url.pathname); });
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL_CACHE).then(function (cache) {
    // One by one: a file that fails does not stop the others.
    return Promise.all(SHELL.map(function (url) {
      return cache.add(url).catch(function () { return null; });
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("qadam-shell-") === 0 && name !== SHELL_CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function keep(request, response) {
  // Only a page really shown to the signed-in user: not a redirect to the login page.
  if (response && response.ok && !response.redirected && response.type === "basic") {
    var copy = response.clone();
    return caches.open(PAGES_CACHE).then(function (cache) {
      return cache.put(request, copy);
    }).then(function () { return response; });
  }
  return Promise.resolve(response);
}

function fromCache(request) {
  return caches.open(PAGES_CACHE).then(function (cache) {
    return cache.match(request, { ignoreVary: true }).then(function (hit) {
      return hit || cache.match(request, { ignoreVary: true, ignoreSearch: true });
    });
  });
}

function networkFirst(request) {
  return fetch(request).then(function (response) {
    return keep(request, response);
  }).catch(function () {
    return fromCache(request).then(function (hit) {
      return hit || new Response(OFFLINE_TEXT, {
        status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" }
      });
    });
  });
}

function cacheFirst(request) {
  return caches.match(request, { ignoreVary: true }).then(function (hit) {
    return hit || fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(SHELL_CACHE).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (url.pathname.indexOf(STATIC_PREFIX) === 0) {
    event.respondWith(cacheFirst(request));
  } else if (isKeptPage(url) && request.headers.get("HX-Request") === null) {
    event.respondWith(networkFirst(request));
  }
});

function precache(urls) {
  return Promise.all(urls.map(function (path) {
    var url = new URL(path, self.location.origin);
    if (!isKeptPage(url)) { return null; }
    return fetch(url.href, { credentials: "same-origin" }).then(function (response) {
      return keep(new Request(url.href), response);
    }).catch(function () { return null; });
  }));
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "precache") {
    var work = precache(data.urls || []);
    if (data.list) {
      work = work.then(function () {
        return fetch(data.list, { credentials: "same-origin" });
      }).then(function (response) {
        return response.ok ? response.json() : { urls: [] };
      }).then(function (body) { return precache(body.urls || []); }).catch(function () { return null; });
    }
    event.waitUntil(work.then(function () {
      if (event.source) { event.source.postMessage({ type: "precached" }); }
    }));
  } else if (data.type === "forget-pages") {
    event.waitUntil(caches.delete(PAGES_CACHE));
  }
});
