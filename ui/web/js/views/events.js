// Analyst: event search (over the CSV export of a time range, filtered here) and one event with
// its matched terms and places highlighted by the API's UTF-8 byte offsets.

import { download, get, getText } from '../api.js';
import { h, clear, routeHref, safeUrl } from '../dom.js';
import { t } from '../i18n.js';
import { areaName, areaOptions, rootCode } from '../areas.js';
import { SEVERITIES, byteOffsetMapper, catLabel, fmtTime, highlighted, parseCsv, sevLabel, severityRank, truncate } from '../format.js';
import { sevBadge } from '../badges.js';

const RANGES = { 24: '24h', 168: '7d', 720: '30d' };
const MAX_ROWS = 200;

function visibleRoots(me) {
  return me.areas && me.areas.length ? me.areas : [rootCode()];
}

function exportQuery(params) {
  const hours = Number(params.get('hours')) || 24;
  const q = { from: new Date(Date.now() - hours * 3600e3).toISOString() };
  if (params.get('area')) q.area = params.get('area');
  const min = params.get('severity');
  if (min) q.severity = SEVERITIES.filter((s) => severityRank(s) >= severityRank(min)).join(',');
  return q;
}

export async function eventsView(ctx) {
  const p = ctx.params;
  const q = h('input', { id: 'ev-q', type: 'search', value: p.get('q') || '' });
  const area = h('select', { id: 'ev-area' }, h('option', { value: '' }, t('events.all_areas')),
    areaOptions(visibleRoots(ctx.me)).map((o) => h('option', { value: o.code }, o.label)));
  area.value = p.get('area') || '';
  const sev = h('select', { id: 'ev-sev' }, h('option', { value: '' }, t('events.any_severity')),
    SEVERITIES.map((s) => h('option', { value: s }, t('events.at_least', { sev: sevLabel(s) }))));
  sev.value = p.get('severity') || '';
  const hours = h('select', { id: 'ev-hours' }, Object.entries(RANGES).map(([v, k]) => h('option', { value: v }, t('range.' + k))));
  hours.value = p.get('hours') || '24';
  const form = h('form', { class: 'card filters', id: 'ev-form', onsubmit: (e) => {
    e.preventDefault();
    const n = new URLSearchParams();
    if (q.value.trim()) n.set('q', q.value.trim());
    if (area.value) n.set('area', area.value);
    if (sev.value) n.set('severity', sev.value);
    n.set('hours', hours.value);
    location.hash = '#/events?' + n.toString();
  } },
  h('div', null, h('label', { for: 'ev-q' }, t('events.query')), q),
  h('div', null, h('label', { for: 'ev-area' }, t('events.area')), area),
  h('div', null, h('label', { for: 'ev-sev' }, t('events.severity')), sev),
  h('div', null, h('label', { for: 'ev-hours' }, t('events.range')), hours),
  h('button', { type: 'submit', class: 'primary' }, t('events.search')));
  const query = exportQuery(p);
  const exports = h('p', { class: 'toolbar' },
    h('button', { type: 'button', class: 'secondary', id: 'export-csv', onclick: () => download('/v1/export/events.csv', query, 'events.csv') }, t('export.csv')),
    h('button', { type: 'button', class: 'secondary', id: 'export-geojson', onclick: () => download('/v1/export/areas.geojson', query, 'areas.geojson') }, t('export.geojson')));
  const results = h('ol', { id: 'ev-results', class: 'results' });
  const status = h('p', { role: 'status', id: 'ev-status' });
  ctx.main.append(h('h1', null, t('events.title')), form, exports, status, results);

  const csv = await getText('/v1/export/events.csv', { ...query, bom: '0' }, ctx.signal);
  const rows = parseCsv(csv);
  const head = rows.shift() || [];
  const col = Object.fromEntries(head.map((name, i) => [name, i]));
  const needle = (p.get('q') || '').toLocaleLowerCase();
  let found = rows.filter((r) => r.length === head.length)
    .filter((r) => !needle || (r[col.text] || '').toLocaleLowerCase().includes(needle));
  found.sort((a, b) => (a[col.observed_at] < b[col.observed_at] ? 1 : -1));
  status.textContent = t('events.found', { n: found.length }) + (found.length > MAX_ROWS ? ' ' + t('events.shown', { n: MAX_ROWS }) : '');
  found = found.slice(0, MAX_ROWS);
  for (const r of found) {
    results.append(h('li', { class: 'result', dataset: { id: r[col.id] } },
      h('a', { href: routeHref('events', r[col.id]) }, truncate(r[col.text], 240) || t('event.expired')),
      h('p', { class: 'meta' }, sevBadge(r[col.severity]), ' ', areaName(r[col.area]), ' · ', fmtTime(r[col.observed_at]), ' · ',
        (r[col.categories] || '').split(';').filter(Boolean).map(catLabel).join(', '))));
  }
}

