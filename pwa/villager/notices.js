// The notifications list: what this phone's person was told (a signed-in account's list; otherwise the notices
// about the cases filed from this phone, by their tracking codes), newest first, each opening its screen.
import { t } from '../i18n.js';
import { formatTime, h, link, notice, screen } from '../ui.js';
import { OfflineError, request } from '../api.js';
import { pushSwitch } from '../push.js';

const Q = self.ddgQueue;

async function load() {
  const session = await Q.freshSession();
  if (Q.sessionUsable(session)) return request('GET', '/api/notification/notifications?limit=50', { auth: true });
  const codes = (await Q.sent()).map((record) => record.trackingCode).filter(Boolean).slice(0, 20);
  if (!codes.length) return { data: { items: [] } };
  const query = codes.map((code) => `code=${encodeURIComponent(code)}`).join('&');
  return request('GET', `/api/notification/notifications?limit=50&${query}`);
}

export async function notificationsScreen(app) {
  let answer;
  try {
    answer = await load();
  } catch (error) {
    return screen(t('notices.title'),
      notice('error', t(error instanceof OfflineError ? 'notices.offline' : 'notices.failed')),
      link('/', { class: 'btn ghost wide' }, t('nav.home')));
  }
  const items = answer.data.items;
  return screen('🔔 ' + t('notices.title'),
    pushSwitch(() => app.refresh()),
    items.length
      ? h('ul', { class: 'notices', id: 'notices' }, items.map((item) => h('li', {},
        link(item.url, { class: 'notice-item' }, h('strong', {}, item.title), h('p', {}, item.body),
          h('p', { class: 'meta' }, formatTime(item.created_at))))))
      : h('p', { class: 'lead', id: 'notices-empty' }, t('notices.empty')),
    link('/', { class: 'btn ghost wide' }, t('nav.home')));
}
