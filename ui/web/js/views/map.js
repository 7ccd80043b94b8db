// Analyst: Kyrgyzstan's areas coloured by tension (the bundled polygons of
// GET /v1/export/areas.geojson, last 24 h), oblast -> raion drill-down, with the same figures
// as a table (the keyboard path). Leaflet (Debian's libjs-leaflet) is loaded on first use.

import { download, get } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { areaName } from '../areas.js';

let leaflet = null;
function loadLeaflet() {
  if (!leaflet) {
    leaflet = new Promise((resolve, reject) => {
      const css = document.createElement('link');
      css.rel = 'stylesheet';
      css.href = 'vendor/leaflet/leaflet.css';
      document.head.append(css);
      const js = document.createElement('script');
      js.src = 'vendor/leaflet/leaflet.js';
      js.onload = () => resolve(window.L);
      js.onerror = () => { leaflet = null; reject(new Error('leaflet did not load')); };
      document.head.append(js);
    });
  }
  return leaflet;
}

// Tension classes (sum of severity weights over 24 h): colour and a label for the legend.
const CLASSES = [
  { max: 0, cls: 't0' }, { max: 10, cls: 't1' }, { max: 30, cls: 't2' },
  { max: 100, cls: 't3' }, { max: Infinity, cls: 't4' },
];
const COLOURS = { t0: '#e8eef3', t1: '#fde68a', t2: '#f59e0b', t3: '#dc2626', t4: '#7f1d1d' };
function tensionClass(v) { return CLASSES.find((c) => v <= c.max).cls; }

export async function mapView(ctx) {
  const focus = ctx.params.get('area');
  const [geo, areas] = await Promise.all([
    get('/v1/export/areas.geojson', null, ctx.signal),
    get('/v1/areas', null, ctx.signal),
  ]);
  const features = geo.data.features;
  const byCode = new Map(features.map((f) => [f.id, f]));
  const info = new Map(areas.data.areas.map((a) => [a.code, a]));
  const hasChildren = (code) => features.some((f) => f.properties.parent === code);
  // The level shown: the children of `focus`, or the top of what this token sees (drilled into
  // when it is a single area with children, e.g. the country).
  let parent = focus && byCode.has(focus) ? focus : null;
  let shown;
  if (parent) {
    shown = features.filter((f) => f.properties.parent === parent);
  } else {
    shown = features.filter((f) => !byCode.has(f.properties.parent));
    if (shown.length === 1 && hasChildren(shown[0].id)) {
      parent = shown[0].id;
      shown = features.filter((f) => f.properties.parent === parent);
    }
  }
  shown.sort((a, b) => b.properties.tension - a.properties.tension);

  const crumbs = h('p', { class: 'crumbs', id: 'map-crumbs' });
  const chain = [];
  for (let c = parent; c && byCode.has(c); c = byCode.get(c).properties.parent) chain.unshift(c);
  // The first step is the top of what this token sees (the country for analysts).
  if (!chain.length) crumbs.append(t('map.top'));
  chain.forEach((c, i) => {
    if (i) crumbs.append(' › ');
    const href = i === 0 ? '#/map' : '#/map?area=' + encodeURIComponent(c);
    crumbs.append(c === parent ? h('span', { 'aria-current': 'page' }, areaName(c)) : h('a', { href }, areaName(c)));
  });

  const mapBox = h('div', { id: 'map', class: 'map', role: 'region', 'aria-label': t('map.region') });
  const legend = h('ul', { class: 'legend', 'aria-label': t('map.legend') },
    [[0, 't0', '0'], [10, 't1', '1–10'], [30, 't2', '10–30'], [100, 't3', '30–100'], [null, 't4', '100+']].map(([, cls, label]) =>
      h('li', null, h('span', { class: 'swatch ' + cls, 'aria-hidden': 'true' }), label)));
  const table = h('table', { id: 'map-table' },
    h('caption', null, t('map.table')),
    h('thead', null, h('tr', null, ['area', 'events', 'tension', 'now'].map((k) => h('th', { scope: 'col' }, t('map.col_' + k))))),
    h('tbody', null, shown.map((f) => {
      const p = f.properties;
      const cur = p.current || {};
      return h('tr', { dataset: { code: f.id } },
        h('th', { scope: 'row' }, hasChildren(f.id) ? h('a', { href: '#/map?area=' + encodeURIComponent(f.id) }, areaName(f.id)) : areaName(f.id),
          ' ', h('a', { href: '#/trends?area=' + encodeURIComponent(f.id), class: 'small' }, t('map.trends'))),
        h('td', null, String(p.events)),
        h('td', null, h('span', { class: 'swatch ' + tensionClass(p.tension), 'aria-hidden': 'true' }), ' ', String(Math.round(p.tension * 10) / 10)),
        h('td', null, cur.spike ? h('strong', { class: 'warn' }, t('map.spike', { z: cur.z })) : String(cur.value ?? 0)));
    })));
  const exportArea = parent || undefined;
  ctx.main.append(
    h('h1', null, t('map.title')),
    crumbs,
    h('p', { class: 'muted' }, t('map.intro')),
    mapBox, legend,
    h('p', { class: 'toolbar' },
      h('button', { type: 'button', class: 'secondary', onclick: () => download('/v1/export/areas.geojson', { area: exportArea }, 'areas.geojson') }, t('export.geojson')),
      h('button', { type: 'button', class: 'secondary', onclick: () => download('/v1/export/events.csv', { area: exportArea }, 'events.csv') }, t('export.csv'))),
    h('div', { class: 'table-wrap' }, table));

  const L = await loadLeaflet();
  if (ctx.signal.aborted) return;
  const map = L.map(mapBox, { zoomSnap: 0.25, attributionControl: true, scrollWheelZoom: false });
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution('OCHA COD-AB, GeoNames');
  const group = L.featureGroup().addTo(map);
  const label = (f) => {
    const el = document.createElement('span');
    el.textContent = `${areaName(f.id)}: ${Math.round(f.properties.tension * 10) / 10}`;
    return el;
  };
  const open = (f) => {
    location.hash = hasChildren(f.id) ? '#/map?area=' + encodeURIComponent(f.id) : '#/trends?area=' + encodeURIComponent(f.id);
  };
  // Polygons first, then the towns' markers on top of them.
  const ordered = [...shown.filter((f) => f.geometry), ...shown.filter((f) => !f.geometry)];
  for (const f of ordered) {
    const colour = COLOURS[tensionClass(f.properties.tension)];
    let layer;
    if (f.geometry) {
      layer = L.geoJSON(f, { style: { color: '#334155', weight: 1, fillColor: colour, fillOpacity: 0.75 } });
    } else {
      const a = info.get(f.id);
      if (!a || (!a.lat && !a.lon)) continue;
      layer = L.circleMarker([a.lat, a.lon], { radius: 9, color: '#334155', weight: 1, fillColor: colour, fillOpacity: 0.9 });
    }
    layer.bindTooltip(label(f), { sticky: true });
    layer.on('click', () => open(f));
    layer.addTo(group);
  }
  const bounds = group.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [10, 10] });
  else map.setView([41.2, 74.6], 6);
  ctx.signal.addEventListener('abort', () => map.remove(), { once: true });
}
