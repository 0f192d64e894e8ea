// The app shell: router, home, the villager's four-step filing, the outcome screen, and the queue's lists.
// Every other screen is a module loaded when first opened (pwa/villager/*.js, the officials' officials.js).
import './queue.js';
import { loadLanguage, otherLanguage, storedLanguage, t } from './i18n.js';
import { codeText, findRoute, formatTime, h, label, link, notice, screen, shorten, stepper } from './ui.js';
import { OfflineError, filingSubject, warmAtlas, warmNames } from './api.js';
import { offerCard, pushSwitch } from './push.js';

const Q = self.ddgQueue;
const main = document.getElementById('main');
const banner = document.getElementById('banner');
const KINDS = { request: '🙋', dispute: '⚖️', suggestion: '💡', opinion: '💬' };
const CATEGORIES = {
  water: '💧', roads: '🛣️', rivers: '🌊', parking: '🚗', sanitation: '🗑️', old_compound: '🏢', land: '🌾',
  neighbours: '👥', family: '🏠', social_assistance: '🤲', other: '📌',
};
const PHONE = /^\+?[0-9]{5,15}$/;
const SEND_WAIT_MS = 1500; // then show the sending screen (its progress), until the queue's first try ends
const OFFER_WAIT_MS = 400; // the review screen waits as long for "me too" (asked at step 3), then draws anyway
const REPLAY_EVERY_MS = 20000;

/* ---- small state: the draft being filed and the villager's place, both kept across reloads ---- */

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
const placeText = (place) => (place.group
  ? ['township', 'village', 'group'].map((level) => place[level] && place[level].name).filter(Boolean).join(' / ')
  : t('where.myPoint'));

/* ---- router ---- */

let renderCount = 0;

export function go(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  return render();
}

/* ---- confirmations: a sentence in the banner for this screen, gone on the next (e.g. "signed in") ---- */

let notes = []; // {text, href, seenOn: the path it was first shown on}
const selfConfirmed = new Set(); // commands whose screen says itself that they went (app.confirmsItself)

function say(text, href = null) {
  notes = [...notes.filter((note) => note.text !== text), { text, href, seenOn: null }];
  updateBanner();
}

/** What the lazily loaded screens get from the shell. */
const app = {
  go,
  say,
  confirmsItself: (id, yes = true) => (yes ? selfConfirmed.add(id) : selfConfirmed.delete(id)),
  refresh: () => render(true),
  place: () => load(PLACE_KEY), // {township, village, group}: the last place filed from or chosen
  setPlace: (place) => store(PLACE_KEY, { township: place.township, village: place.village, group: place.group }),
  kindLine,
};

/** A screen from a module loaded on first use (then cached by the service worker). */
async function lazy(loader, title, show) {
  let module;
  try {
    module = await loader();
  } catch (error) {
    return screen(title, notice('error', t('app.moduleOffline')), link('/', { class: 'btn ghost wide' }, t('nav.home')));
  }
  return show(module);
}

const VILLAGER = {
  cases: () => import('./villager/cases.js'),
  signin: () => import('./villager/signin.js'),
  book: () => import('./villager/booking.js'),
  board: () => import('./villager/board.js'),
  deputies: () => import('./villager/deputies.js'),
  photos: () => import('./villager/photos.js'),
  voice: () => import('./villager/voice.js'), // the voice note: loaded on the "what happened" step only
  place: () => import('./villager/place.js'),
  similar: () => import('./villager/similar.js'),
  notices: () => import('./villager/notices.js'),
  sms: () => import('./villager/sms.js'),
};

/** A route's draw: the screen `name` of a module loaded when first opened, given the path's groups. */
const lazyScreen = (loader, titleKey, name) => (...groups) => lazy(loader, t(titleKey), (module) => module[name](app, ...groups));

