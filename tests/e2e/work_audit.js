// What a user relies on at 360 px, checked on the screen as drawn (test_work_screens.py evaluates this):
// nothing wider than the phone, text of 16 px or more, touch targets of 48 px or more, and text against its
// background at WCAG AA contrast (4.5:1, or 3:1 for large text). Returns the problems found, as text.
() => {
  const problems = [];
  const width = document.documentElement.scrollWidth;
  if (width > 360) problems.push(`page is ${width} px wide`);
  const rgb = (text) => (text.match(/[\d.]+/g) || []).map(Number);
  const channel = (value) => {
    const v = value / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const background = (el) => {
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const color = rgb(getComputedStyle(node).backgroundColor);
      if (color.length === 3 || (color.length === 4 && color[3] > 0.5)) return color.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== 'hidden';
  };
  const targets = 'a, button, summary, select, textarea, input:not([type=checkbox]):not([type=radio]):not([type=file])';
  const roots = [...document.querySelectorAll('header, #banner, main')];
  for (const el of roots.flatMap((root) => [root, ...root.querySelectorAll('*')])) {
    if (!visible(el) || el.closest('[hidden], .skip')) continue;
    const style = getComputedStyle(el);
    const name = `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} "${(el.textContent || '').trim().slice(0, 24)}"`;
    if ([...el.childNodes].some((node) => node.nodeType === 3 && node.textContent.trim())) {
      const size = parseFloat(style.fontSize);
      if (size < 16) problems.push(`${name}: ${size} px text`);
      const svg = el instanceof SVGElement;
      const fg = luminance(rgb(svg ? style.fill : style.color));
      const bg = luminance(background(svg ? el.closest('figure') || el : el));
      const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      if (!el.closest(':disabled') && ratio < (large ? 3 : 4.5)) problems.push(`${name}: contrast ${ratio.toFixed(2)}`);
    }
    if (el.matches(targets) && el.getBoundingClientRect().height < 48) {
      problems.push(`${name}: a ${Math.round(el.getBoundingClientRect().height)} px target`);
    }
  }
  return problems;
}
