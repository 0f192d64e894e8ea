// The officials' side — deputies, station staff, the NPC office — loaded only when one of them opens /deputy,
// /staff or /office (never on the villager's first load): sign-in, then each screen's module from pwa/work/,
// itself loaded when first opened. Its words and styles load with it (pwa/work/i18n/, pwa/work/work.css).
import { findRoute, h, notice, screen } from './ui.js';
import { OfflineError, signIn, signOut } from './api.js';
import { loadCategories, menuOf } from './work/common.js';
import { loadWords, t } from './work/text.js';

const Q = self.ddgQueue;
const DEPUTY = ['deputy'];
const OFFICE = ['station_staff', 'npc_office'];
const ID = '([0-9a-f-]{36})';

/** A route's draw: the screen `name` of a pwa/work/ module loaded when first opened, given the path's groups. */
const lazyScreen = (loader, name) => async (ctx, ...groups) => {
  let module;
  try {
    module = await loader();
  } catch (error) {
    return screen(t('deputy.signinTitle'), notice('error', t('app.moduleOffline')));
  }
  return module[name](ctx, ...groups);
};

/** [path pattern, roles that may open it, draw(ctx, ...the pattern's groups)] (the shell's style: ui.js findRoute). */
const ROUTES = [
  [/^\/deputy$/, DEPUTY, lazyScreen(() => import('./work/inbox.js'), 'inboxScreen')],
  [new RegExp(`^/(?:deputy|office)/case/${ID}$`), [...DEPUTY, ...OFFICE], lazyScreen(() => import('./work/case.js'), 'caseScreen')],
  [/^\/deputy\/visit$/, DEPUTY, lazyScreen(() => import('./work/visit.js'), 'visitScreen')],
  [/^\/deputy\/duty$/, DEPUTY, lazyScreen(() => import('./work/duty.js'), 'dutyScreen')],
  [/^\/deputy\/proposal$/, DEPUTY, lazyScreen(() => import('./work/proposal.js'), 'proposalScreen')],
  [/^\/deputy\/suggestions$/, DEPUTY, lazyScreen(() => import('./work/suggestions.js'), 'deputySuggestionsScreen')],
  [/^\/staff\/file$/, OFFICE, lazyScreen(() => import('./work/file.js'), 'fileScreen')],
  [/^\/staff\/desk$/, OFFICE, lazyScreen(() => import('./work/desk.js'), 'deskScreen')],
  [/^\/staff\/sessions$/, OFFICE, lazyScreen(() => import('./work/sessions.js'), 'sessionsScreen')],
  [/^\/office\/review$/, OFFICE, lazyScreen(() => import('./work/review.js'), 'reviewScreen')],
  [/^\/office\/dashboard$/, OFFICE, lazyScreen(() => import('./work/dashboard.js'), 'dashboardScreen')],
  [/^\/office\/coverage$/, OFFICE, lazyScreen(() => import('./work/coverage.js'), 'coverageScreen')],
  [/^\/office\/privacy$/, ['npc_office'], lazyScreen(() => import('./work/privacy.js'), 'privacyScreen')],
  [/^\/office\/import$/, ['npc_office'], lazyScreen(() => import('./work/imports.js'), 'importScreen')],
  [/^\/office\/suggestions$/, ['npc_office', 'agency_officer'], lazyScreen(() => import('./work/suggestions.js'), 'officeSuggestionsScreen')],
];

let kept = false;

/** Ask the service worker to keep the officials' modules: on a phone's first visit they loaded before it was in
 * control, so it never saw them, and the next visit offline would find nothing (sw.js 'keep-officials'). */
function keepOfficials() {
  if (kept || !('serviceWorker' in navigator)) return;
  kept = true;
  navigator.serviceWorker.ready
    .then((registration) => registration.active && registration.active.postMessage({ type: 'keep-officials' }))
    .catch(() => { kept = false; });
}

let styled = null;

/** The officials' stylesheet, once, before the first screen is drawn (so that nothing jumps). */
function loadStyles() {
  styled = styled || new Promise((resolve) => {
    const sheet = h('link', { rel: 'stylesheet', href: '/work/work.css' });
    sheet.onload = resolve;
    sheet.onerror = resolve; // offline and never loaded: the shared styles still make it usable
    document.head.append(sheet);
  });
  return styled;
}

