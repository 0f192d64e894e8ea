/* The offline command queue (docs/architecture.md, "The offline queue").
 *
 * Loaded twice: as an ES module by the page (`import './queue.js'`) and as a classic script by the service
 * worker (`importScripts`) for Background Sync, so it has no import/export and defines `self.ddgQueue`.
 *
 * Stores commands, not requests: {id, op, body, idempotencyKey, createdAt, attempts, ...}; the request is
 * built at send time with fresh credentials. 2xx -> a filing goes to the "sent" store (tracking code and filer
 * key kept for the user), any other command to "done"; network error, 5xx, 401/408/425/429 and a 409 "still
 * being processed" -> stays, backs off; any other 4xx -> the "attention" store, which the user sees. Nothing is
 * ever removed without a 2xx answer or the user's explicit choice.
 *
 * Photos: a filing's scaled JPEGs wait in the "blobs" store. At send time each photo not yet uploaded goes up
 * under its own stable key (the multipart body is built here with a boundary made from that key, so a retry
 * sends the very same bytes), then the case with the photo ids under the case's key: however often the network
 * drops, the server ends with one case and one set of photos.
 *
 * A voice note (语音留言, pwa/villager/voice.js) waits in the same store and goes the same way: uploaded under its
 * own stable key (`<case key>-voice`) after the photos, its id sent as the filing's `recording_id`.
 */
