// A deputy's inbox: the cases of their grids (GET /api/case-intake/cases: routed to them or in their grids),
// the overdue ones first, then by the nearest deadline; live while the page is open.
import { codeText, formatTime, h, link, shorten } from '../ui.js';
import { request } from '../api.js';
import { offerCard } from '../push.js';
import { exportRow } from './exports.js';
import { cachedNotice, deadlineLine, failed, kindLine, page, placeLine, stateName } from './common.js';
import { watchScreen } from './live.js';
import { pending } from './outbox.js';
import { projectedStatus } from './actions.js';
import { t } from './text.js';

const Q = self.ddgQueue;
const FINISHED = new Set(['resolved', 'closed', 'withdrawn', 'merged', 'rejected', 'returned']);
const LIST = '/api/case-intake/cases?sort=due&limit=100&overdue=';

export async function inboxScreen(ctx) {
  let late;
  let rest;
  try {
    [late, rest] = await Promise.all([
      request('GET', LIST + 'true', { auth: true }), request('GET', LIST + 'false', { auth: true })]);
  } catch (failure) {
    return failed(ctx, failure, t('deputy.inbox'));
  }
  const [{ waiting }, sent] = await Promise.all([pending((meta) => Boolean(meta.caseId)), sentSince(late.cachedAt || rest.cachedAt)]);
  const waitingFor = (id) => waiting.filter((item) => item.meta.caseId === id);
  // the status the case page shows too: the server's (or, in a saved copy, what an action sent since answered),
  // moved on by the actions still waiting to be sent
  const projected = (item) => ({ ...item, status: projectedStatus(sent.get(item.id) || item.status, waitingFor(item.id)) });
  const lateIds = new Set(late.data.items.map((item) => item.id));
  const all = [...late.data.items, ...rest.data.items.filter((item) => !lateIds.has(item.id))].map(projected);
  const isOpen = (item) => lateIds.has(item.id) || !FINISHED.has(item.status) || waitingFor(item.id).length > 0;
  const open = all.filter(isOpen);
  const done = all.filter((item) => !isOpen(item));
  const card = (item) => caseCard(item, lateIds.has(item.id), waitingFor(item.id).length);

  const liveStatus = h('p', { class: 'live-status meta', role: 'status' });
  const view = page(ctx, t('deputy.inbox'),
    h('p', { class: 'lead' }, t('deputy.hello', { name: ctx.session.name })),
    offerCard({ context: 'deputy', lead: t('push.offerDeputy'), auth: true }), // after sign-in, not on first paint
    h('div', { class: 'row' },
      h('button', { type: 'button', class: 'btn secondary', id: 'refresh', onclick: () => ctx.app.refresh() }, t('deputy.refresh')),
      liveStatus),
    cachedNotice(late.cachedAt || rest.cachedAt),
    h('p', { class: 'meta', id: 'inbox-count' }, t('deputy.count', { n: open.length, late: lateIds.size })),
    open.length ? h('ul', { class: 'inbox' }, open.map(card)) : h('p', { class: 'lead' }, t('deputy.empty')),
    done.length ? h('details', { class: 'finished' }, h('summary', {}, t('deputy.finished', { n: done.length })),
      h('ul', { class: 'inbox' }, done.map(card))) : null,
    exportRow('inbox', t('deputy.inboxExport'), '/api/case-intake/exports/cases?sort=due'),
    h('p', { class: 'meta' }, t('time.note')));
  watchScreen(view, ctx, (on) => {
    liveStatus.textContent = on ? t('work.liveOn') : t('work.liveOff');
    liveStatus.classList.toggle('on', on);
  });
  return view;
}

/** A saved copy of the list may be older than the actions sent since: case id → the status the last answered. */
async function sentSince(cachedAt) {
  const latest = new Map();
  if (!cachedAt) return latest;
  const done = (await Q.done()).filter((item) => item.op === 'work.post' && item.meta && item.meta.caseId
    && item.result && item.result.status && item.sentAt > cachedAt);
  for (const item of done.sort((a, b) => (a.sentAt < b.sentAt ? -1 : 1))) latest.set(item.meta.caseId, item.result.status);
  return latest;
}

function caseCard(item, late, waiting) {
  return h('li', { class: late ? 'case overdue' : 'case', 'data-case-id': item.id },
    link(`/deputy/case/${item.id}`, { class: 'case-link' },
      h('span', { class: 'case-head' },
        h('span', { class: 'code small' }, codeText(item.tracking_code)),
        late ? h('span', { class: 'badge danger' }, t('deputy.overdue')) : null,
        waiting ? h('span', { class: 'pill waiting' }, t('deputy.waitingN', { n: waiting })) : null),
      h('span', { class: 'case-kind' }, `${kindLine(item)} · `, h('span', { class: 'state' }, stateName(item.status))),
      h('span', { class: 'summary' }, shorten(item.description, 120)),
      deadlineLine(item, late),
      placeLine(item.grid_id),
      h('span', { class: 'meta' }, t('deputy.filedAt', { time: formatTime(item.submitted_at) }))));
}
