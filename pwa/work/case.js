// One case for the deputy handling it (and the office): what, where, deadlines, the villager's contact, the
// timeline, referrals and mediation sessions, and every action. Actions go through the offline queue; until
// they are sent the page shows them "waiting to send" and offers the next steps as if they had been done.
import { formatDeadline, formatTime, h, link, notice } from '../ui.js';
import { ApiError, request } from '../api.js';
import {
  cachedNotice, deadlineLine, failed, kindLine, loadOrganisations, organisationName, page, placeLine, stateName,
  stepName, stepWords,
} from './common.js';
import { actionPanels, projectedStatus } from './actions.js';
import { outcomeNotice, pending, pendingSection } from './outbox.js';
import { t } from './text.js';

const Q = self.ddgQueue;
let flash = null; // what the last action did, said once on the next drawing of the page

export async function caseScreen(ctx, id) {
  let found;
  try {
    found = await request('GET', `/api/case-intake/cases/${id}`, { auth: true });
  } catch (failure) {
    return failed(ctx, failure, t('deputy.case'));
  }
  const item = found.data;
  const [queued, referrals, mediations, organisations] = await Promise.all([
    pending((meta) => meta.caseId === id),
    optionalList(`/api/case-intake/cases/${id}/referrals?limit=50`),
    item.kind === 'dispute' ? optionalList(`/api/case-intake/cases/${id}/mediations?limit=50`) : [],
    loadOrganisations(),
  ]);
  const status = projectedStatus(item.status, queued.waiting);
  const done = async (result) => {
    flash = outcomeNotice(result);
    await ctx.app.refresh();
  };
  const said = flash;
  flash = null;
  const back = ctx.isDeputy ? '/deputy' : '/office/review';
  return page(ctx, t('deputy.caseTitle', { code: item.tracking_code }),
    link(back, { class: 'btn ghost back' }, '← ', t(ctx.isDeputy ? 'deputy.nav.inbox' : 'office.nav.review')),
    // "saved, waiting to send" is what the outbox below lists: a second notice would only push the case down
    said && said.kind !== 'waiting' ? h('div', { role: 'status' }, notice(said.kind, said.text)) : null,
    cachedNotice(found.cachedAt),
    summary(item, status),
    pendingSection(queued, () => ctx.app.refresh()),
    h('section', { class: 'case-actions', 'aria-labelledby': 'actions-title' },
      h('h2', { id: 'actions-title' }, t('deputy.actions')),
      ...actionPanels(ctx, item, status, { referrals, organisations }, done)),
    contact(item),
    referrals.length ? referralList(referrals, organisations) : null,
    mediations.length ? mediationList(mediations) : null,
    item.reception ? receptionRecord(item.reception) : null,
    timeline(item));
}

async function optionalList(url) {
  try {
    return (await request('GET', url, { auth: true })).data.items;
  } catch (failure) {
    return []; // offline with no saved copy: the page still works without them
  }
}

function summary(item, status) {
  const changed = status !== item.status;
  return h('article', { class: 'card case-card' },
    h('p', { class: 'now' }, h('span', {}, t('track.now')),
      h('strong', { class: 'badge', id: 'case-status' }, stateName(status)),
      changed ? h('span', { class: 'pill waiting', id: 'status-pending' }, t('deputy.statusPending')) : null),
    h('p', { class: 'case-kind' }, kindLine(item)),
    h('p', { class: 'pre' }, item.description),
    placeLine(item.grid_id),
    photoStrip(item.photos),
    voiceNote(item.recording),
    deadlineLine(item),
    h('p', { class: 'meta' }, t('deputy.filedAt', { time: formatTime(item.submitted_at) }),
      ' · ', t(`deputy.channel.${item.channel}`)),
    item.supporters ? h('p', { class: 'meta' }, t('deputy.supporters', { n: item.supporters })) : null,
    item.resolution ? h('p', {}, h('strong', {}, t('deputy.resolution')), ' ', item.resolution) : null,
    item.rating ? h('p', {}, h('strong', {}, t('deputy.rating')), ' ', t(`deputy.rating.${item.rating}`)) : null);
}

/** The case's photos: read with the signed-in token (a plain <img src> has none), a tap shows one large. */
function photoStrip(photos) {
  if (!photos || !photos.length) return null;
  return h('ul', { class: 'photo-strip' }, photos.map((photo, index) => {
    const img = h('img', { alt: t('deputy.photoN', { n: index + 1 }), width: '96', height: '96' });
    show(img, photo.thumbnail_url);
    const button = h('button', {
      type: 'button', class: 'photo-button', 'aria-expanded': 'false', onclick: () => {
        const large = button.getAttribute('aria-expanded') === 'false';
        button.setAttribute('aria-expanded', String(large));
        button.parentElement.classList.toggle('large', large);
        show(img, large ? photo.url : photo.thumbnail_url);
      },
    }, img);
    return h('li', {}, button);
  }));
}

