// SMS about a case filed from this phone: the choice on the review screen (with a phone number given, the
// filing asks for SMS: contact_preference "sms"; the number then reaches the notification service alone), what
// the "sent" screen says about it, and "stop SMS" for each case filed from this phone
// (DELETE /api/notification/contacts/{code}: whoever holds the code may stop it, as following does).
import { t } from '../i18n.js';
import { h } from '../ui.js';

const STOPPED = 'ddg-sms-stopped';

function stoppedCodes() {
  try {
    return new Set(JSON.parse(localStorage.getItem(STOPPED) || '[]'));
  } catch {
    return new Set();
  }
}

function markStopped(code) {
  const codes = stoppedCodes();
  codes.add(code);
  localStorage.setItem(STOPPED, JSON.stringify([...codes].slice(-200)));
}

/** Does this filing still get SMS (asked for at filing, not stopped from this phone)? */
export function texted(record) {
  return Boolean(record && record.meta && record.meta.sms && record.trackingCode && !stoppedCodes().has(record.trackingCode));
}

/** The review screen's choice: shown when a phone is given; off until the villager ticks it. */
export function smsChoice(draft, saveDraft) {
  const box = h('input', {
    type: 'checkbox', id: 'sms', checked: Boolean(draft.sms),
    onchange: () => { draft.sms = box.checked; saveDraft(); },
  });
  return h('div', { class: 'field check' },
    h('label', { for: 'sms' }, box, ' ', t('sms.offer')),
    h('p', { class: 'meta' }, t('sms.offerHint')));
}

/** "Stop SMS" for one case; `done` redraws the screen. */
export function stopButton(code, done) {
  const status = h('p', { class: 'meta', role: 'status' });
  const button = h('button', {
    type: 'button', class: 'btn ghost', id: `sms-stop-${code}`,
    onclick: async () => {
      button.disabled = true;
      try {
        const answer = await fetch(`/api/notification/contacts/${encodeURIComponent(code)}`,
          { method: 'DELETE', credentials: 'same-origin' });
        if (!answer.ok || answer.headers.get('X-DDG-Offline')) throw new Error(String(answer.status));
        markStopped(code);
        status.textContent = t('sms.stopped');
        if (done) done();
      } catch {
        button.disabled = false;
        status.textContent = t('sms.stopFailed');
      }
    },
  }, t('sms.stop'));
  return h('div', { class: 'sms-stop' }, button, status);
}

/** What the "sent" screen says: texted each step (with the way to stop), or nothing when SMS was not asked. */
export function sentNote(record, done) {
  if (!texted(record)) return h('div');
  return h('div', { class: 'sms-note' }, h('p', {}, '💬 ' + t('sms.on')), stopButton(record.trackingCode, done));
}
