// The reception desk (接待台) of a liaison station on a reception day: choose the session, register the
// visitors who walk in, and record what each raised, what was discussed and what was answered (当面提、当面议、
// 当面答) — answered on the spot, or followed up, which opens a linked case by itself.
import { formatTime, h, link, notice } from '../ui.js';
import { request } from '../api.js';
import { placePicker } from '../villager/place.js';
import { cachedNotice, categoryName, failed, field, formError, input, kindName, page, select, stateName, textarea } from './common.js';
import { outcomeNotice, pending, pendingSection, post } from './outbox.js';
import { chinaDay, t } from './text.js';

const KINDS = ['request', 'dispute', 'suggestion', 'opinion'];
const CATEGORIES = ['water', 'roads', 'rivers', 'parking', 'sanitation', 'old_compound', 'land', 'neighbours', 'family', 'social_assistance', 'other'];
const ROUTES = ['township', 'city_organs', 'suggestion'];
let flash = null;

export async function deskScreen(ctx) {
  const chosen = new URLSearchParams(location.search).get('session');
  let stations;
  let sessions;
  try {
    [stations, sessions] = await Promise.all([
      request('GET', '/api/station-scheduling/stations?limit=200'),
      request('GET', `/api/station-scheduling/sessions?date_from=${chinaDay(-1)}&date_to=${chinaDay(1)}&limit=100`),
    ]);
  } catch (failure) {
    return failed(ctx, failure, t('staff.desk.title'));
  }
  const names = new Map(stations.data.items.map((station) => [station.id, station.name]));
  const session = sessions.data.items.find((item) => item.id === chosen);
  if (!session) return sessionPicker(ctx, sessions.data.items, names, sessions.cachedAt);
  return sessionDesk(ctx, session, names.get(session.station_id) || '');
}

const sessionLine = (item, station) => [formatTime(item.starts_at), station, item.place, item.topic].filter(Boolean).join(' · ');

function sessionPicker(ctx, items, names, cachedAt) {
  const open = items.filter((item) => item.status !== 'cancelled');
  return page(ctx, t('staff.desk.title'), cachedNotice(cachedAt),
    h('p', { class: 'lead' }, t('staff.desk.choose')),
    open.length ? h('ul', { class: 'items', id: 'desk-sessions' }, open.map((item) => h('li', { class: 'item' },
      link(`/staff/desk?session=${item.id}`, { class: 'case-link' }, h('strong', {}, sessionLine(item, names.get(item.station_id) || '')),
        h('span', { class: 'meta' }, t('staff.desk.places', { n: item.confirmed, capacity: item.capacity }), ' · ', t(`staff.session.${item.status}`))))))
      : h('p', { class: 'meta' }, t('staff.desk.noSessions')),
    link('/staff/sessions', { class: 'btn secondary wide' }, t('staff.desk.schedule')));
}

async function sessionDesk(ctx, session, station) {
  let bookings;
  let records;
  try {
    [bookings, records] = await Promise.all([
      request('GET', `/api/station-scheduling/sessions/${session.id}/bookings?limit=200`, { auth: true }),
      request('GET', `/api/station-scheduling/records?session_id=${session.id}&limit=200`, { auth: true }),
    ]);
  } catch (failure) {
    return failed(ctx, failure, t('staff.desk.title'));
  }
  const queued = await pending((meta) => meta.about === session.id);
  const said = flash;
  flash = null;
  const done = async (result) => { flash = outcomeNotice(result); await ctx.app.refresh(); };
  const save = (path, body, key, params) => post(`/api/station-scheduling/sessions/${session.id}/${path}`, body,
    { label: key, params, kind: 'desk', about: session.id }).then(({ result }) => done(result));
  const started = new Date(session.starts_at) <= new Date();
  return page(ctx, t('staff.desk.title'),
    link('/staff/desk', { class: 'btn ghost back' }, '← ', t('staff.desk.other')),
    said ? h('div', { role: 'status' }, notice(said.kind, said.text)) : null,
    h('article', { class: 'card' }, h('strong', {}, sessionLine(session, station)),
      h('p', { class: 'meta' }, session.deputies.map((one) => one.name).join('、')),
      h('p', { class: 'meta' }, t('staff.desk.places', { n: session.confirmed, capacity: session.capacity }), ' · ', t(`staff.session.${session.status}`)),
      session.status === 'scheduled' && started ? h('button', {
        type: 'button', class: 'btn secondary', id: 'mark-held',
        onclick: () => save('held', {}, 'staff.desk.heldQueued', { topic: session.topic }),
      }, t('staff.desk.markHeld')) : null),
    pendingSection(queued, () => ctx.app.refresh()),
    walkInForm(save),
    started ? recordForm(bookings.data.items, save) : notice('waiting', t('staff.desk.notStarted')),
    recordList(records.data.items));
}

