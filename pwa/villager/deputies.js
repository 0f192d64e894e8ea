// My grid's deputies: who answers for the villager's group (its running assignments) and their public profiles
// (name, level, electoral district, organisation; never a phone number or a home: the deputy service gives
// villagers and the public only the public view).
import { t } from '../i18n.js';
import { h, label, link, notice, screen } from '../ui.js';
import { request } from '../api.js';
import { placeSection } from './place.js';

const ROLE_ORDER = { grid_head: 0, member: 1 };

function deputyCard(assignment, deputy) {
  return h('li', { class: 'item deputy-card', 'data-deputy-id': deputy.id },
    // The role is a fact, not an action: plain text, never styled like a button (the public profile has no
    // contact to call; the ways to reach a deputy are the buttons below the list: report, or book a reception).
    h('strong', { class: 'deputy-name' }, deputy.name),
    h('p', { class: 'meta deputy-role' }, t('deputies.roleLine', { role: label('deputies.role', assignment.role) })),
    h('p', {}, label('deputies.level', deputy.level)),
    deputy.district ? h('p', { class: 'meta' }, t('deputies.district', { district: deputy.district })) : null,
    deputy.organisation ? h('p', { class: 'meta' }, deputy.organisation) : null,
    deputy.council_member ? h('p', { class: 'meta' }, t('deputies.council')) : null,
    h('p', { class: 'meta' }, label('deputies.basis', assignment.basis)));
}

async function groupDeputies(place) {
  const { data } = await request('GET', `/api/grid/assignments?grid_id=${place.group.id}&active=true&limit=50`);
  const assignments = [...data.items].sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role]);
  const people = await Promise.all(assignments.map((assignment) => request('GET', `/api/deputy/deputies/${assignment.deputy_id}`)
    .then(({ data: deputy }) => [assignment, deputy], () => null)));
  const found = people.filter(Boolean);
  return h('div', {},
    found.length ? h('ul', { class: 'items', id: 'deputy-list' }, found.map(([assignment, deputy]) => deputyCard(assignment, deputy)))
      : notice('waiting', h('p', {}, t('deputies.none'))),
    h('p', {}, t('deputies.how')),
    h('div', { class: 'row' },
      link('/file/1', { class: 'btn primary' }, t('home.file')),
      link('/book', { class: 'btn secondary' }, t('home.book'))));
}

export function deputiesScreen(app) {
  return screen(t('deputies.title'), h('p', { class: 'lead' }, t('deputies.lead')), placeSection(app, 'group', groupDeputies));
}
