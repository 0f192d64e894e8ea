// Personal data (PIPL), for the NPC office: erase a villager on their request — their account, phone number,
// name, photos and exact points everywhere the system keeps them — and see the erasures made. Done online only
// (never queued on a phone): it cannot be undone, so the office confirms it with the request in hand.
import { formatTime, h, notice } from '../ui.js';
import { ApiError, OfflineError, request } from '../api.js';
import { failed, page } from './common.js';
import { t } from './text.js';

let flash = null;

export async function privacyScreen(ctx) {
  let listed;
  try {
    listed = await request('GET', '/api/admin/erasures?limit=50', { auth: true });
  } catch (failure) {
    return failed(ctx, failure, t('office.privacy.title'));
  }
  const said = flash;
  flash = null;
  const { items, total } = listed.data;
  return page(ctx, t('office.privacy.title'),
    said ? h('div', { role: 'status' }, notice(said.kind, said.text)) : null,
    h('p', { class: 'lead' }, t('office.privacy.lead')),
    erasureForm(ctx),
    h('h2', {}, t('office.privacy.done', { n: total })),
    items.length
      ? h('ul', { class: 'items', id: 'erasures' }, items.map((item) => h('li', { class: 'item' },
        h('strong', {}, formatTime(item.requested_at)), ' · ',
        h('span', {}, item.announced ? t('office.privacy.announced') : t('office.privacy.waiting')),
        h('p', {}, item.reason),
        h('p', { class: 'meta' }, [item.account_id ? t('office.privacy.account') : null,
          item.phone_given ? t('office.privacy.phone') : null].filter(Boolean).join(' · ')))))
      : h('p', { class: 'meta', id: 'erasures-none' }, t('office.privacy.none')));
}

function erasureForm(ctx) {
  const phone = h('input', { id: 'erase-phone', name: 'phone', type: 'tel', inputmode: 'tel', autocomplete: 'off', maxlength: '20' });
  const reason = h('textarea', { id: 'erase-reason', name: 'reason', rows: '3', maxlength: '500' });
  const checked = h('input', { id: 'erase-checked', type: 'checkbox' });
  const error = h('p', { class: 'field-error', role: 'alert' });
  const button = h('button', { type: 'submit', class: 'btn primary wide', id: 'erase' }, t('office.privacy.erase'));
  async function submit(event) {
    event.preventDefault();
    const digits = phone.value.replace(/[\s-]/g, '');
    if (!/^\+?[0-9]{6,15}$/.test(digits)) { error.textContent = t('office.privacy.badPhone'); return; }
    if (!reason.value.trim()) { error.textContent = t('office.privacy.noReason'); return; }
    if (!checked.checked) { error.textContent = t('office.privacy.notChecked'); return; }
    if (!window.confirm(t('office.privacy.confirm', { phone: phone.value.trim() }))) return;
    button.disabled = true;
    error.textContent = '';
    try {
      await request('POST', '/api/admin/erasures', {
        auth: true, body: { phone: digits, reason: reason.value.trim() },
        headers: { 'Idempotency-Key': crypto.randomUUID() },
      });
      flash = { kind: 'ok', text: t('office.privacy.erased') };
      await ctx.app.refresh();
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 401) return ctx.expired();
      error.textContent = failure instanceof OfflineError ? t('office.privacy.offline')
        : (failure.problem && failure.problem.detail) || t('work.loadError');
      button.disabled = false;
    }
  }
  return h('form', { class: 'card', novalidate: true, onsubmit: submit, id: 'erase-form' },
    h('div', { class: 'field' }, h('label', { for: 'erase-phone' }, t('office.privacy.phoneLabel')), phone),
    h('div', { class: 'field' }, h('label', { for: 'erase-reason' }, t('office.privacy.reasonLabel')), reason),
    h('label', { class: 'check' }, checked, h('span', {}, t('office.privacy.checked'))),
    h('p', { class: 'meta' }, t('office.privacy.what')),
    error, button);
}
