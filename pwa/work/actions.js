// The actions on a case, each a panel that opens into its small form: accept, start work with a note, visit,
// refer (to an organisation picked from the case service's list), mediate (begin, record a session), resolve,
// return, extend, escalate, a referral's answer taken or sent back, and an internal note (any time; officials
// only see it). Who is offered a step, and in which statuses, is the case service's transition table
// (generated.js, generated from the server's).
import { h, link } from '../ui.js';
import { chinaDay, t } from './text.js';
import { actionForm, field, input, organisationName, textarea } from './common.js';
import { CASE_STEPS } from './generated.js';
import { mediationForm } from './mediation.js';
import { post } from './outbox.js';

const WORKING = ['accepted', 'in_progress', 'mediating', 'escalated'];
const anyOfficial = (statuses) => ({ to: null, handler: statuses, staff: statuses });
/** action -> {the status it leads to (null: unchanged), the statuses each side is offered it in}: the server's
 * table, and the steps its use cases check by themselves (a mediation session, an extension, a send-back). */
const STEPS = {
  ...CASE_STEPS,
  mediation: anyOfficial(['mediating', 'escalated']),
  extend: anyOfficial([...WORKING, 'referred', 'reopened']),
  'referral-send-back': anyOfficial(['referred', 'escalated']),
};
const DISPUTES_ONLY = ['mediate', 'mediation'];
const OPEN = ['assigned', 'accepted', 'in_progress', 'referred', 'mediating', 'reopened', 'escalated'];
const TOP_ESCALATION = 2; // the NPC office supervises it: there is no one further up

/** The status once the actions still waiting to be sent are done (the server has the last word). */
export function projectedStatus(status, waiting) {
  return waiting.reduce((current, item) => {
    const step = STEPS[item.meta.kind];
    return step && step.to && (step.handler.includes(current) || step.staff.includes(current)) ? step.to : current;
  }, status);
}

/** Whether `side` (handler: the deputy the case is routed to; staff: station staff, the office) may take it now. */
function offered(name, side, item, status) {
  if (name === 'escalate' && item.escalation_level >= TOP_ESCALATION) return false;
  return STEPS[name][side].includes(status) && (!DISPUTES_ONLY.includes(name) || item.kind === 'dispute');
}

/** The panels the case offers in `status` to this official (a deputy of the grid it is not routed to: none);
 * `known`: the case's referrals and the organisations to refer to. */
export function actionPanels(ctx, item, status, { referrals, organisations }, done) {
  const visit = ctx.isDeputy && OPEN.includes(status)
    ? link(`/deputy/visit?case=${item.id}`, { class: 'btn secondary action-link', id: 'act-visit' }, '🚶 ', t('deputy.act.visitButton')) : null;
  if (ctx.isDeputy && !item.assigned_deputy_ids.includes(ctx.session.deputyId)) return [h('p', { class: 'meta' }, t('deputy.notYours')), visit];
  const act = (name, path, body) => post(`/api/case-intake/${path}`, body,
    { label: `deputy.act.${name}`, params: { code: item.tracking_code }, caseId: item.id, kind: name }).then(({ result }) => done(result));
  const onCase = (name) => (body) => act(name, `cases/${item.id}/${name === 'mediation' ? 'mediations' : name}`, body);
  const panels = [];
  const side = ctx.isDeputy ? 'handler' : 'staff';
  const add = (name, form) => { if (offered(name, side, item, status)) panels.push(panel(name, form)); };
  add('accept', () => noteForm('accept', false, onCase('accept')));
  add('start', () => noteForm('start', true, onCase('start')));
  if (visit) panels.push(visit);
  add('refer', () => referForm(organisations, onCase('refer')));
  add('mediate', () => noteForm('mediate', false, onCase('mediate')));
  add('mediation', () => mediationForm(ctx, item, onCase('mediation')));
  add('resolve', () => textForm('resolve', 'resolution', 1000, onCase('resolve')));
  add('return', () => textForm('return', 'reason', 400, onCase('return')));
  add('extend', () => extendForm(onCase('extend')));
  add('escalate', () => textForm('escalate', 'reason', 400, onCase('escalate')));
  for (const referral of referrals.filter((one) => one.status === 'answered')) {
    const onReferral = (name) => (body) => act(`referral-${name}`, `referrals/${referral.id}/${name}`, body);
    add('referral-accept', () => noteForm('referral-accept', false, onReferral('accept')));
    add('referral-send-back', () => sendBackForm(onReferral('send-back')));
  }
  panels.push(panel('note', () => textForm('note', 'note', 1000, (body) => act('note', `cases/${item.id}/notes`, body))));
  return panels;
}

