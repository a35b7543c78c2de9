// The dashboard's one way to the server: the public API under /api/v1, with the session
// cookie the server set at sign-in. The cookie is HttpOnly, so this code never sees it; it
// holds only the CSRF token, which it sends back on every request that changes something.

const BASE = '/api/v1';

/** An error answer from the API: `status` (HTTP), `code` and `message` from the body. */
export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

/** The signed-in user and the CSRF token; null before loadSession() or signIn(). */
export const session = {user: null, csrf_token: null, expires_at: null};

function setSession(body) {
  session.user = body ? body.user : null;
  session.csrf_token = body ? body.csrf_token : null;
  session.expires_at = body ? body.expires_at : null;
}

function toSignIn() {
  const here = location.pathname + location.search;
  if (location.pathname !== '/login') {
    location.assign(`/login?next=${encodeURIComponent(here)}`);
  }
}

async function request(method, path, body, {signInOn401 = true} = {}) {
  const headers = {Accept: 'application/json'};
  const init = {method, headers, credentials: 'same-origin'};
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (method !== 'GET' && method !== 'HEAD' && session.csrf_token) {
    headers['X-CSRF-Token'] = session.csrf_token;
  }
  let response;
  try {
    response = await fetch(BASE + path, init);
  } catch (e) {
    throw new ApiError(0, 'unavailable', 'The server cannot be reached. Check that it is running.', null);
  }
  const text = await response.text();
  let parsed = null;
  if (text) {
    try { parsed = JSON.parse(text); } catch { parsed = text; }
  }
  if (!response.ok) {
    const err = parsed && parsed.error ? parsed.error : {};
    const error = new ApiError(response.status, err.code || 'unknown',
      err.message || `${response.status} ${response.statusText}`, parsed);
    if (response.status === 401 && signInOn401) {
      setSession(null);
      toSignIn();
    }
    throw error;
  }
  return parsed;
}

export const api = {
  get: (path) => request('GET', path),
  post: (path, body = {}) => request('POST', path, body),
  put: (path, body = {}) => request('PUT', path, body),
  patch: (path, body = {}) => request('PATCH', path, body),
  del: (path) => request('DELETE', path),

  /**
   * Follows a streamed route (logs, events, status, a build's log) as Server-Sent Events.
   * onMessage gets each JSON object; onEnd is called when the server ends the stream (it
   * does not reconnect then); onError when the connection drops (EventSource reconnects by
   * itself: onError is for showing it). Returns a function that closes the stream.
   */
  follow(path, onMessage, {onEnd, onError, onOpen} = {}) {
    const source = new EventSource(BASE + path, {withCredentials: true});
    let closed = false;
    const close = () => {
      closed = true;
      source.close();
    };
    source.onopen = () => { if (onOpen) onOpen(); };
    source.onmessage = (event) => {
      if (!event.data) return;
      let value;
      try { value = JSON.parse(event.data); } catch { return; }
      onMessage(value);
    };
    source.addEventListener('end', () => {
      close();
      if (onEnd) onEnd();
    });
    source.onerror = () => {
      if (closed) return;
      // A closed EventSource (readyState 2) gave up, as it does on 401/404: find out which.
      if (source.readyState === EventSource.CLOSED) {
        close();
        loadSession().then((ok) => { if (!ok) toSignIn(); });
      }
      if (onError) onError();
    };
    return close;
  },
};

/** Finds out whether this browser has a session; fills `session`. */
export async function loadSession() {
  try {
    setSession(await request('GET', '/sessions/current', undefined, {signInOn401: false}));
    return true;
  } catch (e) {
    if (e.status === 401) {
      setSession(null);
      return false;
    }
    throw e;
  }
}

/** Signs in with {username, password} or {token}; throws ApiError (401, 429) otherwise. */
export async function signIn(credentials) {
  setSession(await request('POST', '/sessions', credentials, {signInOn401: false}));
  return session;
}

/** Ends the session on the server (the cookie is cleared by its answer). */
export async function signOut() {
  try {
    await request('DELETE', '/sessions/current', undefined, {signInOn401: false});
  } finally {
    setSession(null);
  }
}

/** "/projects/shop/deployments/dev" from names, each segment encoded. */
export function deploymentPath(project, deployment, ...rest) {
  return ['/projects', project, 'deployments', deployment, ...rest]
    .map((s, i) => (i === 0 ? s : encodeURIComponent(s))).join('/');
}

/** "/projects/shop" */
export function projectPath(project, ...rest) {
  return ['/projects', project, ...rest].map((s, i) => (i === 0 ? s : encodeURIComponent(s))).join('/');
}