/** [path pattern, draw(...the pattern's groups)]: the villager's screens, then the officials' side. */
const ROUTES = [
  [/^\/$/, () => home()],
  [/^\/file$/, () => fileFromLink()], // a poster's QR code: /file?grid=<group id>
  [/^\/file\/([1-4])$/, (n) => fileStep(Number(n))],
  [/^\/project\/([\w-]+)$/, lazyScreen(VILLAGER.board, 'project.title', 'projectScreen')],
  [/^\/sent\/([\w-]+)$/, (id) => sentScreen(id)],
  [/^\/track(?:\/([\w-]+))?$/, lazyScreen(VILLAGER.cases, 'track.title', 'trackScreen')],
  [/^\/cases$/, lazyScreen(VILLAGER.cases, 'cases.title', 'myCasesScreen')],
  [/^\/signin$/, lazyScreen(VILLAGER.signin, 'signin.title', 'signInScreen')],
  [/^\/book$/, lazyScreen(VILLAGER.book, 'book.title', 'bookingScreen')],
  [/^\/board$/, lazyScreen(VILLAGER.board, 'board.title', 'boardScreen')],
  [/^\/deputies$/, lazyScreen(VILLAGER.deputies, 'deputies.title', 'deputiesScreen')],
  [/^\/notifications$/, lazyScreen(VILLAGER.notices, 'notices.title', 'notificationsScreen')],
  // deputies, station staff and the NPC office: officials.js (and pwa/work/) routes on within their paths
  [/^(\/(?:deputy|staff|office)(?:\/.*)?)$/, lazyScreen(() => import('./officials.js'), 'deputy.signinTitle', 'officialsScreen')],
];

function route(path) {
  const [row, groups] = findRoute(ROUTES, path);
  if (row) return row[1](...groups);
  history.replaceState(null, '', '/');
  return home();
}

/** Draw the current route; `refresh` keeps focus and scroll (the same screen with new data). */
async function render(refresh = false) {
  const count = ++renderCount;
  if (!refresh) notes = notes.filter((note) => !note.seenOn || note.seenOn === location.pathname);
  const view = await route(location.pathname);
  if (count !== renderCount) return;
  main.replaceChildren(view);
  if (!refresh) {
    window.scrollTo(0, 0);
    focusHeading(main.querySelector('h1'));
  }
  updateBanner();
}

/** Focus the new screen's heading (screen readers read where they are) once the browser has laid it out in its
 * own frame: focusing at once would force that layout inside this script's task, one long task (on a phone without
 * a font cached, ~50 ms of font lookups 4x slower). Not if the user moved the focus meanwhile. */
function focusHeading(heading) {
  if (!heading) return;
  const before = document.activeElement;
  const focus = () => {
    if (heading.isConnected && document.activeElement === before) heading.focus({ preventScroll: true });
  };
  if (document.visibilityState === 'hidden') focus(); // no frame comes while hidden
  else requestAnimationFrame(() => setTimeout(focus, 0));
}

