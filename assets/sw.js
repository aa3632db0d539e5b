// Backstage's service worker: keeps the app shell so that stage mode and the
// print sheet load with no signal, after a reload too.
//
// What it keeps: the built front end (/pkg/<version>/…, immutable) and the
// HTML of the stage and print pages. The page adds them too
// (app/src/offline.rs): one reached by an in-app link never came through here.
//
// What it never touches: /api/. Tokens live in the page's memory only, and
// the setlist data a member opened is kept by the page itself (Cache Storage
// "backstage-shows"), which deletes it at logout and when the session ends.
const SHELL = 'backstage-shell-v1';
const GIG_PAGE = /^\/setlists\/[0-9a-f-]{36}\/(stage|print)$/;

self.addEventListener('install', (event) => {
  self.skipWaiting();
  // The API goes straight to the network, past this worker: a request sent by
  // a page being closed (the presence goodbye, `fetch` with `keepalive`) is
  // otherwise lost when it has to wait for the worker. Where the browser
  // cannot route (no static routing API), the fetch handler lets /api/ pass.
  if (event.addRoutes) {
    const api = { condition: { urlPattern: new URLPattern({ pathname: '/api/*' }) }, source: 'network' };
    event.waitUntil(event.addRoutes(api).catch(() => {}));
  }
});
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/')) return;
  if (url.pathname.startsWith('/pkg/')) {
    event.respondWith(cacheFirst(request));
  } else if (request.mode === 'navigate' && GIG_PAGE.test(url.pathname)) {
    event.respondWith(networkFirst(request));
  }
});

// A versioned file never changes: the kept copy is as good as the network's.
async function cacheFirst(request) {
  const cache = await caches.open(SHELL);
  // ignoreVary: the page itself may have kept the file, with other headers.
  const kept = await cache.match(request, { ignoreVary: true });
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

// A page: the network's when there is one (and keep it), else the kept copy.
async function networkFirst(request) {
  const cache = await caches.open(SHELL);
  try {
    const response = await fetch(request);
    // A copy that cannot be kept (a full disk) must not fail the page.
    if (response.ok) await cache.put(request, withoutCookies(response.clone())).catch(() => {});
    return response;
  } catch (offline) {
    const kept = await cache.match(request, { ignoreVary: true });
    if (kept) return kept;
    throw offline;
  }
}

// A kept page must not replay a Set-Cookie.
function withoutCookies(response) {
  const headers = new Headers(response.headers);
  headers.delete('set-cookie');
  return new Response(response.body, { status: response.status, headers });
}
