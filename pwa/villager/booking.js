// Book a reception slot (接待日) at the villager's liaison stations — the area station of their village, their
// township's and the city's main station: the sessions coming up, a booking through the offline queue (the answer
// said plainly: confirmed, or the place on the waitlist), my bookings and cancelling one.
import { lang, t } from '../i18n.js';
import { h, label, link, notice, screen } from '../ui.js';
import { OfflineError, request } from '../api.js';
import { placeSection } from './place.js';

const Q = self.ddgQueue;
const API = '/api/station-scheduling';
const SEND_WAIT_MS = 8000;
let flash = null; // a message for the next drawing of the screen (after booking or cancelling)
let mine = new Map(); // session id -> my open booking there (confirmed or waitlisted), as last read
const OPEN = ['confirmed', 'waitlisted'];

const clock = (iso) => new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hour12: false,
}).format(new Date(iso));
const chinaToday = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
const day = (iso) => new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'zh-CN', {
  timeZone: 'Asia/Shanghai', weekday: 'short', month: lang === 'en' ? 'short' : 'long', day: 'numeric',
}).format(new Date(iso));
/** 12月1日周二 09:00–11:00 (China time): the day and hours a villager plans by. */
const when = (session) => `${day(session.starts_at)} ${clock(session.starts_at)}–${clock(session.ends_at)}`;

/** The stations that serve this place, nearest first: its village's area station, its township's, the main one. */
async function stationsFor(place) {
  const { data } = await request('GET', `${API}/stations?limit=200`);
  const rank = (station) => {
    if (station.tier === 'area') return station.served_grid_ids.includes(place.village.id) ? 0 : null;
    if (station.tier === 'township') return station.township_grid_id === place.township.id ? 1 : null;
    return 2;
  };
  return data.items.map((station) => [rank(station), station]).filter(([rank]) => rank !== null)
    .sort((a, b) => a[0] - b[0]).map(([, station]) => station);
}

async function upcoming(station) {
  const query = `station_id=${station.id}&status=scheduled&date_from=${chinaToday()}&limit=20`;
  const { data } = await request('GET', `${API}/sessions?${query}`);
  return data.items.filter((session) => new Date(session.ends_at) > new Date());
}

function venue(session, station) {
  if (session.mode === 'online') return t('book.online', { url: session.meeting_url || '' });
  return session.mode === 'outside' ? session.place : station.address;
}

function places(session) {
  const left = session.capacity - session.confirmed;
  if (left > 0) return t('book.left', { n: left });
  return session.waitlisted ? `${t('book.full')} ${t('book.waitingCount', { n: session.waitlisted })}` : t('book.full');
}

async function book(app, session, station, topic, error, button) {
  const account = await Q.freshSession();
  if (!Q.sessionUsable(account)) { app.go('/signin?next=/book'); return; }
  button.disabled = true;
  const command = await Q.enqueue('booking.create', { topic, waitlist: true }, {
    target: { sessionId: session.id }, subject: account.subject, meta: { when: `${when(session)} ${station.name}` },
  });
  const result = await Promise.race([Q.sendNow(command.id), new Promise((resolve) => setTimeout(resolve, SEND_WAIT_MS))]);
  if (result && result.state === 'attention' && result.record.status === 409) {
    // Booked already, or the session no longer takes bookings: nothing the villager can fix by sending again,
    // so it is not left among the things that need their attention; the screen says what is so.
    await Q.discard(command.id);
    await refused(app, session);
    return;
  }
  if (result && result.state === 'attention') {
    const problem = result.record.problem || {};
    error.textContent = `${t(`problem.${result.record.status}`)} ${problem.detail || ''}`.trim();
    button.disabled = false;
    return;
  }
  if (result && result.state === 'sent') {
    const answer = result.record.result;
    flash = answer.status === 'confirmed'
      ? notice('ok', h('p', { id: 'booking-result' }, t('book.confirmed', { when: when(session), station: station.name })))
      : notice('waiting', h('p', { id: 'booking-result' }, t('book.waitlisted', { n: answer.place })));
  } else {
    flash = notice('waiting', h('p', { id: 'booking-result' }, t('book.waitingToSend')));
  }
  app.refresh();
}

/** A booking refused as one already made, or at a session closed to bookings: say which, then redraw. */
async function refused(app, session) {
  await readMine();
  flash = notice('waiting', h('p', { id: 'booking-result' },
    mine.has(session.id) ? t('book.already', { when: when(session) }) : t('book.closed')));
  app.refresh();
}

/** "Cancel my booking": asks first, then cancels online (a cancellation is not queued). */
function cancelButton(app, booking, words = 'book.cancel') {
  return h('button', {
    type: 'button', class: 'btn ghost', onclick: async (event) => {
      if (!window.confirm(t('book.cancelSure'))) return;
      event.target.disabled = true;
      try {
        await request('POST', `${API}/bookings/${booking.id}/cancel`, { auth: true });
        flash = notice('ok', h('p', {}, t('book.cancelled')));
      } catch (failure) {
        flash = notice('error', h('p', {}, failure instanceof OfflineError ? t('book.cancelOffline') : failure.message));
      }
      app.refresh();
    },
  }, t(words));
}

