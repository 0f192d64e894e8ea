// A deputy's inbox: the cases of their grids (GET /api/case-intake/cases: routed to them or in their grids),
// the overdue ones first, then by the nearest deadline; live while the page is open.
import { formatTime, h, link, shorten } from '../ui.js';
import { request } from '../api.js';
import { offerCard } from '../push.js';
import { exportRow } from './exports.js';
import { cachedNotice, deadlineLine, failed, kindLine, page, placeLine, stateName } from './common.js';
import { watchScreen } from './live.js';
import { pending } from './outbox.js';
import { t } from './text.js';

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
  const { waiting } = await pending((meta) => Boolean(meta.caseId));
  const waitingFor = (id) => waiting.filter((item) => item.meta.caseId === id).length;
  const lateIds = new Set(late.data.items.map((item) => item.id));
  const open = [...late.data.items, ...rest.data.items.filter((item) => !FINISHED.has(item.status))];
  const done = rest.data.items.filter((item) => FINISHED.has(item.status));
  const card = (item) => caseCard(item, lateIds.has(item.id), waitingFor(item.id));

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

function caseCard(item, late, waiting) {
  return h('li', { class: late ? 'case overdue' : 'case', 'data-case-id': item.id },
    link(`/deputy/case/${item.id}`, { class: 'case-link' },
      h('span', { class: 'case-head' },
        h('span', { class: 'code small' }, item.tracking_code),
        late ? h('span', { class: 'badge danger' }, t('deputy.overdue')) : null,
        waiting ? h('span', { class: 'pill waiting' }, t('deputy.waitingN', { n: waiting })) : null),
      h('span', { class: 'case-kind' }, `${kindLine(item)} · `, h('span', { class: 'state' }, stateName(item.status))),
      h('span', { class: 'summary' }, shorten(item.description, 120)),
      deadlineLine(item, late),
      placeLine(item.grid_id),
      h('span', { class: 'meta' }, t('deputy.filedAt', { time: formatTime(item.submitted_at) }))));
}
