// Deputies' suggestions (代表建议, docs/suggestions.md). /deputy/suggestions: a deputy drafts one citing cases of
// their inbox, co-signs, submits, records the agency's contact and rates the answer. /office/suggestions: the NPC
// office's board by state and organisation with its steps (accept, return, assign, re-handle, conclude), and an
// agency officer's list with theirs (opinion, answer, ask for another organisation, report done). Every write
// goes through the offline queue (outbox.js post()); the server decides who may take which step.
import { formatDeadline, formatTime, h, notice } from '../ui.js';
import { request } from '../api.js';
import { actionForm, cachedNotice, categoryName, failed, field, input, loadOrganisations, organisationName, page, select, textarea } from './common.js';
import { outcomeNotice, pending, pendingSection, post } from './outbox.js';
import { chinaDay, t } from './text.js';

const BASE = '/api/deputy/suggestions';
const STATES = ['draft', 'submitted', 'returned', 'merged', 'accepted', 'assigned', 'reassignment_requested', 'answered',
  'dissatisfied', 'rehandling', 'planned', 'completed'];
let flash = null;

/** Queue one step on a suggestion, then redraw with what happened to it. */
const step = (ctx, item, action, body = {}) => async () => {
  const { result } = await post(`${BASE}/${item.id}/${action}`, body,
    { label: `sugg.queued.${action}`, params: { title: item.title }, kind: 'suggestion' });
  flash = outcomeNotice(result);
  await ctx.app.refresh();
};
const button = (id, text, onclick) => h('button', {
  type: 'button', class: 'btn secondary', id, onclick: async (event) => { event.target.disabled = true; await onclick(); },
}, text);
/** A step's form folded under a big button (details.action), so that a long list stays short. */
const folded = (id, text, form) => h('details', { class: 'action', id: `act-${id}` }, h('summary', {}, text), form);
const reasonForm = (ctx, item, action, name = 'reason', max = '1000') => {
  const words = textarea(`${action}-${item.id}`, { maxlength: max, rows: '2' });
  return folded(`${action}-${item.id}`, t(`sugg.${action}.submit`), actionForm(`${action}-${item.id}`, [field(t(`sugg.${action}.label`), words)],
    () => (words.value.trim() ? '' : t('work.required')), () => ({ [name]: words.value.trim() }), (body) => step(ctx, item, action, body)(),
    t(`sugg.${action}.submit`)));
};

function flashed() {
  const said = flash;
  flash = null;
  return said ? h('div', { role: 'status' }, notice(said.kind, said.text)) : null;
}

function summary(item, organisations) {
  const orgName = (code) => { const found = organisations.find((one) => one.code === code); return found ? organisationName(found) : code; };
  return [
    h('strong', {}, item.title),
    h('p', {}, h('span', { class: 'badge' }, t(`sugg.state.${item.state}`)), ' ',
      item.overdue ? h('span', { class: 'badge danger' }, t('sugg.overdue')) : null),
    h('p', { class: 'meta' }, item.deputies.map((one) => `${one.name}${one.lead ? t('sugg.lead') : ''}${one.signed ? '' : t('sugg.unsigned')}`).join('、')),
    item.lead_organisation ? h('p', { class: 'meta' }, t('sugg.orgs', {
      lead: orgName(item.lead_organisation), co: item.co_organisations.map(orgName).join('、') || '—',
    })) : null,
    item.due_at ? h('p', { class: 'meta' }, t('sugg.due', { due: formatDeadline(item.due_at) })) : null,
    item.answer_class ? h('p', { class: 'meta' }, t('sugg.answered', {
      kind: t(`sugg.class.${item.answer_class}`), rating: item.rating ? t(`sugg.rating.${item.rating}`) : '—',
      time: formatTime(item.answered_at),
    })) : null,
  ];
}

// --- the deputy -------------------------------------------------------------------------------------------

