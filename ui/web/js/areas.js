// Area names (GET /v1/area-names, any role), loaded once per sign-in.

import { get } from './api.js';
import { lang } from './i18n.js';

let loading = null;
let byCode = new Map();
let list = [];

export function loadAreas() {
  if (!loading) {
    loading = get('/v1/area-names').then((r) => {
      list = r.data.areas;
      byCode = new Map(list.map((a) => [a.code, a]));
      return list;
    }).catch((e) => { loading = null; throw e; });
  }
  return loading;
}

export function resetAreas() { loading = null; byCode = new Map(); list = []; }

export function area(code) { return byCode.get(code); }

// The area's name in the console's language ("KG-O" -> "Ош облусу"); the code when unknown.
export function areaName(code) {
  if (!code) return '—';
  const a = byCode.get(code);
  if (!a) return code;
  return a['name_' + lang()] || a.name_en || code;
}

export function children(code) { return list.filter((a) => a.parent === code); }

// Areas as <option> data in hierarchy order with an indent per level below `roots`.
export function areaOptions(roots) {
  const out = [];
  const walk = (code, depth) => {
    const a = byCode.get(code);
    if (!a) return;
    out.push({ code, label: '\u00a0\u00a0'.repeat(depth) + areaName(code) });
    for (const c of children(code)) walk(c.code, depth + 1);
  };
  for (const r of roots) walk(r, 0);
  return out;
}

export function rootCode() {
  const root = list.find((a) => !a.parent);
  return root ? root.code : 'KG';
}