/** Work that can wait for the first screen: when the main thread is idle, at the latest after `wait` ms. */
function whenIdle(work, wait = 2000) {
  if ('requestIdleCallback' in self) requestIdleCallback(() => work(), { timeout: wait });
  else setTimeout(work, 300);
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

let bannerCount = 0;

async function updateBanner() {
  const count = ++bannerCount; // a call begun on the screen before must not overwrite this one's answer
  const parts = [];
  for (const note of notes) {
    note.seenOn = note.seenOn || location.pathname;
    parts.push(note.href ? link(note.href, { class: 'notice ok' }, note.text) : notice('ok', h('p', {}, note.text)));
  }
  const official = /^\/(?:deputy|staff|office)(?:\/|$)/.test(location.pathname); // their work, not a villager's filing
  if (!navigator.onLine) parts.push(notice('offline', t(official ? 'banner.offlineWork' : 'banner.offline')));
  if (!Q.persistent) parts.push(notice('error', t('banner.memory')));
  if (location.pathname !== '/') {
    const shown = location.pathname.startsWith('/sent/') ? location.pathname.slice(6) : null; // its own screen says it
    const [waiting, attention] = await Promise.all([Q.commands(), Q.attention()])
      .then((lists) => lists.map((list) => villagers(list).filter((item) => item.id !== shown)));
    if (attention.length) parts.push(link('/', { class: 'notice error' }, '⚠️ ' + t('banner.attention', { n: attention.length })));
    if (waiting.length) parts.push(link('/', { class: 'notice waiting' }, '⏳ ' + t('banner.waiting', { n: waiting.length })));
  }
  if (count !== bannerCount) return;
  const text = parts.map((part) => part.textContent).join('|');
  if (banner.dataset.text !== text) { // unchanged: do not make screen readers announce it again
    banner.dataset.text = text;
    banner.replaceChildren(...parts);
  }
}

/* ---- home ---- */

const HOME_TILES = [
  ['/cases', '📋', 'home.cases', 'start-cases'],
  ['/track', '🔎', 'home.track', 'start-track'],
  ['/book', '📅', 'home.book', 'start-book'],
  ['/board', '📢', 'home.board', 'start-board'],
  ['/deputies', '👥', 'home.deputies', 'start-deputies'],
  ['/notifications', '🔔', 'home.notices', 'start-notices'],
];

/** The villager's own commands: the officials' (`work.post`, queued on the same phone) show on their screens. */
const villagers = (commands) => commands.filter((command) => command.op !== 'work.post');

async function home() {
  const [waiting, attention, sent, session] = await Promise.all([
    Q.commands().then(villagers), Q.attention().then(villagers), Q.sent(), Q.getSession()]);
  const villager = session && session.phoneMasked;
  const tile = (href, emoji, key, id, hint) => link(href, { class: 'home-tile', id },
    h('span', { class: 'emoji', 'aria-hidden': 'true' }, emoji),
    h('span', { class: 'tile-text' }, h('strong', {}, t(key)), hint ? h('small', {}, hint) : null));
  return screen(t('home.title'),
    h('p', { class: 'lead' }, t('home.lead')),
    attention.length ? attentionList(attention) : null, // what needs the villager comes first
    startedDraft() ? draftChoice()
      : link('/file/1', { class: 'big primary', id: 'start-file' }, h('span', { class: 'emoji', 'aria-hidden': 'true' }, '📝'),
        h('span', { class: 'big-text' }, h('strong', {}, t('home.file')), h('small', {}, t('home.fileHint')))),
    waiting.length ? waitingList(waiting) : null,
    h('nav', { class: 'home-tiles', 'aria-label': t('home.more') },
      ...HOME_TILES.map(([href, emoji, key, id]) => tile(href, emoji, key, id)),
      tile('/signin', villager ? '✅' : '📱', villager ? 'home.signedIn' : 'home.signin', 'start-signin', villager || null)),
    sent.length ? sentList(sent) : null,
    pushSwitch(() => render(true)),
    h('p', { class: 'deputy-link' }, link('/deputy', { class: 'btn ghost' }, t('home.deputy'))));
}

/** Does the draft say what happened: in words, or in a voice note? */
const saysWhat = () => Boolean((draft.description || '').trim() || draft.voice);

/** Has a report been begun and left unsent? (Its kind, words, voice note or photos: not the place alone, which is
 * kept.) */
const startedDraft = () => Boolean(draft.kind || draft.category || saysWhat() || (draft.photos || []).length);

/** The blob ids a draft keeps on the phone: its photos and its voice note. */
const draftBlobs = () => [...(draft.photos || []).map((photo) => photo.id), ...(draft.voice ? [draft.voice.id] : [])];

/** The step a left draft continues at: the first one still missing something, else the review. */
function draftStep() {
  if (!(draft.kind && draft.category)) return '/file/1';
  if (!saysWhat()) return '/file/2';
  if (!(draft.place && (draft.place.group || draft.place.point))) return '/file/3';
  return '/file/4';
}

/** A report begun and left: continue it, or start a new one (the old one and its photos are dropped). */
function draftChoice() {
  const what = [draft.kind && draft.category ? kindLine(draft.kind, draft.category) : null,
    (draft.description || '').trim() ? shorten(draft.description, 40) : null].filter(Boolean).join(' · ');
  return h('section', { class: 'notice waiting draft-choice', id: 'draft-choice', 'aria-labelledby': 'draft-title' },
    h('h2', { id: 'draft-title' }, t('draft.title')),
    what ? h('p', { class: 'meta' }, what) : null,
    (draft.photos || []).length ? h('p', { class: 'meta' }, t('queue.photos', { n: draft.photos.length })) : null,
    draft.voice ? h('p', { class: 'meta' }, '🎤 ' + t('queue.voice')) : null,
    actions(
      h('button', { type: 'button', class: 'btn primary', id: 'continue-draft', onclick: () => go(draftStep()) }, t('draft.continue')),
      h('button', {
        type: 'button', class: 'btn secondary', id: 'new-draft', onclick: () => {
          const blobs = draftBlobs();
          draft = {};
          saveDraft();
          Q.dropBlobs(blobs).catch(() => {});
          go('/file/1');
        },
      }, t('draft.new'))));
}

function problemText(record) {
  const status = record.status;
  const headline = [422, 404, 403, 409].includes(status) ? t(`problem.${status}`) : t('problem.other', { status });
  const problem = record.problem || {};
  const details = [problem.detail, ...(problem.errors || []).map((e) => e.msg)].filter(Boolean);
  return [h('p', {}, headline), details.length ? h('p', { class: 'meta' }, details.join(' ')) : null];
}

/** What a queued command is, in a line or two. */
function describe(item) {
  if (item.op === 'case.submit') {
    const photos = (item.photos || []).length;
    return [h('strong', {}, kindLine(item.body.kind, item.body.category)), h('p', {}, shorten(item.body.description, 60)),
      photos ? h('p', { class: 'meta' }, t('queue.photos', { n: photos })) : null,
      item.recording ? h('p', { class: 'meta' }, '🎤 ' + t('queue.voice')) : null];
  }
  if (item.op === 'case.support') {
    return [h('strong', {}, '🙋 ' + t('queue.op.case.support')), h('p', {}, `“${shorten(item.meta.summary, 60)}”`)];
  }
  const target = item.target || {};
  return [h('strong', {}, t(`queue.op.${item.op}`, { code: target.code || '', when: (item.meta && item.meta.when) || '' }))];
}

function attentionList(items) {
  return h('section', { class: 'queue attention', 'aria-labelledby': 'q-attention' },
    h('h2', { id: 'q-attention' }, '⚠️ ' + t('queue.attention')),
    h('p', { class: 'meta' }, t('queue.attentionNote')),
    h('ul', { class: 'items' }, items.map((item) => h('li', { class: 'item' },
      ...describe(item),
      ...problemText(item),
      h('div', { class: 'row' },
        item.op === 'case.submit' || item.op === 'case.support' ? h('button', {
          type: 'button', class: 'btn primary', onclick: () => editAgain(item),
        }, t(item.op === 'case.submit' ? 'queue.edit' : 'similar.fileOwn')) : null,
        h('button', {
          type: 'button', class: 'btn ghost', onclick: async () => {
            if (window.confirm(t('queue.confirmDelete'))) { await Q.discard(item.id); render(true); }
          },
        }, t('queue.delete')))))));
}

/** Back to the review screen with a refused filing, or with the draft of a refused "me too" to file it alone. */
function editAgain(item) {
  if (item.op === 'case.support') {
    draft = { ...item.meta.draft, replaces: item.id };
    saveDraft();
    go('/file/4');
    return;
  }
  const { kind, category, description, contact_phone: phone, contact_preference: preference } = item.body;
  const photos = (item.photos || []).map((photo) => ({ id: photo.blobId }));
  const voice = item.recording ? { id: item.recording.blobId, seconds: item.recording.seconds || 0 } : null;
  const words = item.meta && item.meta.voiceOnly ? '' : description; // the stand-in words of a voice-only filing
  draft = {
    kind, category, description: words, phone: phone || '', sms: preference === 'sms', photos, voice,
    place: (item.meta && item.meta.place) || null, replaces: item.id,
  };
  saveDraft();
  go(draft.place && (draft.place.group || draft.place.point) ? '/file/4' : '/file/3');
}

function waitingList(items) {
  return h('section', { class: 'queue waiting', 'aria-labelledby': 'q-waiting' },
    h('h2', { id: 'q-waiting' }, '⏳ ' + t('queue.waiting')),
    h('p', { class: 'meta' }, t('queue.waitingNote')),
    h('ul', { class: 'items' }, items.map((item) => h('li', { class: 'item' },
      ...describe(item),
      h('p', { class: 'meta' }, t('queue.savedAt', { time: formatTime(item.createdAt) })),
      item.lastError === 'signin' ? h('p', { class: 'meta' }, t('queue.signin')) : null))),
    h('button', { type: 'button', class: 'btn secondary', onclick: () => Q.replay({ force: true }) }, t('queue.sendNow')));
}

function sentList(items) {
  const recent = items.sort((a, b) => (a.sentAt < b.sentAt ? 1 : -1)).slice(0, 3);
  return h('section', { class: 'queue sent', 'aria-labelledby': 'q-sent' },
    h('h2', { id: 'q-sent' }, t('queue.sent')),
    h('ul', { class: 'items' }, recent.map((item) => h('li', { class: 'item' },
      link(`/track/${item.trackingCode}`, { class: 'code-link' }, codeText(item.trackingCode)),
      h('p', {}, kindLine(item.kind, item.category)),
      h('p', { class: 'meta' }, t('queue.sentAt', { time: formatTime(item.sentAt) })),
      item.meta && item.meta.sms ? slot(VILLAGER.sms, (sms) => (sms.texted(item)
        ? sms.stopButton(item.trackingCode, () => {}) : h('span'))) : null))),
    link('/cases', { class: 'btn ghost wide' }, t('queue.allCases', { n: items.length })));
}

/* ---- filing: four steps ---- */

const GRID_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A poster's link (/file?grid=<group id>): the filing starts with that group chosen and remembered, and
 * skips the "where" step (no GPS, no pickers). Offline with a group the phone has never seen, the group's id
 * is enough to file (the server knows it); an id that is no group starts an ordinary filing. */
async function fileFromLink() {
  const id = new URLSearchParams(location.search).get('grid') || '';
  if (!GRID_ID.test(id)) return redirect('/file/1');
  let place;
  try {
    place = await (await VILLAGER.place()).groupPlace(id);
  } catch (error) {
    if (!(error instanceof OfflineError)) return redirect('/file/1');
    place = { township: null, village: null, group: { id, name: t('where.fromPoster') } };
  }
  if (place.township) app.setPlace(place);
  draft = { ...draft, place, placeFixed: true };
  saveDraft();
  return redirect('/file/1');
}

/** On the first step of a filing from a poster: the place already chosen, and a way to change it. */
function fixedPlace() {
  if (!draft.placeFixed || !draft.place || !draft.place.group) return null;
  const box = notice('ok',
    h('p', {}, '📍 ', t('file.fromPoster'), ' ', h('strong', { id: 'fixed-place-name' }, placeText(draft.place))),
    link('/file/3', { class: 'btn ghost', id: 'change-fixed-place' }, t('file.fromPosterChange')));
  box.id = 'fixed-place';
  return box;
}

function fileStep(n) {
  if (n >= 2 && !Object.keys(draft).length) return redirect('/'); // e.g. "back" after sending
  if (n >= 2 && !(draft.kind && draft.category)) return redirect('/file/1');
  if (n >= 3 && !saysWhat()) return redirect('/file/2');
  if (n >= 4 && !(draft.place && (draft.place.group || draft.place.point))) return redirect('/file/3');
  if (n === 1) whenIdle(() => { VILLAGER.photos().catch(() => {}); VILLAGER.place().catch(() => {}); }); // for steps 2 and 3
  if (n === 2 || n === 4) VILLAGER.voice().catch(() => {}); // the recorder: on the step that uses it only
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
    h('span', { class: 'tile-text' }, h('strong', {}, label(name, value)),
      name === 'kind' ? h('small', { class: 'formal' }, t(`kind.${value}.hint`)) : null))));
}

