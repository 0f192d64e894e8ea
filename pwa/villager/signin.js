// A villager signs in with their phone number and a code sent by text message, or goes on without an account.
import { t } from '../i18n.js';
import { h, link, notice, screen } from '../ui.js';
import { OfflineError, request, requestCode, signInWithCode, signOut } from '../api.js';

const Q = self.ddgQueue;
const PHONE = /^\+?[0-9]{6,15}$/;

function failureText(failure) {
  if (failure instanceof OfflineError) return t('signin.offline');
  if (failure.status === 429) return t('signin.tooMany');
  if (failure.status === 401) return t('signin.badCode');
  if (failure.status === 422) return t('signin.badInput');
  return failure.message;
}

/** Where to go after signing in: `?next=/book` from a screen that needed it. */
function nextPath() {
  const next = new URLSearchParams(location.search).get('next') || '/';
  return /^\/[\w/-]*$/.test(next) ? next : '/';
}

export async function signInScreen(app) {
  const session = await Q.getSession();
  if (session && session.phoneMasked && session.refreshToken !== null) return signedInScreen(app, session);
  return codeScreen(app, session && session.phoneMasked ? t('signin.expired') : '');
}

function signedInScreen(app, session) {
  return screen(t('signin.title'),
    notice('ok', h('p', {}, t('signin.as', { phone: session.phoneMasked }))),
    h('p', {}, t('signin.benefits')),
    link(nextPath(), { class: 'btn primary wide' }, t('signin.continue')),
    myData(),
    h('button', {
      type: 'button', class: 'btn ghost wide', id: 'signout',
      onclick: async () => { await signOut(); app.go('/signin', { replace: true }); },
    }, t('signin.signout')));
}

/** "What do you keep about me?": everything the services keep under this account, saved as one file; and how
 * to have it erased (the office does that on request). */
function myData() {
  const status = h('p', { class: 'meta', role: 'status', id: 'mydata-status' });
  const button = h('button', { type: 'button', class: 'btn secondary wide', id: 'mydata' }, t('signin.myData'));
  button.onclick = async () => {
    button.disabled = true;
    status.textContent = t('signin.myDataWorking');
    try {
      const { data } = await request('GET', '/api/auth/me/data', { auth: true, timeout: 60000 });
      const file = new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' });
      const save = h('a', { href: URL.createObjectURL(file), download: `my-data-${data.exported_at.slice(0, 10)}.json` });
      document.body.append(save);
      save.click();
      save.remove();
      setTimeout(() => URL.revokeObjectURL(save.href), 10000);
      status.textContent = t('signin.myDataSaved');
    } catch (error) {
      status.textContent = t(error instanceof OfflineError ? 'signin.offline' : 'signin.myDataFailed');
    } finally {
      button.disabled = false;
    }
  };
  return h('section', { class: 'card', 'aria-labelledby': 'mydata-title' },
    h('h2', { id: 'mydata-title' }, t('signin.myDataTitle')),
    h('p', {}, t('signin.myDataHint')), button, status, h('p', { class: 'meta' }, t('signin.erasureHint')));
}

function codeScreen(app, message) {
  const phone = h('input', {
    id: 'signin-phone', name: 'phone', type: 'tel', inputmode: 'tel', autocomplete: 'tel', maxlength: '20',
    'aria-describedby': 'signin-phone-hint',
  });
  const code = h('input', {
    id: 'signin-code', name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '6',
    pattern: '[0-9]{6}', 'aria-describedby': 'signin-code-hint',
  });
  const error = h('p', { class: 'field-error', role: 'alert' }, message || '');
  const sentNote = h('p', { class: 'meta', role: 'status', 'aria-live': 'polite' });
  const sendButton = h('button', { type: 'button', class: 'btn secondary wide', id: 'send-code' }, t('signin.sendCode'));
  const signInButton = h('button', { type: 'submit', class: 'btn primary wide', id: 'signin-go' }, t('signin.go'));
  const codeField = h('div', { class: 'field', hidden: true },
    h('label', { for: 'signin-code' }, t('signin.code')), code,
    h('p', { class: 'meta', id: 'signin-code-hint' }, t('signin.codeHint')));
  let number = '';
  let shown = ''; // the number as the gateway masks it (139****5678), for "signed in as"
  let timer = null;

  function countdown(seconds) {
    clearInterval(timer);
    let left = seconds;
    sendButton.disabled = true;
    const tick = () => {
      if (!sendButton.isConnected || left <= 0) {
        clearInterval(timer);
        sendButton.disabled = false;
        sendButton.textContent = t('signin.resend');
        return;
      }
      sendButton.textContent = t('signin.resendIn', { n: left });
      left -= 1;
    };
    tick();
    timer = setInterval(tick, 1000);
  }

  sendButton.addEventListener('click', async () => {
    number = phone.value.replace(/[\s-]/g, '');
    error.textContent = '';
    if (!PHONE.test(number)) { error.textContent = t('signin.badPhone'); phone.focus(); return; }
    sendButton.disabled = true;
    try {
      const sent = await requestCode(number);
      shown = sent.phone_masked;
      sentNote.textContent = t('signin.codeSent', { phone: sent.phone_masked, minutes: Math.round(sent.expires_in / 60) });
      codeField.hidden = false;
      signInButton.hidden = false;
      code.focus();
      countdown(Math.max(sent.resend_after, 30));
    } catch (failure) {
      error.textContent = failureText(failure);
      sendButton.disabled = false;
    }
  });

  async function submit(event) {
    event.preventDefault();
    error.textContent = '';
    if (!/^[0-9]{6}$/.test(code.value.trim())) { error.textContent = t('signin.badCode'); code.focus(); return; }
    signInButton.disabled = true;
    try {
      await signInWithCode(number, code.value.trim(), shown);
      Q.replay({ force: true }); // what waited for this account can go now
      await app.go(nextPath(), { replace: true });
      app.say('✅ ' + t('signin.done', { phone: shown })); // on the screen it led to, until the next one
    } catch (failure) {
      error.textContent = failureText(failure);
      signInButton.disabled = false;
    }
  }

  signInButton.hidden = true;
  return screen(t('signin.title'),
    h('p', { class: 'lead' }, t('signin.lead')),
    h('form', { novalidate: true, onsubmit: submit },
      h('div', { class: 'field' }, h('label', { for: 'signin-phone' }, t('signin.phone')), phone,
        h('p', { class: 'meta', id: 'signin-phone-hint' }, t('signin.phoneHint'))),
      sendButton, sentNote, codeField, error, signInButton),
    h('p', { class: 'meta' }, t('signin.anonymous')),
    link('/', { class: 'btn ghost wide', id: 'go-anonymous' }, t('signin.skip')));
}
