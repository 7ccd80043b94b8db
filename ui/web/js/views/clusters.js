// Rumour clusters: the rising list (live), one cluster with its timeline, members, spread
// signals and the verified answer (verdict and public statement).

import { call, get, ApiError } from '../api.js';
import { h, clear, routeHref } from '../dom.js';
import { t } from '../i18n.js';
import { areaName } from '../areas.js';
import { live } from '../live.js';
import { catLabel, fmtTime, truncate } from '../format.js';
import { stackedBars } from '../svgchart.js';
import { sevBadge } from '../badges.js';

const VERDICTS = ['confirmed', 'false', 'misleading', 'unverified'];

function verdictBadge(v) {
  return h('span', { class: 'badge verdict-' + v.status }, t('verdict.' + v.status));
}

function verdictForm(id, ctx, done) {
  const status = h('select', { id: 'verdict-status' }, VERDICTS.map((v) => h('option', { value: v }, t('verdict.' + v))));
  const statement = h('textarea', { id: 'verdict-statement', rows: 3, required: true, maxlength: 4000 });
  const msg = h('p', { role: 'status' });
  return h('form', { id: 'verdict-form', class: 'card', onsubmit: async (e) => {
    e.preventDefault();
    try {
      await call('POST', '/v1/clusters/' + encodeURIComponent(id) + '/verdict', { body: { status: status.value, statement: statement.value.trim() } });
      msg.textContent = t('verdict.saved');
      done();
    } catch (err) {
      msg.textContent = t('error.generic', { detail: err.message });
    }
  } },
  h('h3', null, t('verdict.record')),
  h('label', { for: 'verdict-status' }, t('verdict.status')), status,
  h('label', { for: 'verdict-statement' }, t('verdict.statement')), statement,
  h('button', { type: 'submit', class: 'primary' }, t('verdict.submit')), msg);
}

function verificationBlock(c, ctx, reload) {
  const v = c.verification || { status: 'unverified' };
  const box = h('div', { class: 'verification', id: 'verification' },
    h('p', null, t('verdict.current'), ' ', verdictBadge(v)),
    v.statement ? h('blockquote', { class: 'statement' }, v.statement) : null,
    v.decided_by ? h('p', { class: 'muted' }, t('verdict.by', { who: v.decided_by, at: fmtTime(v.decided_at) })) : null);
  // Officials publish verdicts on rumours of their own areas; the server refuses (403, shown in
  // the form) a cluster that also reached other areas.
  if (ctx.me.role !== 'monitor') box.append(verdictForm(c.id, ctx, reload));
  return box;
}

// The cluster's representative text, figures and verified answer (for an alert's page).
export async function clusterSummary(id, ctx) {
  const box = h('div', { class: 'card', id: 'cluster-summary' });
  const fill = async () => {
    clear(box);
    try {
      const c = (await get('/v1/clusters/' + encodeURIComponent(id), { members_limit: 1 }, ctx.signal)).data;
      box.append(
        h('p', { class: 'report-text' }, truncate(c.representative.text, 400)),
        h('p', { class: 'meta' }, t('cluster.figures', { members: c.members, sources: c.sources }), ' · ',
          h('a', { href: routeHref('clusters', c.id) }, t('cluster.open', { id: c.id }))),
        verificationBlock(c, ctx, fill));
    } catch (err) {
      box.append(h('p', { class: 'muted' }, err instanceof ApiError && err.status === 403 ? t('event.not_visible') : t('error.generic', { detail: err.message })));
    }
  };
  await fill();
  return box;
}