/** A <details> whose summary is a big button; the form is built when it first opens. */
function panel(name, build) {
  const box = h('details', { class: 'action', id: `act-${name}` }, h('summary', {}, t(`deputy.act.${name}.button`)));
  box.addEventListener('toggle', () => { if (box.open && box.children.length === 1) box.append(build()); });
  return box;
}

function noteForm(name, required, send) {
  const note = textarea(`${name}-note`, { maxlength: '400' });
  return actionForm(name, [field(t(`deputy.act.${name}.note`), note)],
    () => (required && !note.value.trim() ? t('work.required') : ''), () => ({ note: note.value.trim() }), send);
}

function textForm(name, key, max, send) {
  const text = textarea(`${name}-${key}`, { maxlength: String(max) });
  return actionForm(name, [field(t(`deputy.act.${name}.${key}`), text, t(`deputy.act.${name}.hint`))],
    () => (text.value.trim() ? '' : t('work.required')), () => ({ [key]: text.value.trim() }), send);
}

const KINDS = ['government', 'court', 'procuratorate', 'party_committee'];

/** The organisations to refer to, grouped by kind; the case service gives each its kind. */
function organisationPicker(organisations) {
  const active = organisations.filter((item) => item.active);
  const picker = h('select', { id: 'refer-org', name: 'refer-org' }, h('option', { value: '' }, t('deputy.act.refer.pick')),
    KINDS.map((kind) => h('optgroup', { label: t(`deputy.orgKind.${kind}`) },
      active.filter((item) => item.kind === kind).map((item) => h('option', { value: item.code }, organisationName(item))))));
  picker.value = '';
  return picker;
}

function referForm(organisations, send) {
  if (!organisations.some((item) => item.active)) return h('p', { class: 'field-error', id: 'refer-none' }, t('deputy.act.refer.none'));
  const organisation = organisationPicker(organisations);
  const question = textarea('refer-question', { maxlength: '2000' });
  const due = input('refer-due', { type: 'date', min: chinaDay(1), value: chinaDay(7) });
  return actionForm('refer', [
    field(t('deputy.act.refer.org'), organisation),
    field(t('deputy.act.refer.question'), question),
    field(t('deputy.act.refer.due'), due, t('deputy.act.refer.dueHint')),
  ], () => {
    if (!organisation.value) return t('deputy.act.refer.orgBad');
    if (!question.value.trim()) return t('work.required');
    return due.value && due.value < chinaDay(1) ? t('deputy.act.refer.dueBad') : '';
  }, () => ({ organisation: organisation.value, question: question.value.trim(), due_on: due.value || null }), send);
}

function extendForm(send) {
  const days = input('extend-days', { type: 'number', min: '1', max: '30', value: '5', inputmode: 'numeric' });
  const reason = textarea('extend-reason', { maxlength: '400' });
  return actionForm('extend', [field(t('deputy.act.extend.days'), days, t('deputy.act.extend.hint')),
    field(t('deputy.act.extend.reason'), reason)], () => {
    const n = Number(days.value);
    if (!Number.isInteger(n) || n < 1 || n > 30) return t('deputy.act.extend.daysBad');
    return reason.value.trim() ? '' : t('work.required');
  }, () => ({ working_days: Number(days.value), reason: reason.value.trim() }), send);
}

function sendBackForm(send) {
  const reason = textarea('send-back-reason', { maxlength: '400' });
  const due = input('send-back-due', { type: 'date', min: chinaDay(1), value: chinaDay(7) });
  return actionForm('referral-send-back', [field(t('deputy.act.referral-send-back.reason'), reason),
    field(t('deputy.act.refer.due'), due)],
  () => (reason.value.trim() ? '' : t('work.required')),
  () => ({ reason: reason.value.trim(), due_on: due.value || null }), send);
}
