// The monitor's offline queue. A report is queued in this browser (localStorage) with its own
// source_ref before the first attempt, and sent again with the same source_ref until the
// service answers, so it is stored once however often the connection drops: 202 accepted, 200
// duplicate (stored before), 4xx rejected with the reason. Items belong to the token name that
// typed them and are sent only while that token is signed in.

import { call, session } from './api.js';

const KEY = 'sakchy.outbox';
const KEEP = 50;
export const outbox = new EventTarget();
let flushing = null;

function load() {
  try { return JSON.parse(localStorage.getItem(KEY) || '[]'); } catch { return []; }
}
function save(items) {
  localStorage.setItem(KEY, JSON.stringify(items.slice(-KEEP)));
  outbox.dispatchEvent(new Event('change'));
}

function newRef() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return 'console-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// This token's items, newest first.
export function items() {
  const me = session.me;
  return load().filter((i) => me && i.owner === me.name).reverse();
}

export function pending() { return items().filter((i) => i.state === 'queued').length; }

export function enqueue(report) {
  const all = load();
  all.push(Object.assign({}, report, {
    source_ref: newRef(), owner: session.me.name, created: new Date().toISOString(),
    state: 'queued', attempts: 0,
  }));
  save(all);
  return flush();
}

async function sendOne(item) {
  const body = { text: item.text, source_ref: item.source_ref };
  if (item.area) body.area = item.area;
  if (item.observed_at) body.observed_at = item.observed_at;
  try {
    const r = await call('POST', '/v1/reports', { body });
    return { state: r.status === 202 ? 'accepted' : 'duplicate', status: r.status, id: r.data.id };
  } catch (e) {
    if (e.status === 0 || e.status === 503 || e.status === 401) {
      return { state: 'queued', status: e.status, error: e.message, stop: true };
    }
    return { state: 'rejected', status: e.status, error: e.message };
  }
}

async function sendQueued() {
  for (;;) {
    const me = session.me;
    if (!me || !session.token) return;
    const next = load().find((i) => i.owner === me.name && i.state === 'queued');
    if (!next) return;
    const result = await sendOne(next);
    const all = load();
    const it = all.find((i) => i.source_ref === next.source_ref);
    if (!it) return;
    it.attempts += 1;
    it.state = result.state;
    it.status = result.status;
    it.error = result.error || null;
    if (result.id) it.id = result.id;
    it.updated = new Date().toISOString();
    save(all);
    if (result.stop) return;
  }
}

// Sends the queued items of the signed-in token, oldest first, one at a time; stops at the first
// that cannot get through (no connection, service busy). One flush runs at a time.
export function flush() {
  // `finally` runs after the assignment even when nothing is queued (no await happens).
  if (!flushing) flushing = sendQueued().finally(() => { flushing = null; });
  return flushing;
}

let timer = null;
// Retries when the connection returns and every 10 s while something is queued.
export function startOutbox() {
  if (timer) return;
  window.addEventListener('online', () => flush());
  timer = setInterval(() => { if (pending() > 0) flush(); }, 10000);
  flush();
}
