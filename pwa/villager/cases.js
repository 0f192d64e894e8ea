// A villager's cases: "my cases" (filed from this phone, and the account's when signed in), one case's timeline
// in plain words with its photos, and — once the deputy resolved it — confirm and rate, or reopen. Both answers
// go through the offline queue: anonymously with the filer key the filing answer gave, else as the signed-in filer.
import { lang, t } from '../i18n.js';
import { codeText, formatDeadline, formatTime, h, label, link, notice, screen, shorten } from '../ui.js';
import { OfflineError, placeNames, request, warmAtlas } from '../api.js';

const Q = self.ddgQueue;
// SS- and 12 characters of Crockford's base32 in groups of four (SS-7KQ3-M9XD-2PWA), or the first form SS-2611-48213
const CODE = /^SS-(\d{4}-\d{5}|[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4})$/;
const SYSTEM_STEPS = new Set(['submitted', 'assigned']); // their reasons are machine words, not news

/** A step's reason as the villager should read it. The service writes an English sentence, then ": " and the
 * person's own words ("Reopened by the villager: not solved: 还是没有水"). A sentence alone says no more than the
 * step's own label; in Chinese only the person's words are shown. */
function reasonText(step) {
  if (step.project) return null; // its title is the step's own line
  if (step.action.startsWith('suggestion_')) return step.reason; // a deputy's suggestion citing it: its title
  if (SYSTEM_STEPS.has(step.to_status) || step.to_status === 'resolved') return null; // resolved: shown above
  if (lang === 'en') return step.reason && step.reason.includes(': ') ? step.reason : null;
  return step.note || null; // the person's own words; the service's sentence around them is English
}

/** What happened at a step: its new status in plain words, or for a step that keeps the status, what was done. */
function stepText(step) {
  if (step.project) return t('step.project', { title: step.project.title });
  const done = step.from_status === step.to_status && t(`act.${step.action}`);
  return done && !done.startsWith('act.') ? done : label('step', step.to_status);
}

const WORKING = new Set(['accepted', 'in_progress', 'referred', 'mediating', 'reopened', 'escalated']);
const SOLVED = new Set(['resolved', 'closed']); // a reopened case's old resolution is not news
const RATINGS = { satisfied: '😊', basically_satisfied: '🙂', unsatisfied: '🙁' };
const SEND_WAIT_MS = 8000;

/* ---- my cases ---- */

async function accountCases() {
  const session = await Q.freshSession();
  if (!Q.sessionUsable(session)) return { signedIn: false, items: [] };
  try {
    const { data } = await request('GET', '/api/case-intake/cases?limit=50', { auth: true });
    return { signedIn: true, items: data.items };
  } catch (error) {
    return { signedIn: true, items: [], failed: true };
  }
}

/** The last step of a case in the villager's words, and when. */
const lastStepText = (timeline) => {
  const steps = timeline || [];
  const last = steps[steps.length - 1];
  return last ? t('cases.lastStep', { step: stepText(last), time: formatTime(last.at) }) : '';
};

/** One of my cases: what it is about (the category's name and the first words), where, and the last step, so that
 * two cases do not look alike; a case filed from this phone without an account is read by its code (its
 * status and last step filled in when they come). */
function caseItem(app, item) {
  const badge = h('span', { class: 'badge' }, item.status ? label('state', item.status) : '…');
  const words = h('p', { class: 'case-words' }, item.words ? `“${shorten(item.words, 40)}”` : '');
  const names = placeNames(item.gridId);
  const where = h('p', { class: 'meta case-place' }, names.length ? t('track.where', { names: names.join(' / ') }) : '');
  const last = h('p', { class: 'meta case-last' }, item.timeline ? lastStepText(item.timeline) : '');
  if (!names.length && item.gridId) { // the grid tree is not on this phone yet: name the place once it is
    warmAtlas().then(() => {
      const placed = placeNames(item.gridId);
      if (placed.length && !where.textContent) where.textContent = t('track.where', { names: placed.join(' / ') });
    }).catch(() => {});
  }
  if (!item.timeline) {
    request('GET', `/api/case-intake/cases/track/${item.code}`)
      .then(({ data }) => {
        badge.textContent = label('state', data.status);
        last.textContent = lastStepText(data.timeline);
        if (!item.words) words.textContent = `“${shorten(data.description, 40)}”`;
        const placed = placeNames(data.grid_id);
        if (!names.length && placed.length) where.textContent = t('track.where', { names: placed.join(' / ') });
      })
      .catch(() => { if (!item.status) { badge.textContent = t('cases.statusUnknown'); badge.classList.add('muted'); } });
  }
  return h('li', { class: 'item' },
    h('div', { class: 'case-head' }, h('strong', {}, app.kindLine(item.kind, item.category)), badge),
    words, where, last,
    h('p', { class: 'meta' }, link(`/track/${item.code}`, { class: 'code-link' }, codeText(item.code)), ' · ',
      t('cases.filedAt', { time: formatTime(item.at) })));
}

