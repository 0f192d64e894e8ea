// The field-visit log (走访): a visit, inspection, research visit or other duty, with where the phone is (GPS)
// and photos, written to the deputy's record of duty (POST /api/deputy/deputies/{id}/record). A visit for a
// case the deputy handles puts the photos on the case instead (POST /api/case-intake/cases/{id}/photos, where
// everyone handling it sees them) and, if work had not started yet, starts it with the visit as its note.
// Everything works offline and is sent later.
import { formatTime, h, link, notice } from '../ui.js';
import { request } from '../api.js';
import { photoField } from '../villager/photos.js';
import { cachedNotice, categoryName, failed, field, formError, input, page, select, showFieldError, textarea } from './common.js';
import { outcomeNotice, pending, pendingSection, post } from './outbox.js';
import { chinaClock, chinaDay, chinaMoment, t } from './text.js';

const KINDS = ['field_visit', 'inspection', 'research', 'suggestion', 'livelihood_matter', 'publicity', 'other'];
const DRAFT_KEY = 'ddg.work.visit';
let flash = null;

const loadDraft = () => { try { return JSON.parse(localStorage.getItem(DRAFT_KEY)) || {}; } catch (error) { return {}; } };
const saveDraft = (draft) => { try { localStorage.setItem(DRAFT_KEY, JSON.stringify(draft)); } catch (error) { /* memory only */ } };

export async function visitScreen(ctx) {
  const caseId = new URLSearchParams(location.search).get('case');
  let record;
  let about = null;
  try {
    record = await request('GET', `/api/deputy/deputies/${ctx.session.deputyId}/record?limit=20`, { auth: true });
    if (caseId) about = (await request('GET', `/api/case-intake/cases/${caseId}`, { auth: true })).data;
  } catch (failure) {
    return failed(ctx, failure, t('deputy.visit.title'));
  }
  const queued = await pending((meta) => meta.kind === 'visit');
  const said = flash;
  flash = null;
  return page(ctx, t('deputy.visit.title'),
    said ? h('div', { role: 'status' }, notice(said.kind, said.text)) : null,
    pendingSection(queued, () => ctx.app.refresh()),
    visitForm(ctx, about),
    cachedNotice(record.cachedAt),
    h('h2', {}, t('deputy.visit.recent')),
    record.data.items.length ? h('ul', { class: 'items', id: 'record-list' }, record.data.items.map(entry))
      : h('p', { class: 'meta' }, t('deputy.visit.none')));
}

function visitForm(ctx, about) {
  const draft = loadDraft();
  if (about && draft.caseId !== about.id) Object.assign(draft, { caseId: about.id, summary: t('deputy.visit.forCase', { code: about.tracking_code }) });
  if (!about && draft.caseId) Object.assign(draft, { caseId: null, summary: '' });
  const save = () => saveDraft(draft);
  const keep = (key) => (event) => { draft[key] = event.target.value; save(); };
  const kind = select('visit-kind', KINDS.map((value) => [value, t(`deputy.entry.${value}`)]), draft.kind || 'field_visit', { onchange: keep('kind') });
  const summary = input('visit-summary', { maxlength: '200', value: draft.summary || '', oninput: keep('summary') });
  const notes = textarea('visit-notes', { maxlength: '2000', value: draft.notes || '', oninput: keep('notes') });
  const place = input('visit-place', { maxlength: '200', value: draft.place || '', oninput: keep('place') });
  const day = input('visit-day', { type: 'date', value: chinaDay(), max: chinaDay() });
  const time = input('visit-time', { type: 'time', value: chinaClock() });
  const gps = gpsField(draft, save);
  const error = formError();
  const button = h('button', { type: 'submit', class: 'btn primary wide', id: 'save-visit' }, t('deputy.visit.save'));

  async function submit(event) {
    event.preventDefault();
    const when = chinaMoment(day.value, time.value || '00:00');
    error.textContent = '';
    if (!summary.value.trim()) { error.textContent = t('work.checkAbove'); showFieldError(summary, t('deputy.visit.summaryMissing')); return; }
    if (!day.value || new Date(when) > new Date(Date.now() + 3600000)) {
      error.textContent = t('work.checkAbove');
      showFieldError(day, t('deputy.visit.future'));
      return;
    }
    button.disabled = true;
    const photos = (draft.photos || []).map((photo) => photo.id);
    const body = {
      kind: kind.value, occurred_at: when, summary: summary.value.trim(), notes: notes.value.trim(), place: place.value.trim(),
      location: draft.location || null, grid_id: about ? about.grid_id : null,
    };
    const what = { label: 'deputy.visit.queued', params: { summary: body.summary }, kind: 'visit' };
    const handles = Boolean(about && about.assigned_deputy_ids.includes(ctx.session.deputyId));
    if (handles) {
      if (photos.length) {
        await post(`/api/case-intake/cases/${about.id}/photos`, {}, { ...what, caseId: about.id, label: 'deputy.visit.photosQueued', params: { code: about.tracking_code } }, { photos });
      }
      if (['accepted', 'reopened', 'escalated'].includes(about.status)) {
        await post(`/api/case-intake/cases/${about.id}/start`, { note: body.summary },
          { label: 'deputy.act.start', params: { code: about.tracking_code }, caseId: about.id, kind: 'start' });
      }
    }
    const { result } = await post(`/api/deputy/deputies/${ctx.session.deputyId}/record`, body, what,
      handles ? {} : { photos, photoField: 'photos' });
    saveDraft({});
    flash = outcomeNotice(result);
    ctx.app.go(about ? `/deputy/case/${about.id}` : '/deputy/visit', { replace: Boolean(about) });
  }

  return h('form', { novalidate: true, class: 'card visit-form', onsubmit: submit },
    h('h2', {}, t('deputy.visit.new')),
    about ? h('p', {}, t('deputy.visit.aboutCase', { code: about.tracking_code })) : null,
    about ? link(`/deputy/case/${about.id}`, { class: 'btn ghost back' }, '← ', t('deputy.visit.backToCase')) : null,
    field(t('deputy.visit.kind'), kind, t('deputy.visit.kindHint')),
    field(t('deputy.visit.summary'), summary),
    field(t('deputy.visit.notes'), notes),
    field(t('deputy.visit.place'), place),
    h('div', { class: 'pair' }, field(t('deputy.visit.day'), day), field(t('deputy.visit.time'), time)),
    gps,
    photos(draft, save),
    error, button);
}

