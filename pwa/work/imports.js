// The NPC office onboards its city from spreadsheets (/office/import): pick what to import (grids, deputies,
// assignments — in that order the first time), download its template, choose the file (XLSX or CSV; for grids
// a GeoJSON of boundaries too), check it (the dry run: every row's outcome and every fault, in this screen's
// language), then import it. Online only: a file is not queued on a phone. The upload shows its progress; the
// commit sends the same file again with the SHA-256 the check reported, so what is imported is what was checked.
import { h, notice } from '../ui.js';
import { lang } from '../i18n.js';
import { page } from './common.js';
import { t } from './text.js';

const Q = self.ddgQueue;
const KINDS = {
  grids: { path: '/api/grid/imports/grids', template: '/api/grid/imports/grids/template', boundaries: true },
  deputies: { path: '/api/deputy/imports/deputies', template: '/api/deputy/imports/deputies/template' },
  assignments: { path: '/api/grid/imports/assignments', template: '/api/grid/imports/assignments/template' },
};
const SHOWN_ROWS = 200; // the report lists at most this many rows here (the counts cover all of them)

export async function importScreen(ctx) {
  const state = { kind: 'grids', file: null, boundaries: null, report: null };
  const area = h('div', { id: 'import-area' });
  const draw = () => area.replaceChildren(form(ctx, state, draw));
  draw();
  return page(ctx, t('office.import.title'), h('p', { class: 'lead' }, t('office.import.lead')), area);
}

