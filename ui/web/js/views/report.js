// Monitor: a report form that works on a phone and on a weak connection (see outbox.js).

import { h, clear } from '../dom.js';
import { t } from '../i18n.js';
import { areaOptions, rootCode, areaName } from '../areas.js';
import { bishkekLocalToRfc3339, fmtTime, truncate, utf8Bytes } from '../format.js';
import { enqueue, items, outbox, flush } from '../outbox.js';

const MAX_TEXT_BYTES = 16384;

function outcome(item) {
  switch (item.state) {
    case 'accepted': return t('report.accepted', { status: item.status });
    case 'duplicate': return t('report.duplicate', { status: item.status });
    case 'rejected': return t('report.rejected', { status: item.status, detail: item.error || '' });
    default: return item.attempts > 0 ? t('report.queued_offline') : t('report.sending');
  }
}

function renderList(list) {
  clear(list);
  const all = items();
  if (!all.length) {
    list.append(h('li', { class: 'muted' }, t('report.none')));
    return;
  }
  for (const it of all.slice(0, 20)) {
    list.append(h('li', { class: ['outbox-item', 'state-' + it.state], dataset: { ref: it.source_ref } },
      h('p', { class: 'report-text' }, truncate(it.text, 200)),
      h('p', { class: 'meta' },
        h('span', { class: 'badge state-' + it.state }, outcome(it)),
        ' ', fmtTime(it.created),
        it.area ? [' · ', areaName(it.area)] : null,
        it.id ? [' · ', t('report.id'), ' ', h('code', null, it.id)] : null)));
  }
}

export async function reportView(ctx) {
  const text = h('textarea', { id: 'report-text', rows: 6, required: true, 'aria-describedby': 'report-text-help' });
  const counter = h('span', { id: 'report-text-help', class: 'hint' });
  const updateCounter = () => {
    const n = utf8Bytes(text.value);
    counter.textContent = t('report.bytes', { n, max: MAX_TEXT_BYTES });
    counter.classList.toggle('error', n > MAX_TEXT_BYTES);
  };
  text.addEventListener('input', updateCounter, { signal: ctx.signal });
  const area = h('select', { id: 'report-area' },
    h('option', { value: '' }, t('report.area_auto')),
    areaOptions([rootCode()]).map((o) => h('option', { value: o.code }, o.label)));
  const when = h('input', { id: 'report-time', type: 'datetime-local', 'aria-describedby': 'report-time-help' });
  const status = h('p', { id: 'report-status', role: 'status', 'aria-live': 'polite' });
  const list = h('ul', { id: 'outbox', class: 'outbox' });

  const form = h('form', { id: 'report-form', class: 'card', onsubmit: async (e) => {
    e.preventDefault();
    const value = text.value.trim();
    if (!value) { status.textContent = t('report.empty'); text.focus(); return; }
    if (utf8Bytes(value) > MAX_TEXT_BYTES) { status.textContent = t('report.too_long'); return; }
    const report = { text: value, area: area.value || null, observed_at: bishkekLocalToRfc3339(when.value) };
    form.reset();
    updateCounter();
    status.textContent = t('report.sending');
    await enqueue(report);
    const latest = items()[0];
    status.textContent = latest ? outcome(latest) : '';
    text.focus();
  } },
  h('label', { for: 'report-text' }, t('report.text')),
  text, counter,
  h('div', { class: 'row' },
    h('div', null, h('label', { for: 'report-area' }, t('report.area')), area),
    h('div', null, h('label', { for: 'report-time' }, t('report.time')), when,
      h('p', { id: 'report-time-help', class: 'hint' }, t('report.time_help')))),
  h('button', { type: 'submit', class: 'primary', id: 'report-send' }, t('report.send')),
  status);

  updateCounter();
  ctx.main.append(
    h('h1', null, t('report.title')),
    h('p', { class: 'lead' }, t('report.intro')),
    form,
    h('section', { 'aria-labelledby': 'sent-title' },
      h('h2', { id: 'sent-title' }, t('report.sent')),
      h('button', { type: 'button', class: 'secondary', onclick: () => flush() }, t('report.retry')),
      list));
  renderList(list);
  outbox.addEventListener('change', () => renderList(list), { signal: ctx.signal });
  ctx.focus = false;
  text.focus();
}
