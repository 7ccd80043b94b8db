// Formatting: dates in Asia/Bishkek, severities, UTF-8 byte offsets -> JavaScript string indices.

import { lang, t } from './i18n.js';

export const TIME_ZONE = 'Asia/Bishkek';
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'];
export const CATEGORIES = ['violence', 'threat', 'call_to_action', 'group_attack', 'hate',
  'insult', 'rumour_marker', 'group_reference', 'tension', 'place'];

const formats = new Map();
function formatter(kind) {
  const key = lang() + ':' + kind;
  if (!formats.has(key)) {
    const opts = { timeZone: TIME_ZONE };
    if (kind === 'full') Object.assign(opts, { dateStyle: 'medium', timeStyle: 'short' });
    if (kind === 'day') Object.assign(opts, { day: 'numeric', month: 'short' });
    if (kind === 'hour') Object.assign(opts, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
    // Browsers without Kyrgyz date names (Chromium's ICU lacks them) get Russian ones, which
    // Kyrgyz readers use, rather than English.
    let f;
    try { f = new Intl.DateTimeFormat(lang(), opts); } catch { f = null; }
    if (!f || !f.resolvedOptions().locale.startsWith(lang())) f = new Intl.DateTimeFormat(lang() === 'en' ? 'en' : 'ru', opts);
    formats.set(key, f);
  }
  return formats.get(key);
}

// "25 Nov 2026, 14:02" in Bishkek time; '' for none.
export function fmtTime(iso, kind = 'full') {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : formatter(kind).format(d);
}

export function severityRank(s) { return SEVERITIES.indexOf(s); }
export const sevLabel = (s) => t('sev.' + s);
export const catLabel = (c) => t('cat.' + c, null, c);
export const stateLabel = (s) => t('state.' + s, null, s);

// The UTF-8 length of a code point.
function utf8Len(cp) { return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; }

// A function from UTF-8 byte offsets into `text` (the API's match offsets) to indices of the
// JavaScript (UTF-16) string. An offset inside a character rounds down to its start; past the
// end gives text.length.
export function byteOffsetMapper(text) {
  const starts = [];  // starts[k] = [byte offset, utf16 index] of the k-th code point
  let byte = 0, index = 0;
  for (const ch of text) {
    starts.push([byte, index]);
    byte += utf8Len(ch.codePointAt(0));
    index += ch.length;
  }
  const total = byte;
  return (b) => {
    if (b >= total) return text.length;
    if (b <= 0) return 0;
    let lo = 0, hi = starts.length - 1;  // the last start <= b
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid][0] <= b) lo = mid; else hi = mid - 1;
    }
    return starts[lo][1];
  };
}

// Byte length of a string in UTF-8.
export function utf8Bytes(str) { return new TextEncoder().encode(str).length; }

// A fragment of `text` with `ranges` ({begin, end, cls, title} in UTF-16 indices) wrapped in
// <mark>; overlapping ranges are merged into the first. Text stays text.
export function highlighted(text, ranges) {
  const frag = document.createDocumentFragment();
  const sorted = ranges.filter((r) => r.end > r.begin).sort((a, b) => a.begin - b.begin || b.end - a.end);
  let pos = 0;
  for (const r of sorted) {
    if (r.begin < pos) continue;  // overlaps the previous mark
    if (r.begin > pos) frag.append(document.createTextNode(text.slice(pos, r.begin)));
    const mark = document.createElement('mark');
    mark.className = r.cls || '';
    if (r.title) mark.title = r.title;
    mark.textContent = text.slice(r.begin, r.end);
    frag.append(mark);
    pos = r.end;
  }
  if (pos < text.length) frag.append(document.createTextNode(text.slice(pos)));
  return frag;
}

// RFC 4180 CSV -> array of rows (arrays of strings).
export function parseCsv(text) {
  const rows = [];
  let row = [], field = '', i = 0, quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
        quoted = false; i++; continue;
      }
      field += c; i++; continue;
    }
    if (c === '"') { quoted = true; i++; continue; }
    if (c === ',') { row.push(field); field = ''; i++; continue; }
    if (c === '\r' || c === '\n') {
      row.push(field); field = '';
      rows.push(row); row = [];
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      continue;
    }
    field += c; i++;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  return rows;
}

// "2026-11-25T14:00" typed in a datetime-local field -> RFC 3339 in Bishkek time (+06:00, no
// daylight saving).
export function bishkekLocalToRfc3339(value) {
  if (!value) return null;
  return (value.length === 16 ? value + ':00' : value) + '+06:00';
}

export function truncate(text, n) {
  if (!text) return '';
  return text.length > n ? text.slice(0, n - 1) + '…' : text;
}
