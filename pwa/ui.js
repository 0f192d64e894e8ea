// Small DOM helpers shared by the screens: no innerHTML, user text always goes in as text.
import { lang, serverName, t } from './i18n.js';

/** h('p', {class: 'x', onclick: fn}, 'text', child, [more]) -> an element. */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value == null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'value' || key === 'checked') el[key] = value;
    else el.setAttribute(key, value === true ? '' : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child == null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** A tracking code that may break after each hyphen on a narrow screen or in large text (SS-7KQ3- / M9XD-2PWA),
 * never inside a group: its text stays the code (copying, reading aloud and tests see SS-7KQ3-M9XD-2PWA). */
export function codeText(code) {
  return String(code).split('-').flatMap((part, index) => (index ? [h('wbr'), part] : [part]))
    .map((part, index, parts) => (typeof part === 'string' && index < parts.length - 1 ? `${part}-` : part));
}

/** The router's one style, for the shell (app.js) and the officials' side (officials.js) alike: a table of
 * [path pattern, …, draw] rows. The first row whose pattern matches `path`, with the pattern's groups (the
 * screen's arguments); [undefined, []] when none does. */
export function findRoute(routes, path) {
  for (const row of routes) {
    const found = path.match(row[0]);
    if (found) return [row, found.slice(1)];
  }
  return [undefined, []];
}

/** A link handled by the app's router. */
export const link = (href, props, ...children) => h('a', { href, 'data-link': true, ...props }, ...children);

/** Date and time in Asia/Shanghai, whatever the phone's own time zone. */
export function formatTime(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  // zh-CN: 2026年11月27日 02:37; en: 27 Nov 2026, 02:37
  return new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'zh-CN', {
    timeZone: 'Asia/Shanghai', year: 'numeric', month: lang === 'en' ? 'short' : 'long', day: 'numeric',
    hour: '2-digit', minute: '2-digit', hour12: false,
  }).format(date);
}

/** A deadline: 24:00 of its day (China time) rather than 00:00 of the next, as the rules word it. */
export function formatDeadline(iso) {
  const text = formatTime(iso);
  const before = formatTime(new Date(new Date(iso).getTime() - 60000).toISOString());
  return text.endsWith('00:00') && before.endsWith('23:59') ? before.replace(/23:59$/, '24:00') : text;
}

/** A screen: its heading (focused after navigation, for screen readers) and its content. */
export function screen(title, ...content) {
  return h('section', { class: 'screen' }, h('h1', { tabindex: '-1' }, title), ...content);
}

export function stepper(n) {
  return h('p', { class: 'stepper' }, h('span', { class: 'dots', 'aria-hidden': 'true' },
    [1, 2, 3, 4].map((i) => h('span', { class: i <= n ? 'dot on' : 'dot' }))), t('file.step', { n }));
}

export function notice(kind, ...content) {
  return h('div', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : null }, ...content);
}

/** The server's name of a code (a category), else a label from the catalogue, else the raw value (a status
 * added later). */
export function label(prefix, value) {
  const given = serverName(prefix, value);
  if (given) return given;
  const text = t(`${prefix}.${value}`);
  return text === `${prefix}.${value}` ? value : text;
}

export function shorten(text, length) {
  const value = String(text || '').replace(/\s+/g, ' ').trim();
  return value.length > length ? value.slice(0, length) + '…' : value;
}
