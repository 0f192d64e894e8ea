// Reception sessions (接待日) of the liaison stations: the coming ones, and a form to schedule one — at the
// station, outside at a place or online; the deputies on duty found by name or code; a reason when it is
// announced at shorter notice than the station's period. Times are China time.
import { formatTime, h, link, notice } from '../ui.js';
import { request } from '../api.js';
import { cachedNotice, failed, field, formError, input, page, select, textarea } from './common.js';
import { outcomeNotice, pending, pendingSection, post } from './outbox.js';
import { chinaDay, chinaMoment, t } from './text.js';

let flash = null;

export async function sessionsScreen(ctx) {
  let stations;
  let sessions;
  try {
    [stations, sessions] = await Promise.all([
      request('GET', '/api/station-scheduling/stations?limit=200'),
      request('GET', `/api/station-scheduling/sessions?date_from=${chinaDay()}&date_to=${chinaDay(60)}&limit=100`),
    ]);
  } catch (failure) {
    return failed(ctx, failure, t('staff.sessions.title'));
  }
  const queued = await pending((meta) => meta.kind === 'session');
  const names = new Map(stations.data.items.map((station) => [station.id, station.name]));
  const said = flash;
  flash = null;
  const coming = sessions.data.items.filter((item) => item.status !== 'cancelled')
    .sort((a, b) => (a.starts_at < b.starts_at ? -1 : 1));
  return page(ctx, t('staff.sessions.title'),
    said ? h('div', { role: 'status' }, notice(said.kind, said.text)) : null,
    cachedNotice(sessions.cachedAt),
    pendingSection(queued, () => ctx.app.refresh()),
    sessionForm(ctx, stations.data.items, async (result) => { flash = outcomeNotice(result); await ctx.app.refresh(); }),
    h('h2', {}, t('staff.sessions.coming', { n: coming.length })),
    coming.length ? h('ul', { class: 'items', id: 'session-list' }, coming.map((item) => h('li', { class: 'item' },
      h('strong', {}, formatTime(item.starts_at), '–', formatTime(item.ends_at).slice(-5)),
      h('p', {}, names.get(item.station_id) || '', item.place ? ` · ${item.place}` : '', item.mode === 'online' ? ` · ${t('staff.sessions.mode.online')}` : ''),
      h('p', {}, item.topic),
      h('p', { class: 'meta' }, item.deputies.map((one) => one.name).join('、'), ' · ',
        t('staff.desk.places', { n: item.confirmed, capacity: item.capacity })),
      item.warnings.length ? h('p', { class: 'meta warn' }, '⚠️ ', item.warnings.join('；')) : null,
      link(`/staff/desk?session=${item.id}`, { class: 'btn ghost' }, t('staff.sessions.desk')))))
      : h('p', { class: 'meta' }, t('staff.sessions.none')),
    h('p', { class: 'meta' }, t('time.note')));
}

/** Find deputies by name or code and collect those on duty. */
function deputyPicker() {
  const chosen = new Map();
  const query = input('s-deputy-q', { type: 'search', autocomplete: 'off', placeholder: t('staff.sessions.findHint') });
  const found = h('ul', { class: 'choices', id: 's-deputy-found' });
  const picked = h('ul', { class: 'chips', id: 's-deputies', 'aria-live': 'polite' });
  const show = () => picked.replaceChildren(...[...chosen].map(([id, name]) => h('li', {},
    h('button', { type: 'button', class: 'chip', 'aria-label': t('staff.sessions.remove', { name }), onclick: () => { chosen.delete(id); show(); } }, name, ' ✕'))));
  let timer = null;
  query.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const q = query.value.trim();
      if (!q) { found.replaceChildren(); return; }
      try {
        const { data } = await request('GET', `/api/deputy/deputies?status=active&limit=8&q=${encodeURIComponent(q)}`, { auth: true });
        found.replaceChildren(...data.items.map((one) => h('li', {}, h('button', {
          type: 'button', class: 'btn ghost choice', onclick: () => { chosen.set(one.id, `${one.name}（${one.code}）`); show(); found.replaceChildren(); query.value = ''; },
        }, `${one.name}（${one.code}）`))));
      } catch (failure) {
        found.replaceChildren(h('li', { class: 'meta' }, t('work.offlineNothing')));
      }
    }, 250);
  });
  return { element: h('div', { class: 'field' }, h('label', { for: 's-deputy-q' }, t('staff.sessions.deputies')), query, found, picked), ids: () => [...chosen.keys()] };
}

