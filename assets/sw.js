// Backstage's service worker: keeps the app shell so that stage mode and the
// print sheet load with no signal, after a reload too.
//
// What it keeps: the built front end (/pkg/<version>/…, immutable) and the
// HTML of the stage and print pages. The page adds them too
// (app/src/offline.rs): one reached by an in-app link never came through here.
// Any other page loaded with no signal gets a page of its own instead of the
// browser's error page, leading to the shows kept for the gig: when the
// browser says it is offline, and when the request fails although it says it
// is online (a venue's Wi-Fi with no way out).
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
  } else if (request.mode === 'navigate') {
    event.respondWith(networkOrOfflinePage(request, url));
  }
});

// Any other page: the network's, as if this worker were not there; with no
// signal, the page that leads to the shows kept for the gig. (The worker
// starts for every page load anyway: it has a fetch handler.)
async function networkOrOfflinePage(request, url) {
  if (!self.navigator.onLine) return offlinePage(url);
  try {
    return await fetch(request);
  } catch {
    return offlinePage(url);
  }
}

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
  } catch {
    const kept = await cache.match(request, { ignoreVary: true });
    return kept ?? offlinePage(new URL(request.url));
  }
}

// A kept page must not replay a Set-Cookie.
function withoutCookies(response) {
  const headers = new Headers(response.headers);
  headers.delete('set-cookie');
  return new Response(response.body, { status: response.status, headers });
}

// The shows the page kept for the gig (app/src/offline.rs), as links to the
// stage and print pages this worker has a copy of: the way on with no signal.
const SHOWS = 'backstage-shows';
const KEPT_SHOW = /^\/offline\/setlists\/([0-9a-f-]{36})$/;

async function offlinePage(url) {
  const shell = await caches.open(SHELL);
  const rows = [];
  if (await caches.has(SHOWS)) {
    const shows = await caches.open(SHOWS);
    for (const request of await shows.keys()) {
      // A copy deleted meanwhile (a logout in another tab) is only left out.
      const row = await keptShowRow(shows, shell, request).catch(() => null);
      if (row) rows.push(row);
    }
  }
  const kept = rows.length
    ? `<h2>Shows kept on this device</h2><ul>${rows.join('')}</ul>`
    : '<p>No show is kept on this device for stage mode.</p>';
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>No connection · Backstage</title>
<style>body{font:1.05rem/1.5 system-ui,sans-serif;margin:0;padding:1.5rem;max-width:40rem}a{color:#1d4ed8}li{margin:.5rem 0}</style>
</head><body><main>
<h1>No connection</h1>
<p role="alert">Cannot reach Backstage right now: this page needs the network.
<a href="${escape(url.href)}">Try again</a></p>
${kept}
</main></body></html>`;
  // 503: nothing was fetched; the page is this worker's, not the server's.
  // Its policy allows no script at all: only its own inline style.
  const headers = {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
  };
  return new Response(html, { status: 503, headers });
}

// One kept show as a list item with its links, or null when this worker
// has neither its stage page nor its print sheet.
async function keptShowRow(shows, shell, request) {
  const id = KEPT_SHOW.exec(new URL(request.url).pathname)?.[1];
  const kept = id && (await (await shows.match(request)).json());
  if (!kept?.setlist) return null;
  const links = [];
  for (const [page, label] of [['stage', 'Stage mode'], ['print', 'Print sheet']]) {
    const path = `/setlists/${id}/${page}`;
    if (await shell.match(path, { ignoreVary: true })) links.push(`<a href="${path}">${label}</a>`);
  }
  if (links.length === 0) return null;
  const { name, show_date: date } = kept.setlist;
  return `<li><strong>${escape(name)}</strong> (${escape(date)}): ${links.join(' · ')}</li>`;
}

// A show's name is the band's text: never markup (a name like
// "<img onerror=…>" would otherwise run here).
function escape(text) {
  return String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
