// Area names (GET /v1/area-names, any role), loaded once per sign-in.

import { get } from './api.js';
import { lang, t } from './i18n.js';

let loading = null;
let byCode = new Map();
let list = [];
let sharedNames = new Set();  // "name_en:Osh": names more than one area has

export function loadAreas() {
  if (!loading) {
    loading = get('/v1/area-names').then((r) => {
      list = r.data.areas;
      byCode = new Map(list.map((a) => [a.code, a]));
      const seen = new Set();
      sharedNames = new Set();
      for (const a of list) {
        for (const l of ['en', 'ru', 'ky']) {
          const key = l + ':' + a['name_' + l];
          if (seen.has(key)) sharedNames.add(key); else seen.add(key);
        }
      }
      return list;
    }).catch((e) => { loading = null; throw e; });
  }
  return loading;
}

export function resetAreas() { loading = null; byCode = new Map(); list = []; }

export function area(code) { return byCode.get(code); }

// The area's name in the console's language ("KG-O" -> "Ош облусу"); the code when unknown. A
// name several areas share (English "Osh": the region and the city) gets its level added.
export function areaName(code) {
  if (!code) return '—';
  const a = byCode.get(code);
  if (!a) return code;
  const l = a['name_' + lang()] ? lang() : 'en';
  const name = a['name_' + l] || code;
  return sharedNames.has(l + ':' + name) ? `${name} (${t('level.' + a.level, null, a.level)})` : name;
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
