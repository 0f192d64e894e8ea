// Charts as inline SVG drawn from data (no chart library): horizontal bars, each row its label and figure on
// one line and the bar under them, readable at 360 px; each chart says its figures as text for screen readers.
import { h } from '../ui.js';

const NS = 'http://www.w3.org/2000/svg';
const WIDTH = 296; // the width inside a chart's box on a 360 px phone: one SVG unit is one CSS pixel there
const ROW = 50;
const BAR = 14;

function svg(tag, attributes, ...children) {
  const element = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  for (const child of children) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return element;
}

/** About how wide a text is at the charts' 16 px: Chinese characters are square, Latin ones about half. */
const textWidth = (text) => [...text].reduce((sum, char) => sum + (char.charCodeAt(0) > 0x2e80 ? 16 : 8.6), 0);

function fit(text, room) {
  if (textWidth(text) <= room) return text;
  let cut = text;
  while (cut && textWidth(cut + '…') > room) cut = cut.slice(0, -1);
  return cut + '…';
}

/** rows: [{label, value, text?}] — `text` is the figure shown (default: the value); max: a full bar. */
export function bars(title, rows, { max, id, tone = 'red' } = {}) {
  const top = max || Math.max(1, ...rows.map((row) => row.value || 0));
  const spoken = rows.map((row) => `${row.label}: ${row.text ?? row.value}`).join('; ');
  const chart = svg('svg', {
    viewBox: `0 0 ${WIDTH} ${Math.max(1, rows.length) * ROW}`, class: `chart ${tone}`, role: 'img', 'aria-label': `${title}. ${spoken}`,
  }, ...rows.flatMap((row, index) => {
    const y = index * ROW;
    const figure = row.text ?? String(row.value);
    const length = Math.round(WIDTH * Math.min(1, (row.value || 0) / top));
    return [
      svg('text', { x: 0, y: y + 18, class: 'chart-label' }, fit(row.label, WIDTH - textWidth(figure) - 12)),
      svg('text', { x: WIDTH, y: y + 18, 'text-anchor': 'end', class: 'chart-figure' }, figure),
      svg('rect', { x: 0, y: y + 27, width: WIDTH, height: BAR, rx: 4, class: 'chart-track' }),
      svg('rect', { x: 0, y: y + 27, width: row.value ? Math.max(3, length) : 0, height: BAR, rx: 4, class: 'chart-bar' }),
    ];
  }));
  return h('figure', { class: 'chart-box', id }, h('figcaption', {}, title), chart);
}

/** A single progress bar: `done` of `total`, `words` for screen readers. */
export function meter(done, total, words) {
  const length = total ? Math.round((WIDTH * Math.min(done, total)) / total) : 0;
  return svg('svg', { viewBox: `0 0 ${WIDTH} ${BAR + 6}`, class: 'chart meter', role: 'img', 'aria-label': words },
    svg('rect', { x: 0, y: 3, width: WIDTH, height: BAR, rx: 7, class: 'chart-track' }),
    svg('rect', { x: 0, y: 3, width: length, height: BAR, rx: 7, class: 'chart-bar' }));
}
