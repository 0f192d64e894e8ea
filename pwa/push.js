// Web Push on this phone: offered in plain words at the right moment (a deputy after signing in, a villager on
// the "sent" screen), never on first paint; turned off from the home screen. The browser's PushSubscription is
// registered with the notification service (/api/notification/subscriptions); the service worker (sw.js) shows
// what arrives and opens its screen when tapped.
import { request } from './api.js';
import { lang, t } from './i18n.js';
import { h } from './ui.js';

const STATE_KEY = 'ddg.push';
const DISMISSED_KEY = 'ddg.push.notNow';
const BASE = '/api/notification';

export function pushSupported() {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

function keyBytes(base64url) {
  const padded = (base64url + '='.repeat((4 - (base64url.length % 4)) % 4)).replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

export async function currentSubscription() {
  if (!pushSupported()) return null;
  const registration = await navigator.serviceWorker.ready;
  return registration.pushManager.getSubscription();
}

/** Ask the browser (the user just tapped "turn on"), subscribe, and register with the service. */
export async function turnOn({ follow = [], auth = false } = {}) {
  if (!pushSupported()) return 'unsupported';
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') return 'denied';
  const registration = await navigator.serviceWorker.ready;
  let subscription = await registration.pushManager.getSubscription();
  if (!subscription) {
    const { data } = await request('GET', `${BASE}/vapid-public-key`);
    subscription = await registration.pushManager.subscribe({
      userVisibleOnly: true, applicationServerKey: keyBytes(data.application_server_key),
    });
  }
  await request('POST', `${BASE}/subscriptions`, {
    body: { subscription: subscription.toJSON(), follow, language: lang === 'en' ? 'en' : 'zh-CN' }, auth,
  });
  localStorage.setItem(STATE_KEY, 'on');
  return 'on';
}

/** Forget this phone on the service, then in the browser. */
export async function turnOff() {
  const subscription = await currentSubscription();
  if (subscription) {
    await request('DELETE', `${BASE}/subscriptions?endpoint=${encodeURIComponent(subscription.endpoint)}`).catch(() => null);
    await subscription.unsubscribe();
  }
  localStorage.removeItem(STATE_KEY);
}

export function pushIsOn() {
  return localStorage.getItem(STATE_KEY) === 'on' && pushSupported() && Notification.permission === 'granted';
}

/** A card offering push: `lead` says what the person will be told. Nothing when unsupported, already on,
 * refused by the browser, or put off ("not now") for this `context`. */
export function offerCard({ context, lead, follow = [], auth = false }) {
  if (!pushSupported() || Notification.permission === 'denied') return null;
  if (pushIsOn() && !follow.length) return null;
  if (localStorage.getItem(`${DISMISSED_KEY}.${context}`)) return null;
  const status = h('p', { class: 'meta', role: 'status' });
  const card = h('section', { class: 'card push-offer', id: 'push-offer' },
    h('p', {}, '🔔 ' + lead),
    h('div', { class: 'row' },
      h('button', {
        type: 'button', class: 'btn primary', id: 'push-on',
        onclick: async () => {
          status.textContent = t('push.working');
          try {
            const result = await turnOn({ follow, auth });
            status.textContent = t(`push.${result}`);
            if (result === 'on') card.querySelector('.row').remove();
          } catch (error) {
            status.textContent = t('push.failed');
          }
        },
      }, t('push.turnOn')),
      h('button', {
        type: 'button', class: 'btn ghost', id: 'push-not-now',
        onclick: () => { localStorage.setItem(`${DISMISSED_KEY}.${context}`, '1'); card.remove(); },
      }, t('push.notNow'))),
    status);
  return card;
}

/** The home screen's line: push is on for this phone, with a button to turn it off. */
export function pushSwitch(onChange) {
  if (!pushIsOn()) return null;
  return h('p', { class: 'meta push-switch', id: 'push-switch' }, '🔔 ' + t('push.isOn') + ' ',
    h('button', {
      type: 'button', class: 'btn ghost small', id: 'push-off',
      onclick: async () => { await turnOff(); onChange(); },
    }, t('push.turnOff')));
}
