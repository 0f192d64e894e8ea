// The village board (村务公开): how the village's cases are answered (figures and the public cases, never a name,
// a phone number or what was written) and the village's livelihood micro-projects (民生微实事) with their money.
import { t } from '../i18n.js';
import { formatTime, h, label, link, notice, screen } from '../ui.js';
import { request } from '../api.js';
import { placeSection } from './place.js';

const SOLVED = new Set(['resolved', 'closed']); // a reopened case's old resolution is not news
const percent = (rate) => (rate == null ? '—' : `${Math.round(rate * 100)}%`);
const yuan = (amount) => `¥${Number(amount).toLocaleString('en-US', { maximumFractionDigits: 0 })}`;

function figures(stats) {
  const figure = (value, key) => h('div', { class: 'figure' }, h('strong', {}, String(value)), h('span', {}, t(key)));
  return h('div', { class: 'figures', id: 'board-figures' },
    figure(stats.cases, 'board.cases'),
    figure(stats.open, 'board.open'),
    figure(percent(stats.response_rate), 'board.responseRate'),
    figure(percent(stats.resolution_rate), 'board.resolutionRate'),
    figure(percent(stats.satisfaction_rate), 'board.satisfactionRate'),
    figure(stats.median_days_to_resolve == null ? '—' : stats.median_days_to_resolve.toFixed(1), 'board.medianDays'));
}

function caseItem(item) {
  return h('li', { class: 'item' },
    h('div', { class: 'case-head' }, h('strong', {}, `${label('kind', item.kind)} · ${label('category', item.category)}`),
      h('span', { class: 'badge' }, label('state', item.status))),
    h('p', { class: 'meta' }, `${item.grid_name} · ${formatTime(item.submitted_at)}`),
    item.supporters ? h('p', { class: 'meta' }, t('board.supporters', { n: item.supporters })) : null,
    item.resolution && SOLVED.has(item.status) ? h('p', { class: 'pre' }, t('board.resolution', { text: item.resolution })) : null);
}

function projectItem(project) {
  return h('li', { class: 'item project' },
    h('div', { class: 'case-head' }, h('strong', {}, project.title), h('span', { class: 'badge' }, label('project', project.status))),
    h('p', {}, project.description),
    project.status === 'in_notice' && project.notice_ends_at
      ? h('p', { class: 'meta' }, t('board.noticeUntil', { time: formatTime(project.notice_ends_at) })) : null,
    h('p', { class: 'meta' }, t('board.money', { budget: yuan(project.budget), spent: yuan(project.spent) })),
    h('div', {
      class: 'progress', role: 'progressbar', 'aria-label': t('board.progress'),
      'aria-valuenow': String(project.progress_percent), 'aria-valuemin': '0', 'aria-valuemax': '100',
    }, h('span', { class: 'fill', 'data-percent': String(project.progress_percent) })),
    h('p', { class: 'meta' }, t('board.progressText', {
      n: project.progress_percent, done: project.milestones_done, total: project.milestones_total,
    })),
    project.rating_average == null ? null
      : h('p', { class: 'meta' }, t('board.rating', { n: project.rating_average.toFixed(1), count: project.rating_count })));
}

async function villageBoard(place) {
  const village = place.village.id;
  const [stats, cases, projects] = await Promise.all([
    request('GET', `/api/case-intake/board/${village}/stats`),
    request('GET', `/api/case-intake/board/${village}/cases?limit=20`),
    request('GET', `/api/micro-funding/public/villages/${village}/projects?limit=20`).catch(() => null),
  ]);
  const list = h('div', {},
    stats.cachedAt ? notice('offline', t('track.cached', { time: formatTime(stats.cachedAt) })) : null,
    h('h2', {}, t('board.figures')), figures(stats.data),
    h('p', { class: 'meta' }, t('board.figuresNote')),
    h('h2', {}, t('board.projects')),
    !projects ? notice('offline', t('board.projectsOffline'))
      : projects.data.items.length ? h('ul', { class: 'items', id: 'board-projects' }, projects.data.items.map(projectItem))
        : h('p', {}, t('board.noProjects')),
    h('h2', {}, t('board.publicCases', { n: cases.data.total })),
    cases.data.items.length ? h('ul', { class: 'items', id: 'board-cases' }, cases.data.items.map(caseItem))
      : h('p', {}, t('board.noCases')),
    h('p', { class: 'meta' }, t('board.privacy')));
  // A progress bar's width from its data (the CSP allows no inline style attribute; CSSOM is fine).
  for (const bar of list.querySelectorAll('.progress .fill')) bar.style.width = `${bar.dataset.percent}%`;
  return list;
}

export function boardScreen(app) {
  return screen(t('board.title'), h('p', { class: 'lead' }, t('board.lead')), placeSection(app, 'village', villageBoard));
}

/** One micro-project's public page (/projects/<id>): what the villagers whose cases it answers are linked to. */
export async function projectScreen(app, id) {
  let body;
  try {
    const { data, cachedAt } = await request('GET', `/api/micro-funding/public/projects/${encodeURIComponent(id)}`);
    const item = projectItem(data);
    for (const bar of item.querySelectorAll('.progress .fill')) bar.style.width = `${bar.dataset.percent}%`;
    body = [cachedAt ? notice('offline', t('track.cached', { time: formatTime(cachedAt) })) : null,
      h('ul', { class: 'items', id: 'project-page' }, item)];
  } catch (failure) {
    body = notice(failure.status === 404 || failure.status === 422 ? 'error' : 'offline',
      t(failure.status === 404 || failure.status === 422 ? 'project.notFound' : 'project.offline'));
  }
  return screen(t('project.title'), body, link('/board', { class: 'btn ghost wide' }, t('board.title')));
}
