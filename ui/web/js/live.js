// Live updates: GET /v1/stream (Server-Sent Events) read with fetch, so the token travels in the
// Authorization header (EventSource cannot send one, and a token never goes into a URL).
// Events are re-dispatched on `live`: 'alert' and 'cluster' (detail: the JSON data),
// 'overflow' and 'resync' (reload lists: something may have been missed), 'state'.

import { session } from './api.js';

export const live = new EventTarget();
let controller = null;
let state = 'off';

export function liveState() { return state; }

function setState(next) {
  if (next === state) return;
  const was = state;
  state = next;
  live.dispatchEvent(new CustomEvent('state', { detail: { state, was } }));
  if (next === 'on' && was === 'reconnecting') live.dispatchEvent(new Event('resync'));
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const id = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(id); resolve(); }, { once: true });
  });
}

function dispatchBlock(block) {
  let event = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (event === 'hello') { setState('on'); return; }
  if (event === 'message' && data.length === 0) return;
  let detail = null;
  try { detail = data.length ? JSON.parse(data.join('\n')) : null; } catch { return; }
  live.dispatchEvent(new CustomEvent(event, { detail }));
}

async function run(signal) {
  let delay = 1000;
  while (!signal.aborted) {
    try {
      const res = await fetch('/v1/stream', {
        headers: { Authorization: 'Bearer ' + session.token, Accept: 'text/event-stream' },
        cache: 'no-store', credentials: 'omit', signal,
      });
      if (res.status === 401 || res.status === 403) { setState('off'); return; }
      if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
      delay = 1000;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, '\n');
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          dispatchBlock(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch (e) {
      if (signal.aborted) return;
    }
    if (signal.aborted) return;
    setState('reconnecting');
    await sleep(delay, signal);
    delay = Math.min(delay * 2, 30000);
  }
}

export function startLive() {
  if (controller) return;
  controller = new AbortController();
  state = 'connecting';
  run(controller.signal);
}

export function stopLive() {
  if (controller) controller.abort();
  controller = null;
  setState('off');
}
