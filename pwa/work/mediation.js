// Recording a people's mediation session (人民调解) of a dispute: when and where, the parties, the mediating
// deputies, the record, the outcome, and the written agreement (调解协议书) when one was reached.
import { h } from '../ui.js';
import { request } from '../api.js';
import { actionForm, field, input, select, textarea } from './common.js';
import { chinaDay, t } from './text.js';

const AGREEMENT = ['facts', 'disputed_points', 'responsibilities', 'terms', 'performance'];

export function mediationForm(ctx, item, send) {
  const held = input('med-held', { type: 'date', value: chinaDay(), max: chinaDay() });
  const place = input('med-place', { maxlength: '200' });
  const parties = h('div', { class: 'party-rows' });
  const addParty = () => {
    const n = parties.children.length + 1;
    parties.append(h('div', { class: 'pair' },
      field(t('deputy.med.partyRole', { n }), input(`med-role-${n}`, { maxlength: '40', value: n <= 2 ? t('deputy.med.partyDefault', { n }) : '' })),
      field(t('deputy.med.partyName', { n }), input(`med-name-${n}`, { maxlength: '60' }))));
  };
  addParty();
  addParty();
  const mediators = h('fieldset', { class: 'checks' }, h('legend', {}, t('deputy.med.mediators')),
    ...item.assigned_deputy_ids.map((id) => mediatorBox(id, id === ctx.session.deputyId)));
  const record = textarea('med-record', { maxlength: '8000', rows: '6' });
  const outcome = select('med-outcome', ['agreement', 'no_agreement', 'adjourned'].map((value) => [value, t(`deputy.outcome.${value}`)]), 'agreement');
  const terms = Object.fromEntries(AGREEMENT.map((key) => [key, textarea(`med-${key}`, { maxlength: key === 'performance' ? '1000' : '2000', rows: '3' })]));
  const performBy = input('med-perform-by', { type: 'date', min: chinaDay(), value: chinaDay(30) });
  const signed = input('med-signed', { type: 'checkbox' });
  const agreement = h('fieldset', { class: 'agreement' }, h('legend', {}, t('deputy.med.agreement')),
    ...AGREEMENT.map((key) => field(t(`deputy.med.${key}`), terms[key])),
    field(t('deputy.med.performBy'), performBy),
    h('label', { class: 'check' }, signed, ' ', t('deputy.med.signed')));
  outcome.addEventListener('change', () => { agreement.hidden = outcome.value !== 'agreement'; });

  const chosen = () => [...mediators.querySelectorAll('input:checked')].map((box) => box.value);
  const partyList = () => [...parties.children].map((row) => {
    const [role, name] = row.querySelectorAll('input');
    return { role: role.value.trim(), name: name.value.trim() };
  }).filter((party) => party.role || party.name);
  return actionForm('mediation', [
    field(t('deputy.med.held'), held), field(t('deputy.med.place'), place),
    h('fieldset', {}, h('legend', {}, t('deputy.med.parties')), parties,
      h('button', { type: 'button', class: 'btn ghost', onclick: addParty }, t('deputy.med.addParty'))),
    mediators, field(t('deputy.med.record'), record), field(t('deputy.med.outcome'), outcome), agreement,
  ], () => {
    const list = partyList();
    if (!place.value.trim() || !record.value.trim()) return t('work.required');
    if (list.length < 2 || list.some((party) => !party.role || !party.name)) return t('deputy.med.partiesBad');
    if (!chosen().length) return t('deputy.med.mediatorsBad');
    if (outcome.value === 'agreement' && (AGREEMENT.some((key) => !terms[key].value.trim()) || !performBy.value)) {
      return t('deputy.med.agreementBad');
    }
    return '';
  }, () => ({
    held_on: held.value, place: place.value.trim(), parties: partyList(), mediator_deputy_ids: chosen(),
    record: record.value.trim(), outcome: outcome.value,
    agreement: outcome.value === 'agreement' ? {
      ...Object.fromEntries(AGREEMENT.map((key) => [key, terms[key].value.trim()])),
      perform_by: performBy.value, signed_by_all: signed.checked,
    } : null,
  }), send);
}

/** A checkbox for a deputy the case is routed to, named once their public profile arrives. */
function mediatorBox(id, mine) {
  const name = h('span', {}, id.slice(0, 8));
  request('GET', `/api/deputy/deputies/${id}`).then(({ data }) => { name.textContent = `${data.name}（${data.code}）`; }, () => {});
  return h('label', { class: 'check' }, input(`med-deputy-${id}`, { type: 'checkbox', value: id, checked: mine }), ' ', name);
}
