// Coverage of the grid (全覆盖): how many group grids have a deputy answering for them, township by township,
// the townships without a grid head, and each uncovered group with the deputies suggested for it — the office
// assigns one with a tap (POST /api/grid/assignments).
import { h, notice } from '../ui.js';
import { gridChildren, request } from '../api.js';
import { bars } from './charts.js';
import { cachedNotice, failed, page, readAll } from './common.js';
import { outcomeNotice, pending, pendingSection, post } from './outbox.js';
import { chinaDay, percent, t } from './text.js';

let flash = null;

export async function coverageScreen(ctx) {
  let city;
  let townships;
  let groups;
  let villages;
  try {
    const list = await gridChildren('township');
    [city, groups, villages, ...townships] = await Promise.all([
      request('GET', '/api/grid/coverage?limit=50', { auth: true }),
      readAll('/api/grid/grids?level=group'),
      readAll('/api/grid/grids?level=village'),
      ...list.map((grid) => request('GET', `/api/grid/coverage?limit=1&township_id=${grid.id}`, { auth: true })
        .then(({ data }) => ({ grid, uncovered: data.total }))),
    ]);
  } catch (failure) {
    return failed(ctx, failure, t('office.coverage.title'));
  }
  const townshipOf = new Map(villages.items.map((village) => [village.id, village.parent_id]));
  const groupsIn = (id) => groups.items.filter((group) => townshipOf.get(group.parent_id) === id).length;
  const report = city.data;
  const queued = await pending((meta) => meta.kind === 'assignment');
  const said = flash;
  flash = null;
  const done = async (result) => { flash = outcomeNotice(result); await ctx.app.refresh(); };
  return page(ctx, t('office.coverage.title'),
    said ? h('div', { role: 'status' }, notice(said.kind, said.text)) : null,
    cachedNotice(city.cachedAt),
    pendingSection(queued, () => ctx.app.refresh()),
    h('div', { class: 'figures', id: 'coverage-figures' },
      h('div', { class: 'figure', id: 'fig-covered' }, h('strong', {}, `${report.groups_covered}/${report.groups_total}`), h('span', {}, t('office.coverage.covered'))),
      h('div', { class: 'figure' }, h('strong', {}, percent(report.groups_total ? report.groups_covered / report.groups_total : null)), h('span', {}, t('office.coverage.share')))),
    bars(t('office.coverage.byTownship'), townships.map(({ grid, uncovered }) => {
      const all = groupsIn(grid.id);
      return { label: grid.name, value: all ? (all - uncovered) / all : 0, text: `${all - uncovered}/${all}` };
    }), { max: 1, id: 'chart-coverage', tone: 'green' }),
    report.townships_without_head.length
      ? notice('error', t('office.coverage.noHead', { names: report.townships_without_head.map((grid) => grid.name).join('、') }))
      : h('p', { class: 'meta' }, t('office.coverage.allHeads')),
    h('h2', {}, t('office.coverage.uncovered', { n: report.total })),
    report.items.length ? h('ul', { class: 'items', id: 'uncovered' }, report.items.map((item) => uncovered(ctx, item, done)))
      : h('p', { class: 'lead' }, t('office.coverage.none')));
}

function uncovered(ctx, item, done) {
  return h('li', { class: 'item' },
    h('strong', {}, item.grid.name, ' · ', item.grid.code),
    item.district ? h('p', { class: 'meta' }, item.district) : null,
    h('p', {}, t('office.coverage.suggested')),
    h('ul', { class: 'choices' }, item.suggestions.map((one) => h('li', {},
      h('span', {}, `${one.name}（${one.code}）· ${t(`office.coverage.reason.${one.reason}`)}`,
        one.distance_m != null ? ` · ${(one.distance_m / 1000).toFixed(1)} km` : '', ' · ', t('office.coverage.load', { n: one.active_assignments })),
      ctx.isOffice ? h('button', {
        type: 'button', class: 'btn secondary', onclick: async (event) => {
          event.target.disabled = true;
          const { result } = await post('/api/grid/assignments', {
            grid_id: item.grid.id, deputy_id: one.deputy_id, role: 'member',
            basis: one.reason === 'same_district' ? 'electoral_district' : 'proximity', starts_on: chinaDay(),
          }, { label: 'office.coverage.queued', params: { name: one.name, grid: item.grid.name }, kind: 'assignment' });
          await done(result);
        },
      }, t('office.coverage.assign')) : null))));
}
