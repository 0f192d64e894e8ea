// Pieces every official's screen uses: the page frame with its menu, form fields, deadlines, load errors.
import { formatDeadline, formatTime, h, label, link, notice, screen } from '../ui.js';
import { ApiError, OfflineError, placeNames, request } from '../api.js';
import { lang } from '../i18n.js';
import { relative, t } from './text.js';

/** The menu of each role: [path, catalogue key]. */
const MENUS = {
  deputy: [['/deputy', 'deputy.nav.inbox'], ['/deputy/visit', 'deputy.nav.visit'], ['/deputy/duty', 'deputy.nav.duty'],
    ['/deputy/proposal', 'deputy.nav.proposal'], ['/deputy/suggestions', 'deputy.nav.suggestions']],
  station_staff: [['/staff/file', 'staff.nav.file'], ['/staff/desk', 'staff.nav.desk'], ['/staff/sessions', 'staff.nav.sessions'],
    ['/office/review', 'office.nav.review'], ['/office/dashboard', 'office.nav.dashboard']],
  npc_office: [['/office/review', 'office.nav.review'], ['/office/dashboard', 'office.nav.dashboard'],
    ['/office/coverage', 'office.nav.coverage'], ['/staff/sessions', 'staff.nav.sessions'], ['/staff/file', 'staff.nav.file'],
    ['/office/import', 'office.nav.import'], ['/office/privacy', 'office.nav.privacy'], ['/office/suggestions', 'office.nav.suggestions']],
  agency_officer: [['/office/suggestions', 'office.nav.suggestions']],
};

export function menuOf(session) {
  const role = ['deputy', 'npc_office', 'station_staff', 'agency_officer'].find((name) => (session.roles || []).includes(name));
  return role ? MENUS[role] : [];
}

function nav(ctx) {
  const items = menuOf(ctx.session);
  if (!items.length) return null;
  const here = items.map(([href]) => href).filter((href) => ctx.path === href || ctx.path.startsWith(href + '/'))
    .sort((a, b) => b.length - a.length)[0];
  return h('nav', { class: 'work-nav', 'aria-label': t('work.menu') }, items.map(([href, key]) => link(href, {
    class: href === here ? 'current' : null, 'aria-current': href === here ? 'page' : null,
  }, t(key))));
}

/** A page: the role's menu, the heading and content, and who is signed in. */
export function page(ctx, title, ...content) {
  const view = screen(title, ...content, h('p', { class: 'meta who' }, t('work.signedInAs', { name: ctx.session.name }),
    ' ', h('button', { type: 'button', class: 'btn ghost small', id: 'signout', onclick: ctx.signOut }, t('deputy.signout'))));
  const menu = nav(ctx);
  if (menu) view.prepend(menu);
  return view;
}

/** The page for a read that failed: offline with nothing saved, no permission, or another error. */
export function failed(ctx, failure, title) {
  if (failure instanceof ApiError && failure.status === 401) return ctx.expired();
  const text = failure instanceof OfflineError ? t('work.offlineNothing')
    : failure instanceof ApiError && failure.status === 403 ? t('work.forbidden')
      : failure instanceof ApiError && failure.status === 404 ? t('work.notFound') : t('work.loadError');
  return page(ctx, title, notice('error', text),
    h('button', { type: 'button', class: 'btn secondary', onclick: () => ctx.app.refresh() }, t('deputy.refresh')));
}

/** Every page of a paginated list (a page holds at most 200): {items, total}. */
export async function readAll(url) {
  const items = [];
  for (let offset = 0; ; offset += 200) {
    const { data } = await request('GET', `${url}${url.includes('?') ? '&' : '?'}limit=200&offset=${offset}`, { auth: true });
    items.push(...data.items);
    if (!data.items.length || offset + 200 >= data.total) return { items, total: data.total };
  }
}

/** A saved copy shown for want of a network. Offline, the page's banner already says so (app.js): one quiet line
 * with the copy's time, not a second banner; online but too slow to answer, the notice itself. */
export function cachedNotice(cachedAt) {
  if (!cachedAt) return null;
  if (!navigator.onLine) return h('p', { class: 'meta cached-at' }, t('deputy.cachedAt', { time: formatTime(cachedAt) }));
  return notice('offline', t('deputy.cached', { time: formatTime(cachedAt) }));
}

/** <label> + control (+ hint) in a .field; the control needs an id. */
export function field(text, control, hint) {
  const hintId = hint ? `${control.id}-hint` : null;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h('div', { class: 'field' }, h('label', { for: control.id }, text), control,
    hint ? h('p', { class: 'meta', id: hintId }, hint) : null);
}

export const input = (id, props = {}) => h('input', { id, name: id, ...props });
export const textarea = (id, props = {}) => h('textarea', { id, name: id, rows: '4', ...props });

/** A <select>; options are [value, text] pairs. */
export function select(id, options, value, props = {}) {
  const element = h('select', { id, name: id, ...props }, options.map(([key, text]) => h('option', { value: key }, text)));
  if (value != null) element.value = value;
  return element;
}