export async function clustersView(ctx) {
  const sort = ['rising', 'recent', 'size'].includes(ctx.params.get('sort')) ? ctx.params.get('sort') : 'rising';
  const body = h('tbody');
  const announce = h('p', { class: 'sr-only', 'aria-live': 'polite' });
  const load = async () => {
    const r = await get('/v1/clusters', { sort, limit: 100 }, ctx.signal);
    clear(body);
    if (!r.data.clusters.length) body.append(h('tr', null, h('td', { colspan: 6, class: 'empty' }, t('cluster.none'))));
    for (const c of r.data.clusters) {
      body.append(h('tr', { dataset: { id: c.id } },
        h('td', null, h('a', { href: routeHref('clusters', c.id) }, truncate(c.representative.text, 140))),
        h('td', null, String(c.members), ' / ', String(c.sources)),
        h('td', null, String(c.velocity.last_10_min), ' / ', String(c.velocity.last_hour)),
        h('td', null, c.areas.map((a) => areaName(a.code)).join(', ')),
        h('td', null, c.max_severity ? sevBadge(c.max_severity) : '—', ' ', verdictBadge(c.verification || { status: 'unverified' })),
        h('td', null, fmtTime(c.last_seen))));
    }
  };
  const tabs = h('ul', { class: 'tabs' }, ['rising', 'recent', 'size'].map((k) => h('li', null,
    h('a', { href: '#/clusters?sort=' + k, 'aria-current': k === sort ? 'page' : null }, t('cluster.sort_' + k)))));
  ctx.main.append(
    h('h1', null, t('cluster.title')),
    h('nav', { 'aria-label': t('cluster.sort') }, tabs),
    announce,
    h('div', { class: 'table-wrap' }, h('table', { id: 'clusters' },
      h('thead', null, h('tr', null, ['text', 'members', 'velocity', 'areas', 'severity', 'last_seen'].map((k) => h('th', { scope: 'col' }, t('cluster.col_' + k))))),
      body)));
  live.addEventListener('cluster', (e) => {
    announce.textContent = t('cluster.spreading', { id: e.detail.cluster_id, reason: e.detail.reason || (e.detail.areas || []).map(areaName).join(', ') });
    load().catch(() => {});
  }, { signal: ctx.signal });
  live.addEventListener('resync', () => load().catch(() => {}), { signal: ctx.signal });
  await load();
}

export async function clusterView(ctx) {
  const id = ctx.args[0];
  const c = (await get('/v1/clusters/' + encodeURIComponent(id), { members_limit: 200 }, ctx.signal)).data;
  const verification = h('section', { 'aria-labelledby': 'ver-title' }, h('h2', { id: 'ver-title' }, t('verdict.title')));
  const reload = () => ctx.rerender();
  verification.append(verificationBlock(c, ctx, reload));
  const timeline = (c.timeline && c.timeline.buckets) || [];
  ctx.main.append(
    h('p', { class: 'crumbs' }, h('a', { href: '#/clusters' }, t('nav.clusters'))),
    h('h1', null, t('cluster.heading', { id: c.id })),
    h('blockquote', { class: 'report-text', id: 'cluster-text' }, c.representative.text),
    h('dl', { class: 'facts' },
      h('dt', null, t('cluster.col_members')), h('dd', null, t('cluster.figures', { members: c.members, sources: c.sources })),
      h('dt', null, t('cluster.col_velocity')), h('dd', null, t('cluster.velocity', { m10: c.velocity.last_10_min, h1: c.velocity.last_hour })),
      h('dt', null, t('cluster.first_seen')), h('dd', null, fmtTime(c.first_seen)),
      h('dt', null, t('cluster.col_last_seen')), h('dd', null, fmtTime(c.last_seen)),
      h('dt', null, t('cluster.col_areas')), h('dd', null, c.areas.map((a) => `${areaName(a.code)} (${a.members})`).join(', ')),
      h('dt', null, t('alert.categories')), h('dd', null, c.categories.map((x) => `${catLabel(x.category)} (${x.members})`).join(', ') || '—')),
    verification,
    h('section', { 'aria-labelledby': 'tl-title' }, h('h2', { id: 'tl-title' }, t('cluster.timeline')),
      stackedBars(timeline.map((b) => ({ label: fmtTime(b.start, 'hour'), values: { members: b.members } })), ['members'], { members: 'bar' }, t('cluster.timeline'))),
    h('section', { 'aria-labelledby': 'sig-title' }, h('h2', { id: 'sig-title' }, t('cluster.signals')),
      (c.signals || []).length ? h('ul', null, c.signals.map((sg) => h('li', null, fmtTime(sg.at), sg.reason ? ' — ' + sg.reason : '', ' (', sg.areas.map(areaName).join(', '), ')')))
        : h('p', { class: 'muted' }, t('cluster.no_signals'))),
    h('section', { 'aria-labelledby': 'mem-title' }, h('h2', { id: 'mem-title' }, t('cluster.members_title')),
      h('div', { class: 'table-wrap' }, h('table', { id: 'members' },
        h('thead', null, h('tr', null, ['event', 'time', 'area', 'severity', 'channel'].map((k) => h('th', { scope: 'col' }, t('cluster.mcol_' + k))))),
        h('tbody', null, (c.member_events || []).map((m) => h('tr', null,
          h('td', null, h('a', { href: routeHref('events', m.event_id) }, h('code', null, m.event_id))),
          h('td', null, fmtTime(m.observed_at)), h('td', null, areaName(m.area)),
          h('td', null, m.severity ? sevBadge(m.severity) : '—'), h('td', null, m.channel))))))));
}
