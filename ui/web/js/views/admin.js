// Admin: contacts (list, add, edit, remove), rules (status, reload with the errors shown), and
// the pull sources with their state (analysts too).

import { call, get, ApiError } from '../api.js';
import { h, clear } from '../dom.js';
import { t } from '../i18n.js';
import { areaName } from '../areas.js';
import { SEVERITIES, fmtTime, sevLabel } from '../format.js';

// "sms +996700000001" / "telegram 123456" / "email a@b.kg" / "webhook https://… SECRET_ENV"
function channelsToText(channels) {
  return (channels || []).map((c) => {
    if (c.type === 'telegram') return `telegram ${c.chat_id}`;
    if (c.type === 'webhook') return `webhook ${c.url}${c.secret_env ? ' ' + c.secret_env : ''}`;
    return `${c.type} ${c.to}`;
  }).join('\n');
}
function textToChannels(text) {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
    const [type, value, extra] = l.split(/\s+/);
    if (type === 'telegram') return { type, chat_id: value };
    if (type === 'webhook') return extra ? { type, url: value, secret_env: extra } : { type, url: value };
    return { type, to: value };
  });
}
const list = (s) => s.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);

function contactForm(ctx, contact, onDone) {
  const c = contact || { language: 'ru', min_severity: 'info', areas: [], categories: [], channels: [] };
  const f = (id, label, input, help) => h('div', null, h('label', { for: id }, label), input, help ? h('p', { class: 'hint' }, help) : null);
  const id = h('input', { id: 'ct-id', required: true, value: c.id || '', readOnly: !!contact, pattern: '[a-z0-9._-]{1,64}' });
  const name = h('input', { id: 'ct-name', required: true, value: c.name || '' });
  const role = h('input', { id: 'ct-role', value: c.role || '' });
  const language = h('select', { id: 'ct-lang' }, ['ky', 'ru', 'en'].map((l) => h('option', { value: l }, l)));
  language.value = c.language || 'ru';
  const areas = h('input', { id: 'ct-areas', value: (c.areas || []).join(', ') });
  const sev = h('select', { id: 'ct-sev' }, SEVERITIES.map((s) => h('option', { value: s }, sevLabel(s))));
  sev.value = c.min_severity || 'info';
  const cats = h('input', { id: 'ct-cats', value: (c.categories || []).join(', ') });
  const qs = h('input', { id: 'ct-qs', type: 'time', value: c.quiet_hours ? c.quiet_hours.start : '' });
  const qe = h('input', { id: 'ct-qe', type: 'time', value: c.quiet_hours ? c.quiet_hours.end : '' });
  const channels = h('textarea', { id: 'ct-channels', rows: 3, value: channelsToText(c.channels) });
  const msg = h('p', { role: 'alert', class: 'error' });
  return h('form', { class: 'card', id: 'contact-form', onsubmit: async (e) => {
    e.preventDefault();
    const body = { id: id.value.trim(), name: name.value.trim(), language: language.value, areas: list(areas.value),
      min_severity: sev.value, categories: list(cats.value), channels: textToChannels(channels.value) };
    if (role.value.trim()) body.role = role.value.trim();
    if (qs.value && qe.value) body.quiet_hours = { start: qs.value, end: qe.value };
    try {
      if (contact) await call('PUT', '/v1/admin/contacts/' + encodeURIComponent(body.id), { body });
      else await call('POST', '/v1/admin/contacts', { body });
      onDone();
    } catch (err) {
      msg.textContent = t('error.generic', { detail: err.message }) + (err.problem && err.problem.field ? ` (${err.problem.field})` : '');
    }
  } },
  h('h2', null, contact ? t('contact.edit', { id: c.id }) : t('contact.add')),
  h('div', { class: 'grid' },
    f('ct-id', t('contact.id'), id), f('ct-name', t('contact.name'), name), f('ct-role', t('contact.role'), role),
    f('ct-lang', t('contact.language'), language), f('ct-areas', t('contact.areas'), areas, t('contact.areas_help')),
    f('ct-sev', t('contact.min_severity'), sev), f('ct-cats', t('contact.categories'), cats, t('contact.categories_help')),
    f('ct-qs', t('contact.quiet_start'), qs), f('ct-qe', t('contact.quiet_end'), qe)),
  f('ct-channels', t('contact.channels'), channels, t('contact.channels_help')),
  h('button', { type: 'submit', class: 'primary' }, t('contact.save')),
  h('button', { type: 'button', class: 'secondary', onclick: onDone }, t('contact.cancel')), msg);
}

