// The office's dashboard for this year (China time): the city's cases — by state, kind and township, with the
// response, resolution and satisfaction rates, the overdue and the median time to resolve, all from one request
// to the case service's statistics — the deputies' five ones, the stations' receptions and the deputies' duty
// figures, each an inline SVG bar chart; and the spreadsheets behind them (Excel or CSV, pwa/work/exports.js).
import { h, notice } from '../ui.js';
import { request } from '../api.js';
import { bars } from './charts.js';
import { exportCard } from './exports.js';
import { kindName, page, readAll, stateName } from './common.js';
import { chinaDay, percent, t } from './text.js';

const STATES = ['assigned', 'accepted', 'in_progress', 'referred', 'mediating', 'escalated', 'reopened', 'returned', 'submitted',
  'resolved', 'closed', 'rejected', 'withdrawn', 'merged'];
const KINDS = ['request', 'dispute', 'suggestion', 'opinion'];
const DUTY = ['suggestions', 'disputes_mediated', 'households_supported', 'livelihood_matters', 'visitors_received', 'issues_resolved'];

const read = (url) => request('GET', url, { auth: true }).then(({ data }) => data);

export async function dashboardScreen(ctx) {
  const year = chinaDay().slice(0, 4);
  const from = `${year}-01-01`;
  const to = chinaDay();
  const settle = (work) => work.then((value) => ({ value }), () => ({ value: null }));
  const [cases, five, stations, duty] = await Promise.all([
    settle(read(`/api/case-intake/statistics?date_from=${from}&date_to=${to}`)),
    settle(Promise.all([read('/api/deputy/deputies?status=active&limit=1'), readAll(`/api/deputy/five-ones/behind?year=${year}`)])),
    settle(readAll(`/api/station-scheduling/statistics?date_from=${from}&date_to=${to}`)),
    settle(read(`/api/deputy/statistics?date_from=${from}&date_to=${to}`)),
  ]);
  const missing = () => notice('error', t('office.dash.missing'));
  return page(ctx, t('office.dash.title'),
    h('p', { class: 'lead' }, t('office.dash.period', { from, to })),
    cases.value ? headline(cases.value) : missing(),
    h('h2', {}, t('office.dash.cases')),
    ...(cases.value ? caseCharts(cases.value) : [missing()]),
    h('h2', {}, t('office.dash.deputies')),
    five.value ? fiveOnes(...five.value) : missing(),
    duty.value ? bars(t('office.dash.duty'), DUTY.map((key) => ({ label: t(`office.dash.duty.${key}`), value: duty.value.total[key] })), { id: 'chart-duty', tone: 'blue' }) : missing(),
    h('h2', {}, t('office.dash.stations')),
    stations.value ? stationChart(stations.value.items) : missing(),
    h('p', { class: 'meta' }, t('office.dash.note')),
    exportCard(t('office.dash.exports'), [
      ['statistics', t('office.dash.export.statistics'), `/api/deputy/exports/statistics?date_from=${from}&date_to=${to}`],
      ['five-ones', t('office.dash.export.fiveOnes'), `/api/deputy/exports/five-ones?year=${year}`],
      ['cases', t('office.dash.export.cases'), '/api/case-intake/exports/cases'],
      ['receptions', t('office.dash.export.receptions'), `/api/station-scheduling/exports/receptions?date_from=${from}&date_to=${to}`],
      ['ledger', t('office.dash.export.ledger'), '/api/micro-funding/exports/ledger'],
    ]));
}

function figure(id, value, words) {
  return h('div', { class: 'figure', id }, h('strong', {}, String(value)), h('span', {}, words));
}