function matchRanges(text, e) {
  const map = byteOffsetMapper(text);
  const ranges = [];
  for (const m of e.matches || []) {
    ranges.push({ begin: map(m.begin), end: map(m.end), cls: 'match cat-' + m.category, title: `${catLabel(m.category)}: ${m.term}` });
  }
  for (const pl of e.places || []) {
    ranges.push({ begin: map(pl.begin), end: map(pl.end), cls: 'place', title: t('event.place') + ': ' + pl.candidates.map(areaName).join(', ') });
  }
  return ranges;
}

export async function eventView(ctx) {
  const id = ctx.args[0];
  const e = (await get('/v1/events/' + encodeURIComponent(id), null, ctx.signal)).data;
  // Offsets index into the text, then each scored follow-up after a '\n' (docs/API.md).
  let text = e.text;
  if (text !== null && e.follow_ups_scored) {
    text = [text, ...e.follow_ups.slice(0, e.follow_ups_scored).map((f) => f.text)].join('\n');
  }
  const textBox = h('div', { class: 'report-text big', id: 'event-text', lang: '' });
  if (text === null) textBox.append(h('em', null, t('event.expired')));
  else textBox.append(highlighted(text, matchRanges(text, e)));
  const url = e.url ? safeUrl(e.url) : null;
  ctx.main.append(
    h('p', { class: 'crumbs' }, h('a', { href: '#/events' }, t('nav.events'))),
    h('h1', null, t('event.title'), ' ', e.severity ? sevBadge(e.severity) : null),
    textBox,
    h('p', { class: 'legend' }, h('mark', { class: 'match' }, t('event.legend_match')), ' ', h('mark', { class: 'place' }, t('event.legend_place'))),
    h('dl', { class: 'facts' },
      h('dt', null, t('event.status')), h('dd', { id: 'event-status' }, t('event.status_' + e.status, null, e.status)),
      e.score !== undefined ? [h('dt', null, t('event.score')), h('dd', null, String(e.score))] : null,
      h('dt', null, t('alert.area')), h('dd', null, areaName(e.area), e.area_source ? ` (${t('event.area_' + e.area_source, null, e.area_source)})` : ''),
      h('dt', null, t('alert.categories')), h('dd', null, (e.categories || []).map(catLabel).join(', ') || '—'),
      h('dt', null, t('event.channel')), h('dd', null, e.channel),
      h('dt', null, t('event.observed')), h('dd', null, fmtTime(e.observed_at)),
      h('dt', null, t('event.received')), h('dd', null, fmtTime(e.received_at)),
      e.source_ref ? [h('dt', null, t('event.source_ref')), h('dd', null, h('code', null, e.source_ref))] : null,
      e.submitted_by ? [h('dt', null, t('event.submitted_by')), h('dd', null, e.submitted_by)] : null,
      e.url ? [h('dt', null, t('event.url')), h('dd', null, url ? h('a', { href: url, rel: 'noopener noreferrer', target: '_blank' }, e.url) : e.url)] : null,
      e.cluster_id ? [h('dt', null, t('alert.cluster')), h('dd', null, h('a', { href: routeHref('clusters', e.cluster_id) }, t('cluster.open', { id: e.cluster_id })))] : null),
    h('section', { 'aria-labelledby': 'm-title' }, h('h2', { id: 'm-title' }, t('event.matches')),
      (e.matches || []).length ? h('div', { class: 'table-wrap' }, h('table', { id: 'matches' },
        h('thead', null, h('tr', null, ['rule', 'category', 'term', 'excerpt'].map((k) => h('th', { scope: 'col' }, t('event.col_' + k))))),
        h('tbody', null, e.matches.map((m) => h('tr', null, h('td', null, m.rule_id), h('td', null, catLabel(m.category)), h('td', null, m.term), h('td', null, m.excerpt))))))
        : h('p', { class: 'muted' }, t('event.no_matches'))),
    (e.follow_ups || []).length ? h('section', null, h('h2', null, t('event.follow_ups')),
      h('ol', null, e.follow_ups.map((f) => h('li', null, fmtTime(f.observed_at), ' — ', f.text)))) : null);
}
