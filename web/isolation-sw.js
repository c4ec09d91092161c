// A service worker that makes cfdm's pages cross-origin isolated on static hosts that cannot send
// headers (GitHub Pages, for one): it adds Cross-Origin-Opener-Policy and
// Cross-Origin-Embedder-Policy to every same-origin response it serves, which gives the page
// SharedArrayBuffer, hence the threaded build. loader.js registers it when the page opts in
// (scripts/deploy.sh --service-worker) and reloads the page once it controls it.
'use strict';
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', event => event.waitUntil(self.clients.claim()));
self.addEventListener('fetch', event => {
  const request = event.request;
  if (new URL(request.url).origin !== self.location.origin) return;  // others' resources: untouched
  if (request.cache === 'only-if-cached' && request.mode !== 'same-origin') return;
  event.respondWith(fetch(request).then(response => {
    if (response.status === 0 || response.type === 'opaque') return response;
    const headers = new Headers(response.headers);
    headers.set('Cross-Origin-Opener-Policy', 'same-origin');
    headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }));
});
