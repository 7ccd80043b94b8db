// Analyst: silences (hold the notifications of some areas or categories for a while).

import { call, get } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { areaName, areaOptions, rootCode } from '../areas.js';
import { CATEGORIES, catLabel, fmtTime } from '../format.js';

const DURATIONS = [1, 4, 12, 24, 72, 168];

export async function silencesView(ctx) {
  const r = await get('/v1/silences', null, ctx.signal);
  const now = Date.now();
  const areas = h('select', { id: 'si-areas', multiple: true, size: 6 }, areaOptions([rootCode()]).map((o) => h('option', { value: o.code }, o.label)));
  const cats = h('fieldset', { class: 'checks' }, h('legend', null, t('silence.categories')),
    CATEGORIES.map((c) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'cat', value: c }), ' ', catLabel(c))));
  const duration = h('select', { id: 'si-duration' }, DURATIONS.map((d) => h('option', { value: d }, t('silence.hours', { n: d }))));
  const comment = h('input', { id: 'si-comment', type: 'text', required: true, maxlength: 500 });
  const msg = h('p', { role: 'status' });
  const form = h('form', { class: 'card', id: 'silence-form', onsubmit: async (e) => {
    e.preventDefault();
    const body = {
      areas: [...areas.selectedOptions].map((o) => o.value),
      categories: [...cats.querySelectorAll('input:checked')].map((i) => i.value),
      ends_at: new Date(Date.now() + Number(duration.value) * 3600e3).toISOString(),
      comment: comment.value.trim(),
    };
    try {
      await call('POST', '/v1/silences', { body });
      ctx.rerender();
    } catch (err) {
      msg.textContent = t('error.generic', { detail: err.message });
    }
  } },
  h('h2', null, t('silence.new')),
  h('label', { for: 'si-areas' }, t('silence.areas')), areas, cats,
  h('label', { for: 'si-duration' }, t('silence.duration')), duration,
  h('label', { for: 'si-comment' }, t('silence.comment')), comment,
  h('button', { type: 'submit', class: 'primary' }, t('silence.create')), msg);
  const rows = r.data.silences.map((s) => {
    const active = new Date(s.ends_at).getTime() > now && new Date(s.starts_at).getTime() <= now;
    return h('tr', null,
      h('td', null, s.areas.map(areaName).join(', ') || '—'),
      h('td', null, s.categories.map(catLabel).join(', ') || '—'),
      h('td', null, fmtTime(s.starts_at), ' – ', fmtTime(s.ends_at)),
      h('td', null, s.comment), h('td', null, s.created_by),
      h('td', null, active ? h('button', { type: 'button', class: 'secondary', onclick: async () => {
        await call('DELETE', '/v1/silences/' + encodeURIComponent(s.id));
        ctx.rerender();
      } }, t('silence.end')) : t('silence.ended')));
  });
  ctx.main.append(h('h1', null, t('silence.title')), h('p', { class: 'muted' }, t('silence.intro')),
    h('div', { class: 'table-wrap' }, h('table', { id: 'silences' },
      h('thead', null, h('tr', null, ['areas', 'categories', 'when', 'comment', 'by', 'state'].map((k) => h('th', { scope: 'col' }, t('silence.col_' + k))))),
      h('tbody', null, rows.length ? rows : h('tr', null, h('td', { colspan: 6, class: 'empty' }, t('silence.none')))))),
    form);
}
