/* Service worker.
 * - App shell: a versioned cache, filled on install, served cache-first (bump VERSION to ship a new shell).
 * - GET /api/...: network-first; a successful answer is kept, and served (marked X-DDG-Cached-At) when the
 *   network fails or is too slow. Nothing else under /api/ is touched: writes go through the page's queue
 *   and are never cached, nor are spreadsheet exports (…/exports/…: large, personal, and stale tomorrow).
 * - Background Sync "ddg-queue": replays the offline queue (queue.js, shared with the page).
 * - Web Push: shows what the notification service sent (a message id once), and a tap opens its screen.
 */
importScripts('/queue.js');

const VERSION = '2026-12-05.4';
const SHELL_CACHE = `ddg-shell-${VERSION}`;
const API_CACHE = 'ddg-api-v1';
const SHELL = [
  '/index.html', '/styles.css', '/app.js', '/ui.js', '/i18n.js', '/i18n/zh-CN.js', '/api.js', '/queue.js',
  '/manifest.webmanifest', '/icons/icon.svg', '/icons/icon-192.png', '/push.js',
  // the villager's other screens, loaded by the page when first opened: here so that they open offline too
  '/villager/photos.js', '/villager/place.js', '/villager/cases.js', '/villager/signin.js', '/villager/booking.js',
  '/villager/board.js', '/villager/deputies.js', '/villager/similar.js', '/villager/notices.js',
  '/villager/sms.js', '/villager/voice.js',
];
// The officials' side (officials.js, pwa/work/): never in the villager's first load. An official's first page
// loads these before this worker controls it, so they would never be cached: once signed in, the page asks for
// all of them ('keep-officials'), and an update carries them over, so that the next visit opens offline.
const OFFICIALS = [
  '/officials.js', '/work/work.css', '/work/i18n/zh-CN.js', '/work/i18n/en.js',
  ...['actions', 'case', 'charts', 'common', 'coverage', 'dashboard', 'desk', 'duty', 'exports', 'file', 'generated',
    'imports', 'inbox', 'live', 'mediation', 'outbox', 'privacy', 'proposal', 'review', 'sessions', 'suggestions', 'text',
    'visit']
    .map((name) => `/work/${name}.js`),
];
const APP_ROUTES = /^\/(?:$|file(?:\/|$)|project\/|sent\/|track(?:\/|$)|(?:deputy|staff|office)(?:\/|$)|cases$|signin$|book$|board$|deputies$|notifications$)/;
const STATIC_FILE = /\.(?:js|css|png|svg|webmanifest|ico)$/;
const API_PATIENCE_MS = 8000; // with a saved copy at hand, a slower network answer is not worth the wait

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    // First install: the page has just fetched these files, so the HTTP cache answers (no second download).
    // An upgrade: go to the server, so that a week-old HTTP-cached file never enters the new version.
    const older = (await caches.keys()).filter((name) => name.startsWith('ddg-shell-') && name !== SHELL_CACHE);
    const upgrading = older.length > 0;
    // an official's phone keeps the officials' side across the update (else it would not open offline again)
    const official = (await Promise.all(older.map((name) => caches.match('/officials.js', { cacheName: name })))).some(Boolean);
    const cache = await caches.open(SHELL_CACHE);
    const wanted = official ? [...SHELL, ...OFFICIALS] : SHELL;
    await cache.addAll(wanted.map((url) => new Request(url, { cache: upgrading ? 'reload' : 'default' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('ddg-shell-') && name !== SHELL_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return; // writes go to the network untouched
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/')) {
    // sign-in, the live stream (an endless answer) and exports (files) go to the network untouched
    const untouched = url.pathname.startsWith('/api/auth/') || url.pathname === '/api/live' || url.pathname.includes('/exports/');
    if (!untouched) event.respondWith(networkFirst(event));
    return;
  }
  if (request.mode === 'navigate') {
    if (APP_ROUTES.test(url.pathname) || url.pathname === '/index.html') event.respondWith(appShell(request));
    return;
  }
  if (STATIC_FILE.test(url.pathname) && url.pathname !== '/sw.js') event.respondWith(cacheFirst(event));
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'keep-officials') event.waitUntil(keep(OFFICIALS));
});