/** POST the chosen file(s) as multipart with upload progress; resolves {status, body}. */
async function send(kind, state, params, onProgress) {
  const session = await Q.freshSession();
  const data = new FormData();
  data.append('file', state.file);
  if (KINDS[kind].boundaries && state.boundaries) data.append('boundaries', state.boundaries);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${KINDS[kind].path}?${new URLSearchParams(params)}`);
    xhr.setRequestHeader('Accept-Language', lang === 'en' ? 'en' : 'zh-CN');
    if (session) xhr.setRequestHeader('Authorization', `Bearer ${session.token}`);
    xhr.upload.onprogress = (event) => { if (event.lengthComputable) onProgress(event.loaded / event.total); };
    xhr.upload.onload = () => onProgress(null); // sent: the server reads it now
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch (error) { /* not JSON: said below */ }
      resolve({ status: xhr.status, body });
    };
    xhr.onerror = () => reject(new Error('offline'));
    xhr.timeout = 120000;
    xhr.ontimeout = () => reject(new Error('timeout'));
    xhr.send(data);
  });
}

async function downloadTemplate(kind, error) {
  const session = await Q.freshSession();
  try {
    const response = await fetch(KINDS[kind].template, {
      headers: { Authorization: `Bearer ${session.token}`, 'Accept-Language': lang === 'en' ? 'en' : 'zh-CN' },
    });
    if (!response.ok) throw new Error(String(response.status));
    const name = decodeURIComponent((response.headers.get('Content-Disposition') || '').split("UTF-8''")[1] || `${kind}.xlsx`);
    const link = h('a', { href: URL.createObjectURL(await response.blob()), download: name });
    document.body.append(link);
    link.click();
    link.remove();
  } catch (failure) {
    error.textContent = t('office.import.offline');
  }
}

function progressBar() {
  const fill = h('span', { class: 'fill' });
  const words = h('p', { class: 'meta', role: 'status' });
  const bar = h('div', { class: 'progress', id: 'import-progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100' }, fill);
  const box = h('div', { class: 'import-progress', hidden: true }, words, bar);
  return {
    box,
    show(share) {
      box.hidden = false;
      if (share === null) { // uploaded: the server checks every row
        words.textContent = t('office.import.checking');
        bar.classList.add('busy');
        fill.style.width = '100%';
        bar.removeAttribute('aria-valuenow');
        return;
      }
      words.textContent = t('office.import.uploading', { n: Math.round(share * 100) });
      fill.style.width = `${Math.round(share * 100)}%`;
      bar.setAttribute('aria-valuenow', String(Math.round(share * 100)));
    },
    hide() { box.hidden = true; bar.classList.remove('busy'); },
  };
}

/** The file pickers, made once: a redraw keeps them (and the files they show as chosen). */
function inputs(state, draw) {
  if (!state.inputs) {
    const file = h('input', { id: 'import-file', name: 'file', type: 'file', accept: '.xlsx,.csv,text/csv' });
    file.addEventListener('change', () => { state.file = file.files[0] || null; state.report = null; draw(); });
    const shapes = h('input', { id: 'import-boundaries', name: 'boundaries', type: 'file', accept: '.geojson,.json' });
    shapes.addEventListener('change', () => { state.boundaries = shapes.files[0] || null; state.report = null; draw(); });
    state.inputs = { file, shapes };
  }
  return state.inputs;
}

function form(ctx, state, draw) {
  const error = h('p', { class: 'field-error', role: 'alert' });
  const progress = progressBar();
  const kind = h('select', { id: 'import-kind', name: 'kind' },
    Object.keys(KINDS).map((name) => h('option', { value: name }, t(`office.import.kind.${name}`))));
  kind.value = state.kind;
  kind.addEventListener('change', () => { Object.assign(state, { kind: kind.value, report: null }); draw(); });
  const { file, shapes } = inputs(state, draw);
  const check = h('button', { type: 'button', class: 'btn primary wide', id: 'import-check', disabled: !state.file }, t('office.import.check'));

  async function run(params) {
    error.textContent = '';
    for (const button of document.querySelectorAll('#import-area button')) button.disabled = true;
    progress.show(0);
    try {
      const { status, body } = await send(state.kind, state, params, (share) => progress.show(share));
      if (status === 401) return ctx.expired();
      if (status === 200 || (status === 422 && body && body.report)) {
        state.report = body.report || body;
        state.refused = status === 422 ? body.detail : null;
        draw();
        return null;
      }
      error.textContent = (body && body.detail) || t('work.loadError');
    } catch (failure) {
      error.textContent = t('office.import.offline');
    }
    progress.hide();
    for (const button of document.querySelectorAll('#import-area button')) button.disabled = false;
    return null;
  }
  check.addEventListener('click', () => run({ dry_run: 'true' }));

  return h('div', {},
    h('div', { class: 'card' },
      h('div', { class: 'field' }, h('label', { for: 'import-kind' }, t('office.import.what')), kind,
        h('p', { class: 'meta' }, t('office.import.order'))),
      h('p', {}, h('button', { type: 'button', class: 'btn secondary', id: 'import-template', onclick: () => downloadTemplate(state.kind, error) },
        t('office.import.template'))),
      h('div', { class: 'field' }, h('label', { for: 'import-file' }, t('office.import.file')), file,
        h('p', { class: 'meta' }, state.file ? `${state.file.name} · ${Math.ceil(state.file.size / 1024)} KB` : t('office.import.fileHint'))),
      KINDS[state.kind].boundaries ? h('div', { class: 'field' }, h('label', { for: 'import-boundaries' }, t('office.import.boundaries')), shapes,
        h('p', { class: 'meta' }, t('office.import.boundariesHint'))) : null,
      progress.box, error, state.report ? null : check),
    state.report ? report(state, run, draw) : null);
}

function report(state, run, draw) {
  const data = state.report;
  const figure = (value, key) => h('div', { class: 'figure' }, h('strong', {}, String(value)), h('span', {}, t(key)));
  const done = data.committed;
  const lead = done ? notice('ok', t('office.import.done', { n: data.created + data.changed }))
    : state.refused ? notice('error', state.refused)
      : data.bad_rows ? notice('error', t('office.import.bad', { n: data.bad_rows }))
        : notice('ok', t('office.import.good', { n: data.rows }));
  const skip = h('input', { id: 'import-skip', type: 'checkbox' });
  const commit = h('button', { type: 'button', class: 'btn primary wide', id: 'import-commit' },
    t(done ? 'office.import.again' : 'office.import.commit'));
  commit.disabled = !done && data.bad_rows > 0; // a file with bad rows is imported only with them left out
  skip.addEventListener('change', () => { commit.disabled = !skip.checked; });
  commit.addEventListener('click', () => {
    if (done) { Object.assign(state, { report: null, file: null, boundaries: null, inputs: null }); draw(); return; }
    run({ dry_run: 'false', skip_bad_rows: String(skip.checked), expect_sha256: data.sha256 });
  });
  const rows = data.items.filter((item) => ['created', 'changed'].includes(item.outcome)).slice(0, SHOWN_ROWS);
  const problems = data.errors.slice(0, SHOWN_ROWS);
  return h('section', { class: 'card', id: 'import-report', 'aria-live': 'polite' },
    h('h2', {}, t(done ? 'office.import.reportDone' : 'office.import.report')),
    lead,
    h('div', { class: 'figures' },
      figure(data.created, done ? 'office.import.created' : 'office.import.toCreate'),
      figure(data.changed, done ? 'office.import.changed' : 'office.import.toChange'),
      figure(data.unchanged, 'office.import.unchanged'),
      figure(data.bad_rows, done && data.skipped ? 'office.import.skipped' : 'office.import.badRows')),
    problems.length ? h('table', { class: 'figures-table import-errors', id: 'import-errors' },
      h('caption', {}, t('office.import.errors', { n: data.errors.length })),
      h('thead', {}, h('tr', {}, h('th', {}, t('office.import.row')), h('th', {}, t('office.import.column')), h('th', {}, t('office.import.problem')))),
      h('tbody', {}, problems.map((item) => h('tr', {},
        h('td', {}, item.row == null ? '—' : String(item.row)), h('td', {}, item.column || '—'), h('td', {}, item.message))))) : null,
    rows.length ? h('details', { class: 'import-rows' }, h('summary', {}, t(done ? 'office.import.rowsDone' : 'office.import.rows', { n: rows.length })),
      h('ul', { class: 'items' }, rows.map((item) => h('li', { class: 'item' },
        `${t('office.import.rowN', { n: item.row })} · ${item.key} · ${t(`office.import.outcome.${item.outcome}`)}`,
        item.fields.length ? h('span', { class: 'meta' }, ` (${item.fields.join('、')})`) : null)))) : null,
    data.ignored_columns.length ? h('p', { class: 'meta' }, t('office.import.ignored', { names: data.ignored_columns.join('、') })) : null,
    h('p', { class: 'meta' }, `SHA-256 ${data.sha256.slice(0, 16)}…`),
    !done && data.bad_rows ? h('label', { class: 'check' }, skip, h('span', {}, t('office.import.skip', { n: data.bad_rows }))) : null,
    done || data.created + data.changed > 0 || data.bad_rows ? commit : h('p', { class: 'meta', id: 'import-nothing' }, t('office.import.nothing')));
}