export const formError = () => h('p', { class: 'field-error', role: 'alert' });

/** Say what is wrong where it is: the message under the field (tied to it for screen readers), the field
 * marked invalid, focused and scrolled to the middle of the screen, so that a long form does not hide its
 * error below the fold. The mark goes when the field is changed. */
export function showFieldError(control, message) {
  const box = control.closest('.field') || control.parentElement;
  const id = `${control.id}-error`;
  let note = box.querySelector(`#${CSS.escape(id)}`);
  if (!note) {
    note = h('p', { class: 'field-error', id, role: 'alert' });
    control.after(note);
  }
  note.textContent = message;
  const described = (control.getAttribute('aria-describedby') || '').split(' ').filter((one) => one && one !== id);
  control.setAttribute('aria-describedby', [...described, id].join(' '));
  control.setAttribute('aria-invalid', 'true');
  const clear = () => {
    note.remove();
    control.removeAttribute('aria-invalid');
    control.setAttribute('aria-describedby', described.join(' '));
    if (!described.length) control.removeAttribute('aria-describedby');
  };
  control.addEventListener('input', clear, { once: true });
  control.focus({ preventScroll: true });
  control.scrollIntoView({ block: 'center' });
}

/** A form whose submit checks, then sends `body()`; `check()` returns an error text or ''. */
export function actionForm(name, controls, check, body, send, label = t(`deputy.act.${name}.submit`)) {
  const error = formError();
  const submit = h('button', { type: 'submit', class: 'btn primary wide', id: `do-${name}` }, label);
  return h('form', {
    novalidate: true, class: 'action-form', onsubmit: async (event) => {
      event.preventDefault();
      const problem = check();
      error.textContent = problem;
      if (problem || submit.disabled) return;
      submit.disabled = true;
      submit.textContent = t('work.saving');
      await send(body());
    },
  }, ...controls, error, submit);
}

let categories = new Map();

/** The case categories' names from the case service (labels in both languages), once; kept when offline. */
export async function loadCategories() {
  if (categories.size) return;
  try {
    const { data } = await request('GET', '/api/case-intake/categories?limit=200&include_inactive=true');
    categories = new Map(data.items.map((item) => [item.code, item]));
  } catch (failure) { /* offline and never loaded: the shared catalogue's names */ }
}

export function categoryName(code) {
  const known = categories.get(code); // the same names the villager's screens keep (api.js warmNames)
  return known ? (lang === 'en' ? known.label_en : known.label_zh) : label('category', code);
}

/** A kind by its formal name (求助诉求 …), which villagers read small beneath their own words. */
export const kindName = (kind) => t(`kind.${kind}`);

export const kindLine = (item) => `${kindName(item.kind)} · ${categoryName(item.category)}`;

let organisations = null;

/** The organisations cases are referred to (retired ones too, for old referrals), once; kept when offline. */
export async function loadOrganisations() {
  if (organisations) return organisations;
  try {
    const { data } = await request('GET', '/api/case-intake/organisations?limit=200&include_inactive=true');
    organisations = data.items;
    return organisations;
  } catch (failure) {
    return []; // offline and never loaded: the codes stand in for the names
  }
}

export const organisationName = (item) => (lang === 'en' ? item.name_en : item.name_zh);

/** A timeline step in officials' words: what was done (or, for an unknown step, the status it led to). */
export const stepName = (step) => {
  const text = t(`deputy.step.${step.action}`);
  return text.startsWith('deputy.') ? stateName(step.to_status) : text;
};

/** What a step says beyond its name: in English the service's sentence; in Chinese the person's own words
 * (the sentence is English, and its name says the rest). */
export const stepWords = (step) => (lang === 'en' ? step.reason : step.note) || '';

/** A case's status as officials say it (the villagers' words speak to the filer). */
export const stateName = (status) => { const text = t(`deputy.state.${status}`); return text.startsWith('deputy.') ? label('state', status) : text; };

/** The deadline that runs now: to accept (while assigned) or to resolve; null when none runs. */
export function deadline(item) {
  if (['resolved', 'closed', 'withdrawn', 'merged', 'rejected', 'returned', 'submitted'].includes(item.status)) return null;
  if (item.resolve_due_at && item.status !== 'assigned') return { kind: 'resolve', at: item.resolve_due_at };
  return { kind: 'accept', at: item.accept_due_at };
}

/** "Accept by 27 Nov 2026, 24:00 (in 3 hours)", red when late. */
export function deadlineLine(item, late) {
  const due = deadline(item);
  if (!due) return null;
  const overdue = late ?? new Date(due.at) < new Date();
  return h('p', { class: overdue ? 'due late' : 'due' },
    t(due.kind === 'accept' ? 'deputy.acceptBy' : 'deputy.resolveBy', { time: formatDeadline(due.at) }),
    ' ', h('span', { class: 'rel' }, `(${relative(due.at)})`));
}

export function placeLine(gridId) {
  const names = placeNames(gridId);
  return names.length ? h('p', { class: 'meta' }, names.join(' / ')) : null;
}