/** Put these files in the shell cache unless already there (revalidated: an unchanged file costs a 304). */
async function keep(urls) {
  const cache = await caches.open(SHELL_CACHE);
  await Promise.all(urls.map(async (url) => {
    if (await cache.match(url)) return;
    const response = await fetch(url, { cache: 'no-cache' }).catch(() => null);
    if (response && response.ok) await cache.put(url, response);
  }));
}

async function appShell(request) {
  const cached = await caches.match('/index.html', { cacheName: SHELL_CACHE });
  return cached || fetch(request);
}

async function cacheFirst(event) {
  const cache = await caches.open(SHELL_CACHE);
  const cached = await cache.match(event.request);
  if (cached) return cached;
  const response = await fetch(event.request, { cache: 'no-cache' });
  if (response.ok && response.type === 'basic') event.waitUntil(cache.put(event.request, response.clone()));
  return response;
}

async function stamped(response) {
  const headers = new Headers(response.headers);
  headers.set('X-DDG-Cached-At', new Date().toISOString());
  return new Response(await response.blob(), { status: response.status, statusText: response.statusText, headers });
}

function offline() {
  const body = { title: 'Offline', status: 503, detail: 'There is no network and no saved copy of this.' };
  return new Response(JSON.stringify(body), {
    status: 503, headers: { 'Content-Type': 'application/problem+json', 'X-DDG-Offline': '1' },
  });
}

async function networkFirst(event) {
  const cache = await caches.open(API_CACHE);
  const cached = await cache.match(event.request);
  const network = fetch(event.request).then((response) => {
    if (response.ok) event.waitUntil(stamped(response.clone()).then((copy) => cache.put(event.request, copy)));
    return response;
  });
  event.waitUntil(network.catch(() => null)); // let a slow answer still refresh the saved copy
  try {
    if (!cached) return await network;
    const patience = new Promise((resolve, reject) => { setTimeout(() => reject(new Error('slow')), API_PATIENCE_MS); });
    return await Promise.race([network, patience]);
  } catch (error) {
    return cached || offline();
  }
}

self.addEventListener('sync', (event) => {
  if (event.tag !== 'ddg-queue') return;
  event.waitUntil(self.ddgQueue.replay({ force: true }).then((summary) => {
    // Rejecting asks the browser to try this sync again later, with its own back-off.
    if (summary && summary.offline) throw new Error('still offline');
  }));
});

/* ---- Web Push (RFC 8030): the notification service's messages ----
 * A message is {id, step, tracking_code, grid, url, title, body}. The service may send a message again under the
 * same id after it was restarted mid-send: an id already shown is not shown twice (the last 200 ids are kept). */
const SEEN_CACHE = 'ddg-push-seen';
const SEEN_KEEP = 200;

self.addEventListener('push', (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch (error) {
    message = {};
  }
  event.waitUntil(showOnce(message));
});

async function showOnce(message) {
  const id = typeof message.id === 'string' ? message.id : '';
  const seen = await caches.open(SEEN_CACHE);
  const key = `/push-seen/${encodeURIComponent(id)}`;
  if (id && (await seen.match(key))) return;
  if (id) {
    await seen.put(key, new Response(''));
    const keys = await seen.keys();
    for (const old of keys.slice(0, Math.max(keys.length - SEEN_KEEP, 0))) await seen.delete(old);
  }
  await self.registration.showNotification(message.title || 'ddg', {
    body: message.body || '',
    tag: id ? `ddg-${id}` : undefined,
    icon: '/icons/icon-192.png',
    badge: '/icons/icon-192.png',
    data: { url: screenPath(message.url) },
  });
}

/** Only a path of this app: a message can never send the phone elsewhere. */
function screenPath(url) {
  return typeof url === 'string' && /^\/(?!\/)[\w\-./]*$/.test(url) ? url : '/';
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const path = screenPath(event.notification.data && event.notification.data.url);
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const open = windows.find((client) => new URL(client.url).origin === self.location.origin);
    if (open) {
      await open.focus().catch(() => null); // focusing may need the tap's user activation
      if ('navigate' in open) return open.navigate(path);
    }
    return self.clients.openWindow(path);
  })());
});