function headline(stats) {
  return h('div', { class: 'figures', id: 'figures' },
    figure('fig-cases', stats.cases, t('office.dash.fig.cases')),
    figure('fig-open', stats.open, t('office.dash.fig.open')),
    figure('fig-resolved', stats.resolved, t('office.dash.fig.resolved')),
    figure('fig-closed', stats.by_status.closed, t('office.dash.fig.closed')),
    figure('fig-overdue', stats.overdue, t('office.dash.fig.overdue')),
    figure('fig-returned', stats.by_status.returned, t('office.dash.fig.returned')));
}

/** The city's rates, then the cases by state, kind and township. */
function caseCharts(stats) {
  const rate = (key) => ({ label: t(`office.dash.rate.${key}`), value: stats[`${key}_rate`] ?? 0, text: percent(stats[`${key}_rate`]) });
  const hours = stats.median_hours_to_resolve;
  return [
    bars(t('office.dash.rates'), ['response', 'resolution', 'satisfaction'].map(rate), { max: 1, id: 'chart-rates', tone: 'green' }),
    h('p', { class: 'meta', id: 'rates-note' }, hours == null ? t('office.dash.ratesNoneResolved', { rated: stats.rated })
      : t('office.dash.ratesNote', { rated: stats.rated, hours: Math.max(1, Math.ceil(hours)) })),
    bars(t('office.dash.byState'), STATES.map((state) => ({ label: stateName(state), value: stats.by_status[state] }))
      .filter((row) => row.value), { id: 'chart-states' }),
    bars(t('office.dash.byKind'), KINDS.map((kind) => ({ label: kindName(kind), value: stats.by_kind[kind] })), { id: 'chart-kinds', tone: 'blue' }),
    townshipCharts(stats.by_township),
  ];
}

function townshipCharts(rows) {
  const named = (key, format) => rows.map((row) => ({ label: row.grid_name, value: row[key] ?? 0, text: format(row[key]) }));
  return h('div', { class: 'charts' },
    bars(t('office.dash.byTownship'), rows.map((row) => ({ label: row.grid_name, value: row.cases, text: t('office.dash.openOf', { n: row.cases, open: row.open }) })), { id: 'chart-townships' }),
    bars(t('office.dash.response'), named('response_rate', percent), { max: 1, id: 'chart-response', tone: 'blue' }),
    bars(t('office.dash.resolution'), named('resolution_rate', percent), { max: 1, id: 'chart-resolution', tone: 'green' }),
    bars(t('office.dash.satisfaction'), named('satisfaction_rate', percent), { max: 1, id: 'chart-satisfaction', tone: 'green' }));
}

function fiveOnes(active, behind) {
  const complete = Math.max(0, active.total - behind.total);
  const rows = [5, 4, 3, 2, 1, 0].map((done) => ({
    label: t('office.dash.fiveDone', { n: done }),
    value: done === 5 ? complete : behind.items.filter((item) => item.done === done).length,
  }));
  return h('div', {},
    h('div', { class: 'figures' }, figure('fig-five', percent(active.total ? complete / active.total : null), t('office.dash.fig.five'))),
    bars(t('office.dash.five'), rows, { max: active.total, id: 'chart-five', tone: 'blue' }));
}

function stationChart(items) {
  const rows = items.filter((item) => item.sessions_held || item.visitors || item.issues_raised);
  if (!rows.length) return h('p', { class: 'meta', id: 'chart-stations' }, t('office.dash.noReceptions'));
  const cell = (tag, ...text) => h(tag, {}, ...text);
  return h('div', {},
    bars(t('office.dash.receptions'), rows.map((item) => ({ label: item.station_name, value: item.visitors })), { id: 'chart-stations' }),
    h('table', { class: 'figures-table' }, h('caption', {}, t('office.dash.receptionTable')),
      h('thead', {}, h('tr', {}, ...['station', 'held', 'raised', 'resolved'].map((key) => cell('th', t(`office.dash.col.${key}`))))),
      h('tbody', {}, rows.map((item) => h('tr', {}, cell('th', item.station_name), cell('td', item.sessions_held),
        cell('td', item.issues_raised), cell('td', item.resolved))))));
}
