// Translations: zh-CN first (the default), English on request; only the chosen catalogue is loaded.
const SUPPORTED = ['zh-CN', 'en'];
const KEY = 'ddg.lang';
let catalogue = {};
export let lang = 'zh-CN';

export function storedLanguage() {
  try { return localStorage.getItem(KEY) || 'zh-CN'; } catch (error) { return 'zh-CN'; }
}

export async function loadLanguage(wanted) {
  const chosen = SUPPORTED.includes(wanted) ? wanted : 'zh-CN';
  catalogue = (await import(`./i18n/${chosen}.js`)).default;
  lang = chosen;
  document.documentElement.lang = chosen;
  try { localStorage.setItem(KEY, chosen); } catch (error) { /* private mode */ }
}

export const otherLanguage = () => (lang === 'zh-CN' ? 'en' : 'zh-CN');

/** `text` with its {name} placeholders filled from `params` (an unknown name stays as it is). The one
 * substitution of both catalogues: this one and the officials' (work/text.js). */
export function fill(text, params) {
  return params ? text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole)) : text;
}

const NAMES = 'ddg.names';
let named = {};
try { named = JSON.parse(localStorage.getItem(NAMES) || '{}') || {}; } catch (error) { /* private mode */ }

/** Keep the names the server gives codes (`names`: code -> {'zh-CN': …, en: …}; the categories of GET
 * /categories), so that a villager and a deputy read one name for a category, offline too. */
export function keepNames(prefix, names) {
  named = { ...named, [prefix]: names };
  try { localStorage.setItem(NAMES, JSON.stringify(named)); } catch (error) { /* private mode */ }
}

/** The server's name of `value` in the current language, when it gave one. */
export const serverName = (prefix, value) => (named[prefix] && named[prefix][value] && named[prefix][value][lang]) || null;

/** The text for `key`, with {name} placeholders filled from `params`. */
export const t = (key, params) => fill(catalogue[key] ?? key, params);
