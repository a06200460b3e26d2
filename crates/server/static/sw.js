// DocSpot's service worker. The patient's own pages ("My appointments", a visit's details,
// "My prescriptions") stay readable offline, read-only, as they were when last opened
// online; sign-out (or a session that has ended) clears them. Web push messages show as
// notifications that open the page they are about.
'use strict';

var CACHE = 'docspot-offline-v1';
var KEPT = /^\/(appointments|prescriptions)(\/|$)|^\/static\//;
var OFFLINE_NOTE = '<p class="alert offline-note" role="status">You are offline: this is how ' +
  'the page was when you last opened it. Changes need a connection.</p>';

function clearKept() {
  return caches.delete(CACHE);
}

self.addEventListener('install', function (event) {
  event.waitUntil(self.skipWaiting());
});

self.addEventListener('activate', function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener('message', function (event) {
  if (event.data && event.data.type === 'clear') event.waitUntil(clearKept());
});

// A kept page, marked as offline.
function offline(path) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(path);
  }).then(function (hit) {
    if (!hit) return Response.error();
    if (path.indexOf('/static/') === 0) return hit;
    return hit.text().then(function (html) {
      var marked = html.replace(/<main[^>]*>/, function (tag) { return tag + OFFLINE_NOTE; });
      return new Response(marked, { headers: { 'content-type': 'text/html; charset=utf-8' } });
    });
  });
}

self.addEventListener('fetch', function (event) {
  var request = event.request;
  if (request.method !== 'GET') return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === '/login' || url.pathname === '/logout') {
    event.waitUntil(clearKept());
    return;
  }
  if (!KEPT.test(url.pathname)) return;
  // Online first; a page answered in full is kept under its path, and shown offline.
  event.respondWith(fetch(request).then(function (response) {
    var signedOut = response.redirected && new URL(response.url).pathname === '/login';
    if (signedOut) {
      event.waitUntil(clearKept());
    } else if (response.ok && response.type === 'basic') {
      var copy = response.clone();
      event.waitUntil(caches.open(CACHE).then(function (cache) {
        return cache.put(url.pathname, copy);
      }));
    }
    return response;
  }, function () {
    return offline(url.pathname);
  }));
});

self.addEventListener('push', function (event) {
  var data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (e) {
    data = { body: event.data ? event.data.text() : '' };
  }
  event.waitUntil(self.registration.showNotification(data.title || 'DocSpot', {
    body: data.body || '',
    icon: '/static/icon-192.png',
    badge: '/static/icon-192.png',
    tag: data.kind || 'docspot',
    data: { url: data.url || '/appointments' }
  }));
});

self.addEventListener('notificationclick', function (event) {
  event.notification.close();
  var path = (event.notification.data && event.notification.data.url) || '/';
  event.waitUntil(self.clients.matchAll({ type: 'window' }).then(function (windows) {
    for (var i = 0; i < windows.length; i++) {
      if (new URL(windows[i].url).pathname === path && 'focus' in windows[i]) {
        return windows[i].focus();
      }
    }
    return self.clients.openWindow(path);
  }));
});
