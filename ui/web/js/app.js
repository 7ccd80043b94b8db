// The console's shell: sign-in, role-aware navigation, hash routes (#/alerts/ID ... can be
// shared; signing in returns to the route in the address bar), language switch, live status.

import { call, session, setUnauthorizedHandler, ApiError } from './api.js';
import { h, clear } from './dom.js';
import { initLang, lang, setLang, t } from './i18n.js';
import { live, startLive, stopLive, liveState } from './live.js';
import { loadAreas, resetAreas } from './areas.js';
import { startOutbox } from './outbox.js';
import { reportView } from './views/report.js';
import { inboxView, alertView } from './views/alerts.js';
import { clustersView, clusterView } from './views/clusters.js';
import { eventsView, eventView } from './views/events.js';
import { mapView } from './views/map.js';
import { trendsView } from './views/trends.js';
import { silencesView } from './views/silences.js';
import { contactsView, rulesView, sourcesView } from './views/admin.js';

const READERS = ['official', 'analyst', 'admin'];
const ANALYSTS = ['analyst', 'admin'];

// Routes in the order the navigation shows them; `nav` names the menu entry.
const ROUTES = [
  { re: /^\/report$/, roles: ['monitor', 'admin'], view: reportView, nav: 'report' },
  { re: /^\/alerts$/, roles: READERS, view: inboxView, nav: 'alerts' },
  { re: /^\/alerts\/([^/]+)$/, roles: READERS, view: alertView, nav: 'alerts' },
  { re: /^\/clusters$/, roles: READERS, view: clustersView, nav: 'clusters' },
  { re: /^\/clusters\/([^/]+)$/, roles: READERS, view: clusterView, nav: 'clusters' },
  { re: /^\/events$/, roles: READERS, view: eventsView, nav: 'events' },
  { re: /^\/events\/([^/]+)$/, roles: READERS, view: eventView, nav: 'events' },
  { re: /^\/map$/, roles: READERS, view: mapView, nav: 'map' },
  { re: /^\/trends$/, roles: READERS, view: trendsView, nav: 'trends' },
  { re: /^\/silences$/, roles: ANALYSTS, view: silencesView, nav: 'silences' },
  { re: /^\/sources$/, roles: ANALYSTS, view: sourcesView, nav: 'sources' },
  { re: /^\/admin\/contacts$/, roles: ['admin'], view: contactsView, nav: 'contacts' },
  { re: /^\/admin\/rules$/, roles: ['admin'], view: rulesView, nav: 'rules' },
];
const NAV = [
  ['report', '#/report'], ['alerts', '#/alerts'], ['clusters', '#/clusters'],
  ['events', '#/events'], ['map', '#/map'], ['trends', '#/trends'], ['silences', '#/silences'],
  ['sources', '#/sources'], ['contacts', '#/admin/contacts'], ['rules', '#/admin/rules'],
];

const main = document.getElementById('main');
let current = null;  // {controller} of the view on screen

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  return { path, params };
}

function defaultRoute(role) { return role === 'monitor' ? '#/report' : '#/alerts'; }

function allowedNav(role) {
  const navs = new Set(ROUTES.filter((r) => r.roles.includes(role)).map((r) => r.nav));
  return NAV.filter(([key]) => navs.has(key));
}

function renderShell(activeNav) {
  const me = session.me;
  document.documentElement.lang = lang();
  document.getElementById('lang-label').textContent = t('app.language');
  document.getElementById('skip').textContent = t('app.skip');
  document.getElementById('nav').setAttribute('aria-label', t('app.nav'));
  const nav = clear(document.getElementById('nav'));
  const who = clear(document.getElementById('who'));
  const out = document.getElementById('signout');
  out.textContent = t('app.signout');
  out.hidden = !me;
  if (me) {
    const ul = h('ul');
    for (const [key, href] of allowedNav(me.role)) {
      ul.append(h('li', null, h('a', { href, 'aria-current': key === activeNav ? 'page' : null },
        t('nav.' + key))));
    }
    nav.append(ul);
    who.append(h('span', { class: 'who-name' }, me.name), ' · ', t('role.' + me.role));
    if (me.areas && me.areas.length) who.append(' · ', me.areas.join(', '));
  }
  renderLive();
}