/** The cases this phone said "me too" to (no tracking code comes back: the village board shows them). */
function supportedList(done) {
  const items = done.filter((item) => item.op === 'case.support').sort((a, b) => (a.sentAt < b.sentAt ? 1 : -1));
  if (!items.length) return null;
  return h('section', { 'aria-labelledby': 'c-supported' },
    h('h2', { id: 'c-supported' }, '🙋 ' + t('cases.supported')),
    h('ul', { class: 'items', id: 'supported' }, items.map((item) => h('li', { class: 'item' },
      h('p', {}, `“${shorten(item.meta.summary, 60)}”`),
      h('p', { class: 'meta' }, t('cases.supportedAt', { time: formatTime(item.sentAt) }))))),
    h('p', { class: 'meta' }, t('similar.done.followBoard'), ' ', link('/board', { class: 'link-target' }, t('home.board'))));
}

export async function myCasesScreen(app) {
  const [sent, waiting, done, account] = await Promise.all([Q.sent(), Q.commands(), Q.done(), accountCases()]);
  const cases = new Map();
  for (const item of account.items) {
    const { kind, category, status, timeline } = item;
    cases.set(item.tracking_code, {
      code: item.tracking_code, kind, category, status, at: item.submitted_at, words: item.description, gridId: item.grid_id, timeline,
    });
  }
  for (const item of sent) {
    const known = cases.get(item.trackingCode);
    if (known) continue; // the account's copy says more (its timeline)
    const { kind, category } = item;
    cases.set(item.trackingCode, { code: item.trackingCode, kind, category, at: item.sentAt, words: item.summary, gridId: item.gridId });
  }
  const list = [...cases.values()].sort((a, b) => (a.at < b.at ? 1 : -1));
  const filings = waiting.filter((item) => item.op === 'case.submit');
  return screen(t('cases.title'),
    account.signedIn ? null : h('p', { class: 'meta' }, t('cases.signinHint'), ' ', link('/signin', { class: 'link-target' }, t('cases.signinLink'))),
    account.failed ? notice('offline', t('cases.accountOffline')) : null,
    filings.length ? h('section', { 'aria-labelledby': 'c-waiting' },
      h('h2', { id: 'c-waiting' }, '⏳ ' + t('queue.waiting')),
      h('ul', { class: 'items' }, filings.map((item) => h('li', { class: 'item waiting' },
        h('strong', {}, app.kindLine(item.body.kind, item.body.category)),
        h('p', {}, shorten(item.body.description, 60)),
        h('p', { class: 'meta' }, t('queue.savedAt', { time: formatTime(item.createdAt) })))))) : null,
    list.length
      ? h('ul', { class: 'items my-cases' }, list.map((item) => caseItem(app, item)))
      : h('p', { class: 'lead' }, t('cases.empty')),
    supportedList(done),
    link('/file/1', { class: 'btn primary wide' }, t('home.file')),
    link('/', { class: 'btn ghost wide' }, t('nav.home')));
}

/* ---- one case ---- */

/** A code as the villager typed or heard it, in the form the service keeps (it reads codes the same way): case,
 * spaces, hyphens and full-width letters do not matter, O is 0 and I or L is 1. */
function normaliseCode(raw) {
  const text = String(raw || '').normalize('NFKC').replace(/[\s\-_.]+/g, '').toUpperCase();
  for (const body of text.startsWith('SS') ? [text.slice(2), text] : [text]) {
    const read = body.replace(/O/g, '0').replace(/[IL]/g, '1');
    if (/^\d{9}$/.test(read)) return `SS-${read.slice(0, 4)}-${read.slice(4)}`;
    if (/^[0-9A-HJKMNP-TV-Z]{12}$/.test(read)) return `SS-${read.slice(0, 4)}-${read.slice(4, 8)}-${read.slice(8)}`;
  }
  return String(raw || '').trim().toUpperCase();
}

export function trackScreen(app, code) {
  const input = h('input', {
    id: 'code', name: 'code', value: code || '', autocomplete: 'off', autocapitalize: 'characters',
    spellcheck: 'false', 'aria-describedby': 'code-hint',
  });
  const error = h('p', { class: 'field-error', role: 'alert' });
  const result = h('div', { class: 'result', 'aria-live': 'polite' });
  if (code) showCase(app, code, result, error);
  return screen(t('track.title'), h('form', {
    class: 'track-form', novalidate: true, onsubmit: (event) => {
      event.preventDefault();
      const value = normaliseCode(input.value);
      if (!CODE.test(value)) { error.textContent = t('track.bad'); input.focus(); return; }
      app.go(`/track/${value}`);
    },
  },
  h('div', { class: 'field' }, h('label', { for: 'code' }, t('track.label')), input,
    h('p', { class: 'meta', id: 'code-hint' }, t('track.hint'))),
  error,
  h('button', { type: 'submit', class: 'btn primary wide' }, t('track.submit'))), result);
}

