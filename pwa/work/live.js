// Live updates from the gateway (GET /api/live, Server-Sent Events): ids and statuses of the cases the signed-in
// official may see. One stream for the whole app; a screen watches while its element is on the page. The
// stream has no replay, so a screen reloads on every (re)connection.
import { h } from '../ui.js';
import { t } from './text.js';

const Q = self.ddgQueue;
const RETRY_MS = 5000;
const SETTLE_MS = 400; // a burst of events (a case filed and routed) gives one reload

const watchers = new Set();
let source = null;
let retry = null;

/** Redraw `view` (ctx.app.refresh) when a case changes and on reconnecting, while it is on the page — unless
 * someone is filling in a form there: then a button offers the redraw. `status(connected)` hears the stream. */
export function watchScreen(view, ctx, status) {
  let offer = null;
  watch(view, () => {
    if (!view.querySelector('details.action[open], form:focus-within')) { ctx.app.refresh(); return; }
    offer = offer || h('button', { type: 'button', class: 'btn secondary wide stale', onclick: () => ctx.app.refresh() }, t('work.changed'));
    if (!offer.isConnected) view.querySelector('h1').after(offer);
  }, status);
}

/** Call `reload()` when a case changes (and on reconnecting) for as long as `element` is on the page;
 * `status(connected)` hears whether the stream is up. */
function watch(element, reload, status) {
  let timer = null;
  const watcher = {
    element, status, since: Date.now(),
    poke() {
      clearTimeout(timer);
      timer = setTimeout(() => { if (element.isConnected) reload(); }, SETTLE_MS);
    },
  };
  watchers.add(watcher);
  open();
  show(watcher);
}

const ATTACH_MS = 10000; // a screen is put on the page a moment after it is built

function alive() {
  for (const watcher of watchers) {
    if (watcher.element.isConnected) watcher.attached = true;
    else if (watcher.attached || Date.now() - watcher.since > ATTACH_MS) watchers.delete(watcher);
  }
  return watchers.size > 0;
}

function show(watcher) {
  if (watcher.status) watcher.status(Boolean(source && source.readyState === 1));
}

function each(work) {
  if (!alive()) { close(); return; }
  for (const watcher of watchers) work(watcher);
}

async function open() {
  if (source || retry || !self.EventSource) return;
  const session = await Q.freshSession();
  if (!session || !Q.sessionUsable(session) || source) return;
  source = new EventSource(`/api/live?access_token=${encodeURIComponent(session.token)}`);
  // whatever happened before the stream was there comes with a reload
  source.addEventListener('ready', () => each((watcher) => { show(watcher); watcher.poke(); }));
  source.addEventListener('case', () => each((watcher) => watcher.poke()));
  for (const name of ['expired', 'closing', 'overflow']) source.addEventListener(name, reopen);
  source.onerror = () => { if (source && source.readyState === 2) reopen(); else each(show); };
}

function close() {
  if (source) source.close();
  source = null;
}

/** The token ran out, the gateway is stopping, or the stream fell behind: a new stream with a fresh token. */
function reopen() {
  close();
  each(show);
  if (retry || !alive()) return;
  retry = setTimeout(() => {
    retry = null;
    each((watcher) => watcher.poke()); // no replay: what changed meanwhile comes with a reload
    open();
  }, RETRY_MS);
}
