// Spreadsheet exports (the services' GET …/exports/…, shared/sheets_out.py on the server): a pair of buttons,
// Excel and CSV, that download the file with the signed-in session's token (a plain link would carry none),
// headings in the app's language, saved under the name the server gives. Online only: an export is never
// cached (the service worker leaves /exports/ alone) and never queued.
import { h } from '../ui.js';
import { ApiError } from '../api.js';
import { lang } from '../i18n.js';
import { t } from './text.js';

const Q = self.ddgQueue;
const FORMATS = [['xlsx', 'work.export.xlsx'], ['csv', 'work.export.csv']];

/** The file name of a Content-Disposition header: the UTF-8 one (filename*) if given, else the plain one. */
export function fileName(disposition, fallback) {
  const utf8 = /filename\*=UTF-8''([^;]+)/i.exec(disposition || '');
  if (utf8) {
    try { return decodeURIComponent(utf8[1]); } catch (error) { /* a broken name: the plain one below */ }
  }
  const plain = /filename="([^"]+)"/i.exec(disposition || '');
  return plain ? plain[1] : fallback;
}

/** Fetch `url` with the session's token and save the answer as a file; throws ApiError / TypeError (offline). */
async function download(url, fallback) {
  const session = await Q.freshSession();
  const headers = { 'Accept-Language': lang === 'en' ? 'en' : 'zh-CN' };
  if (session) headers.Authorization = 'Bearer ' + session.token;
  const response = await fetch(url, { headers, credentials: 'same-origin', cache: 'no-store' });
  if (!response.ok || response.headers.get('X-DDG-Offline')) {
    throw new ApiError(response.status, await response.json().catch(() => null));
  }
  const file = await response.blob();
  const save = h('a', { href: URL.createObjectURL(file), download: fileName(response.headers.get('Content-Disposition'), fallback) });
  document.body.append(save);
  save.click();
  save.remove();
  setTimeout(() => URL.revokeObjectURL(save.href), 10000);
}

/** "<label>: [Excel] [CSV]" for the export at `path` (with its query, if any); `id` names the buttons for tests. */
export function exportRow(id, label, path) {
  const status = h('span', { class: 'meta', role: 'status', id: `export-${id}-status` });
  const buttons = FORMATS.map(([format, key]) => {
    const button = h('button', { type: 'button', class: 'btn secondary small', id: `export-${id}-${format}` }, t(key));
    button.onclick = async () => {
      for (const other of buttons) other.disabled = true;
      status.textContent = t('work.export.working');
      try {
        await download(`${path}${path.includes('?') ? '&' : '?'}format=${format}`, `${id}.${format}`);
        status.textContent = t('work.export.saved');
      } catch (failure) {
        status.textContent = !(failure instanceof ApiError) || failure.status === 503 ? t('work.export.offline')
          : failure.status === 401 || failure.status === 403 ? t('work.export.forbidden') : t('work.export.failed');
      } finally {
        for (const other of buttons) other.disabled = false;
      }
    };
    return button;
  });
  return h('div', { class: 'export-row', id: `export-${id}` }, h('span', { class: 'export-label' }, label), ...buttons, status);
}

/** A card of export rows under a heading: rows are [id, label, path]. */
export function exportCard(title, rows) {
  return h('section', { class: 'card exports', 'aria-labelledby': 'exports-title' },
    h('h2', { id: 'exports-title' }, title),
    h('p', { class: 'meta' }, t('work.export.hint')),
    rows.map(([id, label, path]) => exportRow(id, label, path)));
}