function renderLive() {
  const el = document.getElementById('live');
  const me = session.me;
  el.hidden = !me || me.role === 'monitor';
  const st = liveState();
  el.dataset.state = st;
  el.textContent = t('live.' + st);
}

function signInView(ctx) {
  const error = h('p', { class: 'error', role: 'alert', id: 'signin-error' });
  const input = h('input', { id: 'token', type: 'password', autocomplete: 'off', required: true,
    spellcheck: 'false', 'aria-describedby': 'token-help' });
  const form = h('form', { class: 'card narrow', id: 'signin', onsubmit: async (e) => {
    e.preventDefault();
    error.textContent = '';
    const token = input.value.trim();
    try {
      const me = (await call('GET', '/v1/me', { token })).data;
      session.set(token, me);
      afterSignIn();
    } catch (err) {
      error.textContent = err instanceof ApiError && err.status === 401 ? t('signin.bad') : t('error.generic', { detail: err.message });
    }
  } },
  h('h1', { tabindex: '-1' }, t('signin.title')),
  h('p', null, t('signin.intro')),
  h('label', { for: 'token' }, t('signin.token')),
  input,
  h('p', { id: 'token-help', class: 'hint' }, t('signin.help')),
  h('button', { type: 'submit', class: 'primary' }, t('signin.submit')),
  error);
  ctx.main.append(form);
  input.focus();
}

function afterSignIn() {
  const me = session.me;
  resetAreas();
  if (me.role !== 'monitor') startLive();
  if (me.role === 'monitor' || me.role === 'admin') startOutbox();
  if (!location.hash || location.hash === '#/' || location.hash === '#') {
    location.replace(defaultRoute(me.role));  // hashchange renders
    return;
  }
  render();
}

function signOut() {
  session.clear();
  stopLive();
  resetAreas();
  render();
}

export function toast(text) {
  const el = document.getElementById('toast');
  el.textContent = text;
}

async function render() {
  if (current) current.controller.abort();
  const controller = new AbortController();
  current = { controller };
  const { path, params } = parseHash();
  clear(main);
  const ctx = { main, params, args: [], signal: controller.signal, me: session.me, rerender: render };
  if (!session.token || !session.me) {
    renderShell(null);
    document.title = t('signin.title') + ' · Sakchy';
    signInView(ctx);
    return;
  }
  const me = session.me;
  const route = ROUTES.find((r) => r.re.test(path));
  if (!route) {
    location.replace(defaultRoute(me.role));
    return;
  }
  ctx.args = path.match(route.re).slice(1).map(decodeURIComponent);
  renderShell(route.nav);
  if (!route.roles.includes(me.role)) {
    main.append(h('h1', { tabindex: '-1' }, t('error.role_title')), h('p', null, t('error.role', { role: t('role.' + me.role) })));
    return;
  }
  try {
    await loadAreas();
    if (controller.signal.aborted) return;
    await route.view(ctx);
  } catch (e) {
    if (e.name === 'AbortError' || controller.signal.aborted) return;
    main.append(h('p', { class: 'error', role: 'alert' }, e instanceof ApiError && e.status === 403
      ? t('error.forbidden', { detail: e.message }) : t('error.generic', { detail: e.message })));
  }
  const h1 = main.querySelector('h1');
  if (h1) {
    document.title = h1.textContent + ' · Sakchy';
    if (ctx.focus !== false && document.activeElement === document.body) {
      h1.setAttribute('tabindex', '-1');
      h1.focus({ preventScroll: true });
    }
  }
}

function start() {
  initLang();
  const select = document.getElementById('lang');
  select.value = lang();
  select.addEventListener('change', () => { setLang(select.value); render(); });
  document.getElementById('signout').addEventListener('click', signOut);
  document.getElementById('skip').addEventListener('click', (e) => {
    e.preventDefault();
    main.focus();
  });
  setUnauthorizedHandler(() => { session.clear(); stopLive(); render(); });
  live.addEventListener('state', renderLive);
  window.addEventListener('hashchange', render);
  if (session.me) {
    if (session.me.role !== 'monitor') startLive();
    if (session.me.role === 'monitor' || session.me.role === 'admin') startOutbox();
  }
  render();
}

start();
