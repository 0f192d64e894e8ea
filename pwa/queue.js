/* The offline command queue (ARCHITECTURE.md, "PWA offline queue").
 *
 * Loaded twice: as an ES module by the page (`import './queue.js'`) and as a classic script by the service
 * worker (`importScripts`) for Background Sync, so it has no import/export and defines `self.ddgQueue`.
 *
 * Stores commands, not requests: {id, op, body, idempotencyKey, createdAt, attempts, ...}; the request is
 * built at send time with fresh credentials. 2xx -> the "sent" store (tracking code kept for the user);
 * network error, 5xx, 408/409/425/429 -> stays, backs off; any other 4xx -> the "attention" store, which the
 * user sees. Nothing is ever removed without a 2xx answer or the user's explicit choice.
 */
(function (root) {
  'use strict';

  const DB_NAME = 'ddg-pwa';
  const DB_VERSION = 1;
  const STORES = ['commands', 'attention', 'sent', 'kv'];
  const OPS = {
    'case.submit': { method: 'POST', path: '/api/case-intake/cases', done: (answer) => Boolean(answer && answer.tracking_code) },
  };
  // 401: the session expired or changed; 409: the same key is still being processed by the server.
  const RETRY_STATUSES = new Set([401, 408, 409, 425, 429]);
  const SEND_TIMEOUT_MS = 30000;
  const MAX_BACKOFF_MS = 5 * 60 * 1000;
  const listeners = new Set();
  const channel = typeof root.BroadcastChannel === 'function' ? new root.BroadcastChannel('ddg-queue') : null;

  /* ---- storage: IndexedDB, or memory when the browser refuses it (then `persistent` is false) ---- */

  let dbPromise = null;
  let memory = null;

  function promisify(request) {
    return new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  function openDb() {
    if (memory) return Promise.resolve(null);
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        if (!root.indexedDB) { reject(new Error('no IndexedDB')); return; }
        const request = root.indexedDB.open(DB_NAME, DB_VERSION);
        request.onupgradeneeded = () => {
          const db = request.result;
          for (const name of STORES) {
            if (!db.objectStoreNames.contains(name)) db.createObjectStore(name, { keyPath: 'id' });
          }
        };
        request.onsuccess = () => {
          const db = request.result;
          db.onversionchange = () => { db.close(); dbPromise = null; };
          resolve(db);
        };
        request.onerror = () => reject(request.error);
      }).catch(() => {
        memory = Object.fromEntries(STORES.map((name) => [name, new Map()]));
        return null;
      });
    }
    return dbPromise;
  }

  async function transact(names, mode, work) {
    const db = await openDb();
    if (!db) return work(null);
    return new Promise((resolve, reject) => {
      const tx = db.transaction(names, mode);
      let result;
      tx.oncomplete = () => resolve(result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error('transaction aborted'));
      Promise.resolve(work(tx)).then((value) => { result = value; }, (error) => {
        try { tx.abort(); } catch (ignored) { /* already finished */ }
        reject(error);
      });
    });
  }

  const clone = (value) => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));

  function all(name) {
    return transact([name], 'readonly', (tx) => (tx ? promisify(tx.objectStore(name).getAll())
      : [...memory[name].values()].map(clone)));
  }

  function get(name, id) {
    return transact([name], 'readonly', (tx) => (tx ? promisify(tx.objectStore(name).get(id))
      : clone(memory[name].get(id))));
  }

  function put(name, value) {
    return transact([name], 'readwrite', (tx) => {
      if (!tx) { memory[name].set(value.id, clone(value)); return undefined; }
      return promisify(tx.objectStore(name).put(value));
    });
  }

  function remove(name, id) {
    return transact([name], 'readwrite', (tx) => {
      if (!tx) { memory[name].delete(id); return undefined; }
      return promisify(tx.objectStore(name).delete(id));
    });
  }

  /** Atomically take `id` out of `from` and write `value` to `to`; false when it was no longer in `from`. */
  function move(from, id, to, value) {
    return transact([from, to], 'readwrite', async (tx) => {
      if (!tx) {
        if (!memory[from].has(id)) return false;
        memory[from].delete(id);
        memory[to].set(value.id, clone(value));
        return true;
      }
      const source = tx.objectStore(from);
      if ((await promisify(source.get(id))) === undefined) return false;
      await promisify(source.delete(id));
      await promisify(tx.objectStore(to).put(value));
      return true;
    });
  }

  /** Replace a waiting command, unless it left the queue meanwhile (sent by another tab or the worker). */
  function update(command) {
    return transact(['commands'], 'readwrite', async (tx) => {
      if (!tx) {
        if (memory.commands.has(command.id)) memory.commands.set(command.id, clone(command));
        return undefined;
      }
      const store = tx.objectStore('commands');
      if ((await promisify(store.get(command.id))) !== undefined) await promisify(store.put(command));
      return undefined;
    });
  }

  /* ---- the signed-in session, kept here so that the service worker can send with it too ---- */

  function decodeToken(token) {
    try {
      const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      const bytes = Uint8Array.from(root.atob(part), (c) => c.charCodeAt(0));
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch (error) {
      return null;
    }
  }

  async function getSession() {
    const record = await get('kv', 'session');
    return record ? record.value : null;
  }

  function setSession(value) { return put('kv', { id: 'session', value }); }
  function clearSession() { return remove('kv', 'session'); }
  function sessionUsable(session) { return Boolean(session && session.expiresAt > Date.now() + 10000); }

  /* ---- events: this context's listeners, and other tabs and the worker through a BroadcastChannel ---- */

  function notify(message) {
    for (const listener of listeners) {
      try { listener(message); } catch (error) { /* a listener's bug must not stop the queue */ }
    }
    if (channel) channel.postMessage(message);
  }

  if (channel) {
    channel.onmessage = (event) => {
      for (const listener of listeners) {
        try { listener(event.data); } catch (error) { /* ignore */ }
      }
    };
  }

  function onChange(listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /* ---- commands ---- */

  function newId() {
    const crypto = root.crypto;
    if (crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  /** Save a command first (so that nothing is lost), then let the caller try to send it. */
  async function enqueue(op, body, options) {
    if (!OPS[op]) throw new Error('unknown operation ' + op);
    const id = newId();
    const command = {
      id, op, body, idempotencyKey: 'pwa-' + id, createdAt: new Date().toISOString(), attempts: 0,
      subject: (options && options.subject) || null, meta: (options && options.meta) || {},
      nextAttemptAt: 0, lastError: null,
    };
    await put('commands', command);
    notify({ type: 'queued', id });
    return command;
  }

  function backoff(attempts) {
    const base = Math.min(MAX_BACKOFF_MS, 5000 * 2 ** Math.min(Math.max(attempts - 1, 0), 10));
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  function retryAfter(response) {
    const value = response.headers.get('Retry-After');
    if (!value) return null;
    const seconds = Number(value);
    const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now();
    return Number.isFinite(ms) && ms > 0 ? Math.min(ms, 3600 * 1000) : null;
  }

  async function keepWaiting(command, reason, delay) {
    const counts = reason !== 'signin' && reason !== 'offline'; // no request was made
    const attempts = command.attempts + (counts ? 1 : 0);
    const waiting = {
      ...command, attempts, lastError: reason, lastAttemptAt: new Date().toISOString(),
      nextAttemptAt: Date.now() + (delay == null ? backoff(attempts) : delay),
    };
    await update(waiting);
    notify({ type: 'waiting', id: command.id, reason });
    return { state: 'waiting', reason, record: waiting };
  }

  async function markSent(command, answer) {
    const record = {
      id: command.id, op: command.op, createdAt: command.createdAt, sentAt: new Date().toISOString(),
      trackingCode: answer.tracking_code, caseId: answer.id, kind: answer.kind, category: answer.category,
      summary: String(answer.description || '').slice(0, 60), meta: command.meta,
    };
    await move('commands', command.id, 'sent', record);
    notify({ type: 'sent', id: command.id, trackingCode: record.trackingCode });
    return { state: 'sent', record };
  }

  async function moveToAttention(command, status, problem) {
    const record = { ...command, status, problem: problem || null, failedAt: new Date().toISOString() };
    await move('commands', command.id, 'attention', record);
    notify({ type: 'attention', id: command.id, status });
    return { state: 'attention', record };
  }

  /** One try of one command; the outcome is stored before it is returned. */
  async function attempt(command) {
    const op = OPS[command.op];
    if (!op) return moveToAttention(command, 0, { title: 'Unknown operation ' + command.op });
    if (root.navigator && root.navigator.onLine === false) return keepWaiting(command, 'offline', 0);
    const headers = {
      'Content-Type': 'application/json', Accept: 'application/json', 'Idempotency-Key': command.idempotencyKey,
    };
    if (command.subject) {
      // The same identity as when it was filed: the server scopes idempotency keys per caller.
      const session = await getSession();
      if (!sessionUsable(session) || session.subject !== command.subject) {
        return keepWaiting(command, 'signin', 60000);
      }
      headers.Authorization = 'Bearer ' + session.token;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), SEND_TIMEOUT_MS);
    let response;
    let answer = null;
    try {
      response = await fetch(op.path, {
        method: op.method, headers, body: JSON.stringify(command.body), signal: controller.signal,
        credentials: 'same-origin', cache: 'no-store',
      });
      answer = await response.json().catch(() => null);
    } catch (error) {
      return keepWaiting(command, 'network', null);
    } finally {
      clearTimeout(timer);
    }
    if (response.ok) {
      // A 2xx without the expected answer (a cut-off body, a Wi-Fi login page): ask again with the same key.
      return op.done(answer) ? markSent(command, answer) : keepWaiting(command, 'incomplete', null);
    }
    if (response.status >= 500 || RETRY_STATUSES.has(response.status)) {
      return keepWaiting(command, 'http-' + response.status, retryAfter(response));
    }
    return moveToAttention(command, response.status, answer);
  }

  function withLock(work) {
    const locks = root.navigator && root.navigator.locks;
    return locks && typeof locks.request === 'function' ? locks.request('ddg-queue', work) : work();
  }

  async function outcome(id) {
    const sent = await get('sent', id);
    if (sent) return { state: 'sent', record: sent };
    const attention = await get('attention', id);
    if (attention) return { state: 'attention', record: attention };
    const waiting = await get('commands', id);
    if (waiting) return { state: 'waiting', reason: waiting.lastError, record: waiting };
    return { state: 'unknown' };
  }

  /** Try one command now (the user just pressed "send"); if another context sent it meanwhile, say so. */
  function sendNow(id) {
    return withLock(async () => {
      const command = await get('commands', id);
      return command ? attempt(command) : outcome(id);
    });
  }

  async function drain(force) {
    const summary = { sent: 0, waiting: 0, attention: 0, offline: false };
    const commands = (await all('commands')).sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
    for (const command of commands) {
      if (summary.offline || (!force && command.nextAttemptAt > Date.now())) {
        summary.waiting += 1;
        continue;
      }
      const result = await attempt(command);
      if (result.state === 'waiting') {
        summary.waiting += 1;
        if (result.reason === 'network' || result.reason === 'offline') summary.offline = true;
      } else {
        summary[result.state] += 1;
      }
    }
    return summary;
  }

  let running = null;
  let again = false;

  /** Send whatever is due (or everything, with force); one replay at a time across tabs and the worker. */
  function replay(options) {
    const force = Boolean(options && options.force);
    if (running) {
      again = again || force;
      return running;
    }
    running = withLock(() => drain(force)).finally(() => {
      running = null;
      if (again) {
        again = false;
        replay({ force: true });
      }
    });
    return running;
  }

  function discard(id) {
    // Only the user may do this, and only for an entry in "needs attention".
    return remove('attention', id).then(() => notify({ type: 'discarded', id }));
  }

  root.ddgQueue = {
    enqueue, sendNow, replay, outcome, discard, onChange, decodeToken, getSession, setSession, clearSession,
    sessionUsable, commands: () => all('commands'), attention: () => all('attention'), sent: () => all('sent'),
    get persistent() { return !memory; },
  };
})(self);