function stepKind() {
  const error = h('p', { class: 'field-error', role: 'alert' });
  return screen(t('file.1.title'), stepper(1), fixedPlace(), h('form', {
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

/** A slot filled by a lazily loaded module; a plain note if it cannot be loaded (offline, never cached). */
function slot(loader, fill) {
  const box = h('div', { class: 'slot' });
  loader().then((module) => box.replaceChildren(fill(module)))
    .catch(() => box.replaceChildren(h('p', { class: 'meta' }, t('app.moduleOffline'))));
  return box;
}

function stepWhat() {
  const count = h('p', { class: 'meta', id: 'what-count' });
  const error = h('p', { class: 'field-error', role: 'alert' });
  const phoneError = h('p', { class: 'field-error', role: 'alert' });
  const showCount = () => { count.textContent = t('file.2.count', { n: (draft.description || '').length }); };
  const what = h('textarea', {
    id: 'what', name: 'what', rows: '6', maxlength: '4000', value: draft.description || '',
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
      if (!what.value.trim() && !draft.voice) { error.textContent = t('file.2.missing'); what.focus(); return; }
      const number = phone.value.replace(/[\s-]/g, '');
      if (number && !PHONE.test(number)) { phoneError.textContent = t('file.2.phoneBad'); phone.focus(); return; }
      draft.description = what.value;
      draft.phone = number;
      saveDraft();
      go(draft.placeFixed && draft.place && draft.place.group ? '/file/4' : '/file/3');
    },
  },
  h('div', { class: 'field' }, h('label', { for: 'what' }, t('file.2.label')),
    h('p', { class: 'meta', id: 'what-hint' }, t('file.2.hint')),
    h('p', { class: 'meta mic-hint', id: 'mic-hint' }, '💡 ' + t('file.2.keyboardMic')), what, count, error),
  slot(VILLAGER.voice, (voice) => voice.voiceField(draft, () => { saveDraft(); error.textContent = ''; })),
  slot(VILLAGER.photos, (photos) => photos.photoField(draft, saveDraft)),
  h('div', { class: 'field' }, h('label', { for: 'phone' }, t('file.2.phone')), phone,
    h('p', { class: 'meta', id: 'phone-hint' }, t('file.2.phoneHint')), phoneError),
  actions(backLink('/file/1'), h('button', { type: 'submit', class: 'btn primary', id: 'next' }, t('nav.next')))));
}

async function stepWhere() {
  let places;
  try {
    places = await VILLAGER.place();
  } catch (error) {
    return screen(t('file.3.title'), stepper(3), notice('error', t('app.moduleOffline')), actions(backLink('/file/2')));
  }
  const place = draft.place || { ...app.place() };
  draft.place = place;
  draft.placeFixed = false; // chosen here now, not from a poster
  const error = h('p', { class: 'field-error', role: 'alert' });
  const picker = places.placePicker(place, {
    onChange: () => { // once the group is known, "me too" is asked, to be offered on the review screen
      error.textContent = '';
      saveDraft();
      VILLAGER.similar().then((similar) => similar.ask(draft)).catch(() => {});
    },
  });
  const locate = places.locateButton(place, () => { saveDraft(); picker.reload(); }, {
    pickers: () => picker.element.querySelector('select:not([disabled])'),
  });
  return screen(t('file.3.title'), stepper(3), h('form', {
    novalidate: true, onsubmit: (event) => {
      event.preventDefault();
      if (!place.group && !place.point) { error.textContent = t('file.3.missing'); return; }
      saveDraft();
      go('/file/4');
    },
  }, locate, h('p', { class: 'meta or' }, t('where.orChoose')), picker.element, error,
  actions(backLink('/file/2'), h('button', { type: 'submit', class: 'btn primary', id: 'next' }, t('nav.next')))));
}

/** Filed or supported ("me too"): saved in the queue; now forget the draft, try to send, and show how it went. */
async function queued(command, replaces) {
  if (replaces) await Q.discard(replaces);
  const place = draft.place;
  if (place.group && place.township) app.setPlace(place); // a poster's group seen offline has no names yet
  draft = {};
  saveDraft();
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
  const sending = Q.sendNow(command.id);
  sending.then((result) => { if (result && result.state === 'waiting') askForSync(); }, () => askForSync());
  // Quick: straight to the code. Slow: the "sending" screen with the photos' progress, until the try ends.
  await Promise.race([sending.catch(() => null), new Promise((resolve) => setTimeout(resolve, SEND_WAIT_MS))]);
  go(`/sent/${command.id}`, { replace: true });
}

/** "Me too" (pwa/villager/similar.js): open cases like the draft's, offered at the top of the review screen;
 * drawn with it when the answer asked at step 3 is in, else when it comes. Never in filing's way. */
async function similarSlot(sendButton, error) {
  const slot = h('div', { class: 'similar-slot', 'aria-live': 'polite' });
  const offered = VILLAGER.similar()
    .then((similar) => similar.offer(slot, draft, { sendButton, error, saveDraft, queued })).catch(() => {});
  await Promise.race([offered, new Promise((resolve) => setTimeout(resolve, OFFER_WAIT_MS))]);
  return slot;
}

async function stepReview() {
  const place = draft.place;
  const error = h('div', { class: 'field-error', role: 'alert' });
  const sendButton = h('button', { type: 'submit', class: 'btn primary', id: 'send' }, t('nav.send'));
  const photos = draft.photos || [];
  const row = (title, value, href) => h('div', { class: 'review-row' },
    h('dt', {}, title),
    h('dd', {}, value, href ? link(href, { class: 'edit', 'aria-label': t('file.editWhat', { what: title }) }, t('file.edit')) : null));

  async function send(event) {
    event.preventDefault();
    if (sendButton.disabled) return;
    sendButton.disabled = true;
    sendButton.textContent = t('nav.sending');
    const words = (draft.description || '').trim();
    const voiceOnly = !words && Boolean(draft.voice); // the server needs words: say that the voice note tells it
    const body = { kind: draft.kind, category: draft.category, description: voiceOnly ? t('voice.onlyVoice') : words };
    if (place.group) body.grid_id = place.group.id;
    else body.location = { lat: place.point.lat, lon: place.point.lon }; // the server finds the group
    if (draft.phone) body.contact_phone = draft.phone;
    const sms = Boolean(draft.phone && draft.sms);
    if (sms) body.contact_preference = 'sms'; // the number goes to the SMS sender only when asked
    let command;
    try {
      command = await Q.enqueue('case.submit', body, {
        subject: await filingSubject(), meta: { place, sms, voiceOnly }, photos: photos.map((photo) => photo.id),
        recording: draft.voice ? { blobId: draft.voice.id, seconds: draft.voice.seconds } : null,
      });
    } catch (failure) {
      error.textContent = String(failure);
      sendButton.disabled = false;
      sendButton.textContent = t('nav.send');
      return;
    }
    await queued(command, draft.replaces);
  }

  return screen(t('file.4.title'), stepper(4), await similarSlot(sendButton, error), h('p', { class: 'lead' }, t('file.4.lead')),
    h('form', { onsubmit: send },
      h('dl', { class: 'review' },
        row(t('file.4.kind'), kindLine(draft.kind, draft.category), '/file/1'),
        row(t('file.4.what'), h('span', { class: 'pre' }, (draft.description || '').trim() || t('file.4.voiceOnly')), '/file/2'),
        row(t('file.4.voice'), draft.voice
          ? slot(VILLAGER.voice, (module) => module.voicePlayer(draft.voice)) : t('file.4.noVoice'), '/file/2'),
        row(t('file.4.photos'), photos.length
          ? slot(VILLAGER.photos, (module) => module.photoStrip(photos)) : t('file.4.noPhotos'), '/file/2'),
        row(t('file.4.phone'), draft.phone || t('file.4.noPhone'), '/file/2'),
        row(t('file.4.where'), placeText(place), '/file/3')),
      draft.phone ? slot(VILLAGER.sms, (module) => module.smsChoice(draft, saveDraft)) : null,
      h('p', { class: 'meta' }, t('file.4.after')),
      error,
      actions(backLink(draft.placeFixed ? '/file/2' : '/file/3'), sendButton)));
}

/* ---- after sending ---- */

async function sentScreen(id) {
  const result = await Q.outcome(id);
  const home = link('/', { class: 'btn ghost' }, t('nav.home'));
  const support = result.record && result.record.op === 'case.support';
  if (result.state === 'sent' && support) {
    return lazy(VILLAGER.similar, t('similar.done.title'), (similar) => similar.supportedScreen(result.record));
  }
  if (result.state === 'sent' && result.record.trackingCode) {
    const code = result.record.trackingCode;
    return screen('✅ ' + t('sent.title'), h('p', { class: 'lead' }, t('sent.lead')),
      h('div', { class: 'code-box' }, h('p', { class: 'code-label', id: 'code-label' }, t('sent.code')),
        h('p', { class: 'code', id: 'tracking-code', 'aria-describedby': 'code-label' }, codeText(code))),
      h('p', {}, t('sent.keep')),
      slot(VILLAGER.sms, (sms) => sms.sentNote(result.record, () => {})),
      offerCard({ context: `sent-${code}`, lead: t('push.offerVillager'), follow: [code], auth: true }),
      actions(home, link(`/track/${code}`, { class: 'btn primary' }, t('sent.track'))));
  }
  const untried = result.state === 'waiting' && !result.record.lastError; // the first try is still to come
  const moving = result.state === 'waiting' && (Q.progress(id) || (untried && { sent: 0, total: 0 }));
  if (moving) return sendingScreen(result.record, moving);
  if (result.state === 'waiting') {
    const down = ['network', 'offline'].includes(result.reason); // else the server did not take it yet (5xx, busy)
    return screen('⏳ ' + t('waiting.title'),
      notice('waiting', h('p', {}, t(support ? 'similar.waiting' : down ? 'waiting.lead' : 'waiting.leadServer'))),
      support ? null : h('p', {}, t('waiting.next')),
      h('div', { class: 'meta' }, ...describe(result.record)),
      actions(home, h('button', {
        type: 'button', class: 'btn primary', id: 'retry', onclick: () => Q.replay({ force: true }),
      }, t('waiting.retry'))));
  }
  if (result.state === 'attention') {
    return screen('⚠️ ' + t('attention.title'), notice('error', ...problemText(result.record)),
      actions(home, h('button', {
        type: 'button', class: 'btn primary', onclick: () => editAgain(result.record),
      }, t(support ? 'similar.fileOwn' : 'queue.edit'))));
  }
  return screen(t('unknown.title'), actions(home));
}

/** Still on its way (this page is sending it): how much of the photos is up, and that a weak signal takes time.
 * The network is called down only when the queue's try fails (nothing moved for a while), not on a timer. */
function sendingScreen(record, progress) {
  const bar = h('span', { class: 'fill' });
  const line = h('p', { id: 'send-progress' });
  const meter = h('div', {
    class: 'progress', role: 'progressbar', 'aria-labelledby': 'send-progress', 'aria-valuemin': '0', 'aria-valuemax': '100',
  }, bar);
  const show = ({ sent, total }) => {
    const share = total ? Math.round((100 * sent) / total) : 0;
    bar.style.width = `${share}%`;
    meter.setAttribute('aria-valuenow', String(share));
    line.textContent = !total ? t('sending.case')
      : sent < total ? t('sending.photos', { sent: kilobytes(sent), total: kilobytes(total) }) : t('sending.photosDone');
  };
  show(progress);
  showProgress = show;
  return screen('📤 ' + t('sending.title'), h('p', { class: 'lead' }, t('sending.lead')),
    h('div', { class: 'sending' }, line, progress.total ? meter : null),
    h('p', { class: 'meta' }, t('sending.slow')),
    h('div', { class: 'meta' }, ...describe(record)));
}

const kilobytes = (bytes) => String(Math.max(0, Math.round(bytes / 1024)));
let showProgress = null; // the sending screen's, while it is drawn

/* ---- the queue: replay on start, on `online`, when the app is shown again, on a timer, by Background Sync ---- */

/** A command that had to wait went on its own (back online, Background Sync): say so wherever the villager is. */
function confirmSent(message) {
  if (selfConfirmed.delete(message.id)) return;
  if (message.op === 'case.submit' && message.trackingCode) say('✅ ' + t('sent.later', { code: message.trackingCode }), `/sent/${message.id}`);
  else if (message.op === 'case.confirm') say('✅ ' + t('sent.laterRating'));
}

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
  if (message.type === 'progress') { // many a second: the sending screen's line and bar only, never a redraw
    if (showProgress && location.pathname === `/sent/${message.id}` && document.getElementById('send-progress')) showProgress(message);
    return;
  }
  if (message.type === 'waiting') askForSync();
  const path = location.pathname;
  if (message.type === 'sent' && path !== `/sent/${message.id}`) confirmSent(message);
  if (path === '/' || path === `/sent/${message.id}` || (path === '/cases' && message.type !== 'waiting')) render(true);
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

await loadLanguage(storedLanguage());
applyChrome();
await render();
// The first screen first; then, when the phone is idle (within 1 s), what it does not need to be drawn.
whenIdle(() => {
  if ('serviceWorker' in navigator) {
    // updateViaCache none: sw.js and the queue.js it imports are always checked with the server. Registered on
    // the first visit still: the shell is cached before the villager can go offline.
    navigator.serviceWorker.register('/sw.js', { updateViaCache: 'none' }).catch(() => {});
  }
  Q.replay({ force: true });
  Q.collectBlobs(draftBlobs()).catch(() => {}); // photos and voice notes of drafts given up
}, 1000);
// the grid tree and the category names for offline use: after the first load's own requests, in an idle moment
setTimeout(() => whenIdle(() => warmAtlas().catch(() => {}).then(() => warmNames()).catch(() => {})), 1500);
