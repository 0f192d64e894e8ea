// The app shell: router, the villager's four-step filing, the outcome screen, tracking, and the queue's lists.
import './queue.js';
import { loadLanguage, otherLanguage, storedLanguage, t } from './i18n.js';
import { formatTime, h, label, link, notice, screen, shorten, stepper } from './ui.js';
import { OfflineError, filingSubject, gridChildren, placeNames, request, warmAtlas } from './api.js';

const Q = self.ddgQueue;
const main = document.getElementById('main');
const banner = document.getElementById('banner');
const KINDS = { request: '🙋', dispute: '⚖️', suggestion: '💡', opinion: '💬' };
const CATEGORIES = {
  water: '💧', roads: '🛣️', rivers: '🌊', parking: '🚗', sanitation: '🗑️', old_compound: '🏢', land: '🌾',
  neighbours: '👥', family: '🏠', social_assistance: '🤲', other: '📌',
};
const LEVELS = ['township', 'village', 'group'];
const CODE = /^SS-\d{4}-\d{5}$/;
const PHONE = /^\+?[0-9]{5,15}$/;
const SEND_WAIT_MS = 10000; // then show "waiting to send"; the queue keeps trying
const REPLAY_EVERY_MS = 20000;

/* ---- small state: the draft being filed and the last place used, both kept across reloads ---- */

const DRAFT_KEY = 'ddg.draft';
const PLACE_KEY = 'ddg.place';

function load(key) {
  try { return JSON.parse(localStorage.getItem(key)) || {}; } catch (error) { return {}; }
}

function store(key, value) {
  try { localStorage.setItem(key, JSON.stringify(value)); } catch (error) { /* private mode: memory only */ }
}

let draft = load(DRAFT_KEY);
const saveDraft = () => store(DRAFT_KEY, draft);

const kindLine = (kind, category) => `${KINDS[kind] || ''} ${label('kind', kind)} · ${label('category', category)}`;

/* ---- router ---- */

let renderCount = 0;

export function go(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  return render();
}

async function route(path) {
  let match;
  if ((match = path.match(/^\/file\/([1-4])$/))) return fileStep(Number(match[1]));
  if ((match = path.match(/^\/sent\/([\w-]+)$/))) return sentScreen(match[1]);
  if ((match = path.match(/^\/track(?:\/([\w-]+))?$/))) return trackScreen(match[1]);
  if (path === '/deputy') {
    let deputy;
    try {
      deputy = await import('./deputy.js'); // loaded (and then cached) only when a deputy opens it
    } catch (error) {
      return screen(t('deputy.signinTitle'), notice('error', t('deputy.offline')));
    }
    return deputy.deputyScreen({ go, refresh: () => render(true) });
  }
  if (path !== '/') history.replaceState(null, '', '/');
  return home();
}

/** Draw the current route; `refresh` keeps focus and scroll (the same screen with new data). */
async function render(refresh = false) {
  const count = ++renderCount;
  const view = await route(location.pathname);
  if (count !== renderCount) return;
  main.replaceChildren(view);
  if (!refresh) {
    window.scrollTo(0, 0);
    const heading = main.querySelector('h1');
    if (heading) heading.focus({ preventScroll: true });
  }
  updateBanner();
}

function redirect(path) {
  history.replaceState(null, '', path);
  return route(path);
}

