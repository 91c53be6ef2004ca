// Small SVG bar charts, no library: one row per label, one bar per series.
// A chart is an image to screen readers, named by its caption and its
// figures in words.
import { t } from '../lib/i18n.js';

const NS = 'http://www.w3.org/2000/svg';

function el(tag, attrs, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// barChart draws rows of {label, values: [number|null]} against series
// [{name, color}], scaled to max (or the largest value); format prints a
// value; title is the chart's caption.
export function barChart(rows, series, { max, format = (v) => String(v), title = '' } = {}) {
  const labelW = 110, barH = 14, gap = 4, rowGap = 10, width = 420;
  const plotW = width - labelW - 60;
  const top = Math.max(max || 0, ...rows.flatMap((r) => r.values.filter((v) => v !== null && v !== undefined))) || 1;
  const rowH = series.length * (barH + gap) + rowGap;
  const height = Math.max(1, rows.length) * rowH + 22;
  const said = rows.map((r) => `${r.label} ${r.values.map((v, j) => `${series[j].name} ${v === null || v === undefined ? '–' : format(v)}`).join(', ')}`);
  const svg = el('svg', {
    viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img',
    'aria-label': t('eval.chart.label', { title, rows: rows.length ? said.join('; ') : t('eval.chart.empty') }),
  });
  if (rows.length === 0) {
    svg.append(el('text', { x: 0, y: 14 }, t('eval.chart.empty')));
    return svg;
  }
  rows.forEach((row, i) => {
    const y0 = i * rowH;
    svg.append(el('text', { x: 0, y: y0 + barH }, row.label.length > 16 ? `${row.label.slice(0, 15)}…` : row.label));
    series.forEach((s, j) => {
      const v = row.values[j];
      const y = y0 + j * (barH + gap);
      const w = v === null || v === undefined ? 0 : Math.max(1, (v / top) * plotW);
      svg.append(el('rect', { x: labelW, y, width: w, height: barH, fill: s.color, rx: 2 }, undefined));
      svg.append(el('text', { x: labelW + w + 4, y: y + barH - 3 }, v === null || v === undefined ? '–' : format(v)));
    });
  });
  let x = labelW;
  const ly = rows.length * rowH + 12;
  for (const s of series) {
    svg.append(el('rect', { x, y: ly - 9, width: 10, height: 10, fill: s.color }));
    svg.append(el('text', { x: x + 14, y: ly }, s.name));
    // CJK characters are about twice as wide as Latin letters.
    x += 14 + [...s.name].reduce((w, c) => w + (c.charCodeAt(0) > 0x2e80 ? 12 : 7), 0) + 16;
  }
  return svg;
}
