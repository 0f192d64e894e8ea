// A livelihood micro-project (民生微实事) proposal: a deputy drafts it citing the villagers' cases it answers
// (POST /api/micro-funding/projects), with its budget lines and milestones, then submits the draft for
// screening. The grids are those of the cases cited. Drafts and submissions work offline too.
import { h, notice } from '../ui.js';
import { request } from '../api.js';
import { cachedNotice, categoryName, failed, field, formError, input, page, select, textarea } from './common.js';
import { outcomeNotice, pending, pendingSection, post } from './outbox.js';
import { chinaDay, t } from './text.js';

const MONEY = /^[0-9]{1,12}(\.[0-9]{1,2})?$/;
const NOT_CITABLE = new Set(['withdrawn', 'rejected', 'merged']);
let flash = null;

export async function proposalScreen(ctx) {
  const year = chinaDay().slice(0, 4);
  let pools;
  let projects;
  let cases;
  try {
    [pools, projects, cases] = await Promise.all([
      request('GET', `/api/micro-funding/fund-pools?year=${year}&limit=20`),
      request('GET', `/api/micro-funding/projects?deputy_id=${ctx.session.deputyId}&limit=50`, { auth: true }),
      request('GET', '/api/case-intake/cases?limit=100', { auth: true }),
    ]);
  } catch (failure) {
    return failed(ctx, failure, t('deputy.proposal.title'));
  }
  const queued = await pending((meta) => meta.kind === 'proposal');
  const said = flash;
  flash = null;
  const done = (result) => { flash = outcomeNotice(result); return ctx.app.refresh(); };
  return page(ctx, t('deputy.proposal.title'),
    said ? h('div', { role: 'status' }, notice(said.kind, said.text)) : null,
    cachedNotice(projects.cachedAt),
    pendingSection(queued, () => ctx.app.refresh()),
    projectList(projects.data.items, done),
    pools.data.items.length
      ? proposalForm(pools.data.items, cases.data.items.filter((item) => !NOT_CITABLE.has(item.status)), done)
      : notice('error', t('deputy.proposal.noPool')));
}

function projectList(items, done) {
  if (!items.length) return null;
  return h('section', { 'aria-labelledby': 'mine-title' }, h('h2', { id: 'mine-title' }, t('deputy.proposal.mine')),
    h('ul', { class: 'items', id: 'project-list' }, items.map((item) => h('li', { class: 'item' },
      h('strong', {}, item.title),
      h('p', {}, h('span', { class: 'badge' }, t(`office.stage.${item.status}`)), ' ', t('deputy.proposal.budget', { yuan: item.budget })),
      item.status === 'draft' ? h('button', {
        type: 'button', class: 'btn primary', onclick: async (event) => {
          event.target.disabled = true;
          const { result } = await post(`/api/micro-funding/projects/${item.id}/submission`, {},
            { label: 'deputy.proposal.submitQueued', params: { title: item.title }, kind: 'proposal' });
          await done(result);
        },
      }, t('deputy.proposal.submit')) : null))));
}

/** Rows of inputs that grow with an "add" button: budget lines, milestones. */
function rows(name, make, first) {
  const list = h('div', { class: 'rows', id: `${name}-rows` });
  const add = () => list.append(make(list.children.length + 1));
  for (let i = 0; i < first; i += 1) add();
  return { list, add, values: () => [...list.children].map((row) => [...row.querySelectorAll('input')].map((one) => one.value.trim())) };
}