document.addEventListener('click', (event) => {
  const anchor = event.target.closest('a[data-link]');
  if (!anchor || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  go(anchor.getAttribute('href'));
});
window.addEventListener('popstate', () => render());

/* ---- header and banners ---- */

const langButton = document.getElementById('lang');
langButton.addEventListener('click', async () => {
  try {
    await loadLanguage(otherLanguage());
  } catch (error) {
    return; // offline, and that catalogue was never loaded: stay in this language
  }
  applyChrome();
  render(true);
});

function applyChrome() {
  document.title = t('app.name');
  document.getElementById('brand-name').textContent = t('app.name');
  document.getElementById('skip').textContent = t('app.skip');
  langButton.textContent = t('lang.switch');
  langButton.setAttribute('lang', t('lang.switch') === 'English' ? 'en' : 'zh-CN');
  langButton.setAttribute('aria-label', t('lang.switchName'));
}

async function updateBanner() {
  const parts = [];
  if (!navigator.onLine) parts.push(notice('offline', t('banner.offline')));
  if (!Q.persistent) parts.push(notice('error', t('banner.memory')));
  if (location.pathname !== '/') {
    const [waiting, attention] = await Promise.all([Q.commands(), Q.attention()]);
    if (attention.length) parts.push(link('/', { class: 'notice error' }, '⚠️ ' + t('banner.attention', { n: attention.length })));
    if (waiting.length) parts.push(link('/', { class: 'notice waiting' }, '⏳ ' + t('banner.waiting', { n: waiting.length })));
  }
  const text = parts.map((part) => part.textContent).join('|');
  if (banner.dataset.text !== text) { // unchanged: do not make screen readers announce it again
    banner.dataset.text = text;
    banner.replaceChildren(...parts);
  }
}

/* ---- home ---- */

async function home() {
  const [waiting, attention, sent] = await Promise.all([Q.commands(), Q.attention(), Q.sent()]);
  return screen(t('home.title'),
    h('p', { class: 'lead' }, t('home.lead')),
    h('div', { class: 'big-actions' },
      link('/file/1', { class: 'big primary', id: 'start-file' }, h('span', { class: 'emoji', 'aria-hidden': 'true' }, '📝'),
        h('span', { class: 'big-text' }, h('strong', {}, t('home.file')), h('small', {}, t('home.fileHint')))),
      link('/track', { class: 'big secondary', id: 'start-track' }, h('span', { class: 'emoji', 'aria-hidden': 'true' }, '🔎'),
        h('span', { class: 'big-text' }, h('strong', {}, t('home.track')), h('small', {}, t('home.trackHint'))))),
    attention.length ? attentionList(attention) : null,
    waiting.length ? waitingList(waiting) : null,
    sent.length ? sentList(sent) : null,
    h('p', { class: 'deputy-link' }, link('/deputy', { class: 'btn ghost' }, t('home.deputy'))));
}

function problemText(record) {
  const status = record.status;
  const headline = [422, 404, 403].includes(status) ? t(`problem.${status}`) : t('problem.other', { status });
  const problem = record.problem || {};
  const details = [problem.detail, ...(problem.errors || []).map((e) => e.msg)].filter(Boolean);
  return [h('p', {}, headline), details.length ? h('p', { class: 'meta' }, details.join(' ')) : null];
}

function attentionList(items) {
  return h('section', { class: 'queue attention', 'aria-labelledby': 'q-attention' },
    h('h2', { id: 'q-attention' }, '⚠️ ' + t('queue.attention')),
    h('p', { class: 'meta' }, t('queue.attentionNote')),
    h('ul', { class: 'items' }, items.map((item) => h('li', { class: 'item' },
      h('strong', {}, kindLine(item.body.kind, item.body.category)),
      h('p', {}, shorten(item.body.description, 60)),
      ...problemText(item),
      h('div', { class: 'row' },
        h('button', { type: 'button', class: 'btn primary', onclick: () => editAgain(item) }, t('queue.edit')),
        h('button', {
          type: 'button', class: 'btn ghost', onclick: async () => {
            if (window.confirm(t('queue.confirmDelete'))) { await Q.discard(item.id); render(true); }
          },
        }, t('queue.delete')))))));
}

function editAgain(item) {
  const { kind, category, description, contact_phone: phone } = item.body;
  draft = { kind, category, description, phone: phone || '', place: (item.meta && item.meta.place) || null, replaces: item.id };
  saveDraft();
  go(draft.place && draft.place.group ? '/file/4' : '/file/3');
}

function waitingList(items) {
  return h('section', { class: 'queue waiting', 'aria-labelledby': 'q-waiting' },
    h('h2', { id: 'q-waiting' }, '⏳ ' + t('queue.waiting')),
    h('p', { class: 'meta' }, t('queue.waitingNote')),
    h('ul', { class: 'items' }, items.map((item) => h('li', { class: 'item' },
      h('strong', {}, kindLine(item.body.kind, item.body.category)),
      h('p', {}, shorten(item.body.description, 60)),
      h('p', { class: 'meta' }, t('queue.savedAt', { time: formatTime(item.createdAt) })),
      item.lastError === 'signin' ? h('p', { class: 'meta' }, t('queue.signin')) : null))),
    h('button', { type: 'button', class: 'btn secondary', onclick: () => Q.replay({ force: true }) }, t('queue.sendNow')));
}

function sentList(items) {
  const recent = items.sort((a, b) => (a.sentAt < b.sentAt ? 1 : -1)).slice(0, 10);
  return h('section', { class: 'queue sent', 'aria-labelledby': 'q-sent' },
    h('h2', { id: 'q-sent' }, t('queue.sent')),
    h('ul', { class: 'items' }, recent.map((item) => h('li', { class: 'item' },
      link(`/track/${item.trackingCode}`, { class: 'code-link' }, item.trackingCode),
      h('p', {}, kindLine(item.kind, item.category)),
      h('p', { class: 'meta' }, t('queue.sentAt', { time: formatTime(item.sentAt) }))))));
}

/* ---- filing: four steps ---- */

function fileStep(n) {
  if (n >= 2 && !Object.keys(draft).length) return redirect('/'); // e.g. "back" after sending
  if (n >= 2 && !(draft.kind && draft.category)) return redirect('/file/1');
  if (n >= 3 && !(draft.description || '').trim()) return redirect('/file/2');
  if (n >= 4 && !(draft.place && draft.place.group)) return redirect('/file/3');
  return [stepKind, stepWhat, stepWhere, stepReview][n - 1]();
}

function actions(...buttons) {
  return h('div', { class: 'actions' }, ...buttons);
}

const backLink = (href) => link(href, { class: 'btn ghost' }, t(href === '/' ? 'nav.home' : 'nav.back'));

function tiles(name, icons) {
  return h('div', { class: 'tiles' }, Object.keys(icons).map((value) => h('label', { class: 'tile' },
    h('input', {
      type: 'radio', name, value, checked: draft[name] === value,
      onchange: () => { draft[name] = value; saveDraft(); },
    }),
    h('span', { class: 'emoji', 'aria-hidden': 'true' }, icons[value]),
    h('span', { class: 'tile-text' }, h('strong', {}, t(`${name}.${value}`)),
      name === 'kind' ? h('small', {}, t(`kind.${value}.hint`)) : null))));
}

function stepKind() {
  const error = h('p', { class: 'field-error', role: 'alert' });
  return screen(t('file.1.title'), stepper(1), h('form', {
    novalidate: true, onsubmit: (event) => {
      event.preventDefault();
      if (!draft.kind || !draft.category) { error.textContent = t('file.1.missing'); return; }
      go('/file/2');
    },
  },
  h('fieldset', {}, h('legend', {}, t('file.1.kind')), tiles('kind', KINDS)),
  h('fieldset', {}, h('legend', {}, t('file.1.category')), tiles('category', CATEGORIES)),
  error,
  actions(backLink('/'), h('button', { type: 'submit', class: 'btn primary', id: 'next' }, t('nav.next')))));
}

function stepWhat() {
  const count = h('p', { class: 'meta', id: 'what-count' });
  const error = h('p', { class: 'field-error', role: 'alert' });
  const phoneError = h('p', { class: 'field-error', role: 'alert' });
  const showCount = () => { count.textContent = t('file.2.count', { n: (draft.description || '').length }); };
  const what = h('textarea', {
    id: 'what', name: 'what', rows: '6', maxlength: '4000', required: true, value: draft.description || '',
    'aria-describedby': 'what-hint what-count',
    oninput: () => { draft.description = what.value; saveDraft(); showCount(); error.textContent = ''; },
  });
  const phone = h('input', {
    id: 'phone', name: 'phone', type: 'tel', inputmode: 'tel', autocomplete: 'tel', maxlength: '20',
    value: draft.phone || '', 'aria-describedby': 'phone-hint',
    oninput: () => { draft.phone = phone.value; saveDraft(); phoneError.textContent = ''; },
  });
  showCount();
  return screen(t('file.2.title'), stepper(2), h('form', {
    novalidate: true, onsubmit: (event) => {
      event.preventDefault();
      if (!what.value.trim()) { error.textContent = t('file.2.missing'); what.focus(); return; }
      const number = phone.value.replace(/[\s-]/g, '');
      if (number && !PHONE.test(number)) { phoneError.textContent = t('file.2.phoneBad'); phone.focus(); return; }
      draft.description = what.value;
      draft.phone = number;
      saveDraft();
      go('/file/3');
    },
  },
  h('div', { class: 'field' }, h('label', { for: 'what' }, t('file.2.label')),
    h('p', { class: 'meta', id: 'what-hint' }, t('file.2.hint')), what, count, error),
  h('div', { class: 'field' }, h('label', { for: 'phone' }, t('file.2.phone')), phone,
    h('p', { class: 'meta', id: 'phone-hint' }, t('file.2.phoneHint')), phoneError),
  actions(backLink('/file/1'), h('button', { type: 'submit', class: 'btn primary', id: 'next' }, t('nav.next')))));
}

function stepWhere() {
  const place = draft.place || load(PLACE_KEY);
  draft.place = place;
  const error = h('p', { class: 'field-error', role: 'alert' });
  const selects = {};
  const fields = {};
  for (const level of LEVELS) {
    selects[level] = h('select', { id: level, name: level, onchange: () => choose(level) });
    fields[level] = h('div', { class: 'field', hidden: level !== 'township' },
      h('label', { for: level }, t(`file.3.${level}`)), selects[level]);
  }

  async function fill(level, parentId) {
    const select = selects[level];
    fields[level].hidden = false;
    select.disabled = true;
    select.replaceChildren(h('option', { value: '' }, t('file.3.loading')));
    try {
      const grids = await gridChildren(level, parentId);
      select.replaceChildren(h('option', { value: '' }, t('file.3.choose')),
        ...grids.map((grid) => h('option', { value: grid.id }, grid.name)));
      select.disabled = false;
      const chosen = place[level];
      if (chosen && grids.some((grid) => grid.id === chosen.id)) {
        select.value = chosen.id;
        return true;
      }
      place[level] = null;
    } catch (failure) {
      select.replaceChildren(h('option', { value: '' }, '—'));
      error.textContent = failure instanceof OfflineError ? t('file.3.offline') : failure.message;
    }
    return false;
  }

  function clearBelow(level) {
    for (const lower of LEVELS.slice(LEVELS.indexOf(level) + 1)) {
      place[lower] = null;
      fields[lower].hidden = true;
      selects[lower].replaceChildren();
    }
  }

  async function choose(level) {
    const select = selects[level];
    error.textContent = '';
    place[level] = select.value ? { id: select.value, name: select.selectedOptions[0].textContent } : null;
    clearBelow(level);
    saveDraft();
    const next = LEVELS[LEVELS.indexOf(level) + 1];
    if (place[level] && next) await fill(next, place[level].id);
  }

  (async () => {
    for (const [index, level] of LEVELS.entries()) {
      const known = await fill(level, index ? place[LEVELS[index - 1]].id : null);
      if (!known) { clearBelow(level); break; }
    }
    saveDraft();
  })();

  return screen(t('file.3.title'), stepper(3), h('form', {
    novalidate: true, onsubmit: (event) => {
      event.preventDefault();
      if (!place.group) { error.textContent = t('file.3.missing'); return; }
      saveDraft();
      go('/file/4');
    },
  }, ...LEVELS.map((level) => fields[level]), error,
  actions(backLink('/file/2'), h('button', { type: 'submit', class: 'btn primary', id: 'next' }, t('nav.next')))));
}

function stepReview() {
  const place = draft.place;
  const names = LEVELS.map((level) => place[level] && place[level].name).filter(Boolean);
  const error = h('div', { class: 'field-error', role: 'alert' });
  const sendButton = h('button', { type: 'submit', class: 'btn primary', id: 'send' }, t('nav.send'));
  const row = (title, value, href) => h('div', { class: 'review-row' },
    h('dt', {}, title),
    h('dd', {}, value, href ? link(href, { class: 'edit', 'aria-label': t('file.editWhat', { what: title }) }, t('file.edit')) : null));

  async function send(event) {
    event.preventDefault();
    if (sendButton.disabled) return;
    sendButton.disabled = true;
    sendButton.textContent = t('nav.sending');
    const body = { kind: draft.kind, category: draft.category, description: draft.description.trim(), grid_id: place.group.id };
    if (draft.phone) body.contact_phone = draft.phone;
    let command;
    try {
      command = await Q.enqueue('case.submit', body, { subject: await filingSubject(), meta: { place } });
    } catch (failure) {
      error.textContent = String(failure);
      sendButton.disabled = false;
      sendButton.textContent = t('nav.send');
      return;
    }
    if (draft.replaces) await Q.discard(draft.replaces);
    store(PLACE_KEY, place);
    draft = {};
    saveDraft();
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
    const result = await Promise.race([Q.sendNow(command.id), new Promise((resolve) => setTimeout(resolve, SEND_WAIT_MS))]);
    if (!result || result.state === 'waiting') askForSync();
    go(`/sent/${command.id}`, { replace: true });
  }

  return screen(t('file.4.title'), stepper(4), h('p', { class: 'lead' }, t('file.4.lead')),
    h('form', { onsubmit: send },
      h('dl', { class: 'review' },
        row(t('file.4.kind'), kindLine(draft.kind, draft.category), '/file/1'),
        row(t('file.4.what'), h('span', { class: 'pre' }, draft.description), '/file/2'),
        row(t('file.4.phone'), draft.phone || t('file.4.noPhone'), '/file/2'),
        row(t('file.4.where'), names.join(' / '), '/file/3')),
      h('p', { class: 'meta' }, t('file.4.after')),
      error,
      actions(backLink('/file/3'), sendButton)));
}

/* ---- after sending ---- */

async function sentScreen(id) {
  const result = await Q.outcome(id);
  const home = link('/', { class: 'btn ghost' }, t('nav.home'));
  if (result.state === 'sent') {
    const code = result.record.trackingCode;
    return screen('✅ ' + t('sent.title'), h('p', { class: 'lead' }, t('sent.lead')),
      h('div', { class: 'code-box' }, h('p', { class: 'code-label', id: 'code-label' }, t('sent.code')),
        h('p', { class: 'code', id: 'tracking-code', 'aria-describedby': 'code-label' }, code)),
      h('p', {}, t('sent.keep')),
      actions(home, link(`/track/${code}`, { class: 'btn primary' }, t('sent.track'))));
  }
  if (result.state === 'waiting') {
    return screen('⏳ ' + t('waiting.title'), notice('waiting', h('p', {}, t('waiting.lead'))),
      h('p', {}, t('waiting.next')),
      h('p', { class: 'meta' }, kindLine(result.record.body.kind, result.record.body.category)),
      actions(home, h('button', {
        type: 'button', class: 'btn primary', id: 'retry', onclick: () => Q.replay({ force: true }),
      }, t('waiting.retry'))));
  }
  if (result.state === 'attention') {
    return screen('⚠️ ' + t('attention.title'), notice('error', ...problemText(result.record)),
      actions(home, h('button', { type: 'button', class: 'btn primary', onclick: () => editAgain(result.record) }, t('queue.edit'))));
  }
  return screen(t('unknown.title'), actions(home));
}

/* ---- tracking ---- */

function normaliseCode(raw) {
  const digits = String(raw || '').replace(/\D/g, '');
  return digits.length === 9 ? `SS-${digits.slice(0, 4)}-${digits.slice(4)}` : String(raw || '').trim().toUpperCase();
}

function trackScreen(code) {
  const input = h('input', {
    id: 'code', name: 'code', value: code || '', autocomplete: 'off', autocapitalize: 'characters',
    spellcheck: 'false', 'aria-describedby': 'code-hint',
  });
  const error = h('p', { class: 'field-error', role: 'alert' });
  const result = h('div', { class: 'result', 'aria-live': 'polite' });
  if (code) showCase(code, result, error);
  return screen(t('track.title'), h('form', {
    class: 'track-form', novalidate: true, onsubmit: (event) => {
      event.preventDefault();
      const value = normaliseCode(input.value);
      if (!CODE.test(value)) { error.textContent = t('track.bad'); input.focus(); return; }
      go(`/track/${value}`);
    },
  },
  h('div', { class: 'field' }, h('label', { for: 'code' }, t('track.label')), input,
    h('p', { class: 'meta', id: 'code-hint' }, t('track.hint'))),
  error,
  h('button', { type: 'submit', class: 'btn primary wide' }, t('track.submit'))), result);
}

async function showCase(code, box, error) {
  if (!CODE.test(code)) { error.textContent = t('track.bad'); return; }
  box.replaceChildren(h('p', { class: 'meta' }, t('app.loading')));
  try {
    const { data, cachedAt } = await request('GET', `/api/case-intake/cases/track/${code}`);
    box.replaceChildren(caseCard(data, cachedAt));
  } catch (failure) {
    box.replaceChildren();
    if (failure instanceof OfflineError) error.textContent = t('track.offline');
    else if (failure.status === 404) error.textContent = t('track.notFound');
    else if (failure.status === 422) error.textContent = t('track.bad');
    else error.textContent = failure.message;
  }
}

const SYSTEM_STEPS = new Set(['submitted', 'assigned']); // their reasons are machine words, not news

function caseCard(found, cachedAt) {
  const names = placeNames(found.grid_id);
  const open = SYSTEM_STEPS.has(found.status);
  return h('article', { class: 'card' },
    cachedAt ? notice('offline', t('track.cached', { time: formatTime(cachedAt) })) : null,
    h('p', { class: 'code small' }, found.tracking_code),
    h('p', { class: 'now' }, h('span', {}, t('track.now')), h('strong', { class: 'badge', id: 'case-status' }, label('state', found.status))),
    h('p', {}, kindLine(found.kind, found.category)),
    h('p', { class: 'pre' }, shorten(found.description, 300)),
    names.length ? h('p', { class: 'meta' }, `${t('track.where')}：${names.join(' / ')}`) : null,
    h('p', { class: 'meta' }, t('track.filed', { time: formatTime(found.submitted_at) })),
    open ? h('p', { class: 'meta' }, t('track.acceptBy', { time: formatTime(found.accept_due_at) })) : null,
    h('h2', {}, t('track.history')),
    h('ol', { class: 'timeline' }, found.timeline.map((step) => h('li', {},
      h('time', { datetime: step.at }, formatTime(step.at)),
      h('p', {}, label('step', step.to_status)),
      step.reason && !SYSTEM_STEPS.has(step.to_status) ? h('p', { class: 'meta' }, t('step.reason', { reason: step.reason })) : null))),
    h('p', { class: 'meta' }, t('time.note')));
}

/* ---- the queue: replay on start, on `online`, when the app is shown again, on a timer, by Background Sync ---- */

let syncAsked = false;
function askForSync() {
  if (syncAsked || !('serviceWorker' in navigator)) return;
  syncAsked = true;
  navigator.serviceWorker.ready
    .then((registration) => registration.sync && registration.sync.register('ddg-queue'))
    .catch(() => {})
    .finally(() => { syncAsked = false; });
}

Q.onChange((message) => {
  if (message.type === 'waiting') askForSync();
  const path = location.pathname;
  if (path === '/' || path === `/sent/${message.id}`) render(true);
  else updateBanner();
});

window.addEventListener('online', () => {
  updateBanner();
  Q.replay({ force: true });
  warmAtlas().catch(() => {});
});
window.addEventListener('offline', updateBanner);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') Q.replay();
});
setInterval(() => Q.replay(), REPLAY_EVERY_MS);

if ('serviceWorker' in navigator) {
  // updateViaCache none: sw.js and the queue.js it imports are always checked with the server
  navigator.serviceWorker.register('/sw.js', { updateViaCache: 'none' }).catch(() => {});
}

await loadLanguage(storedLanguage());
applyChrome();
await render();
Q.replay({ force: true });
setTimeout(() => warmAtlas().catch(() => {}), 1500);
