// Reads through the gateway, the signed-in session, and the grid "atlas" that lets villagers pick a place offline.
import { keepNames, lang } from './i18n.js';

const Q = self.ddgQueue;

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export class OfflineError extends Error {}

/** JSON in, JSON out; rejects with OfflineError (no network, timeout) or ApiError (problem+json). */
export async function request(method, url, { body, auth = false, timeout = 20000, headers: extra = {} } = {}) {
  // The server's words (errors, timeline sentences) in the screen's language, not the browser's.
  const headers = { Accept: 'application/json', 'Accept-Language': lang === 'en' ? 'en' : 'zh-CN', ...extra };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (auth) {
    const session = await Q.freshSession();
    if (session) headers.Authorization = 'Bearer ' + session.token;
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout);
  try {
    let response;
    try {
      response = await fetch(url, {
        method, headers, signal: controller.signal, credentials: 'same-origin',
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new OfflineError(String(error));
    }
    if (response.headers.get('X-DDG-Offline')) throw new OfflineError('offline, nothing cached');
    if (method === 'GET' && response.ok) keepRead(url, response);
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, data);
    if (data === null) throw new OfflineError('unreadable answer');
    return { data, cachedAt: response.headers.get('X-DDG-Cached-At') };
  } catch (error) {
    if (error.name === 'AbortError') throw new OfflineError('timeout');
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

const API_CACHE = 'ddg-api-v1'; // sw.js keeps the reads it sees there
const UNTOUCHED = /^\/api\/(?:auth\/|live$)|\/exports\//; // as in sw.js: never kept

/** A read made before the service worker controls the page (a phone's first visit) never passes through it:
 * keep it here, as the worker would (stamped), so that what an official opened also opens offline. */
function keepRead(url, response) {
  const worker = navigator.serviceWorker;
  if (!self.caches || !worker || worker.controller || UNTOUCHED.test(new URL(url, location.href).pathname)) return;
  const headers = new Headers(response.headers);
  headers.set('X-DDG-Cached-At', new Date().toISOString());
  response.clone().blob()
    .then((body) => caches.open(API_CACHE).then((cache) => cache.put(url, new Response(body, { status: response.status, headers }))))
    .catch(() => {});
}

/* ---- session ---- */

/** An official's sign-in; `totpCode` only for an account with TOTP on (the server asks: problem `totp-required`). */
export async function signIn(username, password, totpCode) {
  const body = totpCode ? { username, password, totp_code: totpCode } : { username, password };
  const { data } = await request('POST', '/api/auth/login', { body });
  return keepSession(Q.sessionFrom(data));
}

/** A villager's sign-in: a code sent by text message to the phone (the first sign-in makes the account). */
export async function requestCode(phone) {
  return (await request('POST', '/api/auth/otp/request', { body: { phone } })).data;
}

export async function signInWithCode(phone, code, phoneMasked) {
  const { data } = await request('POST', '/api/auth/otp/verify', { body: { phone, code } });
  return keepSession(Q.sessionFrom(data, { phoneMasked }));
}

async function keepSession(session) {
  await forgetReads();
  await Q.setSession(session);
  return session;
}

export async function signOut() {
  const session = await Q.getSession();
  await Q.clearSession();
  await forgetReads();
  if (session && session.refreshToken) { // end the refresh token's family on the server too (best effort)
    request('POST', '/api/auth/logout', { body: { refresh_token: session.refreshToken } }).catch(() => {});
  }
}

/** Cached API reads may hold one person's inbox: drop them when who is signed in changes. */
async function forgetReads() {
  if (!self.caches) return;
  for (const name of await caches.keys()) {
    if (name.startsWith('ddg-api')) await caches.delete(name);
  }
}

/** The subject to file as: the signed-in user while the session is good, else anonymous (null). */
export async function filingSubject() {
  const session = await Q.getSession();
  return Q.sessionUsable(session) ? session.subject : null;
}

/* ---- grid atlas: every township, village and group as [id, name, level letter, parent id] ---- */

const ATLAS_KEY = 'ddg.atlas.v1';
const ATLAS_FRESH_MS = 24 * 3600 * 1000; // younger: the pickers use it without asking the network
const ATLAS_REFRESH_MS = 7 * 24 * 3600 * 1000; // older: download it again (about 65 KB of JSON, 8 KB gzipped)
const LEVELS = ['township', 'village', 'group'];

function readAtlas() {
  try {
    const atlas = JSON.parse(localStorage.getItem(ATLAS_KEY));
    return atlas && Array.isArray(atlas.items) ? atlas : null;
  } catch (error) {
    return null;
  }
}

const fresh = (atlas, age = ATLAS_FRESH_MS) => atlas && Date.now() - atlas.at < age;

/** Keep a copy of the whole grid tree (a few KB) so that a place can be chosen with no network. */
export async function warmAtlas() {
  const atlas = readAtlas();
  if (fresh(atlas, ATLAS_REFRESH_MS) || !navigator.onLine) return atlas;
  const items = [];
  for (const level of LEVELS) {
    for (let offset = 0; ;) {
      const { data, cachedAt } = await request('GET', `/api/grid/grids?level=${level}&limit=200&offset=${offset}`);
      if (cachedAt) return atlas; // offline after all: keep what we have
      for (const grid of data.items) items.push([grid.id, grid.name, level[0], grid.parent_id || null]);
      offset += data.items.length;
      if (!data.items.length || offset >= data.total) break;
    }
  }
  const next = { at: Date.now(), items };
  try { localStorage.setItem(ATLAS_KEY, JSON.stringify(next)); } catch (error) { /* full: use the network */ }
  return next;
}

export function atlasReady() {
  return Boolean(readAtlas());
}

function fromAtlas(atlas, level, parentId) {
  return atlas.items.filter((item) => item[2] === level[0] && item[3] === (parentId || null))
    .map(([id, name]) => ({ id, name }));
}

/** The grids of `level` under `parentId` (townships: no parent): the atlas when fresh, else the network. */
export async function gridChildren(level, parentId) {
  const atlas = readAtlas();
  if (fresh(atlas)) return fromAtlas(atlas, level, parentId);
  const parent = parentId ? `&parent_id=${encodeURIComponent(parentId)}` : '';
  try {
    const { data } = await request('GET', `/api/grid/grids?level=${level}&limit=200${parent}`);
    return data.items.map(({ id, name }) => ({ id, name }));
  } catch (error) {
    if (atlas && error instanceof OfflineError) return fromAtlas(atlas, level, parentId);
    throw error;
  }
}

/** One grid from the atlas, {id, name, level, parentId}, or null (no atlas, or a grid it does not know). */
export function atlasGrid(id) {
  const atlas = readAtlas();
  const item = atlas && atlas.items.find((entry) => entry[0] === id);
  return item ? { id: item[0], name: item[1], level: LEVELS.find((level) => level[0] === item[2]), parentId: item[3] } : null;
}

/** The names of a group and its village and township, from the atlas (for the lists on the home screen). */
export function placeNames(groupId) {
  const atlas = readAtlas();
  if (!atlas) return [];
  const byId = new Map(atlas.items.map((item) => [item[0], item]));
  const names = [];
  for (let item = byId.get(groupId); item; item = item[3] ? byId.get(item[3]) : null) names.unshift(item[1]);
  return names;
}

/** The categories' names as case intake gives them (GET /categories): one name per category for villagers and
 * officials, kept for offline screens (the catalogues carry the same names for a phone never online). */
export async function warmNames() {
  const { data, cachedAt } = await request('GET', '/api/case-intake/categories?limit=200&include_inactive=true');
  if (cachedAt) return;
  keepNames('category', Object.fromEntries(data.items.map((item) => [item.code, { 'zh-CN': item.label_zh, en: item.label_en }])));
}
