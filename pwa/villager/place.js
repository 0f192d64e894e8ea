// Choosing a place: the township → village → group pickers (from the copy of the grid kept on the phone) and
// "use my location" (the phone's position → GET /api/grid/resolve → the group, its village and township).
import { t } from '../i18n.js';
import { h, notice } from '../ui.js';
import { ApiError, OfflineError, atlasGrid, gridChildren, request } from '../api.js';

export const LEVELS = ['township', 'village', 'group'];
/** Case intake refuses a point farther than this from every group (its policy MAX_POINT_DISTANCE_M, 5 km): a
 * "nearest group" beyond it is not the villager's place, however near it is to the point. */
export const MAX_POINT_DISTANCE_M = 5000;

/** Pickers down to `depth` ('village' or 'group') that edit `place` ({township, village, group}, each
 * {id, name} or null) in place; onChange(place, byUser) after every choice and after loading. reload() redraws
 * them from `place`. */
export function placePicker(place, { depth = 'group', onChange = () => {} } = {}) {
  const levels = LEVELS.slice(0, LEVELS.indexOf(depth) + 1);
  const error = h('p', { class: 'field-error', role: 'alert' });
  const selects = {};
  const fields = {};
  let generation = 0; // a newer reload wins over one still waiting for the network
  for (const level of levels) {
    selects[level] = h('select', { id: level, name: level, onchange: () => choose(level) });
    fields[level] = h('div', { class: 'field', hidden: level !== 'township' },
      h('label', { for: level }, t(`file.3.${level}`)), selects[level]);
  }

  async function fill(level, parentId, mine) {
    const select = selects[level];
    fields[level].hidden = false;
    select.disabled = true;
    select.replaceChildren(h('option', { value: '' }, t('file.3.loading')));
    try {
      const grids = await gridChildren(level, parentId);
      if (mine !== generation) return false;
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
      if (mine !== generation) return false;
      select.replaceChildren(h('option', { value: '' }, '—'));
      error.textContent = failure instanceof OfflineError ? t('file.3.offline') : failure.message;
    }
    return false;
  }

  function clearBelow(level) {
    for (const lower of levels.slice(levels.indexOf(level) + 1)) {
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
    onChange(place, true);
    const next = levels[levels.indexOf(level) + 1];
    if (place[level] && next) await fill(next, place[level].id, generation);
  }

  async function reload() {
    const mine = ++generation;
    for (const [index, level] of levels.entries()) {
      const known = await fill(level, index ? place[levels[index - 1]].id : null, mine);
      if (mine !== generation) return;
      if (!known) { clearBelow(level); break; }
    }
    onChange(place, false);
  }

  reload();
  return { element: h('div', { class: 'picker' }, ...levels.map((level) => fields[level]), error), error, reload };
}

/* ---- the phone's position ---- */

function position() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) { reject(Object.assign(new Error('none'), { code: 2 })); return; }
    navigator.geolocation.getCurrentPosition(resolve, reject, { enableHighAccuracy: true, timeout: 20000, maximumAge: 120000 });
  });
}

async function gridOf(id) {
  const known = atlasGrid(id);
  if (known) return known;
  const { data } = await request('GET', `/api/grid/grids/${encodeURIComponent(id)}`);
  return { id: data.id, name: data.name, level: data.level, parentId: data.parent_id };
}

/** The group at a point, with its village and township: {township, village, group, method, distance}. */
export async function resolvePoint(lat, lon) {
  const { data } = await request('GET', `/api/grid/resolve?lat=${lat}&lon=${lon}`);
  const found = { method: data.method, distance: Math.round(data.distance_m || 0) };
  found.group = { id: data.grid.id, name: data.grid.name };
  const village = await gridOf(data.grid.parent_id);
  found.village = { id: village.id, name: village.name };
  const township = await gridOf(village.parentId);
  found.township = { id: township.id, name: township.name };
  return found;
}

/** A group's place, {township, village, group} each {id, name}, from the grid's id alone (a poster's link):
 * the atlas on the phone when it knows the group, else the grid API; rejects for a grid that is not a group. */
export async function groupPlace(id) {
  const group = await gridOf(id);
  if (group.level !== 'group') throw new ApiError(404, { detail: 'not a group' });
  const village = await gridOf(group.parentId);
  const township = await gridOf(village.parentId);
  return {
    township: { id: township.id, name: township.name },
    village: { id: village.id, name: village.name },
    group: { id: group.id, name: group.name },
  };
}