/** The officials' screen at `path` (any path under /deputy, /staff or /office): sign-in first, then the role's. */
export async function officialsScreen(app, path) {
  try {
    await Promise.all([loadWords(), loadStyles(), loadCategories()]);
  } catch (error) {
    return screen(t('deputy.signinTitle'), notice('error', t('app.moduleOffline')));
  }
  const session = await Q.getSession();
  if (!session) return signInScreen(app, path);
  keepOfficials();
  const ctx = context(app, path, session);
  const [route, groups] = findRoute(ROUTES, path);
  const roles = session.roles || [];
  if (!route || !route[1].some((role) => roles.includes(role))) return home(ctx);
  return route[2](ctx, ...groups);
}

function context(app, path, session) {
  return {
    app, path, session,
    isDeputy: (session.roles || []).includes('deputy'),
    isOffice: (session.roles || []).includes('npc_office'),
    isStaff: (session.roles || []).includes('station_staff'),
    expired: async () => { await signOut(); return signInScreen(app, path, t('deputy.expired')); },
    signOut: async () => {
      const waiting = (await Q.commands()).filter((item) => item.op === 'work.post' && item.subject === session.subject);
      if (waiting.length && !window.confirm(t('work.signOutWaiting', { n: waiting.length }))) return;
      await signOut();
      app.go(path.startsWith('/deputy') ? '/deputy' : path.replace(/^(\/\w+).*$/, '$1'), { replace: true });
    },
  };
}

/** A path the role has no screen at: its first screen, or a word that there is none. */
function home(ctx) {
  const first = menuOf(ctx.session)[0];
  if (first && first[0] !== ctx.path) return ctx.app.go(first[0], { replace: true }).then(() => document.createComment('moved'));
  return screen(t('work.noScreens'), notice('error', t('work.noScreensHint')),
    h('button', { type: 'button', class: 'btn ghost', id: 'signout', onclick: ctx.signOut }, t('deputy.signout')));
}

function signInScreen(app, path, message) {
  const username = h('input', {
    id: 'username', name: 'username', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false',
  });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password' });
  const totp = h('input', {
    id: 'totp', name: 'totp', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '6', pattern: '[0-9]{6}',
  });
  const totpField = h('div', { class: 'field', hidden: true }, h('label', { for: 'totp' }, t('deputy.totp')), totp);
  const error = h('p', { class: 'field-error', role: 'alert' }, message || '');
  const button = h('button', { type: 'submit', class: 'btn primary wide', id: 'signin' }, t('deputy.signin'));

  function refused(failure) {
    if (failure instanceof OfflineError) return t('deputy.offline');
    if (failure.status !== 401) return failure.message;
    const codeWanted = String(failure.problem?.type || '').endsWith('/totp-required');
    if (!codeWanted && totpField.hidden) return t('deputy.badLogin');
    const first = totpField.hidden;
    totpField.hidden = false;  // the account has TOTP on: ask for the authenticator's code
    totp.value = '';
    totp.focus();
    return t(first ? 'deputy.totpNeeded' : 'deputy.badTotp');
  }

  async function submit(event) {
    event.preventDefault();
    if (!username.value.trim() || !password.value) { error.textContent = t('deputy.missing'); return; }
    const code = totpField.hidden ? '' : totp.value.replace(/\s/g, '');
    if (!totpField.hidden && !/^[0-9]{6}$/.test(code)) { error.textContent = t('deputy.totpNeeded'); return; }
    button.disabled = true;
    button.textContent = t('deputy.signingIn');
    try {
      await signIn(username.value.trim(), password.value, code);
      app.go(location.pathname + location.search, { replace: true });
    } catch (failure) {
      error.textContent = refused(failure);
      button.disabled = false;
      button.textContent = t('deputy.signin');
    }
  }

  const title = path.startsWith('/deputy') ? t('deputy.signinTitle') : t('staff.signinTitle');
  return screen(title, h('p', { class: 'lead' }, t(path.startsWith('/deputy') ? 'deputy.signinLead' : 'staff.signinLead')),
    h('form', { novalidate: true, onsubmit: submit },
      h('div', { class: 'field' }, h('label', { for: 'username' }, t('deputy.username')), username),
      h('div', { class: 'field' }, h('label', { for: 'password' }, t('deputy.password')), password),
      totpField, error, button));
}
