// "Me too" (我也遇到了) before filing: the open public cases of the same group and category, offered on the review
// screen so that a villager can join one instead of filing the same matter again: a `case.support` command in the
// offline queue, with their words as the note. Asked as soon as the group is chosen; offline, too slow or with
// nothing alike, nothing is offered and filing goes on as usual.
import { t } from '../i18n.js';
import { formatTime, h, label, link, screen, shorten } from '../ui.js';
import { filingSubject, request } from '../api.js';

const Q = self.ddgQueue;
const SHOWN = 3;
const ASK_MS = 6000; // no answer by then: file as usual
const FRESH_MS = 60000; // the same question within a minute (back and forth between the steps) is not asked again
const answers = new Map(); // `${grid}:${category}` -> {at, items: Promise<[SimilarCase]>}

const keyOf = (draft) => `${draft.place.group.id}:${draft.category}`;

/** Whether to offer anything for this draft: a group is chosen, the phone is online, it is not a dispute (one's
 * own quarrel is never the same as another's) and the villager did not already say theirs is different. */
const wanted = (draft) => Boolean(draft.place && draft.place.group && navigator.onLine && draft.kind !== 'dispute'
  && draft.notSimilar !== keyOf(draft));

function question(draft) {
  const key = keyOf(draft);
  const known = answers.get(key);
  if (known && Date.now() - known.at < FRESH_MS) return known.items;
  const query = new URLSearchParams({ grid_id: draft.place.group.id, category: draft.category, limit: String(SHOWN * 2) });
  const items = request('GET', `/api/case-intake/cases/similar?${query}`, { timeout: ASK_MS })
    .then(({ data, cachedAt }) => (cachedAt ? [] : data.items)) // the worker's old copy: they may be closed by now
    .catch(() => { answers.delete(key); return []; });
  answers.set(key, { at: Date.now(), items });
  return items;
}

/** The cases this phone filed or already said "me too" to (sent or waiting): never offered. */
async function ownCases() {
  const [sent, done, waiting] = await Promise.all([Q.sent(), Q.done(), Q.commands()]);
  const supported = [...done, ...waiting].filter((item) => item.op === 'case.support');
  return new Set([...sent.map((item) => item.caseId), ...supported.map((item) => item.target.caseId)]);
}

/** Up to 3 open cases like the draft's, most supported first; [] when there are none or no answer came. */
export async function ask(draft) {
  if (!wanted(draft)) return [];
  const [items, mine] = await Promise.all([question(draft), ownCases()]);
  return items.filter((item) => !mine.has(item.id)).slice(0, SHOWN);
}

const others = (n) => (n ? t('similar.count', { n }) : t('similar.firstOnly'));

/** What a similar case is about: its kind and category. The service shows no one's words to others. */
const about = (item) => `${label('kind', item.kind)} · ${label('category', item.category)}`;

/** The offer: each case by what and when, with how many said "me too", a big "Me too" button each
 * (onSupport(item)), and "mine is different" (onDifferent()). */
function offerList(items, { onSupport, onDifferent }) {
  const entry = (item, index) => h('li', { class: 'item' },
    h('p', { class: 'similar-summary', id: `similar-${index}` }, about(item)),
    h('p', { class: 'meta' }, `${label('state', item.status)} · ${formatTime(item.submitted_at)}`),
    h('p', { class: 'meta' }, others(item.supporters)),
    h('button', {
      type: 'button', class: 'btn primary wide me-too', 'aria-describedby': `similar-${index}`,
      onclick: () => onSupport(item),
    }, '🙋 ' + t('similar.meToo')));
  return h('section', { class: 'similar', 'aria-labelledby': 'similar-title' },
    h('h2', { id: 'similar-title' }, t('similar.title')),
    h('p', {}, t('similar.lead')),
    h('ul', { class: 'items' }, items.map(entry)),
    h('button', { type: 'button', class: 'btn secondary wide', id: 'not-similar', onclick: onDifferent }, t('similar.different')));
}

/** Support the case instead of filing the draft; its photos and voice note go (a support has none), its words go
 * as the note.
 * The draft is kept with the command, to file it on its own should the support be refused. */
async function support(item, draft, queued) {
  const { replaces, photos = [], voice = null, ...kept } = draft;
  const subject = await filingSubject();
  const command = await Q.enqueue('case.support', { note: shorten(draft.description, 399) }, {
    subject, target: { caseId: item.id },
    meta: { summary: about(item), signedIn: Boolean(subject), draft: { ...kept, photos: [], notSimilar: keyOf(draft) } },
  });
  Q.dropBlobs([...photos.map((photo) => photo.id), ...(voice ? [voice.id] : [])]).catch(() => {});
  await queued(command, replaces);
}

/** Fill `slot` (top of the review screen) with the offer, if there is one and "send" was not pressed already.
 * hooks: the review's sendButton and error line, and the shell's saveDraft() and queued(command, replaces). */
export async function offer(slot, draft, { sendButton, error, saveDraft, queued }) {
  const items = await ask(draft);
  if (!items.length || sendButton.disabled) return;
  const buttons = () => [sendButton, ...slot.querySelectorAll('button')];
  slot.replaceChildren(offerList(items, {
    onSupport: async (item) => {
      if (sendButton.disabled) return; // already sending the one or the other
      for (const button of buttons()) button.disabled = true;
      try {
        await support(item, draft, queued);
      } catch (failure) {
        error.textContent = String(failure);
        for (const button of buttons()) button.disabled = false;
      }
    },
    onDifferent: () => {
      draft.notSimilar = keyOf(draft);
      saveDraft();
      slot.replaceChildren();
      sendButton.focus();
    },
  }));
}

/** After "me too" was sent: whose case, how many now, and where to follow it (no tracking code is given). */
export function supportedScreen(record) {
  const signedIn = Boolean(record.meta.signedIn);
  return screen('✅ ' + t('similar.done.title'),
    h('p', { class: 'lead', id: 'support-outcome' }, t('similar.done.lead', { n: record.result.supporters })),
    h('p', { class: 'card similar-summary' }, `“${shorten(record.meta.summary, 140)}”`),
    h('p', {}, t(signedIn ? 'similar.done.followAccount' : 'similar.done.followBoard')),
    h('div', { class: 'actions' }, link('/', { class: 'btn ghost' }, t('nav.home')),
      link(signedIn ? '/cases' : '/board', { class: 'btn primary' }, t(signedIn ? 'home.cases' : 'home.board'))));
}