export async function deputySuggestionsScreen(ctx) {
  let mine;
  let inbox;
  try {
    [mine, inbox] = await Promise.all([
      request('GET', `${BASE}/work?limit=50`, { auth: true }),
      request('GET', '/api/deputy/inbox?limit=100', { auth: true }),
    ]);
  } catch (failure) {
    return failed(ctx, failure, t('sugg.title'));
  }
  const queued = await pending((meta) => meta.kind === 'suggestion');
  const me = ctx.session.deputyId;
  const items = mine.data.items.map((item) => {
    const self = item.deputies.find((one) => one.deputy_id === me) || {};
    const actions = [];
    if (self.lead && ['draft', 'returned'].includes(item.state)) actions.push(button(`submit-${item.id}`, t('sugg.submit'), step(ctx, item, 'submit')));
    if (!self.signed && item.state === 'draft') actions.push(button(`sign-${item.id}`, t('sugg.sign'), step(ctx, item, 'sign')));
    if (self.signed && ['assigned', 'rehandling', 'answered'].includes(item.state)) actions.push(contactForm(ctx, item));
    if (self.lead && item.state === 'answered') actions.push(rateForm(ctx, item));
    return h('li', { class: 'item', 'data-suggestion': item.id }, ...summary(item, []), ...actions);
  });
  return page(ctx, t('sugg.title'), flashed(), cachedNotice(mine.cachedAt), pendingSection(queued, () => ctx.app.refresh()),
    h('section', { 'aria-labelledby': 'sugg-mine' }, h('h2', { id: 'sugg-mine' }, t('sugg.mine', { n: mine.data.total })),
      items.length ? h('ul', { class: 'items', id: 'suggestion-list' }, items) : h('p', { class: 'meta' }, t('sugg.none'))),
    draftForm(ctx, inbox.data.items));
}

function contactForm(ctx, item) {
  const method = select(`contact-method-${item.id}`, ['in_person', 'phone', 'written'].map((one) => [one, t(`sugg.contact.${one}`)]), 'phone');
  const on = input(`contact-on-${item.id}`, { type: 'date', max: chinaDay(), value: chinaDay() });
  return folded(`contact-${item.id}`, t('sugg.contact.submit'), actionForm(`contact-${item.id}`,
    [field(t('sugg.contact.label'), method), field(t('sugg.contact.on'), on)], () => (on.value ? '' : t('work.required')),
    () => ({ method: method.value, on: on.value }), (body) => step(ctx, item, 'contact', body)(), t('sugg.contact.submit')));
}

function rateForm(ctx, item) {
  const rating = select(`rating-${item.id}`, ['satisfied', 'basically_satisfied', 'dissatisfied'].map((one) => [one, t(`sugg.rating.${one}`)]), 'satisfied');
  const reason = textarea(`rating-reason-${item.id}`, { maxlength: '1000', rows: '2' });
  return folded(`rate-${item.id}`, t('sugg.rate.submit'), actionForm(`rate-${item.id}`,
    [field(t('sugg.rate.label'), rating), field(t('sugg.rate.reason'), reason)],
    () => (rating.value === 'dissatisfied' && !reason.value.trim() ? t('sugg.rate.why') : ''),
    () => ({ rating: rating.value, reason: reason.value.trim() }), (body) => step(ctx, item, 'rate', body)(), t('sugg.rate.submit')));
}

