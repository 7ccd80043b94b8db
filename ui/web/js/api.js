// The public API with the signed-in token: the console's only way to data, so the API's role and
// area checks are the only gate. The token lives in this tab's sessionStorage (never in a URL,
// a cookie or localStorage) and is sent as "Authorization: Bearer".

const TOKEN_KEY = 'sakchy.token';
const ME_KEY = 'sakchy.me';

export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY); },
  get me() {
    try { return JSON.parse(sessionStorage.getItem(ME_KEY) || 'null'); } catch { return null; }
  },
  set(token, me) {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(ME_KEY, JSON.stringify(me));
  },
  clear() {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(ME_KEY);
  },
};

// An API answer that is not 2xx (status 0: no connection). `problem` is the RFC 7807 document.
export class ApiError extends Error {
  constructor(status, problem) {
    const p = problem && typeof problem === 'object' ? problem : {};
    super(p.detail || p.title || (status ? 'HTTP ' + status : 'network error'));
    this.status = status;
    this.problem = p;
  }
}

let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

function headers(token, extra) {
  const h = Object.assign({ Accept: 'application/json' }, extra || {});
  if (token) h.Authorization = 'Bearer ' + token;
  return h;
}

// call('GET', '/v1/alerts', {query: {limit: 10}}) -> {status, data}. Throws ApiError.
export async function call(method, path, opts = {}) {
  const token = opts.token !== undefined ? opts.token : session.token;
  let url = path;
  if (opts.query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query)) {
      if (v !== undefined && v !== null && v !== '') q.set(k, v);
    }
    const qs = q.toString();
    if (qs) url += '?' + qs;
  }
  const extra = {};
  let body;
  if (opts.body !== undefined) {
    extra['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res;
  try {
    res = await fetch(url, {
      method, body, headers: headers(token, extra), signal: opts.signal,
      cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer',
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, { title: 'network', detail: String(e.message || e) });
  }
  const type = res.headers.get('content-type') || '';
  let data = null;
  if (res.status !== 204) {
    data = type.includes('json') ? await res.json().catch(() => null) : await res.text();
  }
  if (!res.ok) {
    if (res.status === 401 && opts.token === undefined) onUnauthorized();
    throw new ApiError(res.status, data);
  }
  return { status: res.status, data };
}

export const get = (path, query, signal) => call('GET', path, { query, signal });

// Raw text of a GET (CSV exports), with the token.
export async function getText(path, query, signal) {
  const r = await call('GET', path, { query, signal });
  return typeof r.data === 'string' ? r.data : JSON.stringify(r.data);
}

// Saves a GET's body as a file (exports): fetched with the token, handed over as a blob.
export async function download(path, query, filename) {
  const text = await getText(path, query);
  // fetch's text() drops the CSV's UTF-8 byte order mark; spreadsheets need it back.
  const blob = new Blob([filename.endsWith('.csv') ? '\uFEFF' + text : text], { type: 'application/octet-stream' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