/** "Use my location": fills `place` with the group found (online) or keeps the point (offline), then onPlace(). */
export function locateButton(place, onPlace, { pickers = () => null } = {}) {
  const status = h('div', { class: 'locate-status', role: 'status', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', class: 'btn secondary wide', id: 'locate', onclick: locate }, '📍 ' + t('where.locate'));

  const say = (kind, text) => status.replaceChildren(notice(kind, h('p', {}, text)));

  async function locate() {
    button.disabled = true;
    say('waiting', t('where.locating'));
    try {
      let point;
      try {
        const found = await position();
        point = { lat: Number(found.coords.latitude.toFixed(6)), lon: Number(found.coords.longitude.toFixed(6)) };
      } catch (failure) {
        say('error', t(failure.code === 1 ? 'where.denied' : 'where.unavailable'));
        return;
      }
      await usePoint(point);
    } finally {
      button.disabled = false;
    }
  }

  async function usePoint(point) {
    try {
      if (!navigator.onLine) throw new OfflineError('offline');
      const found = await resolvePoint(point.lat, point.lon);
      if (found.method !== 'boundary' && found.distance > MAX_POINT_DISTANCE_M) {
        say('error', t('where.tooFar', { km: Math.round(found.distance / 1000) }));
        const first = pickers();
        if (first) first.focus();
        return; // nothing chosen: the villager picks the place below
      }
      Object.assign(place, { township: found.township, village: found.village, group: found.group, point: null });
      const names = [found.township.name, found.village.name, found.group.name].join(' / ');
      say('ok', found.method === 'boundary' ? t('where.found', { names })
        : t('where.nearest', { names, distance: found.distance }));
    } catch (failure) {
      if (failure instanceof OfflineError) {
        Object.assign(place, { point });
        say('waiting', t('where.pointKept'));
      } else {
        say('error', failure instanceof ApiError && failure.status === 404 ? t('where.outside') : failure.message);
        return;
      }
    }
    onPlace(place);
  }

  return h('div', { class: 'locate' }, button, status);
}

/* ---- a screen about the villager's place (board, deputies, booking) ---- */

const placeName = (place, depth) => LEVELS.slice(0, LEVELS.indexOf(depth) + 1).map((level) => place[level].name).join(' / ');

/** The saved place down to `depth`, with a button to change it (or the pickers when there is none), and
 * below it `content(place)`: an element, or a promise of one, for that place. */
export function placeSection(app, depth, content) {
  const head = h('div', { class: 'place-head' });
  const body = h('div', { class: 'place-body' });

  function showFor(place) {
    head.replaceChildren(h('p', { class: 'place-now' }, h('span', { class: 'meta' }, t(`place.yours.${depth}`)), ' ',
      h('strong', { id: 'place-name' }, placeName(place, depth))),
    h('button', { type: 'button', class: 'btn ghost', id: 'change-place', onclick: choose }, t('place.change')));
    body.replaceChildren(h('p', { class: 'meta' }, t('app.loading')));
    Promise.resolve(content(place)).then((element) => body.replaceChildren(element),
      (failure) => body.replaceChildren(notice('error', failure instanceof OfflineError ? t('place.offline') : failure.message)));
  }

  /** The pickers; with a place chosen before, "keep <place>" goes back to it unchanged. */
  function choose() {
    const before = { ...app.place() };
    const picker = placePicker({ ...before }, {
      depth,
      onChange: (chosen, byUser) => {
        if (byUser && chosen[depth]) { app.setPlace(chosen); showFor(chosen); }
      },
    });
    const back = before[depth] ? h('button', {
      type: 'button', class: 'btn ghost', id: 'keep-place', onclick: () => {
        showFor(before);
        const again = head.querySelector('#change-place');
        if (again) again.focus();
      },
    }, t('place.keep', { name: placeName(before, depth) })) : null;
    head.replaceChildren(h('p', { class: 'lead' }, t(`place.choose.${depth}`)), picker.element, back);
    body.replaceChildren();
  }

  const saved = app.place();
  if (saved[depth]) showFor(saved);
  else choose();
  return h('div', { class: 'place-section' }, head, body);
}