/** Who may answer for this case from this phone: the filer key kept at filing, or the signed-in account. */
async function standing(found) {
  const sent = (await Q.sent()).find((item) => item.trackingCode === found.tracking_code);
  const target = { code: found.tracking_code, caseId: found.id, filerKey: null };
  if (sent && sent.filerKey) return { target: { ...target, filerKey: sent.filerKey }, subject: null };
  if (sent && sent.subject) return { target, subject: sent.subject };
  const session = await Q.freshSession();
  if (!Q.sessionUsable(session)) return null;
  try {
    await request('GET', `/api/case-intake/cases/${found.id}`, { auth: true }); // 403 unless it is theirs to read
  } catch (error) {
    return null;
  }
  return { target, subject: session.subject };
}

async function showCase(app, typed, box, error) {
  const code = normaliseCode(typed);
  if (!CODE.test(code)) { error.textContent = t('track.bad'); return; }
  box.replaceChildren(h('p', { class: 'meta' }, t('app.loading')));
  let answer;
  try {
    answer = await request('GET', `/api/case-intake/cases/track/${code}`);
  } catch (failure) {
    box.replaceChildren();
    if (failure instanceof OfflineError) error.textContent = t('track.offline');
    else if (failure.status === 404) error.textContent = t('track.notFound');
    else if (failure.status === 422) error.textContent = t('track.bad');
    else error.textContent = failure.message;
    return;
  }
  const { data, cachedAt } = answer;
  const card = caseCard(data, cachedAt);
  box.replaceChildren(card);
  const slot = card.querySelector('.decide-slot'); // what the villager may do comes before the history
  const pending = (await Q.commands()).filter((item) => item.target && item.target.code === code);
  if (thanks && thanks.code === code) { // the answer just given went through
    slot.append(h('div', { role: 'status' }, notice('ok', h('p', {}, thanks.text))));
    thanks = null;
  }
  if (pending.length) {
    slot.append(notice('waiting', h('p', {}, t('decide.waiting', { what: t(`queue.op.${pending[0].op}`, { code }) }))));
  } else if (data.status === 'resolved') {
    const who = await standing(data);
    if (who) slot.append(decideForms(app, who));
  }
}

function photoGallery(found) {
  const big = h('div', { class: 'photo-big' });
  const query = `?tracking_code=${encodeURIComponent(found.tracking_code)}`;
  const items = found.photos.map((photo, index) => h('li', { class: 'photo' },
    h('button', {
      type: 'button', class: 'photo-open', 'aria-label': t('photo.open', { n: index + 1 }),
      onclick: () => big.replaceChildren(h('img', {
        src: photo.url + query, alt: t('photo.alt', { n: index + 1 }), width: String(photo.width), height: String(photo.height),
      })),
    }, h('img', { src: photo.thumbnail_url + query, alt: t('photo.alt', { n: index + 1 }), width: '96', height: '96', loading: 'lazy' }))));
  return [h('h2', {}, t('track.photos')), h('ul', { class: 'photos case-photos' }, items), big];
}

/** A micro-project step's stage, and its public page once it is on public notice. */
function projectLine(project) {
  return h('p', { class: 'meta' }, t('step.projectStage', { stage: label('project', project.stage) }),
    project.public_path ? [' · ', link(project.public_path, { class: 'link-target' }, t('step.projectLink'))] : null);
}

function caseCard(found, cachedAt) {
  const names = placeNames(found.grid_id);
  const open = SYSTEM_STEPS.has(found.status);
  return h('article', { class: 'card' },
    cachedAt ? notice('offline', t('track.cached', { time: formatTime(cachedAt) })) : null,
    h('p', { class: 'code small' }, codeText(found.tracking_code)),
    h('p', { class: 'now' }, h('span', {}, t('track.now')),
      h('strong', { class: 'badge', id: 'case-status' }, label('state', found.status))),
    h('p', {}, label('kind', found.kind), ' · ', label('category', found.category)),
    h('p', { class: 'pre' }, shorten(found.description, 300)),
    names.length ? h('p', { class: 'meta' }, t('track.where', { names: names.join(' / ') })) : null,
    h('p', { class: 'meta' }, t('track.filed', { time: formatTime(found.submitted_at) })),
    open ? h('p', { class: 'meta' }, t('track.acceptBy', { time: formatDeadline(found.accept_due_at) })) : null,
    WORKING.has(found.status) && found.resolve_due_at
      ? h('p', { class: 'meta' }, t('track.resolveBy', { time: formatDeadline(found.resolve_due_at) })) : null,
    found.resolution && SOLVED.has(found.status) ? h('div', { class: 'resolution' },
      h('strong', {}, t('track.resolution')), h('p', { class: 'pre' }, found.resolution)) : null,
    found.rating ? h('p', { id: 'case-rating' },
      t('track.rating', { rating: `${RATINGS[found.rating] || ''} ${label('rating', found.rating)}` })) : null,
    h('div', { class: 'decide-slot' }),
    ...(found.photos && found.photos.length ? photoGallery(found) : []),
    h('h2', {}, t('track.history')),
    h('ol', { class: 'timeline' }, found.timeline.map((step) => h('li', {},
      h('time', { datetime: step.at }, formatTime(step.at)),
      h('p', {}, stepText(step)),
      step.project ? projectLine(step.project) : null,
      reasonText(step) ? h('p', { class: 'meta' }, t('step.reason', { reason: reasonText(step) })) : null))),
    h('p', { class: 'meta' }, t('time.note')));
}

