// Photos for a filing: up to three, from the camera or the gallery, scaled on the phone with a canvas (longest
// side ≤ 1280 px, JPEG ≤ 300 KB: the quality goes down until it fits, then the size) and kept in IndexedDB (the
// queue's "blobs" store) until the case is sent. Re-encoding also drops the camera's EXIF data (its GPS too).
import { t } from '../i18n.js';
import { h } from '../ui.js';

const Q = self.ddgQueue;
export const MAX_PHOTOS = 3;
const MAX_SIDE = 1280;
const MAX_BYTES = 300 * 1024;
const QUALITIES = [0.85, 0.75, 0.65, 0.55, 0.45];

/** The picture, upright (EXIF orientation applied), as something a canvas can draw; done() frees it. */
async function decode(file) {
  if (self.createImageBitmap) {
    try {
      const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
      return { image: bitmap, width: bitmap.width, height: bitmap.height, done: () => bitmap.close() };
    } catch (error) { /* an older browser: the <img> way below */ }
  }
  const url = URL.createObjectURL(file);
  const image = new Image();
  image.src = url;
  try {
    await image.decode();
  } catch (error) {
    URL.revokeObjectURL(url);
    throw error;
  }
  return { image, width: image.naturalWidth, height: image.naturalHeight, done: () => URL.revokeObjectURL(url) };
}

const jpeg = (canvas, quality) => new Promise((resolve) => { canvas.toBlob(resolve, 'image/jpeg', quality); });

/** A JPEG of at most MAX_SIDE px and MAX_BYTES: {blob, width, height}. */
export async function scalePhoto(file) {
  const source = await decode(file);
  try {
    let scale = Math.min(1, MAX_SIDE / Math.max(source.width, source.height));
    for (;;) {
      const width = Math.max(1, Math.round(source.width * scale));
      const height = Math.max(1, Math.round(source.height * scale));
      const canvas = document.createElement('canvas');
      canvas.width = width;
      canvas.height = height;
      const context = canvas.getContext('2d');
      context.fillStyle = '#fff'; // a transparent PNG becomes white, not black
      context.fillRect(0, 0, width, height);
      context.drawImage(source.image, 0, 0, width, height);
      for (const quality of QUALITIES) {
        const blob = await jpeg(canvas, quality);
        if (blob && blob.size <= MAX_BYTES) return { blob, width, height };
      }
      scale *= 0.75;
    }
  } finally {
    source.done();
  }
}

/** Small pictures of stored photos (blob ids); each item gets `extra(photo, index)` beside it. */
async function thumbnails(list, photos, urls, extra) {
  for (const url of urls.splice(0)) URL.revokeObjectURL(url);
  const items = [];
  for (const [index, photo] of photos.entries()) {
    const stored = await Q.getBlob(photo.id);
    if (!stored) continue;
    const url = URL.createObjectURL(stored.blob);
    urls.push(url);
    items.push(h('li', { class: 'photo' },
      h('img', { src: url, alt: t('photo.alt', { n: index + 1 }), width: '96', height: '96' }),
      extra ? extra(photo, index) : null));
  }
  list.replaceChildren(...items);
}

/** The photo step inside "what happened": add from the camera or the gallery, see, remove. */
export function photoField(draft, save) {
  draft.photos = draft.photos || [];
  const urls = [];
  const list = h('ul', { class: 'photos', id: 'photo-list' });
  const status = h('p', { class: 'meta', role: 'status', 'aria-live': 'polite' });
  const picker = (id, props) => h('input', {
    type: 'file', accept: 'image/*', id, class: 'file-input', ...props, onchange: (event) => add(event.target),
  });
  const camera = picker('photo-camera', { capture: 'environment' });
  const gallery = picker('photo-gallery', { multiple: true });
  const buttons = h('div', { class: 'row photo-buttons' },
    camera, h('label', { class: 'btn secondary', for: 'photo-camera' }, '📷 ' + t('photo.camera')),
    gallery, h('label', { class: 'btn secondary', for: 'photo-gallery' }, '🖼️ ' + t('photo.gallery')));

  const removeButton = (photo, index) => h('button', {
    type: 'button', class: 'btn ghost remove', 'aria-label': t('photo.removeN', { n: index + 1 }),
    onclick: async () => {
      draft.photos = draft.photos.filter((item) => item.id !== photo.id);
      save();
      await Q.dropBlobs([photo.id]);
      status.textContent = t('photo.removed');
      show();
    },
  }, t('photo.remove'));

  function show() {
    buttons.hidden = draft.photos.length >= MAX_PHOTOS;
    thumbnails(list, draft.photos, urls, removeButton);
  }

  async function add(input) {
    const files = [...input.files];
    input.value = '';
    const room = MAX_PHOTOS - draft.photos.length;
    status.textContent = t('photo.working');
    let failed = 0;
    for (const file of files.slice(0, room)) {
      try {
        const { blob, width, height } = await scalePhoto(file);
        const id = await Q.putBlob(blob, { width, height });
        draft.photos.push({ id, width, height, size: blob.size });
        save();
      } catch (error) {
        failed += 1;
      }
    }
    const notes = [];
    if (failed) notes.push(t('photo.bad'));
    if (files.length > room) notes.push(t('photo.tooMany', { n: MAX_PHOTOS }));
    status.textContent = notes.join(' ') || t('photo.added', { n: draft.photos.length });
    show();
  }

  show();
  return h('div', { class: 'field photo-field' },
    h('p', { class: 'label', id: 'photo-label' }, t('photo.label')),
    h('p', { class: 'meta' }, t('photo.hint', { n: MAX_PHOTOS })),
    list, buttons, status);
}

/** The photos of the draft, for the review screen. */
export function photoStrip(photos) {
  const list = h('ul', { class: 'photos small' });
  thumbnails(list, photos || [], []);
  return list;
}
