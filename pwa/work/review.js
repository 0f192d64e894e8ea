// The office's review queues: cases returned by deputies (send them on to the right grid), overdue cases (督办),
// and micro-projects by stage with the step each stage waits for. Live while open.
import { formatTime, h, link, notice } from '../ui.js';
import { request } from '../api.js';
import { placePicker } from '../villager/place.js';
import { exportRow } from './exports.js';
import { actionForm, cachedNotice, deadlineLine, failed, field, input, kindLine, page, placeLine, select, stateName, textarea } from './common.js';
import { watchScreen } from './live.js';
import { outcomeNotice, pending, pendingSection, post } from './outbox.js';
import { t } from './text.js';

const STAGES = ['draft', 'submitted', 'screened', 'deliberated', 'in_notice', 'funded', 'in_progress', 'accepted', 'evaluated', 'published', 'rejected', 'withdrawn'];
let flash = null;
const QUEUES = { returned: 'status=returned', overdue: 'overdue=true&sort=due' }; // the lists' filters, for their exports

export async function reviewScreen(ctx) {
  const stage = new URLSearchParams(location.search).get('stage') || 'submitted';
  let returned;
  let overdue;
  let projects;
  try {
    [returned, overdue, projects] = await Promise.all([
      request('GET', `/api/case-intake/cases?${QUEUES.returned}&limit=50`, { auth: true }),
      request('GET', `/api/case-intake/cases?${QUEUES.overdue}&limit=50`, { auth: true }),
      request('GET', '/api/micro-funding/projects?limit=200', { auth: true }),
    ]);
  } catch (failure) {
    return failed(ctx, failure, t('office.review.title'));
  }
  const queued = await pending((meta) => meta.kind === 'review');
  const said = flash;
  flash = null;
  const done = async (result) => { flash = outcomeNotice(result); await ctx.app.refresh(); };
  const view = page(ctx, t('office.review.title'),
    said ? h('div', { role: 'status' }, notice(said.kind, said.text)) : null,
    cachedNotice(returned.cachedAt),
    pendingSection(queued, () => ctx.app.refresh()),
    h('nav', { class: 'jump', 'aria-label': t('office.review.sections') },
      h('a', { href: '#returned-title' }, t('office.review.returned', { n: returned.data.total })),
      h('a', { href: '#overdue-title' }, t('office.review.overdue', { n: overdue.data.total })),
      h('a', { href: '#projects-title' }, t('office.review.projects', { n: projects.data.total }))),
    caseQueue('returned', returned.data, (item) => dispatchForm(item, done)),
    caseQueue('overdue', overdue.data, (item) => escalateForm(item, done)),
    projectQueue(projects.data.items, stage, ctx, done));
  watchScreen(view, ctx);
  return view;
}

function caseQueue(name, found, form) {
  return h('section', { class: 'queue-section', 'aria-labelledby': `${name}-title` },
    h('h2', { id: `${name}-title` }, t(`office.review.${name}`, { n: found.total })),
    found.total ? exportRow(`review-${name}`, t('work.export.list'), `/api/case-intake/exports/cases?${QUEUES[name]}`) : null,
    found.items.length ? h('ul', { class: 'inbox', id: `${name}-list` }, found.items.map((item) => h('li', { class: `case ${name === 'overdue' ? 'overdue' : ''}`, 'data-case-id': item.id },
      link(`/office/case/${item.id}`, { class: 'case-link' },
        h('span', { class: 'case-head' }, h('span', { class: 'code small' }, item.tracking_code),
          item.escalation_level ? h('span', { class: 'badge danger' }, t('office.review.escalated', { n: item.escalation_level })) : null),
        h('span', { class: 'case-kind' }, `${kindLine(item)} · ${stateName(item.status)}`),
        h('span', { class: 'summary' }, item.description.slice(0, 100)),
        name === 'returned' ? h('span', { class: 'meta' }, t('office.review.why', { reason: lastReason(item) })) : deadlineLine(item, true),
        placeLine(item.grid_id)),
      form(item))))
      : h('p', { class: 'meta' }, t('office.review.empty')));
}

const lastReason = (item) => (item.timeline.length ? item.timeline[item.timeline.length - 1].reason : '');

const caseAction = (item, name, body, done) => post(`/api/case-intake/cases/${item.id}/${name}`, body,
  { label: `deputy.act.${name}`, params: { code: item.tracking_code }, caseId: item.id, kind: 'review' }).then(({ result }) => done(result));

function dispatchForm(item, done) {
  const box = h('details', { class: 'action' }, h('summary', {}, t('office.review.dispatch')));
  box.addEventListener('toggle', () => {
    if (!box.open || box.children.length > 1) return;
    const place = {};
    const picker = placePicker(place);
    const note = textarea(`dispatch-note-${item.id}`, { maxlength: '400', rows: '2' });
    box.append(actionForm('dispatch', [picker.element, field(t('office.review.note'), note)],
      () => (place.group ? '' : t('file.3.missing')),
      () => ({ grid_id: place.group.id, note: note.value.trim() }), (body) => caseAction(item, 'dispatch', body, done)));
  });
  return box;
}