function draftForm(ctx, cases) {
  const title = input('s-title', { maxlength: '200' });
  const problem = textarea('s-problem', { maxlength: '8000' });
  const proposal = textarea('s-proposal', { maxlength: '8000' });
  const kind = select('s-kind', ['suggestion', 'criticism', 'opinion'].map((one) => [one, t(`sugg.kind.${one}`)]), 'suggestion');
  const found = h('div', { class: 'checks', id: 's-cosigners' });
  const search = input('s-cosigner-q', { maxlength: '60', placeholder: t('sugg.cosignersHint') });
  const find = h('button', { type: 'button', class: 'btn ghost', onclick: async () => {
    if (!search.value.trim()) return;
    try {
      const { data } = await request('GET', `/api/deputy/deputies?q=${encodeURIComponent(search.value.trim())}&limit=10`, { auth: true });
      found.replaceChildren(...data.items.filter((one) => one.id !== ctx.session.deputyId).map((one) => h('label', { class: 'check' },
        input(`s-co-${one.id}`, { type: 'checkbox', value: one.id }), ' ', `${one.name} · ${one.code}`)));
    } catch (failure) { found.replaceChildren(h('p', { class: 'meta' }, t('sugg.cosignersOffline'))); }
  } }, t('sugg.find'));
  const cited = h('fieldset', { class: 'checks', id: 's-cases' }, h('legend', {}, t('sugg.evidence')),
    cases.length ? cases.map((item) => h('label', { class: 'check' },
      input(`s-case-${item.case_id}`, { type: 'checkbox', value: item.case_id, 'data-grid': item.grid_id }),
      ' ', `${item.tracking_code} · ${categoryName(item.category)}`)) : h('p', { class: 'meta' }, t('sugg.noCases')));
  const body = () => {
    const boxes = [...cited.querySelectorAll('input:checked')];
    return {
      title: title.value.trim(), problem: problem.value.trim(), proposal: proposal.value.trim(), kind: kind.value,
      grid_ids: [...new Set(boxes.map((box) => box.dataset.grid))].slice(0, 20),
      cosigner_ids: [...found.querySelectorAll('input:checked')].map((box) => box.value),
      evidence: boxes.map((box) => ({ source: 'case', id: box.value })),
    };
  };
  const form = actionForm('suggestion-draft', [field(t('sugg.titleLabel'), title), field(t('sugg.problem'), problem),
    field(t('sugg.proposal'), proposal), field(t('sugg.kindLabel'), kind),
    h('fieldset', {}, h('legend', {}, t('sugg.cosigners')), search, find, found), cited],
  () => (title.value.trim() && problem.value.trim() && proposal.value.trim() ? '' : t('work.required')), body,
  async (data) => {
    const { result } = await post(BASE, data, { label: 'sugg.queued.draft', params: { title: data.title }, kind: 'suggestion' });
    flash = outcomeNotice(result);
    await ctx.app.refresh();
  }, t('sugg.save'));
  return h('section', { class: 'card', 'aria-labelledby': 'sugg-new' }, h('h2', { id: 'sugg-new' }, t('sugg.new')), form);
}

// --- the office and the agencies ----------------------------------------------------------------------------

export async function officeSuggestionsScreen(ctx) {
  const state = new URLSearchParams(location.search).get('state') || '';
  const year = chinaDay().slice(0, 4);
  let work;
  let board = null;
  let organisations;
  try {
    [work, board, organisations] = await Promise.all([
      request('GET', `${BASE}/work?limit=50${state ? `&state=${state}` : ''}`, { auth: true }),
      ctx.isOffice ? request('GET', `${BASE}/board?year=${year}`, { auth: true }) : Promise.resolve(null),
      loadOrganisations(),
    ]);
  } catch (failure) {
    return failed(ctx, failure, t('sugg.officeTitle'));
  }
  const queued = await pending((meta) => meta.kind === 'suggestion');
  const items = work.data.items.map((item) => h('li', { class: 'item', 'data-suggestion': item.id },
    ...summary(item, organisations), ...(ctx.isOffice ? officeSteps(ctx, item, organisations) : agencySteps(ctx, item))));
  return page(ctx, t('sugg.officeTitle'), flashed(), cachedNotice(work.cachedAt), pendingSection(queued, () => ctx.app.refresh()),
    board ? boardSection(board.data, state, organisations) : null,
    h('section', { 'aria-labelledby': 'sugg-work' }, h('h2', { id: 'sugg-work' }, t('sugg.work', { n: work.data.total })),
      items.length ? h('ul', { class: 'items', id: 'suggestion-list' }, items) : h('p', { class: 'meta' }, t('sugg.none'))));
}

const COLUMNS = [['assigned', 'assigned'], ['overdue', 'overdue'], ['answered_on_time', 'onTime'], ['satisfied', 'satisfied'], ['solved', 'solved']];

function boardSection(board, state, organisations) {
  const name = (code) => { const found = organisations.find((one) => one.code === code); return found ? organisationName(found) : code; };
  const rows = board.by_organisation.map((row) => h('tr', {}, h('th', { scope: 'row' }, name(row.organisation)),
    ...COLUMNS.map(([key]) => h('td', {}, String(row[key])))));
  return h('section', { 'aria-labelledby': 'sugg-board' }, h('h2', { id: 'sugg-board' }, t('sugg.board', { year: board.year })),
    h('nav', { class: 'stage-links', id: 'suggestion-states', 'aria-label': t('sugg.byState') },
      h('a', { href: '/office/suggestions', class: state ? null : 'current' }, t('sugg.all')),
      ...STATES.filter((one) => board.by_state[one]).map((one) => h('a', {
        href: `/office/suggestions?state=${one}`, class: one === state ? 'current' : null,
      }, `${t(`sugg.state.${one}`)} ${board.by_state[one]}`))),
    rows.length ? h('div', { class: 'table-scroll' }, h('table', { class: 'figures-table', id: 'suggestion-board' },
      h('thead', {}, h('tr', {}, h('th', {}, t('sugg.org')), ...COLUMNS.map(([, key]) => h('th', {}, t(`sugg.col.${key}`))))),
      h('tbody', {}, rows))) : null);
}

