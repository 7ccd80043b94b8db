// Official: the alert inbox (live), one alert with its events, cluster, recipients, delivery
// state and acknowledgements.

import { call, get, ApiError } from '../api.js';
import { h, clear, routeHref } from '../dom.js';
import { t } from '../i18n.js';
import { areaName } from '../areas.js';
import { live } from '../live.js';
import { catLabel, fmtTime, sevLabel, severityRank, stateLabel, truncate } from '../format.js';
import { sevBadge } from '../badges.js';
import { clusterSummary } from './clusters.js';

// Notifications grouped into incidents (group_key): the newest notification stands for it.
function groupAlerts(alerts) {
  const groups = new Map();
  for (const a of alerts) {
    const key = a.group_key || a.id;
    let g = groups.get(key);
    if (!g) {
      g = { key, latest: a, notifications: [], acknowledged: false, severity: a.severity };
      groups.set(key, g);
    }
    g.notifications.push(a);
    if (a.id > g.latest.id) g.latest = a;
    if (a.acknowledged) g.acknowledged = true;
    if (severityRank(a.severity) > severityRank(g.severity)) g.severity = a.severity;
  }
  return [...groups.values()];
}

function sortGroups(groups, order) {
  const byTime = (a, b) => (a.latest.created_at < b.latest.created_at ? 1 : a.latest.created_at > b.latest.created_at ? -1 : 0);
  const bySev = (a, b) => severityRank(b.severity) - severityRank(a.severity);
  return groups.sort(order === 'severity' ? (a, b) => bySev(a, b) || byTime(a, b) : (a, b) => byTime(a, b) || bySev(a, b));
}

export async function inboxView(ctx) {
  let alerts = [];
  const fresh = new Set();  // group keys that arrived over the stream
  const order = h('select', { id: 'inbox-order' },
    h('option', { value: 'time' }, t('inbox.newest')),
    h('option', { value: 'severity' }, t('inbox.severe')));
  order.value = ctx.params.get('sort') === 'severity' ? 'severity' : 'time';
  const onlyOpen = h('input', { type: 'checkbox', id: 'inbox-open', checked: ctx.params.get('open') === '1' });
  const list = h('ul', { id: 'inbox', class: 'inbox', 'aria-live': 'off' });
  const announce = h('p', { id: 'inbox-announce', class: 'sr-only', 'aria-live': 'polite' });
  const summary = h('p', { id: 'inbox-summary', class: 'muted' });

  const draw = () => {
    clear(list);
    let groups = sortGroups(groupAlerts(alerts), order.value);
    const open = groups.filter((g) => !g.acknowledged).length;
    summary.textContent = t('inbox.summary', { n: groups.length, open });
    if (onlyOpen.checked) groups = groups.filter((g) => !g.acknowledged);
    if (!groups.length) {
      list.append(h('li', { class: 'empty' }, t('inbox.empty')));
      return;
    }
    for (const g of groups) {
      const a = g.latest;
      list.append(h('li', { class: ['alert-row', g.acknowledged ? 'acked' : 'unack', fresh.has(g.key) ? 'new' : null], dataset: { id: a.id, area: a.area || '' } },
        h('a', { href: routeHref('alerts', a.id), class: 'row-link' },
          h('span', { class: 'row-main' }, sevBadge(g.severity), ' ',
            h('strong', null, areaName(a.area)), ' · ', t('kind.' + a.kind, null, a.kind),
            a.categories.length ? [' · ', a.categories.map(catLabel).join(', ')] : null),
          h('span', { class: 'row-meta' },
            fmtTime(a.created_at), ' · ', t('inbox.recipients', { n: g.notifications.length }),
            ' · ', stateLabel(a.state),
            fresh.has(g.key) ? [' · ', h('span', { class: 'tag new' }, t('inbox.new'))] : null,
            g.acknowledged ? [' · ', t('inbox.acked')] : [' · ', h('span', { class: 'tag unack' }, t('inbox.unacked'))]))));
    }
  };
  const load = async () => {
    const r = await get('/v1/alerts', { limit: 500 }, ctx.signal);
    alerts = r.data.alerts;
    draw();
  };
  order.addEventListener('change', draw, { signal: ctx.signal });
  onlyOpen.addEventListener('change', draw, { signal: ctx.signal });
  live.addEventListener('alert', (e) => {
    const a = e.detail;
    if (alerts.some((x) => x.id === a.id)) return;
    a.acknowledged = alerts.some((x) => x.group_key === a.group_key && x.acknowledged);
    alerts.unshift(a);
    fresh.add(a.group_key || a.id);
    announce.textContent = t('inbox.arrived', { sev: sevLabel(a.severity), area: areaName(a.area) });
    draw();
  }, { signal: ctx.signal });
  const reload = () => load().catch(() => {});
  live.addEventListener('resync', reload, { signal: ctx.signal });
  live.addEventListener('overflow', reload, { signal: ctx.signal });

  ctx.main.append(
    h('h1', null, t('inbox.title')),
    h('div', { class: 'toolbar' },
      h('label', { for: 'inbox-order' }, t('inbox.order')), order,
      h('span', { class: 'check' }, onlyOpen, h('label', { for: 'inbox-open' }, t('inbox.only_open')))),
    summary, announce, list);
  await load();
}

