/*
 * Service worker of the capture page: keeps the page and every file it loads,
 * so that after one visit the page opens with no network.
 *
 * - the page: network first (fresh nomenclature and session), the cached copy
 *   when the network fails or takes longer than NETWORK_TIMEOUT_MS;
 * - static files: from the cache, refreshed in the background;
 * - territory outlines and nomenclature: network first, cached copy offline;
 * - everything else, the sync API included, goes to the network untouched.
 */
"use strict";

const CONFIG = {{ worker_config_json|safe }};
const CACHE_PREFIX = "capture-";
const DATA_CACHE = "capture-data";
const NETWORK_TIMEOUT_MS = 6000;
const PRECACHED = new Set(CONFIG.precache);

function isCacheable(response) {
  return response && response.ok && response.type === "basic" && !response.redirected;
}

async function cachePage(cache) {
  try {
    const response = await fetch(CONFIG.pageUrl, { credentials: "same-origin", cache: "no-store" });
    if (isCacheable(response)) await cache.put(CONFIG.pageUrl, response);
  } catch (error) {
    // No network while installing: the next visit caches the page.
  }
}

/*
 * Cache each file on its own: one missing file must not leave the phone with no
 * offline page at all. A file that failed is cached when the page next loads it.
 */
async function precacheFiles(cache) {
  const results = await Promise.allSettled(CONFIG.precache.map((url) => cache.add(url)));
  results.forEach((result, index) => {
    if (result.status === "rejected") {
      console.error("capture service worker: could not cache", CONFIG.precache[index], result.reason);
    }
  });
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CONFIG.cacheName);
      await precacheFiles(cache);
      await cachePage(cache);
      await self.skipWaiting();
    })()
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith(CACHE_PREFIX) && name !== CONFIG.cacheName && name !== DATA_CACHE) {
          await caches.delete(name);
        }
      }
      await self.clients.claim();
    })()
  );
});

/* Resolve with the network's response, or with undefined after `ms`. */
function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      }
    );
  });
}

async function networkFirst(request, cacheName, cacheKey) {
  const cache = await caches.open(cacheName);
  const network = fetch(request).then(async (response) => {
    if (isCacheable(response)) await cache.put(cacheKey, response.clone());
    return response;
  });
  // Nothing awaits a failure that comes after the timeout, so silence it.
  network.catch(() => undefined);
  try {
    const response = await withTimeout(network, NETWORK_TIMEOUT_MS);
    if (response) return response;
  } catch (error) {
    // Offline: fall through to the cached copy.
  }
  const cached = await cache.match(cacheKey);
  if (cached) return cached;
  return network;
}

async function cacheFirst(request) {
  const cached = await caches.match(request);
  const refresh = fetch(request)
    .then(async (response) => {
      if (isCacheable(response)) {
        const cache = await caches.open(CONFIG.cacheName);
        await cache.put(request, response.clone());
      }
      return response;
    })
    .catch(() => undefined);
  if (cached) return cached;
  const response = await refresh;
  return response || Response.error();
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;

  if (request.mode === "navigate" && url.pathname === CONFIG.pageUrl) {
    event.respondWith(networkFirst(request, CONFIG.cacheName, CONFIG.pageUrl));
  } else if (PRECACHED.has(url.pathname) || url.pathname.startsWith(CONFIG.staticUrl)) {
    event.respondWith(cacheFirst(request));
  } else if (CONFIG.dataUrls.includes(url.pathname)) {
    event.respondWith(networkFirst(request, DATA_CACHE, request.url));
  }
});
