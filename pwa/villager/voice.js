// A voice note for a filing (语音留言), for villagers who do not type: "hold to talk" (press and hold the button,
// with a finger, a mouse, or Space/Enter held down), or tap to start and tap again to stop. At most 60 s: the
// seconds show as it records and it stops by itself at 60. It is played back before sending, and can be deleted
// or recorded again. MediaRecorder records Opus in WebM or Ogg, or AAC in MP4, whichever the phone supports; the
// recording waits in IndexedDB (the queue's "blobs" store, like the photos) until the case is sent, and goes up
// under its own key (queue.js). Loaded only on the "what happened" step: never in the first load.
import { t } from '../i18n.js';
import { h } from '../ui.js';

const Q = self.ddgQueue;
export const MAX_SECONDS = 60;
const MIN_SECONDS = 1;
const MAX_BYTES = 2 * 1024 * 1024; // the server's limit
const BITS_PER_SECOND = 32000; // speech: some 240 KB a minute
// What the server takes: Opus in WebM (Chrome, Firefox, Android) or Ogg, AAC in MP4 (Safari, iPhone).
const TYPES = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/mp4;codecs=mp4a.40.2', 'audio/mp4'];

/** The recording type this browser makes that the server takes, or null when it cannot record here. */
export function recordingType() {
  const Recorder = self.MediaRecorder;
  if (!Recorder || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return null;
  if (typeof Recorder.isTypeSupported !== 'function') return null;
  return TYPES.find((type) => Recorder.isTypeSupported(type)) || null;
}

const clock = (seconds) => {
  const whole = Math.max(0, Math.floor(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
};

/** Why the microphone could not be used, in words for the villager. */
function micProblem(error) {
  const name = error && error.name;
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') return t('voice.denied');
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return t('voice.noMic');
  return t('voice.failed');
}

/** A player of a stored voice note (blob id), for this step and the review screen. */
export function voicePlayer(voice) {
  const audio = h('audio', { controls: true, preload: 'metadata', id: 'voice-player', class: 'voice-player' });
  Q.getBlob(voice.id).then((stored) => {
    if (stored) audio.src = URL.createObjectURL(stored.blob);
  }).catch(() => {});
  return h('div', { class: 'voice-recorded' }, audio,
    h('p', { class: 'meta', id: 'voice-length' }, t('voice.length', { time: clock(voice.seconds) })));
}

/** The voice note inside "what happened": record, hear, delete or record again. `save` keeps the draft. */
export function voiceField(draft, save) {
  const type = recordingType();
  const status = h('p', { class: 'meta voice-status', id: 'voice-status', role: 'status', 'aria-live': 'polite' });
  const body = h('div', { class: 'voice-body' });
  const box = h('div', { class: 'field voice-field', id: 'voice-field', role: 'group', 'aria-labelledby': 'voice-label' },
    h('p', { class: 'label', id: 'voice-label' }, '🎤 ' + t('voice.label')),
    h('p', { class: 'meta', id: 'voice-hint' }, t('voice.hint', { n: MAX_SECONDS })),
    body, status);
  if (!type) {
    body.replaceChildren(h('p', { class: 'notice waiting', id: 'voice-unsupported' }, t('voice.unsupported')));
    return box;
  }

  let session = null; // the recording under way: {recorder, stream, chunks, started, timer, how}
  let starting = null; // getUserMedia asked, not yet answered
  let released = false; // the hold ended while the microphone was still being asked for

  const elapsed = h('p', { class: 'voice-time', id: 'voice-time', 'aria-live': 'off' }, '');
  const fill = h('span', { class: 'fill' });
  const meter = h('div', {
    class: 'progress', role: 'progressbar', 'aria-labelledby': 'voice-time', 'aria-valuemin': '0',
    'aria-valuemax': String(MAX_SECONDS), 'aria-valuenow': '0',
  }, fill);
  const holdLabel = h('span', {}, t('voice.hold'));
  const hold = h('button', {
    type: 'button', class: 'btn primary voice-hold', id: 'voice-hold', 'aria-describedby': 'voice-hint',
    onpointerdown: (event) => {
      if (event.button !== undefined && event.button !== 0) return;
      event.preventDefault();
      try { hold.setPointerCapture(event.pointerId); } catch (error) { /* an older browser */ }
      begin('hold');
    },
    onpointerup: () => endHold(),
    onpointercancel: () => endHold(),
    onkeydown: (event) => {
      if ((event.key === ' ' || event.key === 'Enter') && !event.repeat) { event.preventDefault(); begin('hold'); }
    },
    onkeyup: (event) => { if (event.key === ' ' || event.key === 'Enter') { event.preventDefault(); endHold(); } },
    oncontextmenu: (event) => event.preventDefault(), // a long press must not open the phone's menu
  }, '🎤 ', holdLabel);
  const toggle = h('button', {
    type: 'button', class: 'btn secondary voice-toggle', id: 'voice-toggle', 'aria-pressed': 'false',
    onclick: () => (session || starting ? finish() : begin('tap')),
  }, t('voice.tapStart'));

  function endHold() {
    if (starting && !session) { released = true; return; }
    if (session && session.how === 'hold') finish();
  }

  function showTime(seconds) {
    elapsed.textContent = t('voice.elapsed', { time: clock(seconds), max: clock(MAX_SECONDS) });
    fill.style.width = `${Math.min(100, (100 * seconds) / MAX_SECONDS)}%`;
    meter.setAttribute('aria-valuenow', String(Math.floor(seconds)));
  }

  // The buttons stay in the page while it records (hidden, never redrawn): a keyboard's focus stays on them.
  const live = h('div', { class: 'voice-live-box', hidden: true },
    h('div', { class: 'voice-live' }, h('span', { class: 'dot', 'aria-hidden': 'true' }), elapsed), meter);
  const buttons = h('div', { class: 'voice-buttons' }, hold, toggle);
  const recorded = h('div', { class: 'voice-done', hidden: true });
  body.replaceChildren(live, buttons, recorded);

  function drawIdle() {
    hold.disabled = false;
    holdLabel.textContent = t('voice.hold');
    toggle.textContent = t('voice.tapStart');
    toggle.setAttribute('aria-pressed', 'false');
    live.hidden = true;
    buttons.hidden = false;
    recorded.hidden = true;
    recorded.replaceChildren();
  }

  function drawRecording(how) {
    holdLabel.textContent = t(how === 'hold' ? 'voice.release' : 'voice.recording');
    hold.disabled = how !== 'hold';
    toggle.textContent = '⏹ ' + t('voice.tapStop');
    toggle.setAttribute('aria-pressed', 'true');
    showTime(0);
    live.hidden = false;
  }

  function drawRecorded() {
    const focused = box.contains(document.activeElement);
    const player = voicePlayer(draft.voice);
    recorded.replaceChildren(player, h('div', { class: 'row voice-buttons' },
      h('button', { type: 'button', class: 'btn secondary', id: 'voice-redo', onclick: () => redo() }, '🔁 ' + t('voice.redo')),
      h('button', { type: 'button', class: 'btn ghost remove', id: 'voice-delete', onclick: () => remove() }, t('voice.delete'))));
    live.hidden = true;
    buttons.hidden = true;
    recorded.hidden = false;
    if (focused) player.querySelector('audio').focus(); // a keyboard goes on where it was: to hear it
  }

  async function begin(how) {
    if (session || starting) return;
    released = false;
    status.textContent = t('voice.asking');
    starting = navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
    let stream;
    try {
      stream = await starting;
    } catch (error) {
      starting = null;
      status.textContent = micProblem(error);
      return;
    }
    starting = null;
    let recorder;
    try {
      recorder = new MediaRecorder(stream, { mimeType: type, audioBitsPerSecond: BITS_PER_SECOND });
    } catch (error) {
      stream.getTracks().forEach((track) => track.stop());
      status.textContent = t('voice.failed');
      return;
    }
    const chunks = [];
    recorder.ondataavailable = (event) => { if (event.data && event.data.size) chunks.push(event.data); };
    session = { recorder, stream, chunks, started: Date.now(), how, timer: null };
    const current = session;
    recorder.onstop = () => kept(current);
    recorder.start(1000); // a chunk a second: what was said is kept even if the page is left mid-way
    session.timer = setInterval(() => {
      const seconds = (Date.now() - current.started) / 1000;
      showTime(seconds);
      if (seconds >= MAX_SECONDS) {
        status.textContent = t('voice.limit', { n: MAX_SECONDS });
        finish();
      }
    }, 200);
    status.textContent = t(how === 'hold' ? 'voice.speakHold' : 'voice.speakTap');
    drawRecording(how);
    if (released) finish(); // let go before the microphone was ready
  }

  function finish() {
    if (!session) return;
    const current = session;
    clearInterval(current.timer);
    current.seconds = Math.min(MAX_SECONDS, (Date.now() - current.started) / 1000);
    if (current.recorder.state !== 'inactive') current.recorder.stop(); // onstop keeps it
    else kept(current);
  }

  async function kept(current) {
    if (current.done) return;
    current.done = true;
    current.stream.getTracks().forEach((track) => track.stop());
    session = null;
    const seconds = current.seconds || (Date.now() - current.started) / 1000;
    const blob = new Blob(current.chunks, { type: current.recorder.mimeType || type });
    if (seconds < MIN_SECONDS || !blob.size) {
      status.textContent = t(current.how === 'hold' ? 'voice.tooShortHold' : 'voice.tooShort');
      drawIdle();
      return;
    }
    if (blob.size > MAX_BYTES) {
      status.textContent = t('voice.tooLarge');
      drawIdle();
      return;
    }
    try {
      const id = await Q.putBlob(blob, { kind: 'voice', seconds });
      const old = draft.voice;
      draft.voice = { id, seconds: Math.round(seconds * 10) / 10, size: blob.size, type: blob.type };
      save();
      if (old) Q.dropBlobs([old.id]).catch(() => {});
      status.textContent = t('voice.saved', { time: clock(seconds) });
      drawRecorded();
    } catch (error) {
      status.textContent = t('voice.failed');
      drawIdle();
    }
  }

  async function remove() {
    const old = draft.voice;
    draft.voice = null;
    save();
    if (old) await Q.dropBlobs([old.id]).catch(() => {});
    status.textContent = t('voice.deleted');
    drawIdle();
    toggle.focus();
  }

  async function redo() {
    await remove();
    begin('tap');
  }

  if (draft.voice) drawRecorded();
  else drawIdle();
  return box;
}