function walkInForm(save) {
  const topic = input('w-topic', { maxlength: '200' });
  const name = input('w-name', { maxlength: '60', autocomplete: 'off' });
  const phone = input('w-phone', { type: 'tel', inputmode: 'tel', maxlength: '16', autocomplete: 'off' });
  const error = formError();
  return h('details', { class: 'action', id: 'walk-in' }, h('summary', {}, t('staff.desk.walkIn')),
    h('form', {
      novalidate: true, class: 'action-form', onsubmit: (event) => {
        event.preventDefault();
        if (!topic.value.trim()) { error.textContent = t('work.required'); return; }
        if (phone.value && !/^\+?[0-9]{5,15}$/.test(phone.value.trim())) { error.textContent = t('file.2.phoneBad'); return; }
        const body = { topic: topic.value.trim() };
        if (name.value.trim()) body.visitor_name = name.value.trim();
        if (phone.value.trim()) body.visitor_phone = phone.value.trim();
        event.submitter.disabled = true;
        save('walk-ins', body, 'staff.desk.walkInQueued', { topic: body.topic });
      },
    }, field(t('staff.desk.topic'), topic), field(t('staff.desk.visitorName'), name), field(t('staff.desk.visitorPhone'), phone),
    error, h('button', { type: 'submit', class: 'btn primary wide' }, t('staff.desk.register'))));
}

function recordForm(bookings, save) {
  const visitors = bookings.filter((item) => ['confirmed', 'attended'].includes(item.status));
  const booking = select('r-booking', [['', t('staff.desk.newWalkIn')],
    ...visitors.map((item) => [item.id, `${item.visitor_name_masked || t(`staff.desk.kind.${item.kind}`)} · ${item.topic}`])]);
  const place = {};
  const picker = placePicker(place);
  const kind = select('r-kind', KINDS.map((value) => [value, kindName(value)]), 'request');
  const category = select('r-category', CATEGORIES.map((value) => [value, categoryName(value)]), 'other');
  const raised = textarea('r-raised', { maxlength: '4000' });
  const discussed = textarea('r-discussed', { maxlength: '4000', rows: '3' });
  const answer = textarea('r-answer', { maxlength: '4000', rows: '3' });
  const outcome = select('r-outcome', [['answered', t('staff.desk.answered')], ['follow_up', t('staff.desk.followUp')]], 'answered');
  const route = select('r-route', ROUTES.map((value) => [value, t(`staff.desk.route.${value}`)]), 'township');
  const routeField = field(t('staff.desk.route'), route);
  routeField.hidden = true;
  outcome.addEventListener('change', () => { routeField.hidden = outcome.value !== 'follow_up'; });
  const summary = input('r-summary', { maxlength: '300' });
  const error = formError();
  return h('details', { class: 'action', id: 'record' }, h('summary', {}, t('staff.desk.record')),
    h('form', {
      novalidate: true, class: 'action-form', onsubmit: (event) => {
        event.preventDefault();
        const answered = outcome.value === 'answered';
        if (!raised.value.trim() || !summary.value.trim() || (answered && !answer.value.trim())) { error.textContent = t('work.required'); return; }
        if (!place.group) { error.textContent = t('file.3.missing'); return; }
        event.submitter.disabled = true;
        save('records', {
          booking_id: booking.value || null, grid_id: place.group.id, kind: kind.value, category: category.value,
          raised: raised.value.trim(), discussed: discussed.value.trim(), answer: answer.value.trim(),
          outcome: outcome.value, route: answered ? null : route.value, summary: summary.value.trim(),
        }, 'staff.desk.recordQueued', { summary: summary.value.trim() });
      },
    }, field(t('staff.desk.visitor'), booking), h('fieldset', {}, h('legend', {}, t('staff.desk.visitorPlace')), picker.element),
    field(t('staff.file.kind'), kind), field(t('staff.file.category'), category),
    field(t('staff.desk.raised'), raised), field(t('staff.desk.discussed'), discussed), field(t('staff.desk.answer'), answer),
    field(t('staff.desk.outcome'), outcome), routeField, field(t('staff.desk.summary'), summary, t('staff.desk.summaryHint')),
    error, h('button', { type: 'submit', class: 'btn primary wide' }, t('staff.desk.saveRecord'))));
}

function recordList(items) {
  return h('section', { 'aria-labelledby': 'records-title' }, h('h2', { id: 'records-title' }, t('staff.desk.records', { n: items.length })),
    items.length ? h('ul', { class: 'items', id: 'record-list' }, items.map((item) => h('li', { class: 'item' },
      h('strong', {}, item.summary),
      h('p', { class: 'meta' }, `${kindName(item.kind)} · ${categoryName(item.category)} · `,
        item.outcome === 'answered' ? t('staff.desk.answered') : t('staff.desk.followUp')),
      item.case_tracking_code ? h('p', { class: 'meta' }, t('staff.desk.case', { code: item.case_tracking_code, state: stateName(item.case_status) })) : null)))
      : h('p', { class: 'meta' }, t('staff.desk.noRecords')));
}