(function (root) {
  'use strict';

  const DB_NAME = 'ddg-pwa';
  const DB_VERSION = 2;
  const STORES = ['commands', 'attention', 'sent', 'kv', 'blobs', 'done'];
  const CASES = '/api/case-intake/cases';
  const PHOTOS = '/api/case-intake/photos';
  const RECORDINGS = '/api/case-intake/recordings';
  const isCase = (answer) => Boolean(answer && answer.tracking_code);
  const caseAction = (action) => (command) => {
    const { code, caseId, filerKey } = command.target;
    return filerKey ? `${CASES}/track/${code}/${action}` : `${CASES}/${caseId}/${action}`;
  };
  /** Each operation: where it is sent, what a complete answer looks like (else: ask again, same key) and, for
   * all but a filing, what of the answer is kept once it is sent (default: its id, status and place). */
  const OPS = {
    'case.submit': { path: () => CASES, done: isCase },
    'case.confirm': { path: caseAction('confirm'), done: isCase },
    'case.reopen': { path: caseAction('reopen'), done: isCase },
    // "Me too" (我也遇到了): the villager joins an open case instead of filing the same matter again.
    'case.support': {
      path: (command) => `${CASES}/${command.target.caseId}/support`,
      done: (answer) => Boolean(answer && answer.case_id && Number.isInteger(answer.supporters)),
      kept: (answer) => ({ id: answer.case_id, supporters: answer.supporters }),
    },
    'booking.create': {
      path: (command) => `/api/station-scheduling/sessions/${command.target.sessionId}/bookings`,
      done: (answer) => Boolean(answer && answer.id && answer.status),
    },
    // The officials' screens (pwa/work/): a POST to the /api/ path the command names; any JSON object answers it.
    // A command with photos gets their ids in `target.photoField` (a deputy's visit: `photos`).
    'work.post': { path: (command) => command.target.path, done: (answer) => Boolean(answer && typeof answer === 'object') },
  };
  // 401: the session expired or changed. A 409 is retried only while the same key is still being processed
  // (shared/messaging/idempotency.py says so in its detail); any other 409 (a case no longer in that state) needs the user.
  const RETRY_STATUSES = new Set([401, 408, 425, 429]);
  const stillRunning = (problem) => Boolean(problem && /Idempotency-Key/.test(problem.detail || ''));
  const SEND_TIMEOUT_MS = 30000;
  const PHOTO_TIMEOUT_MS = 120000; // 300 KB on a 2G link (where the upload's progress cannot be seen: the worker)
  // Where it can be seen (the page, XMLHttpRequest): the network is called down only when nothing moved for this
  // long, however long a slow but working upload takes (300 KB at 150 kbit/s: some 16 s; three photos: a minute).
  const PHOTO_IDLE_MS = 30000;
  const PROGRESS_EVERY_MS = 250;
  const MAX_BACKOFF_MS = 5 * 60 * 1000;
  const BLOB_KEEP_MS = 30 * 24 * 3600 * 1000;
  const listeners = new Set();
  /** The commands this context is sending right now: id → {sent, total} bytes of its photos (see progress()). */
  const sending = new Map();
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

  // Memory copies are cloned like IndexedDB would; a photo (a Blob) is immutable and kept as it is.
  const clone = (name, value) => (value === undefined || name === 'blobs' ? value : JSON.parse(JSON.stringify(value)));

  function all(name) {
    return transact([name], 'readonly', (tx) => (tx ? promisify(tx.objectStore(name).getAll())
      : [...memory[name].values()].map((value) => clone(name, value))));
  }

  function get(name, id) {
    return transact([name], 'readonly', (tx) => (tx ? promisify(tx.objectStore(name).get(id))
      : clone(name, memory[name].get(id))));
  }

  function put(name, value) {
    return transact([name], 'readwrite', (tx) => {
      if (!tx) { memory[name].set(value.id, clone(name, value)); return undefined; }
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
        memory[to].set(value.id, clone(to, value));
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
        if (memory.commands.has(command.id)) memory.commands.set(command.id, clone('commands', command));
        return undefined;
      }
      const store = tx.objectStore('commands');
      if ((await promisify(store.get(command.id))) !== undefined) await promisify(store.put(command));
      return undefined;
    });
  }

  function withLock(name, work) {
    const locks = root.navigator && root.navigator.locks;
    return locks && typeof locks.request === 'function' ? locks.request(name, work) : work();
  }

  const offline = () => Boolean(root.navigator && root.navigator.onLine === false);

  /* ---- photos waiting on the phone: {id, blob, width, height}; kept while a draft or a command names them ---- */

  async function putBlob(blob, info) {
    const id = newId();
    await put('blobs', { id, blob, createdAt: new Date().toISOString(), ...(info || {}) });
    return id;
  }

  const getBlob = (id) => get('blobs', id);

  /** The blobs a command names: its photos and its voice note. */
  const blobsOf = (command) => [...(command.photos || []).map((photo) => photo.blobId),
    ...(command.recording ? [command.recording.blobId] : [])];

  async function referencedBlobs() {
    const [waiting, attention] = await Promise.all([all('commands'), all('attention')]);
    return new Set([...waiting, ...attention].flatMap(blobsOf));
  }

  /** Delete these photos unless a waiting or refused command still needs them. */
  async function dropBlobs(ids) {
    const used = await referencedBlobs();
    for (const id of ids) if (!used.has(id)) await remove('blobs', id);
  }

  /** Delete the photos of drafts given up: older than a month, named by no command and not in `keep`. (Drafts
   * live in the pages' localStorage, so a younger photo may still belong to one the queue cannot see.) */
  async function collectBlobs(keep) {
    const before = new Date(Date.now() - BLOB_KEEP_MS).toISOString();
    const stored = await all('blobs');
    await dropBlobs(stored.filter((item) => item.createdAt < before && !(keep || []).includes(item.id)).map((item) => item.id));
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

  /** The session kept from a sign-in answer (gateway TokenRead); `extra` adds what the page wants to show. */
  function sessionFrom(data, extra) {
    const claims = decodeToken(data.access_token) || {};
    return {
      token: data.access_token, refreshToken: data.refresh_token || null, subject: claims.sub || null,
      name: data.name, roles: data.roles || [], deputyId: data.deputy_id || null, organisation: claims.org || null,
      expiresAt: Date.now() + data.expires_in * 1000, ...(extra || {}),
    };
  }

  async function getSession() {
    const record = await get('kv', 'session');
    return record ? record.value : null;
  }

  function setSession(value) { return put('kv', { id: 'session', value }); }
  function clearSession() { return remove('kv', 'session'); }
  function sessionUsable(session) { return Boolean(session && session.expiresAt > Date.now() + 10000); }

  /** The session, its 15-minute access token renewed with the refresh token when it ran out (once across tabs:
   * a refresh token spent twice ends the whole family). A refused refresh leaves a session that needs a sign-in. */
  async function freshSession() {
    const session = await getSession();
    if (!session || sessionUsable(session) || !session.refreshToken || offline()) return session;
    return withLock('ddg-session', async () => {
      const current = await getSession();
      if (!current || sessionUsable(current) || !current.refreshToken) return current;
      let response;
      try {
        response = await fetch('/api/auth/refresh', {
          method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify({ refresh_token: current.refreshToken }), credentials: 'same-origin', cache: 'no-store',
        });
      } catch (error) {
        return current;
      }
      const data = await response.json().catch(() => null);
      if (response.ok && data && data.access_token) {
        const next = sessionFrom(data, { phoneMasked: current.phoneMasked || null });
        await setSession(next);
        return next;
      }
      if (response.status === 401 || response.status === 422) {
        const spent = { ...current, refreshToken: null };
        await setSession(spent);
        return spent;
      }
      return current;
    });
  }

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

  /** Save a command first (so that nothing is lost), then let the caller try to send it.
   * options: subject (send as this signed-in user), target (the case or session acted on), photos (blob ids),
   * recording (a filing's voice note: {blobId, seconds}), meta (what the page wants back, e.g. the place names). */
  async function enqueue(op, body, options) {
    if (!OPS[op]) throw new Error('unknown operation ' + op);
    const opts = options || {};
    const id = newId();
    const key = 'pwa-' + id;
    const command = {
      id, op, body, idempotencyKey: key, createdAt: new Date().toISOString(), attempts: 0,
      subject: opts.subject || null, meta: opts.meta || {}, target: opts.target || null,
      photos: (opts.photos || []).map((blobId, index) => ({ blobId, key: `${key}-photo-${index + 1}`, id: null })),
      recording: opts.recording ? { blobId: opts.recording.blobId, seconds: opts.recording.seconds || 0, key: `${key}-voice`, id: null } : null,
      nextAttemptAt: 0, lastError: null,
    };
    await put('commands', command);
    notify({ type: 'queued', id, op });
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
    sending.delete(command.id);
    notify({ type: 'waiting', id: command.id, op: command.op, reason });
    return { state: 'waiting', reason, record: waiting };
  }

  const keptByDefault = (answer) => ({ id: answer.id, status: answer.status, place: answer.place == null ? null : answer.place });

  async function markSent(command, answer) {
    const blobs = blobsOf(command);
    if (command.op !== 'case.submit') {
      const record = {
        id: command.id, op: command.op, createdAt: command.createdAt, sentAt: new Date().toISOString(),
        target: command.target, meta: command.meta, result: (OPS[command.op].kept || keptByDefault)(answer),
      };
      await move('commands', command.id, 'done', record);
      await dropBlobs(blobs); // the server has them now
      sending.delete(command.id);
      notify({ type: 'sent', id: command.id, op: command.op });
      return { state: 'sent', record };
    }
    const record = {
      id: command.id, op: command.op, createdAt: command.createdAt, sentAt: new Date().toISOString(),
      trackingCode: answer.tracking_code, caseId: answer.id, kind: answer.kind, category: answer.category,
      summary: String(answer.description || '').slice(0, 60), meta: command.meta, subject: command.subject,
      filerKey: answer.filer_key || null, gridId: answer.grid_id, photoIds: (command.photos || []).map((p) => p.id),
      recordingId: command.recording ? command.recording.id : null,
    };
    await move('commands', command.id, 'sent', record);
    await dropBlobs(blobs);
    sending.delete(command.id);
    notify({ type: 'sent', id: command.id, op: command.op, trackingCode: record.trackingCode });
    return { state: 'sent', record };
  }

  async function moveToAttention(command, status, problem) {
    const record = { ...command, status, problem: problem || null, failedAt: new Date().toISOString() };
    await move('commands', command.id, 'attention', record);
    sending.delete(command.id);
    notify({ type: 'attention', id: command.id, op: command.op, status });
    return { state: 'attention', record };
  }

  /** Headers with the command's credentials, or null while the right person is not signed in. */
  async function credentials(command, key) {
    const headers = { Accept: 'application/json', 'Idempotency-Key': key };
    if (command.target && command.target.filerKey) headers['X-Filer-Key'] = command.target.filerKey;
    if (command.subject) {
      // The same identity as when it was saved: the server scopes idempotency keys per caller.
      const session = await freshSession();
      if (!sessionUsable(session) || session.subject !== command.subject) return null;
      headers.Authorization = 'Bearer ' + session.token;
    }
    return headers;
  }

  /** A POST by XMLHttpRequest, whose upload reports its progress (fetch cannot): onProgress(bytes sent); given
   * up only after `idle` ms in which not a byte moved (nor the answer came). Resolves a Response. */
  function postWatched(path, init, idle, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new root.XMLHttpRequest();
      let timer = null;
      const stir = () => { clearTimeout(timer); timer = setTimeout(() => xhr.abort(), idle); };
      const fail = () => { clearTimeout(timer); reject(new Error('network')); };
      xhr.open('POST', path);
      for (const [name, value] of Object.entries(init.headers || {})) xhr.setRequestHeader(name, value);
      xhr.upload.onprogress = (event) => { stir(); onProgress(event.loaded); };
      xhr.upload.onload = stir; // all sent: the server's answer gets as long
      xhr.onprogress = stir;
      xhr.onload = () => {
        clearTimeout(timer);
        const headers = new Headers();
        for (const line of xhr.getAllResponseHeaders().trim().split(/[\r\n]+/)) {
          const at = line.indexOf(':');
          if (at > 0) headers.append(line.slice(0, at).trim(), line.slice(at + 1).trim());
        }
        const empty = [204, 205, 304].includes(xhr.status);
        try {
          resolve(new Response(empty ? null : xhr.responseText, { status: xhr.status, headers }));
        } catch (error) {
          reject(error); // a status a Response cannot have (0): no answer
        }
      };
      xhr.onerror = fail;
      xhr.onabort = fail;
      stir();
      xhr.send(init.body);
    });
  }

  /** One POST; resolves {answer} when done, else {outcome} already stored (waiting or attention). With
   * onProgress (a photo), in a page: watched, and given up only when the upload stalls (postWatched). */
  async function exchange(command, path, init, done, timeout, onProgress) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeout);
    let response;
    let answer = null;
    try {
      response = onProgress && typeof root.XMLHttpRequest === 'function'
        ? await postWatched(path, init, PHOTO_IDLE_MS, onProgress)
        : await fetch(path, {
          method: 'POST', ...init, signal: controller.signal, credentials: 'same-origin', cache: 'no-store',
        });
      answer = await response.json().catch(() => null);
    } catch (error) {
      return { outcome: await keepWaiting(command, 'network', null) };
    } finally {
      clearTimeout(timer);
    }
    if (response.ok) {
      // A 2xx without the expected answer (a cut-off body, a Wi-Fi login page): ask again with the same key.
      return done(answer) ? { answer } : { outcome: await keepWaiting(command, 'incomplete', null) };
    }
    const status = response.status;
    if (status >= 500 || RETRY_STATUSES.has(status) || (status === 409 && stillRunning(answer))) {
      return { outcome: await keepWaiting(command, 'http-' + status, retryAfter(response)) };
    }
    return { outcome: await moveToAttention(command, status, answer) };
  }

  /** A multipart body with one `file` part, byte for byte the same on every retry of the same key. */
  function multipart(blob, key, filename) {
    const boundary = 'ddg-' + key;
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename || 'photo.jpg'}"\r\n`
      + `Content-Type: ${blob.type || 'image/jpeg'}\r\n\r\n`;
    return { body: new Blob([head, blob, `\r\n--${boundary}--\r\n`]), type: `multipart/form-data; boundary=${boundary}` };
  }

  /** Upload the photos and the voice note not yet on the server, each under its own key; null when all are, else
   * the outcome. */
  async function uploadPhotos(command) {
    const left = [];
    for (const photo of command.photos || []) {
      if (photo.id) continue;
      const stored = await getBlob(photo.blobId);
      if (!stored) return moveToAttention(command, 0, { title: 'photo-missing' });
      left.push([photo, multipart(stored.blob, photo.key), PHOTOS]);
    }
    const voice = command.recording;
    if (voice && !voice.id) {
      const stored = await getBlob(voice.blobId);
      if (!stored) return moveToAttention(command, 0, { title: 'voice-missing' });
      const type = stored.blob.type || '';
      const name = type.includes('mp4') ? 'voice.m4a' : type.includes('ogg') ? 'voice.ogg' : 'voice.webm';
      left.push([voice, multipart(stored.blob, voice.key, name), RECORDINGS]);
    }
    const progress = { sent: 0, total: left.reduce((sum, [, part]) => sum + part.body.size, 0), photos: left.length };
    let said = 0;
    const report = (sent, force) => {
      progress.sent = Math.min(sent, progress.total);
      sending.set(command.id, { ...progress });
      if (!force && Date.now() - said < PROGRESS_EVERY_MS) return;
      said = Date.now();
      notify({ type: 'progress', id: command.id, op: command.op, sent: progress.sent, total: progress.total });
    };
    if (left.length) report(0, true);
    let before = 0; // bytes of the photos already up
    for (const [photo, { body, type }, path] of left) {
      const headers = await credentials(command, photo.key);
      if (!headers) return keepWaiting(command, 'signin', 60000);
      headers['Content-Type'] = type;
      const watch = (loaded) => report(before + loaded, loaded >= body.size);
      const { answer, outcome } = await exchange(
        command, path, { headers, body }, (a) => Boolean(a && a.id), PHOTO_TIMEOUT_MS, watch);
      if (outcome) return outcome;
      photo.id = answer.id;
      before += body.size;
      report(before, true);
      await update(command); // a later retry does not upload this one again (its key would give the same id)
    }
    return null;
  }

  /** One try of one command; the outcome is stored before it is returned. */
  async function attempt(command) {
    try {
      return await tryOnce(command);
    } finally {
      sending.delete(command.id); // however it ended (even by a storage error), it is no longer on its way
    }
  }

  async function tryOnce(command) {
    const op = OPS[command.op];
    if (!op) return moveToAttention(command, 0, { title: 'Unknown operation ' + command.op });
    if (offline()) return keepWaiting(command, 'offline', 0);
    sending.set(command.id, { sent: 0, total: 0, photos: 0 });
    const photosOutcome = await uploadPhotos(command);
    if (photosOutcome) return photosOutcome;
    const headers = await credentials(command, command.idempotencyKey);
    if (!headers) return keepWaiting(command, 'signin', 60000);
    headers['Content-Type'] = 'application/json';
    let body = command.photos && command.photos.length
      ? { ...command.body, [(command.target && command.target.photoField) || 'photo_ids']: command.photos.map((photo) => photo.id) }
      : command.body;
    if (command.recording) body = { ...body, recording_id: command.recording.id };
    const init = { headers, body: JSON.stringify(body) };
    const { answer, outcome } = await exchange(command, op.path(command), init, op.done, SEND_TIMEOUT_MS);
    return outcome || markSent(command, answer);
  }

  async function outcome(id) {
    for (const [store, state] of [['sent', 'sent'], ['done', 'sent'], ['attention', 'attention']]) {
      const record = await get(store, id);
      if (record) return { state, record };
    }
    const waiting = await get('commands', id);
    if (waiting) return { state: 'waiting', reason: waiting.lastError, record: waiting };
    return { state: 'unknown' };
  }

  /** Try one command now (the user just pressed "send"); if another context sent it meanwhile, say so. */
  function sendNow(id) {
    return withLock('ddg-queue', async () => {
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
    running = withLock('ddg-queue', () => drain(force)).finally(() => {
      running = null;
      if (again) {
        again = false;
        replay({ force: true });
      }
    });
    return running;
  }

  async function discard(id) {
    // Only the user may do this, and only for an entry in "needs attention".
    const record = await get('attention', id);
    await remove('attention', id);
    if (record) await dropBlobs(blobsOf(record));
    notify({ type: 'discarded', id });
  }

  root.ddgQueue = {
    enqueue, sendNow, replay, outcome, discard, onChange,
    /** {sent, total, photos} while this page is sending command `id` (bytes of its photos), else null. */
    progress: (id) => (sending.has(id) ? { ...sending.get(id) } : null), decodeToken, sessionFrom, getSession, setSession,
    clearSession, sessionUsable, freshSession, putBlob, getBlob, dropBlobs, collectBlobs,
    commands: () => all('commands'), attention: () => all('attention'), sent: () => all('sent'), done: () => all('done'),
    get persistent() { return !memory; },
  };
})(self);