/* ---- confirm and rate, or reopen ---- */

let thanks = null; // {code, text}: said once above the case when its answer was just sent

async function answer(app, op, body, who, error, button) {
  button.disabled = true;
  let command;
  try {
    command = await Q.enqueue(op, body, { target: who.target, subject: who.subject, meta: {} });
  } catch (failure) {
    error.textContent = String(failure);
    button.disabled = false;
    return;
  }
  app.confirmsItself(command.id); // sent now, this screen thanks the villager (not the banner as well)
  const result = await Promise.race([Q.sendNow(command.id), new Promise((resolve) => setTimeout(resolve, SEND_WAIT_MS))]);
  if (!result || result.state !== 'sent') app.confirmsItself(command.id, false); // when it goes later: the banner
  if (result && result.state === 'attention') {
    const problem = result.record.problem || {};
    error.textContent = `${t(`problem.${result.record.status}`)} ${problem.detail || ''}`.trim();
    return;
  }
  if (result && result.state === 'sent') {
    thanks = { code: who.target.code, text: '✅ ' + t(op === 'case.confirm' ? 'decide.thanks' : 'decide.reopened') };
  }
  app.refresh();
}

function decideForms(app, who) {
  const confirmError = h('p', { class: 'field-error', role: 'alert' });
  const reopenError = h('p', { class: 'field-error', role: 'alert' });
  const comment = h('textarea', { id: 'comment', name: 'comment', rows: '3', maxlength: '500' });
  const reason = h('textarea', { id: 'reopen-reason', name: 'reason', rows: '3', maxlength: '400' });
  const confirmButton = h('button', { type: 'submit', class: 'btn primary wide', id: 'confirm' }, t('decide.confirm'));
  const reopenButton = h('button', { type: 'submit', class: 'btn secondary wide', id: 'reopen' }, t('decide.reopen'));
  const ratings = h('div', { class: 'tiles ratings' }, Object.entries(RATINGS).map(([value, emoji]) => h('label', { class: 'tile' },
    h('input', { type: 'radio', name: 'rating', value }),
    h('span', { class: 'emoji', 'aria-hidden': 'true' }, emoji),
    h('span', { class: 'tile-text' }, h('strong', {}, label('rating', value))))));

  const confirmForm = h('form', {
    id: 'confirm-form', novalidate: true, onsubmit: (event) => {
      event.preventDefault();
      const chosen = confirmForm.querySelector('input[name=rating]:checked');
      if (!chosen) { confirmError.textContent = t('decide.pickRating'); return; }
      answer(app, 'case.confirm', { rating: chosen.value, comment: comment.value.trim() }, who, confirmError, confirmButton);
    },
  },
  h('fieldset', {}, h('legend', {}, t('decide.rate')), ratings),
  h('div', { class: 'field' }, h('label', { for: 'comment' }, t('decide.comment')), comment),
  confirmError, confirmButton);

  const reopenForm = h('form', {
    id: 'reopen-form', novalidate: true, onsubmit: (event) => {
      event.preventDefault();
      if (!reason.value.trim()) { reopenError.textContent = t('decide.reasonMissing'); reason.focus(); return; }
      answer(app, 'case.reopen', { reason: reason.value.trim() }, who, reopenError, reopenButton);
    },
  },
  h('div', { class: 'field' }, h('label', { for: 'reopen-reason' }, t('decide.reason')), reason),
  reopenError, reopenButton);

  return h('section', { class: 'decide', 'aria-labelledby': 'decide-title' },
    h('h2', { id: 'decide-title' }, t('decide.title')),
    h('p', { class: 'meta' }, t('decide.lead')),
    confirmForm,
    h('details', { class: 'reopen' }, h('summary', {}, t('decide.notSolved')), reopenForm));
}