/** The villager's voice note: read with the signed-in token (an <audio src> sends none), then played here. */
function voiceNote(recording) {
  if (!recording) return null;
  const audio = h('audio', { controls: true, preload: 'metadata', id: 'case-voice', class: 'voice-player' });
  const seconds = Math.round(recording.duration_ms / 1000);
  const note = h('p', { class: 'meta' }, t('deputy.voiceLength', { s: seconds }));
  show(audio, recording.url);
  return h('div', { class: 'case-voice' }, h('p', { class: 'voice-title' }, '🎤 ', h('strong', {}, t('deputy.voice'))), audio, note);
}

async function show(img, url) {
  try {
    const session = await Q.freshSession();
    const answer = await fetch(url, { headers: session ? { Authorization: `Bearer ${session.token}` } : {} });
    if (!answer.ok) return;
    if (img.src.startsWith('blob:')) URL.revokeObjectURL(img.src);
    img.src = URL.createObjectURL(await answer.blob());
  } catch (failure) { /* offline and never seen: the alt text stays */ }
}

function contact(item) {
  if (!item.contact_phone_masked && !item.contact_name_masked) return null;
  const box = h('div', { class: 'contact', 'aria-live': 'polite' },
    h('p', {}, [item.contact_name_masked, item.contact_phone_masked].filter(Boolean).join(' · ')));
  const button = h('button', {
    type: 'button', class: 'btn secondary', id: 'show-contact', onclick: async () => {
      button.disabled = true;
      try {
        const { data } = await request('GET', `/api/case-intake/cases/${item.id}/contact`, { auth: true });
        box.replaceChildren(h('p', {}, data.name || ''),
          data.phone ? h('a', { class: 'btn primary', href: `tel:${data.phone}` }, '📞 ', data.phone) : null,
          h('p', { class: 'meta' }, t(`deputy.prefers.${data.preference}`)));
      } catch (failure) {
        box.append(h('p', { class: 'field-error' }, failure instanceof ApiError ? failure.message : t('work.offlineNothing')));
        button.disabled = false;
      }
    },
  }, t('deputy.showContact'));
  return h('section', { 'aria-labelledby': 'contact-title' }, h('h2', { id: 'contact-title' }, t('deputy.contact')), box, button);
}

function referralList(items, organisations) {
  const name = (code) => { const found = organisations.find((one) => one.code === code); return found ? organisationName(found) : code; };
  return h('section', { 'aria-labelledby': 'referrals-title' }, h('h2', { id: 'referrals-title' }, t('deputy.referrals')),
    h('ul', { class: 'items' }, items.map((item) => h('li', { class: 'item' },
      h('strong', {}, `${name(item.organisation)} · ${t(`deputy.orgKind.${item.organisation_kind}`)}`),
      h('p', {}, item.question),
      h('p', { class: 'meta' }, t('deputy.referralState', { state: t(`deputy.referral.${item.status}`), time: formatDeadline(item.due_at) })),
      item.answer ? h('p', {}, h('strong', {}, t('deputy.answer')), ' ', item.answer) : null))));
}

function mediationList(items) {
  return h('section', { 'aria-labelledby': 'mediations-title' }, h('h2', { id: 'mediations-title' }, t('deputy.mediations')),
    h('ul', { class: 'items' }, items.map((item) => h('li', { class: 'item' },
      h('strong', {}, `${item.held_on} · ${item.place}`),
      h('p', {}, t(`deputy.outcome.${item.outcome}`)),
      h('p', { class: 'meta' }, item.parties.map((party) => `${party.role}：${party.name}`).join('；')),
      h('p', { class: 'pre' }, item.record)))));
}

/** What was raised, discussed and answered at the station reception the case came from: for its handlers. */
function receptionRecord(said) {
  const part = (key, text) => (text ? [h('dt', {}, t(key)), h('dd', { class: 'pre' }, text)] : []);
  return h('section', { 'aria-labelledby': 'reception-title', id: 'case-reception' },
    h('h2', { id: 'reception-title' }, t('deputy.reception')),
    h('dl', {}, part('deputy.reception.raised', said.raised), part('deputy.reception.discussed', said.discussed),
      part('deputy.reception.answer', said.answer)),
    h('p', { class: 'meta' }, t('deputy.reception.private')));
}

function timeline(item) {
  return h('section', { 'aria-labelledby': 'timeline-title' }, h('h2', { id: 'timeline-title' }, t('track.history')),
    h('ol', { class: 'timeline' }, item.timeline.map((step) => h('li', { class: step.action === 'note' ? 'internal' : null },
      h('time', { datetime: step.at }, formatTime(step.at)),
      h('p', {}, stepName(step), ' · ', t(`deputy.actor.${step.actor_role}`)),
      stepWords(step) ? h('p', { class: step.action === 'note' ? 'pre' : 'meta' }, stepWords(step)) : null))),
    h('p', { class: 'meta' }, t('time.note')));
}