function proposalForm(pools, cases, done) {
  const pool = select('p-pool', pools.map((item) => [item.id, item.name]), pools[0].id);
  const kind = select('p-kind', ['service', 'goods', 'works'].map((value) => [value, t(`deputy.proposal.kind.${value}`)]), 'service');
  const cap = h('p', { class: 'meta', id: 'p-cap' });
  const showCap = () => {
    const chosen = pools.find((item) => item.id === pool.value);
    cap.textContent = t('deputy.proposal.cap', { yuan: chosen[`${kind.value}_cap`] });
  };
  pool.addEventListener('change', showCap);
  kind.addEventListener('change', showCap);
  showCap();
  const title = input('p-title', { maxlength: '120' });
  const description = textarea('p-description', { maxlength: '4000' });
  const beneficiaries = input('p-beneficiaries', { maxlength: '500' });
  const count = input('p-count', { type: 'number', min: '0', inputmode: 'numeric' });
  const cited = h('fieldset', { class: 'checks', id: 'p-cases' }, h('legend', {}, t('deputy.proposal.cases')),
    cases.length ? cases.map((item) => h('label', { class: 'check' },
      input(`p-case-${item.id}`, { type: 'checkbox', value: item.id, 'data-grid': item.grid_id }),
      ' ', `${item.tracking_code} · ${categoryName(item.category)} · ${item.description.slice(0, 30)}`))
      : h('p', { class: 'meta' }, t('deputy.proposal.noCases')));
  const budget = rows('budget', (n) => h('div', { class: 'pair' },
    field(t('deputy.proposal.item', { n }), input(`p-item-${n}`, { maxlength: '200' })),
    field(t('deputy.proposal.amount'), input(`p-amount-${n}`, { inputmode: 'decimal', placeholder: '0.00' }))), 1);
  const milestones = rows('milestone', (n) => h('div', { class: 'pair' },
    field(t('deputy.proposal.milestone', { n }), input(`p-ms-${n}`, { maxlength: '200' })),
    field(t('deputy.proposal.due'), input(`p-ms-due-${n}`, { type: 'date', min: chinaDay() }))), 1);
  const error = formError();
  const button = h('button', { type: 'submit', class: 'btn primary wide', id: 'save-proposal' }, t('deputy.proposal.save'));

  function body() {
    const boxes = [...cited.querySelectorAll('input:checked')];
    return {
      pool_id: pool.value, kind: kind.value, title: title.value.trim(), description: description.value.trim(),
      beneficiaries: beneficiaries.value.trim(), beneficiary_count: Number(count.value || 0),
      grid_ids: [...new Set(boxes.map((box) => box.dataset.grid))].slice(0, 10),
      case_ids: boxes.map((box) => box.value),
      budget_lines: budget.values().filter(([item, amount]) => item || amount).map(([item, amount]) => ({ item, amount })),
      milestones: milestones.values().filter(([name, due]) => name || due).map(([name, due]) => ({ title: name, due_on: due })),
    };
  }

  function check(data) {
    if (!data.title || !data.description || !data.beneficiaries) return t('work.required');
    if (!data.case_ids.length) return t('deputy.proposal.casesBad');
    if (!data.budget_lines.length || data.budget_lines.some((line) => !line.item || !MONEY.test(line.amount))) return t('deputy.proposal.budgetBad');
    if (data.milestones.some((one) => !one.title || !one.due_on)) return t('deputy.proposal.milestoneBad');
    return '';
  }

  return h('form', {
    novalidate: true, class: 'card', id: 'proposal-form', onsubmit: async (event) => {
      event.preventDefault();
      const data = body();
      error.textContent = check(data);
      if (error.textContent || button.disabled) return;
      button.disabled = true;
      const { result } = await post('/api/micro-funding/projects', data,
        { label: 'deputy.proposal.queued', params: { title: data.title }, kind: 'proposal' });
      await done(result);
    },
  }, h('h2', {}, t('deputy.proposal.new')),
  field(t('deputy.proposal.pool'), pool), field(t('deputy.proposal.kindLabel'), kind), cap,
  field(t('deputy.proposal.titleLabel'), title), field(t('deputy.proposal.description'), description),
  field(t('deputy.proposal.beneficiaries'), beneficiaries, t('deputy.proposal.beneficiariesHint')),
  field(t('deputy.proposal.count'), count), cited,
  h('fieldset', {}, h('legend', {}, t('deputy.proposal.budgetLines')), budget.list,
    h('button', { type: 'button', class: 'btn ghost', onclick: budget.add }, t('deputy.proposal.addLine'))),
  h('fieldset', {}, h('legend', {}, t('deputy.proposal.milestones')), milestones.list,
    h('button', { type: 'button', class: 'btn ghost', onclick: milestones.add }, t('deputy.proposal.addMilestone'))),
  error, button);
}
