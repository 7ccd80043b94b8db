// Analyst: trends of one area: reports per bucket by severity, tension against its baseline
// with spikes, and counts by category (hand-written SVG charts, with the figures as a table).

import { get } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { areaName, areaOptions, rootCode } from '../areas.js';
import { SEVERITIES, catLabel, fmtTime, sevLabel } from '../format.js';
import { hBars, lineChart, stackedBars } from '../svgchart.js';

const RANGES = { '24h': [24, 'hour'], '7d': [168, 'hour'], '30d': [720, 'day'], '90d': [2160, 'day'] };

export async function trendsView(ctx) {
  const me = ctx.me;
  const roots = me.areas && me.areas.length ? me.areas : [rootCode()];
  const code = ctx.params.get('area') || roots[0];
  const rangeKey = RANGES[ctx.params.get('range')] ? ctx.params.get('range') : '7d';
  const [hours, bucket] = RANGES[rangeKey];
  const to = new Date();
  const from = new Date(to.getTime() - hours * 3600e3);
  const area = h('select', { id: 'tr-area' }, areaOptions(roots).map((o) => h('option', { value: o.code }, o.label)));
  area.value = code;
  const range = h('select', { id: 'tr-range' }, Object.keys(RANGES).map((k) => h('option', { value: k }, t('range.' + k))));
  range.value = rangeKey;
  const go = () => { location.hash = `#/trends?area=${encodeURIComponent(area.value)}&range=${range.value}`; };
  area.addEventListener('change', go, { signal: ctx.signal });
  range.addEventListener('change', go, { signal: ctx.signal });
  ctx.main.append(h('h1', null, t('trends.title', { area: areaName(code) })),
    h('div', { class: 'toolbar' }, h('label', { for: 'tr-area' }, t('events.area')), area, h('label', { for: 'tr-range' }, t('events.range')), range));

  const [trends, tension] = await Promise.all([
    get('/v1/trends', { area: code, from: from.toISOString(), to: to.toISOString(), bucket }, ctx.signal),
    get('/v1/areas/' + encodeURIComponent(code) + '/tension', { from: from.toISOString(), to: to.toISOString(), bucket }, ctx.signal),
  ]);
  const series = trends.data.series[0] || { buckets: [], total: 0 };
  const kind = bucket === 'day' || hours > 48 ? 'day' : 'hour';
  const bars = series.buckets.map((b) => ({ label: fmtTime(b.start, kind), values: b.severity }));
  const classes = Object.fromEntries(SEVERITIES.map((s) => [s, 'fill-' + s]));
  const cats = new Map();
  for (const b of series.buckets) for (const [c, n] of Object.entries(b.category || {})) cats.set(c, (cats.get(c) || 0) + n);
  const points = tension.data.series.map((p) => ({ label: fmtTime(p.start, kind), value: p.tension, baseline: p.baseline, spike: p.spike }));
  const spikes = tension.data.spikes || [];

  ctx.main.append(
    h('p', { class: 'lead', id: 'tr-total' }, t('trends.total', { n: series.total })),
    h('section', { 'aria-labelledby': 'c1' }, h('h2', { id: 'c1' }, t('trends.by_severity')),
      stackedBars(bars, SEVERITIES, classes, t('trends.by_severity')),
      h('ul', { class: 'legend' }, SEVERITIES.map((s) => h('li', null, h('span', { class: 'swatch fill-' + s, 'aria-hidden': 'true' }), sevLabel(s))))),
    h('section', { 'aria-labelledby': 'c2' }, h('h2', { id: 'c2' }, t('trends.tension')),
      lineChart(points, t('trends.tension')),
      h('ul', { class: 'legend' }, h('li', null, h('span', { class: 'swatch line', 'aria-hidden': 'true' }), t('trends.tension_line')),
        h('li', null, h('span', { class: 'swatch baseline', 'aria-hidden': 'true' }), t('trends.baseline')),
        h('li', null, h('span', { class: 'swatch spike', 'aria-hidden': 'true' }), t('trends.spike')))),
    h('section', { 'aria-labelledby': 'c3' }, h('h2', { id: 'c3' }, t('trends.by_category')),
      cats.size ? hBars([...cats.entries()].sort((a, b) => b[1] - a[1]).map(([c, n]) => ({ label: catLabel(c), value: n })), t('trends.by_category'))
        : h('p', { class: 'muted' }, t('trends.no_events'))),
    h('section', { 'aria-labelledby': 'c4' }, h('h2', { id: 'c4' }, t('trends.spikes')),
      spikes.length ? h('ul', null, spikes.map((sp) => h('li', null, fmtTime(sp.bucket), ' — ', t('trends.spike_line', { tension: sp.tension, z: sp.z }))))
        : h('p', { class: 'muted' }, t('trends.no_spikes'))),
    h('details', null, h('summary', null, t('trends.table')),
      h('div', { class: 'table-wrap' }, h('table', null,
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('trends.bucket')), SEVERITIES.map((s) => h('th', { scope: 'col' }, sevLabel(s))), h('th', { scope: 'col' }, t('trends.tension')))),
        h('tbody', null, series.buckets.filter((b) => b.total > 0 || b.tension > 0).map((b) => h('tr', null,
          h('th', { scope: 'row' }, fmtTime(b.start, kind)), SEVERITIES.map((s) => h('td', null, String(b.severity[s] || 0))), h('td', null, String(b.tension)))))))));
}
