// The deputy's path, loaded only when opened: sign in, then the inbox (most urgent first, as the API orders it).
import { t } from './i18n.js';
import { formatTime, h, label, notice, screen, shorten } from './ui.js';
import { ApiError, OfflineError, request, signIn, signOut } from './api.js';

const Q = self.ddgQueue;

export async function deputyScreen(app) {
  const session = await Q.getSession();
  return session ? inboxScreen(app, session) : signInScreen(app);
}

function signInScreen(app, message) {
  const username = h('input', {
    id: 'username', name: 'username', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false',
  });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password' });
  const error = h('p', { class: 'field-error', role: 'alert' }, message || '');
  const button = h('button', { type: 'submit', class: 'btn primary wide', id: 'signin' }, t('deputy.signin'));

  async function submit(event) {
    event.preventDefault();
    if (!username.value.trim() || !password.value) { error.textContent = t('deputy.missing'); return; }
    button.disabled = true;
    button.textContent = t('deputy.signingIn');
    try {
      await signIn(username.value.trim(), password.value);
      app.go('/deputy', { replace: true });
    } catch (failure) {
      error.textContent = failure instanceof OfflineError ? t('deputy.offline')
        : failure.status === 401 ? t('deputy.badLogin') : failure.message;
      button.disabled = false;
      button.textContent = t('deputy.signin');
    }
  }

  return screen(t('deputy.signinTitle'), h('form', { novalidate: true, onsubmit: submit },
    h('div', { class: 'field' }, h('label', { for: 'username' }, t('deputy.username')), username),
    h('div', { class: 'field' }, h('label', { for: 'password' }, t('deputy.password')), password),
    error, button));
}

function toolbar(app) {
  return h('div', { class: 'row' },
    h('button', { type: 'button', class: 'btn secondary', id: 'refresh', onclick: () => app.refresh() }, t('deputy.refresh')),
    h('button', {
      type: 'button', class: 'btn ghost', id: 'signout',
      onclick: async () => { await signOut(); app.go('/deputy', { replace: true }); },
    }, t('deputy.signout')));
}

async function inboxScreen(app, session) {
  let answer;
  try {
    answer = await request('GET', '/api/deputy/inbox?limit=100', { auth: true });
  } catch (failure) {
    if (failure instanceof ApiError && failure.status === 401) {
      await signOut();
      return signInScreen(app, t('deputy.expired'));
    }
    const text = failure instanceof OfflineError ? t('deputy.offline')
      : failure.status === 403 ? t('deputy.notDeputy') : t('deputy.error');
    return screen(t('deputy.inbox'), notice('error', text), toolbar(app));
  }
  const { data, cachedAt } = answer;
  return screen(t('deputy.inbox'),
    h('p', { class: 'lead' }, t('deputy.hello', { name: session.name })),
    toolbar(app),
    cachedAt ? notice('offline', t('deputy.cached', { time: formatTime(cachedAt) })) : null,
    h('p', { class: 'meta' }, t('deputy.count', { n: data.total })),
    data.items.length
      ? h('ul', { class: 'inbox' }, data.items.map(inboxItem))
      : h('p', { class: 'lead' }, t('deputy.empty')),
    h('p', { class: 'meta' }, t('time.note')));
}

function inboxItem(item) {
  return h('li', { class: item.overdue ? 'case overdue' : 'case', 'data-case-id': item.case_id },
    h('div', { class: 'case-head' },
      h('span', { class: 'code small' }, item.tracking_code),
      item.overdue ? h('span', { class: 'badge danger' }, t('deputy.overdue')) : null),
    h('p', { class: 'case-kind' }, `${label('kind', item.kind)} · ${label('category', item.category)} · ${label('state', item.status)}`),
    h('p', {}, shorten(item.summary, 140)),
    h('p', { class: item.overdue ? 'due late' : 'due' }, t('deputy.acceptBy', { time: formatTime(item.accept_due_at) })),
    h('p', { class: 'meta' }, t('deputy.filedAt', { time: formatTime(item.submitted_at) })));
}