function ackSection(detail, id, rerender) {
  const box = h('section', { class: 'card', 'aria-labelledby': 'ack-title' }, h('h2', { id: 'ack-title' }, t('alert.ack_title')));
  if (detail.acks.length) {
    box.append(h('p', { id: 'ack-state', class: 'ok' }, t('alert.acknowledged')));
    box.append(h('ul', null, detail.acks.map((a) => h('li', null,
      t('alert.ack_by', { actor: a.actor, via: a.via, at: fmtTime(a.at) }), a.note ? [' — ', a.note] : null))));
  } else {
    box.append(h('p', { id: 'ack-state', class: 'warn' }, t('alert.not_acknowledged')));
  }
  const note = h('input', { id: 'ack-note', type: 'text', maxlength: 1000 });
  const msg = h('p', { role: 'status' });
  box.append(h('form', { id: 'ack-form', onsubmit: async (e) => {
    e.preventDefault();
    try {
      const body = note.value.trim() ? { note: note.value.trim() } : {};
      const r = await call('POST', '/v1/alerts/' + encodeURIComponent(id) + '/ack', { body });
      msg.textContent = r.data.duplicate ? t('alert.ack_again') : t('alert.ack_done');
      rerender();
    } catch (err) {
      msg.textContent = t('error.generic', { detail: err.message });
    }
  } },
  h('label', { for: 'ack-note' }, t('alert.ack_note')), note,
  h('button', { type: 'submit', class: 'primary', id: 'ack-button' }, t('alert.ack')), msg));
  return box;
}

function recipientsTable(notifications) {
  return h('div', { class: 'table-wrap' }, h('table', { id: 'recipients', 'aria-labelledby': 'rcpt-title' },
    h('thead', null, h('tr', null, ['contact', 'channel', 'state', 'attempts', 'sent', 'delivered', 'step'].map((k) => h('th', { scope: 'col' }, t('alert.col_' + k))))),
    h('tbody', null, notifications.map((n) => h('tr', null,
      h('td', null, n.contact_id), h('td', null, n.channel), h('td', null, stateLabel(n.state), n.last_error ? [' (', n.last_error, ')'] : null),
      h('td', null, String(n.attempts)), h('td', null, fmtTime(n.sent_at)), h('td', null, fmtTime(n.delivered_at)),
      h('td', null, String(n.escalation_step)))))));
}

export async function eventCard(id, signal) {
  const box = h('article', { class: 'event-card', dataset: { id } });
  try {
    const e = (await get('/v1/events/' + encodeURIComponent(id), null, signal)).data;
    box.append(
      h('p', { class: 'meta' }, e.severity ? sevBadge(e.severity) : null, ' ', areaName(e.area), ' · ', fmtTime(e.observed_at), ' · ', e.channel),
      h('p', { class: 'report-text' }, e.text === null ? t('event.expired') : truncate(e.text, 600)),
      h('p', null, h('a', { href: routeHref('events', id) }, t('event.open'))));
    return { box, event: e };
  } catch (err) {
    box.append(h('p', { class: 'muted' }, err instanceof ApiError && err.status === 403 ? t('event.not_visible') : t('error.generic', { detail: err.message })));
    return { box, event: null };
  }
}

export async function alertView(ctx) {
  const id = ctx.args[0];
  const detail = (await get('/v1/alerts/' + encodeURIComponent(id), null, ctx.signal)).data;
  const a = detail.alert;
  const g = detail.group || {};
  ctx.main.append(
    h('p', { class: 'crumbs' }, h('a', { href: '#/alerts' }, t('nav.alerts'))),
    h('h1', null, t('alert.title'), ' ', sevBadge(a.severity)),
    h('dl', { class: 'facts' },
      h('dt', null, t('alert.area')), h('dd', null, areaName(a.area), ' (', a.area || '—', ')'),
      h('dt', null, t('alert.kind')), h('dd', null, t('kind.' + a.kind, null, a.kind)),
      h('dt', null, t('alert.categories')), h('dd', null, a.categories.map(catLabel).join(', ') || '—'),
      h('dt', null, t('alert.created')), h('dd', null, fmtTime(a.created_at)),
      h('dt', null, t('alert.state')), h('dd', { id: 'alert-state' }, stateLabel(a.state)),
      h('dt', null, t('alert.code')), h('dd', null, h('code', null, a.code)),
      h('dt', null, t('alert.group')), h('dd', null, g.open ? t('alert.group_open', { events: g.events, sources: g.sources, step: g.escalation_step }) : t('alert.group_closed')),
      g.silenced_by ? [h('dt', null, t('alert.silenced')), h('dd', null, g.silenced_by)] : null),
    ackSection(detail, id, ctx.rerender),
    h('section', { 'aria-labelledby': 'rcpt-title' }, h('h2', { id: 'rcpt-title' }, t('alert.recipients')), recipientsTable(detail.notifications)));
  const events = h('section', { 'aria-labelledby': 'ev-title', id: 'alert-events' }, h('h2', { id: 'ev-title' }, t('alert.events', { n: a.event_ids.length })));
  ctx.main.append(events);
  let clusterId = a.kind === 'signal' && a.subject_id && /^C?\d+$/.test(a.subject_id) ? a.subject_id.replace(/^C/, '') : null;
  for (const eid of a.event_ids.slice(0, 10)) {
    const { box, event } = await eventCard(eid, ctx.signal);
    events.append(box);
    if (!clusterId && event && event.cluster_id) clusterId = event.cluster_id;
  }
  if (a.event_ids.length > 10) events.append(h('p', { class: 'muted' }, t('alert.more_events', { n: a.event_ids.length - 10 })));
  if (clusterId) {
    const section = h('section', { 'aria-labelledby': 'cl-title' }, h('h2', { id: 'cl-title' }, t('alert.cluster')));
    ctx.main.append(section);
    section.append(await clusterSummary(clusterId, ctx));
  }
}
