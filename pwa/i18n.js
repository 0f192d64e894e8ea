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

/** The text for `key`, with {name} placeholders filled from `params`. */
export const t = (key, params) => fill(catalogue[key] ?? key, params);