function officeSteps(ctx, item, organisations) {
  if (item.state === 'submitted') return [button(`accept-${item.id}`, t('sugg.accept'), step(ctx, item, 'accept')), reasonForm(ctx, item, 'return')];
  if (['accepted', 'reassignment_requested'].includes(item.state)) return [assignForm(ctx, item, organisations)];
  if (item.state === 'dissatisfied') return [reasonForm(ctx, item, 'rehandle'), reasonForm(ctx, item, 'conclude')];
  return [];
}

function assignForm(ctx, item, organisations) {
  const options = organisations.map((one) => [one.code, organisationName(one)]);
  const lead = select(`assign-lead-${item.id}`, [['', '—'], ...options], '');
  const co = select(`assign-co-${item.id}`, options, null, { multiple: true, size: '4' });
  const broad = input(`assign-broad-${item.id}`, { type: 'checkbox' });
  const due = input(`assign-due-${item.id}`, { type: 'date', min: chinaDay() });
  return folded(`assign-${item.id}`, t('sugg.assign.submit'), actionForm(`assign-${item.id}`, [field(t('sugg.assign.lead'), lead), field(t('sugg.assign.co'), co),
    h('label', { class: 'check' }, broad, ' ', t('sugg.assign.broad')), field(t('sugg.assign.due'), due, t('sugg.assign.dueHint'))],
  () => (lead.value ? '' : t('work.required')),
  () => ({ lead_organisation: lead.value, co_organisations: [...co.selectedOptions].map((one) => one.value).filter((code) => code !== lead.value),
    broad: broad.checked, due_on: due.value || null }),
  (body) => step(ctx, item, 'assign', body)(), t('sugg.assign.submit')));
}

function agencySteps(ctx, item) {
  const org = ctx.session.organisation;
  const open = ['assigned', 'rehandling'].includes(item.state);
  const steps = [];
  if (open && item.co_organisations.includes(org)) steps.push(reasonForm(ctx, item, 'opinion', 'text', '8000'));
  if (open && item.lead_organisation === org) steps.push(answerForm(ctx, item));
  if (item.state === 'assigned' && item.lead_organisation === org) steps.push(reasonForm(ctx, item, 'reassignment'));
  if (item.state === 'planned' && item.lead_organisation === org) steps.push(reasonForm(ctx, item, 'done', 'report'));
  return steps;
}

function answerForm(ctx, item) {
  const kind = select(`answer-class-${item.id}`, ['solved', 'planned', 'cannot_now', 'reference'].map((one) => [one, t(`sugg.class.${one}`)]), 'solved');
  const words = textarea(`answer-text-${item.id}`, { maxlength: '8000' });
  const measures = textarea(`answer-measures-${item.id}`, { maxlength: '4000', rows: '2' });
  const promised = input(`answer-promised-${item.id}`, { type: 'date', min: chinaDay() });
  const reason = input(`answer-reason-${item.id}`, { maxlength: '1000' });
  return folded(`answer-${item.id}`, t('sugg.answer.submit'), actionForm(`answer-${item.id}`, [field(t('sugg.answer.class'), kind), field(t('sugg.answer.text'), words),
    field(t('sugg.answer.measures'), measures), field(t('sugg.answer.promised'), promised), field(t('sugg.answer.reason'), reason)],
  () => {
    if (!words.value.trim()) return t('work.required');
    if (kind.value === 'planned' && !promised.value) return t('sugg.answer.promisedNeeded');
    return kind.value === 'cannot_now' && !reason.value.trim() ? t('sugg.answer.reasonNeeded') : '';
  },
  () => ({ answer_class: kind.value, text: words.value.trim(), measures: measures.value.trim(), promised_on: promised.value || null,
    reason: reason.value.trim() }),
  (body) => step(ctx, item, 'answer', body)(), t('sugg.answer.submit')));
}
