// The field app's service worker: it keeps the app's own files (the shell)
// so the app opens offline. It never caches API answers: the app keeps its
// data itself, encrypted, in IndexedDB.
"use strict";
const SHELL = "strongroom-field-shell-v1";
const FILES = ["/app/", "/app/app.js", "/app/app.css", "/app/manifest.webmanifest", "/app/icon.svg"];

self.addEventListener("install", (ev) => {
  ev.waitUntil(caches.open(SHELL).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (ev) => {
  ev.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== SHELL).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (ev) => {
  const url = new URL(ev.request.url);
  if (ev.request.method !== "GET" || url.origin !== self.location.origin || !FILES.includes(url.pathname)) {
    return; // the network, as usual: API calls are never cached
  }
  // Network first, so an update reaches the app; the cached shell offline.
  ev.respondWith(fetch(ev.request).then((resp) => {
    if (resp.ok) {
      const copy = resp.clone();
      caches.open(SHELL).then((c) => c.put(ev.request, copy));
    }
    return resp;
  }).catch(() => caches.match(ev.request)));
});