function sessionForm(ctx, stations, done) {
  const station = select('s-station', stations.map((item) => [item.id, item.name]));
  const mode = select('s-mode', ['station', 'outside', 'online'].map((value) => [value, t(`staff.sessions.mode.${value}`)]), 'station');
  const place = input('s-place', { maxlength: '200' });
  const url = input('s-url', { type: 'url', maxlength: '290', placeholder: 'https://' });
  const placeField = field(t('staff.sessions.place'), place);
  const urlField = field(t('staff.sessions.url'), url);
  const day = input('s-day', { type: 'date', min: chinaDay(), value: chinaDay(7) });
  const from = input('s-from', { type: 'time', value: '09:00' });
  const to = input('s-to', { type: 'time', value: '11:30' });
  const capacity = input('s-capacity', { type: 'number', min: '1', max: '500', value: '20', inputmode: 'numeric' });
  const topic = input('s-topic', { maxlength: '200' });
  const deputies = deputyPicker();
  const reason = textarea('s-reason', { maxlength: '300', rows: '2' });
  const reasonField = field(t('staff.sessions.reason'), reason, t('staff.sessions.reasonHint'));
  const noticeDays = () => (stations.find((item) => item.id === station.value) || { notice_days: 3 }).notice_days;
  const showFields = () => {
    placeField.hidden = mode.value !== 'outside';
    urlField.hidden = mode.value !== 'online';
    reasonField.hidden = !(day.value && day.value < chinaDay(noticeDays()));
  };
  for (const control of [mode, day, station]) control.addEventListener('change', showFields);
  showFields();
  const error = formError();
  const button = h('button', { type: 'submit', class: 'btn primary wide', id: 's-save' }, t('staff.sessions.save'));
  return h('details', { class: 'action card', id: 'new-session' }, h('summary', {}, t('staff.sessions.new')),
    h('form', {
      novalidate: true, class: 'action-form', onsubmit: async (event) => {
        event.preventDefault();
        const body = {
          station_id: station.value, mode: mode.value, starts_at: chinaMoment(day.value, from.value), ends_at: chinaMoment(day.value, to.value),
          capacity: Number(capacity.value), topic: topic.value.trim(), deputy_ids: deputies.ids(),
        };
        if (mode.value === 'outside') body.place = place.value.trim();
        if (mode.value === 'online') body.meeting_url = url.value.trim();
        if (!reasonField.hidden) body.short_notice_reason = reason.value.trim();
        error.textContent = !day.value || !from.value || !to.value || from.value >= to.value ? t('staff.sessions.timeBad')
          : !body.topic || (mode.value === 'outside' && !body.place) || (mode.value === 'online' && !/^https?:\/\//.test(body.meeting_url))
            || (!reasonField.hidden && !body.short_notice_reason) ? t('work.required')
            : !body.deputy_ids.length ? t('staff.sessions.deputiesBad') : '';
        if (error.textContent || button.disabled) return;
        button.disabled = true;
        const { result } = await post('/api/station-scheduling/sessions', body,
          { label: 'staff.sessions.queued', params: { topic: body.topic }, kind: 'session' });
        await done(result);
      },
    }, field(t('staff.sessions.station'), station), field(t('staff.sessions.modeLabel'), mode), placeField, urlField,
    field(t('staff.sessions.day'), day), h('div', { class: 'pair' }, field(t('staff.sessions.from'), from), field(t('staff.sessions.to'), to)),
    field(t('staff.sessions.capacity'), capacity), field(t('staff.sessions.topic'), topic), deputies.element, reasonField,
    error, button));
}
