// Station staff file a case on a caller's behalf (代为登记): a phone call or a walk-in, what was raised, where,
// and how to reach the villager. The tracking code is read back to the caller. Works offline like the rest.
import { codeText, h, link, notice } from '../ui.js';
import { request } from '../api.js';
import { lang } from '../i18n.js';
import { placePicker } from '../villager/place.js';
import { field, formError, input, page, select, textarea } from './common.js';
import { outcomeNotice, pending, pendingSection, post } from './outbox.js';
import { t } from './text.js';

const Q = self.ddgQueue;
const KINDS = ['request', 'dispute', 'suggestion', 'opinion'];
const PHONE = /^\+?[0-9]{5,15}$/;
let last = null; // {result, notice} of the filing just saved

export async function fileScreen(ctx) {
  let categories = [];
  try {
    categories = (await request('GET', '/api/case-intake/categories?limit=200')).data.items;
  } catch (failure) { /* offline and never loaded: the shared catalogue's categories below */ }
  const [queued, done] = await Promise.all([pending((meta) => meta.kind === 'filing'), Q.done()]);
  const filed = done.filter((item) => item.op === 'work.post' && item.meta && item.meta.kind === 'filing')
    .sort((a, b) => (a.sentAt < b.sentAt ? 1 : -1)).slice(0, 5);
  const said = last;
  last = null;
  return page(ctx, t('staff.file.title'),
    said ? await filedNotice(said) : null,
    pendingSection(queued, () => ctx.app.refresh()),
    fileForm(ctx, categories),
    filed.length ? h('section', {}, h('h2', {}, t('staff.file.recent')), h('ul', { class: 'items', id: 'filed-list' },
      filed.map((item) => h('li', { class: 'item' }, link(`/office/case/${item.result.id}`, {}, item.meta.params.summary))))) : null);
}

async function filedNotice(said) {
  const sent = said.result && said.result.state === 'sent';
  if (!sent) return h('div', { role: 'status' }, notice(outcomeNotice(said.result).kind, outcomeNotice(said.result).text));
  const id = said.result.record.result.id;
  let code = '';
  try {
    code = (await request('GET', `/api/case-intake/cases/${id}`, { auth: true })).data.tracking_code;
  } catch (failure) { /* the code shows on the case page */ }
  return h('div', { class: 'code-box', role: 'status' },
    h('p', { class: 'code-label' }, t('staff.file.done')),
    code ? h('p', { class: 'code', id: 'filed-code' }, codeText(code)) : null,
    h('p', {}, t('staff.file.readBack')),
    link(`/office/case/${id}`, { class: 'btn secondary' }, t('staff.file.open')));
}

function categoryOptions(categories, kind) {
  const own = categories.filter((item) => item.active && item.kinds.includes(kind));
  if (!own.length) return ['water', 'roads', 'neighbours', 'family', 'other'].map((code) => [code, t(`category.${code}`)]);
  return own.map((item) => [item.code, lang === 'en' ? item.label_en : item.label_zh]);
}

function fileForm(ctx, categories) {
  const channel = select('f-channel', ['phone', 'walk_in'].map((value) => [value, t(`deputy.channel.${value}`)]), 'phone');
  const kind = select('f-kind', KINDS.map((value) => [value, t(`kind.${value}`)]), 'request');
  const category = select('f-category', categoryOptions(categories, 'request'));
  kind.addEventListener('change', () => category.replaceChildren(...categoryOptions(categories, kind.value)
    .map(([value, text]) => h('option', { value }, text))));
  const description = textarea('f-description', { maxlength: '4000', rows: '5' });
  const name = input('f-name', { maxlength: '60', autocomplete: 'off' });
  const phone = input('f-phone', { type: 'tel', inputmode: 'tel', maxlength: '20', autocomplete: 'off' });
  const preference = select('f-preference', ['phone', 'sms', 'visit', 'none'].map((value) => [value, t(`deputy.prefers.${value}`)]), 'phone');
  const open = input('f-public', { type: 'checkbox', checked: true });
  const place = {};
  const picker = placePicker(place);
  const error = formError();
  const button = h('button', { type: 'submit', class: 'btn primary wide', id: 'file-send' }, t('staff.file.send'));

  async function submit(event) {
    event.preventDefault();
    const number = phone.value.replace(/[\s-]/g, '');
    if (!description.value.trim()) { error.textContent = t('work.required'); description.focus(); return; }
    if (number && !PHONE.test(number)) { error.textContent = t('file.2.phoneBad'); phone.focus(); return; }
    if (!place.group) { error.textContent = t('file.3.missing'); return; }
    button.disabled = true;
    const body = {
      kind: kind.value, category: category.value, description: description.value.trim(), grid_id: place.group.id,
      channel: channel.value, contact_preference: number ? preference.value : 'none', public: open.checked,
    };
    if (number) body.contact_phone = number;
    if (name.value.trim()) body.contact_name = name.value.trim();
    const { result } = await post('/api/case-intake/cases', body,
      { label: 'staff.file.queued', params: { summary: body.description.slice(0, 40) }, kind: 'filing' });
    last = { result };
    await ctx.app.refresh();
    window.scrollTo(0, 0);
  }

  return h('form', { novalidate: true, class: 'card', id: 'file-form', onsubmit: submit },
    h('h2', {}, t('staff.file.new')),
    field(t('staff.file.channel'), channel), field(t('staff.file.kind'), kind), field(t('staff.file.category'), category),
    field(t('staff.file.description'), description, t('staff.file.descriptionHint')),
    field(t('staff.file.name'), name), field(t('staff.file.phone'), phone, t('staff.file.phoneHint')),
    field(t('staff.file.preference'), preference),
    h('fieldset', {}, h('legend', {}, t('staff.file.where')), picker.element),
    h('label', { class: 'check' }, open, ' ', t('staff.file.public')),
    error, button);
}