/** The villager's photo picker (scaled on the phone, kept in IndexedDB until sent), with a deputy's hint. */
function photos(draft, save) {
  const element = photoField(draft, save);
  const hint = element.querySelector('p.meta');
  if (hint) hint.textContent = t('deputy.visit.photoHint');
  return element;
}

/** "Record where I am": the phone's position, kept with the draft. */
function gpsField(draft, save) {
  const status = h('p', { class: 'meta', id: 'gps-status', role: 'status', 'aria-live': 'polite' });
  const show = () => {
    status.textContent = draft.location
      ? t('deputy.visit.gpsAt', { lat: draft.location.lat.toFixed(5), lon: draft.location.lon.toFixed(5), m: draft.accuracy ?? '?' })
      : t('deputy.visit.gpsNone');
  };
  const button = h('button', {
    type: 'button', class: 'btn secondary wide', id: 'gps', onclick: () => {
      if (!navigator.geolocation) { status.textContent = t('deputy.visit.gpsUnavailable'); return; }
      status.textContent = t('deputy.visit.gpsWorking');
      navigator.geolocation.getCurrentPosition((found) => {
        draft.location = { lat: Number(found.coords.latitude.toFixed(6)), lon: Number(found.coords.longitude.toFixed(6)) };
        draft.accuracy = Math.round(found.coords.accuracy);
        save();
        show();
      }, (failure) => {
        status.textContent = t(failure.code === 1 ? 'deputy.visit.gpsDenied' : 'deputy.visit.gpsUnavailable');
      }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
    },
  }, '📍 ', t('deputy.visit.gps'));
  show();
  return h('div', { class: 'field' }, h('p', { class: 'label' }, t('deputy.visit.gpsLabel')), button, status);
}

function entry(item) {
  return h('li', { class: 'item' },
    h('strong', {}, t(`deputy.entry.${item.kind}`), ' · ', categoryName(item.summary)), // a case's record names its category's code
    h('p', { class: 'meta' }, formatTime(item.occurred_at), item.place ? ` · ${item.place}` : ''),
    item.location ? h('p', { class: 'meta' }, t('deputy.visit.gpsPoint', { lat: item.location.lat.toFixed(5), lon: item.location.lon.toFixed(5) })) : null,
    item.photos && item.photos.length ? h('p', { class: 'meta' }, t('deputy.visit.photos', { n: item.photos.length })) : null,
    item.five_one ? h('p', { class: 'meta' }, t('deputy.fiveOneOf', { item: t(`deputy.five.${item.five_one}`) })) : null);
}