/** My open bookings by session, read again; an empty map when they cannot be read. */
async function readMine() {
  try {
    const { data } = await request('GET', `${API}/bookings/mine?limit=50`, { auth: true });
    mine = new Map(data.items.filter((booking) => OPEN.includes(booking.status)).map((booking) => [booking.session_id, booking]));
    return data.items;
  } catch (failure) {
    mine = new Map();
    return null;
  }
}

/** Bookings the queue sent while the screen was closed and the server refused as made already: not left as
 * something to act on. */
async function dropRefusedBookings() {
  for (const record of await Q.attention()) {
    if (record.op === 'booking.create' && record.status === 409) await Q.discard(record.id);
  }
}

function sessionItem(app, session, station, signedIn) {
  const error = h('p', { class: 'field-error', role: 'alert' });
  const topic = h('textarea', { id: `topic-${session.id}`, name: 'topic', rows: '3', maxlength: '200' });
  const submit = h('button', { type: 'submit', class: 'btn primary wide' }, t('book.confirm'));
  const form = h('form', {
    class: 'book-form', hidden: true, novalidate: true, onsubmit: (event) => {
      event.preventDefault();
      if (!topic.value.trim()) { error.textContent = t('book.topicMissing'); topic.focus(); return; }
      book(app, session, station, topic.value.trim(), error, submit);
    },
  }, h('div', { class: 'field' }, h('label', { for: `topic-${session.id}` }, t('book.topic')), topic), error, submit);
  const open = signedIn
    ? h('button', {
      type: 'button', class: 'btn secondary wide book-open',
      onclick: () => { form.hidden = false; open.hidden = true; topic.focus(); },
    }, t('book.book'))
    : link('/signin?next=/book', { class: 'btn secondary wide' }, t('book.signinToBook'));
  const deputies = session.deputies.map((deputy) => deputy.name).join('、');
  const booked = signedIn && mine.get(session.id);
  return h('li', { class: 'item session', 'data-session-id': session.id },
    h('strong', {}, when(session)),
    h('p', {}, session.topic),
    h('p', { class: 'meta' }, t('book.where', { place: venue(session, station) })),
    deputies ? h('p', { class: 'meta' }, t('book.deputies', { names: deputies })) : null,
    h('p', { class: 'places' }, places(session)),
    ...(booked ? [h('p', { class: 'badge booked-here' }, t('book.bookedHere', { status: bookingStatus(booked) })), cancelButton(app, booked, 'book.cancelMine')]
      : [open, form]));
}

async function stationBlock(app, station, signedIn) {
  let sessions;
  try {
    sessions = await upcoming(station);
  } catch (failure) {
    sessions = null;
  }
  return h('section', { class: 'station' },
    h('h2', {}, station.name),
    h('p', { class: 'meta' }, `${station.address} · ${station.opening_hours}`),
    sessions === null ? notice('offline', t('book.offline'))
      : sessions.length ? h('ul', { class: 'items' }, sessions.map((session) => sessionItem(app, session, station, signedIn)))
        : h('p', {}, t('book.none')));
}

function bookingStatus(booking) {
  if (booking.status === 'waitlisted') return t('book.status.waitlisted', { n: booking.place });
  return label('book.status', booking.status);
}

async function myBookings(app) {
  const all = await readMine();
  if (all === null) return notice('offline', t('book.mineOffline'));
  const open = all.filter((booking) => [...OPEN, 'session_cancelled'].includes(booking.status));
  if (!open.length) return null;
  const items = await Promise.all(open.map(async (booking) => {
    const session = await request('GET', `${API}/sessions/${booking.session_id}`).then(({ data }) => data, () => null);
    const cancel = OPEN.includes(booking.status) ? cancelButton(app, booking) : null;
    return h('li', { class: 'item booking', 'data-booking-id': booking.id },
      h('strong', {}, session ? when(session) : ''),
      h('p', {}, booking.topic),
      h('p', { class: 'badge' }, bookingStatus(booking)),
      booking.notice ? h('p', { class: 'meta' }, booking.notice) : null,
      cancel);
  }));
  return h('section', { class: 'my-bookings', 'aria-labelledby': 'b-mine' },
    h('h2', { id: 'b-mine' }, t('book.mine')), h('ul', { class: 'items' }, items));
}

export async function bookingScreen(app) {
  const session = await Q.freshSession();
  const signedIn = Q.sessionUsable(session) && (session.roles || []).includes('villager');
  if (signedIn) await dropRefusedBookings();
  else mine = new Map();
  const message = flash;
  flash = null;
  return screen(t('book.title'),
    message,
    h('p', { class: 'lead' }, t('book.lead')),
    signedIn ? await myBookings(app) : notice('waiting', h('p', {}, t('book.signinFirst'), ' ',
      link('/signin?next=/book', { class: 'link-target' }, t('book.signinLink')))),
    placeSection(app, 'village', async (place) => {
      const stations = await stationsFor(place);
      return h('div', {}, ...(await Promise.all(stations.map((station) => stationBlock(app, station, signedIn)))));
    }),
    h('p', { class: 'meta' }, t('time.note')));
}