function escalateForm(item, done) {
  const box = h('details', { class: 'action' }, h('summary', {}, t('deputy.act.escalate.button')));
  box.addEventListener('toggle', () => {
    if (!box.open || box.children.length > 1) return;
    const reason = textarea(`escalate-reason-${item.id}`, { maxlength: '400', rows: '2' });
    box.append(actionForm('escalate', [field(t('deputy.act.escalate.reason'), reason)],
      () => (reason.value.trim() ? '' : t('work.required')), () => ({ reason: reason.value.trim() }),
      (body) => caseAction(item, 'escalate', body, done)));
  });
  return box;
}

/** The step a stage waits for: [path, who may take it, the form's controls and body]. */
const STEPS = {
  submitted: ['screening', 'station_staff', () => {
    const decision = select('step-decision', [['pass', t('office.step.pass')], ['reject', t('office.step.reject')]], 'pass');
    const note = textarea('step-note', { maxlength: '1000', rows: '2' });
    return [[field(t('office.step.decision'), decision), field(t('office.review.note'), note)], () => ({ decision: decision.value, note: note.value.trim() })];
  }],
  screened: ['deliberation', 'npc_office', () => {
    const review = textarea('step-review', { maxlength: '4000', rows: '3' });
    const votes = ['for', 'against', 'abstain'].map((name) => input(`step-${name}`, { type: 'number', min: '0', value: '0', inputmode: 'numeric' }));
    return [[field(t('office.step.review'), review), h('div', { class: 'trio' }, ...votes.map((one, i) => field(t(`office.step.votes.${i}`), one)))],
      () => ({ review: review.value.trim() || '-', votes_for: Number(votes[0].value), votes_against: Number(votes[1].value), votes_abstain: Number(votes[2].value) })];
  }],
  deliberated: ['notice', 'npc_office', () => {
    const days = input('step-days', { type: 'number', min: '1', max: '60', value: '7', inputmode: 'numeric' });
    return [[field(t('office.step.days'), days)], () => ({ days: Number(days.value) })];
  }],
  in_notice: ['approval', 'npc_office', noteStep],
  in_progress: ['acceptance', 'station_staff', () => {
    const report = textarea('step-report', { maxlength: '4000', rows: '3' });
    return [[field(t('office.step.report'), report)], () => ({ report: report.value.trim() || '-' })];
  }],
  evaluated: ['publication', 'npc_office', noteStep],
};

function noteStep() {
  const note = textarea('step-note', { maxlength: '1000', rows: '2' });
  return [[field(t('office.review.note'), note)], () => ({ note: note.value.trim() })];
}

function projectQueue(items, stage, ctx, done) {
  const counts = STAGES.map((name) => ({ name, value: items.filter((item) => item.status === name).length }));
  const chosen = items.filter((item) => item.status === stage);
  const step = STEPS[stage];
  const mayStep = step && (ctx.session.roles.includes(step[1]) || (step[1] === 'station_staff' && ctx.isOffice && step[0] === 'acceptance'));
  return h('section', { class: 'queue-section', 'aria-labelledby': 'projects-title' },
    h('h2', { id: 'projects-title' }, t('office.review.projects', { n: items.length })),
    h('nav', { class: 'stage-links', 'aria-label': t('office.review.stages') }, counts.map((row) => link(`/office/review?stage=${row.name}#projects-title`,
      { class: row.name === stage ? 'current' : null, 'aria-current': row.name === stage ? 'true' : null }, `${t(`office.stage.${row.name}`)} ${row.value}`))),
    chosen.length ? h('ul', { class: 'items', id: 'project-queue' }, chosen.map((item) => h('li', { class: 'item' },
      h('strong', {}, item.title),
      h('p', { class: 'meta' }, t('deputy.proposal.budget', { yuan: item.budget }), ' · ', t(`deputy.proposal.kind.${item.kind}`), ' · ', formatTime(item.updated_at)),
      mayStep ? stepForm(item, step, done) : null)))
      : h('p', { class: 'meta' }, t('office.review.noProjects')));
}

function stepForm(item, [path, , build], done) {
  const box = h('details', { class: 'action' }, h('summary', {}, t(`office.step.${path}`)));
  box.addEventListener('toggle', () => {
    if (!box.open || box.children.length > 1) return;
    const [controls, body] = build();
    box.append(actionForm(`step-${path}`, controls, () => '', body, (data) => post(`/api/micro-funding/projects/${item.id}/${path}`, data,
      { label: `office.step.${path}.queued`, params: { title: item.title }, kind: 'review' }).then(({ result }) => done(result)), t('office.step.submit')));
  });
  return box;
}
