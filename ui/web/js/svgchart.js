// Small SVG charts (no library): stacked bars, a line with a baseline, horizontal bars. Each has
// role="img" with a text alternative; views add the numbers as a table for screen readers.

import { s } from './dom.js';

const W = 640;

function frame(height, label) {
  return s('svg', { viewBox: `0 0 ${W} ${height}`, class: 'chart', role: 'img', 'aria-label': label });
}

function yAxis(svg, max, top, bottom, left) {
  for (const f of [0, 0.5, 1]) {
    const y = bottom - (bottom - top) * f;
    svg.append(s('line', { x1: left, x2: W, y1: y, y2: y, class: 'grid' }));
    svg.append(s('text', { x: left - 4, y: y + 4, class: 'axis', 'text-anchor': 'end' }, fmt(max * f)));
  }
}

function fmt(v) { return v >= 100 ? String(Math.round(v)) : String(Math.round(v * 10) / 10); }

// Four labels: the first starts at its bar, the last ends at its bar, the others are centred.
function xLabels(svg, labels, x0, step, bottom) {
  if (!labels.length) return;
  const picks = [...new Set([0, 1, 2, 3].map((k) => Math.round((k * (labels.length - 1)) / 3)))];
  picks.forEach((i, k) => {
    const first = k === 0, last = k === picks.length - 1 && picks.length > 1;
    const x = x0 + step * i + (first ? 0 : last ? step : step / 2);
    const anchor = first ? 'start' : last ? 'end' : 'middle';
    svg.append(s('text', { x, y: bottom + 14, class: 'axis', 'text-anchor': anchor }, labels[i]));
  });
}

// bars: [{label, values: {key: n}}], keys in stacking order, classes: {key: css class}.
export function stackedBars(bars, keys, classes, label) {
  const height = 220, top = 10, bottom = 190, left = 36;
  const svg = frame(height, label);
  const max = Math.max(1, ...bars.map((b) => keys.reduce((n, k) => n + (b.values[k] || 0), 0)));
  yAxis(svg, max, top, bottom, left);
  const step = (W - left) / Math.max(1, bars.length);
  bars.forEach((b, i) => {
    let y = bottom;
    for (const k of keys) {
      const v = b.values[k] || 0;
      if (!v) continue;
      const hgt = (bottom - top) * (v / max);
      y -= hgt;
      svg.append(s('rect', { x: left + step * i + step * 0.1, y, width: Math.max(1, step * 0.8), height: hgt, class: classes[k] },
        s('title', null, `${b.label}: ${k} ${v}`)));
    }
  });
  xLabels(svg, bars.map((b) => b.label), left, step, bottom);
  return svg;
}

// points: [{label, value, baseline, spike}]
export function lineChart(points, label) {
  const height = 220, top = 10, bottom = 190, left = 36;
  const svg = frame(height, label);
  const max = Math.max(1, ...points.map((p) => Math.max(p.value, p.baseline || 0)));
  yAxis(svg, max, top, bottom, left);
  const step = (W - left) / Math.max(1, points.length);
  const x = (i) => left + step * i + step / 2;
  const y = (v) => bottom - (bottom - top) * (v / max);
  const path = (key) => points.map((p, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(p[key] || 0).toFixed(1)}`).join(' ');
  if (points.length) {
    svg.append(s('path', { d: path('baseline'), class: 'baseline' }));
    svg.append(s('path', { d: path('value'), class: 'line' }));
  }
  points.forEach((p, i) => {
    if (p.spike) svg.append(s('circle', { cx: x(i), cy: y(p.value), r: 5, class: 'spike' }, s('title', null, `${p.label}: ${fmt(p.value)}`)));
  });
  xLabels(svg, points.map((p) => p.label), left, step, bottom);
  return svg;
}

// items: [{label, value}]
export function hBars(items, label) {
  const row = 24, left = 170;
  const height = Math.max(row, items.length * row + 4);
  const svg = frame(height, label);
  const max = Math.max(1, ...items.map((i) => i.value));
  items.forEach((it, i) => {
    const y = i * row + 4;
    svg.append(s('text', { x: left - 6, y: y + 14, class: 'axis', 'text-anchor': 'end' }, it.label));
    svg.append(s('rect', { x: left, y, width: Math.max(1, (W - left - 40) * (it.value / max)), height: row - 8, class: 'bar' }));
    svg.append(s('text', { x: left + (W - left - 40) * (it.value / max) + 4, y: y + 14, class: 'axis' }, String(it.value)));
  });
  return svg;
}
