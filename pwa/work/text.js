// The officials' words and small formatting helpers. Their catalogue (pwa/work/i18n/) loads with these screens,
// so that none of it weighs on the villager's first load; anything it lacks comes from the shared catalogue.
import { fill, lang, t as shared } from '../i18n.js';

let words = {};
let wordsLang = null;

/** Load the officials' catalogue of the current language (kept when offline and never loaded). */
export async function loadWords() {
  if (wordsLang === lang) return;
  try {
    words = (await import(`./i18n/${lang}.js`)).default;
    wordsLang = lang;
  } catch (error) {
    if (wordsLang === null) throw error;
  }
}

/** The officials' text for `key` ({name} placeholders filled from `params`), else the shared catalogue's. */
export const t = (key, params) => (key in words ? fill(words[key], params) : shared(key, params));

const ZONE = 'Asia/Shanghai';

/** Today (or a day `offset` days away) in China, as YYYY-MM-DD. */
export function chinaDay(offset = 0, from = Date.now()) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(new Date(from + offset * 86400000));
}

/** A wall-clock day and time in China ("2026-11-27", "09:30") as an ISO moment with its offset. */
export const chinaMoment = (day, time) => `${day}T${time}:00+08:00`;

/** The hour and minute now in China, "HH:MM". */
export function chinaClock(from = Date.now()) {
  return new Intl.DateTimeFormat('en-GB', { timeZone: ZONE, hour: '2-digit', minute: '2-digit', hour12: false }).format(new Date(from));
}

/** "in 3 hours" / "2 days ago", in the app's language. */
export function relative(iso, now = Date.now()) {
  const ms = new Date(iso).getTime() - now;
  if (!Number.isFinite(ms)) return '';
  const format = new Intl.RelativeTimeFormat(lang === 'en' ? 'en' : 'zh-CN', { numeric: 'auto' });
  const minutes = Math.round(ms / 60000);
  if (Math.abs(minutes) < 60) return format.format(minutes, 'minute');
  const hours = Math.round(ms / 3600000);
  if (Math.abs(hours) < 48) return format.format(hours, 'hour');
  return format.format(Math.round(ms / 86400000), 'day');
}

export const percent = (share) => (share == null ? '—' : `${Math.round(share * 1000) / 10}%`);
