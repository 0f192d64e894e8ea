// Every write of the officials' screens goes through the offline queue (queue.js, op `work.post`): saved in
// IndexedDB first with its own Idempotency-Key, tried at once, and sent by itself when the signal returns
// (on `online`, on a timer, by Background Sync). The screens show each one "waiting to send" until then.
import { formatTime, h } from '../ui.js';
import { API_PATH } from './generated.js';
import { t } from './text.js';

const Q = self.ddgQueue;
const SEND_WAIT_MS = 8000;

const pause = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/** Save a POST and try it now. `what`: {label: catalogue key, params, caseId, kind, about} for the lists.
 * Resolves {command, result}: the queue's outcome ({state: sent|waiting|attention, record}), or null while
 * the first try is still on its way. */
export async function post(path, body, what = {}, { photos = [], photoField } = {}) {
  if (!API_PATH.test(path)) throw new Error(`not a service path: ${path}`);
  const session = await Q.getSession();
  const command = await Q.enqueue('work.post', body, {
    subject: session ? session.subject : null,
    target: { path, photoField: photoField || null },
    photos,
    meta: {
      label: what.label, params: what.params || {}, caseId: what.caseId || null, kind: what.kind || null, about: what.about || null,
    },
  });
  const result = await Promise.race([Q.sendNow(command.id), pause(SEND_WAIT_MS)]);
  return { command, result: result || null };
}

/** This screen's commands still waiting, and those the server refused: `mine(meta)` picks them. */
export async function pending(mine) {
  const [waiting, refused] = await Promise.all([Q.commands(), Q.attention()]);
  const pick = (item) => item.op === 'work.post' && mine(item.meta || {});
  const byTime = (a, b) => (a.createdAt < b.createdAt ? -1 : 1);
  return { waiting: waiting.filter(pick).sort(byTime), refused: refused.filter(pick).sort(byTime) };
}

export const what = (item) => t(item.meta.label, item.meta.params);

/** Why the server refused a command, in words. */
export function refusal(item) {
  const problem = item.problem || {};
  const reasons = [problem.detail, ...(problem.errors || []).map((error) => error.msg)].filter(Boolean);
  const headline = item.status === 409 && problem.current_status
    ? t('work.refused409', { status: t(`state.${problem.current_status}`) })
    : t(`work.refused${[403, 404, 409, 422].includes(item.status) ? item.status : ''}`, { status: item.status });
  return [h('p', {}, headline), reasons.length ? h('p', { class: 'meta' }, reasons.join(' ')) : null];
}

/** "Waiting to send" and "not accepted" lists; empty when there is nothing. onChange() after a discard. */
export function pendingSection({ waiting, refused }, onChange) {
  if (!waiting.length && !refused.length) return null;
  const waitingItem = (item) => h('li', { class: 'pending waiting', 'data-command': item.id },
    h('strong', {}, '⏳ ', what(item)),
    h('span', { class: 'pill waiting' }, t('work.waiting')),
    h('p', { class: 'meta' }, t('work.savedAt', { time: formatTime(item.createdAt) })),
    item.lastError === 'signin' ? h('p', { class: 'meta' }, t('work.signinToSend')) : null);
  const refusedItem = (item) => h('li', { class: 'pending refused', 'data-command': item.id },
    h('strong', {}, '⚠️ ', what(item)),
    ...refusal(item),
    h('button', {
      type: 'button', class: 'btn ghost', onclick: async () => {
        if (window.confirm(t('work.confirmDiscard'))) { await Q.discard(item.id); onChange(); }
      },
    }, t('work.discard')));
  return h('section', { class: 'outbox', 'aria-labelledby': 'outbox-title' },
    h('h2', { id: 'outbox-title' }, t('work.outbox')),
    waiting.length ? h('p', { class: 'meta' }, t('work.waitingNote')) : null,
    h('ul', { class: 'pending-list' }, ...refused.map(refusedItem), ...waiting.map(waitingItem)),
    waiting.length ? h('button', {
      type: 'button', class: 'btn secondary', id: 'send-now', onclick: () => Q.replay({ force: true }),
    }, t('work.sendNow')) : null);
}

/** A sentence on what happened to the command just saved: sent, saved for later, or refused. */
export function outcomeNotice(result) {
  if (result && result.state === 'sent') return { kind: 'ok', text: t('work.sent') };
  if (result && result.state === 'attention') return { kind: 'error', text: t('work.refusedNow') };
  return { kind: 'waiting', text: t('work.savedForLater') };
}
