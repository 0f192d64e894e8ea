// A deputy's year: the five ones (五个一) done or still to do, with the records behind each, and the duty
// schedule at the liaison stations (reception sessions they are on), with a calendar feed to subscribe to.
import { formatTime, h } from '../ui.js';
import { request } from '../api.js';
import { meter } from './charts.js';
import { cachedNotice, categoryName, failed, page } from './common.js';
import { exportRow } from './exports.js';
import { chinaDay, t } from './text.js';

export async function dutyScreen(ctx) {
  const year = Number(chinaDay().slice(0, 4));
  const id = ctx.session.deputyId;
  let five;
  let duty;
  let stations;
  try {
    [five, duty, stations] = await Promise.all([
      request('GET', `/api/deputy/deputies/${id}/five-ones?year=${year}`, { auth: true }),
      request('GET', `/api/station-scheduling/duty/mine?date_from=${chinaDay(-30)}&limit=50`, { auth: true }),
      request('GET', '/api/station-scheduling/stations?limit=200'),
    ]);
  } catch (failure) {
    return failed(ctx, failure, t('deputy.duty.title'));
  }
  const names = new Map(stations.data.items.map((station) => [station.id, station.name]));
  return page(ctx, t('deputy.duty.title'),
    cachedNotice(five.cachedAt || duty.cachedAt),
    fiveOnes(five.data),
    schedule(duty.data.items, names, id));
}

function fiveOnes(found) {
  return h('section', { class: 'card', 'aria-labelledby': 'five-title' },
    h('h2', { id: 'five-title' }, t('deputy.duty.five', { year: found.year })),
    h('p', { class: 'lead', id: 'five-done' }, t('deputy.duty.fiveDone', { n: found.done })),
    meter(found.done, found.items.length, t('deputy.duty.fiveDone', { n: found.done })),
    exportRow('five-ones', t('deputy.duty.export'), `/api/deputy/exports/five-ones?year=${found.year}`),
    h('ul', { class: 'five-list' }, found.items.map((item) => h('li', { class: item.done ? 'done' : 'todo' },
      h('span', { class: 'mark', 'aria-hidden': 'true' }, item.done ? '✓' : '○'),
      h('span', {}, h('strong', {}, t(`deputy.five.${item.item}`)),
        h('small', {}, item.done ? t('deputy.duty.evidence', { n: item.evidence.length, what: categoryName(item.evidence[0].summary) })
          : t(`deputy.duty.how.${item.item}`)))))));
}

function schedule(sessions, names, deputyId) {
  const now = Date.now();
  const coming = sessions.filter((item) => new Date(item.ends_at).getTime() >= now && item.status !== 'cancelled');
  const feed = `${location.origin}/api/station-scheduling/deputies/${deputyId}/calendar.ics`;
  return h('section', { 'aria-labelledby': 'duty-title' },
    h('h2', { id: 'duty-title' }, t('deputy.duty.schedule')),
    coming.length ? h('ul', { class: 'items', id: 'duty-list' }, coming.map((item) => h('li', { class: 'item' },
      h('strong', {}, formatTime(item.starts_at), '–', formatTime(item.ends_at).slice(-5)),
      h('p', {}, names.get(item.station_id) || '', item.place ? ` · ${item.place}` : ''),
      h('p', {}, item.topic),
      h('p', { class: 'meta' }, t('deputy.duty.booked', { n: item.confirmed, capacity: item.capacity })))))
      : h('p', { class: 'meta' }, t('deputy.duty.none')),
    h('p', { class: 'meta' }, t('deputy.duty.feed')),
    h('a', { class: 'btn ghost wide', href: feed.replace(/^https?:/, 'webcal:') }, '📅 ', t('deputy.duty.subscribe')),
    h('p', { class: 'meta' }, t('time.note')));
}