export async function contactsView(ctx) {
  const r = await get('/v1/admin/contacts', null, ctx.signal);
  const contacts = r.data.contacts || [];
  const formBox = h('div', { id: 'contact-form-box' });
  const show = (c) => {
    clear(formBox);
    const form = contactForm(ctx, c, () => ctx.rerender());
    formBox.append(form);
    form.querySelector(c ? '#ct-name' : '#ct-id').focus();
  };
  ctx.main.append(h('h1', null, t('contact.title')),
    h('p', { class: 'toolbar' }, h('button', { type: 'button', class: 'primary', id: 'contact-add', onclick: () => show(null) }, t('contact.add'))),
    formBox,
    h('div', { class: 'table-wrap' }, h('table', { id: 'contacts' },
      h('thead', null, h('tr', null, ['id', 'name', 'areas', 'channels', 'state', 'actions'].map((k) => h('th', { scope: 'col' }, t('contact.col_' + k))))),
      h('tbody', null, contacts.map((c) => h('tr', { dataset: { id: c.id } },
        h('td', null, h('code', null, c.id)),
        h('td', null, c.name, c.role ? h('span', { class: 'muted' }, ' · ', c.role) : null, ' · ', c.language),
        h('td', null, (c.areas || []).map(areaName).join(', ')),
        h('td', null, (c.channels || []).map((x) => x.type).join(', ')),
        h('td', null, c.reachable ? t('contact.reachable') : h('span', { class: 'warn' }, t('contact.unreachable')),
          (c.problems || []).length ? h('ul', { class: 'problems' }, c.problems.map((p) => h('li', null, p))) : null),
        h('td', null, c.source === 'api'
          ? [h('button', { type: 'button', class: 'secondary', onclick: () => show(c) }, t('contact.edit_short')), ' ',
            h('button', { type: 'button', class: 'danger', onclick: async () => {
              if (!window.confirm(t('contact.confirm_delete', { id: c.id }))) return;
              await call('DELETE', '/v1/admin/contacts/' + encodeURIComponent(c.id));
              ctx.rerender();
            } }, t('contact.delete'))]
          : h('span', { class: 'muted' }, t('contact.from_config', { origin: c.origin || '' })))))))));
}

function rulesFacts(info) {
  return h('dl', { class: 'facts', id: 'rules-info' },
    h('dt', null, t('rules.version')), h('dd', null, h('code', null, info.version)),
    h('dt', null, t('rules.loaded')), h('dd', null, fmtTime(info.loaded_at)),
    h('dt', null, t('rules.counts')), h('dd', null, t('rules.counts_value', { rules: info.rules, terms: info.terms, places: info.place_patterns })),
    h('dt', null, t('rules.files')), h('dd', null, info.files.join(', ')));
}

export async function rulesView(ctx) {
  const info = (await get('/v1/admin/rules', null, ctx.signal)).data;
  const box = h('div', null, rulesFacts(info));
  const result = h('div', { id: 'reload-result', role: 'status' });
  const button = h('button', { type: 'button', class: 'primary', id: 'rules-reload', onclick: async () => {
    button.disabled = true;
    clear(result);
    try {
      const r = await call('POST', '/v1/admin/rules/reload');
      result.append(h('p', { class: 'ok' }, t('rules.reloaded')));
      clear(box).append(rulesFacts(r.data));
    } catch (err) {
      if (err instanceof ApiError && err.status === 422) {
        result.append(h('p', { class: 'error' }, t('rules.rejected')),
          h('ul', { class: 'errors', id: 'reload-errors' }, (err.problem.errors || []).map((e) => h('li', null, h('code', null, e)))));
      } else {
        result.append(h('p', { class: 'error' }, t('error.generic', { detail: err.message })));
      }
    } finally {
      button.disabled = false;
    }
  } }, t('rules.reload'));
  ctx.main.append(h('h1', null, t('rules.title')), box, h('p', null, button), result);
}

export async function sourcesView(ctx) {
  const r = await get('/v1/sources', null, ctx.signal);
  const sources = r.data.sources;
  ctx.main.append(h('h1', null, t('sources.title')),
    sources.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'sources' },
      h('thead', null, h('tr', null, ['id', 'type', 'state', 'last_success', 'items', 'lag', 'error'].map((k) => h('th', { scope: 'col' }, t('sources.col_' + k))))),
      h('tbody', null, sources.map((s) => h('tr', null,
        h('td', null, h('code', null, s.id)), h('td', null, s.type),
        h('td', null, !s.enabled ? t('sources.disabled') : s.paused ? t('sources.paused') : s.consecutive_failures ? h('span', { class: 'warn' }, t('sources.failing', { n: s.consecutive_failures })) : t('sources.ok')),
        h('td', null, fmtTime(s.last_success_at)),
        h('td', null, t('sources.items', { n: s.items_accepted, d: s.duplicates })),
        h('td', null, s.lag_seconds === null ? '—' : `${Math.round(s.lag_seconds)} s`),
        h('td', null, s.last_error ? [s.last_error, ' (', fmtTime(s.last_error_at), ')'] : '—')))))) : h('p', { class: 'muted' }, t('sources.none')));
}
