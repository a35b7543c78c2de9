// The dashboard's URLs, on the History API: links within the dashboard change the page
// without reloading it, and back/forward work. Each page's render may return a cleanup
// function (closing its streams and timers), called when the page is left.
//
// A page may also handle a change of its own URL in place (the deployment page switching
// tabs): when the cleanup function has an `update(route)` method and the new URL is the
// same page (same route name and names in it), update is called first, and when it returns
// true the page stays.

/** The route for a path: {name, params}. */
export function matchRoute(pathname, search = '') {
  const query = new URLSearchParams(search);
  const parts = pathname.split('/').filter(Boolean).map((part) => {
    try { return decodeURIComponent(part); } catch { return part; }
  });
  const [first, second, third, fourth, fifth, ...rest] = parts;
  if (parts.length === 0) return {name: 'projects', params: {}};
  if (first === 'login' && parts.length === 1) {
    return {name: 'login', params: {next: query.get('next')}};
  }
  if (first === 'account' && parts.length === 1) return {name: 'account', params: {}};
  if (first === 'projects') {
    if (parts.length === 1) return {name: 'projects', params: {}};
    if (parts.length === 2) return {name: 'project', params: {project: second}};
    if (third === 'deployments' && fourth && rest.length === 0) {
      return {name: 'deployment', params: {project: second, deployment: fourth, tab: fifth || 'overview'}};
    }
  }
  return {name: 'not-found', params: {path: pathname}};
}

let renderRoute = null;
let current = null; // {route, cleanup}
let generation = 0;

function currentRoute() {
  return matchRoute(location.pathname, location.search);
}

function samePage(a, b) {
  return a.name === b.name && a.params.project === b.params.project &&
    a.params.deployment === b.params.deployment;
}

function runCleanup() {
  const cleanup = current && current.cleanup;
  current = null;
  if (typeof cleanup === 'function') {
    try { cleanup(); } catch (e) { console.error('cleanup failed', e); }
  }
}

async function show({focus = true} = {}) {
  const route = currentRoute();
  if (current && current.cleanup && typeof current.cleanup.update === 'function' &&
      samePage(current.route, route)) {
    let handled = false;
    try { handled = current.cleanup.update(route) === true; } catch (e) { console.error(e); }
    if (handled) {
      current.route = route;
      return 'updated';
    }
  }
  runCleanup();
  generation += 1;
  const mine = generation;
  const entry = {route, cleanup: null};
  current = entry;
  let cleanup = null;
  try {
    cleanup = await renderRoute(route, {focus});
  } catch (e) {
    console.error('rendering failed', e);
  }
  if (mine !== generation) {
    // The user went elsewhere while this page was loading: it is left already.
    if (typeof cleanup === 'function') cleanup();
    return;
  }
  entry.cleanup = cleanup;
}

/**
 * Goes to url (a path within the dashboard; other origins are opened normally).
 * {replace: true} replaces the current history entry instead of adding one.
 */
export function navigate(url, {replace = false} = {}) {
  const target = new URL(url, location.href);
  if (target.origin !== location.origin) {
    location.assign(target.href);
    return;
  }
  const path = target.pathname + target.search + target.hash;
  if (replace) history.replaceState(null, '', path);
  else if (path !== location.pathname + location.search + location.hash) history.pushState(null, '', path);
  show().then((outcome) => {
    // A page that took the change in place (a tab) keeps its scroll position.
    if (outcome !== 'updated' && !target.hash) window.scrollTo(0, 0);
  });
}

/** Renders the current URL again (after a sign-in, say). */
export function reload() {
  runCleanup();
  return show();
}

function handledByBrowser(event, anchor) {
  if (event.defaultPrevented || event.button !== 0) return true;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return true;
  if (anchor.target && anchor.target !== '_self') return true;
  if (anchor.hasAttribute('download') || anchor.dataset.reload !== undefined) return true;
  const target = new URL(anchor.href, location.href);
  if (target.origin !== location.origin) return true;
  if (target.pathname.startsWith('/api/') || target.pathname.startsWith('/assets/')) return true;
  // In-page anchors (the skip link) scroll as usual.
  if (target.pathname === location.pathname && target.search === location.search && target.hash) return true;
  return false;
}

function onClick(event) {
  const anchor = event.target.closest ? event.target.closest('a[href]') : null;
  if (!anchor || handledByBrowser(event, anchor)) return;
  event.preventDefault();
  navigate(anchor.href);
}

/**
 * Starts routing: render(route, {focus}) is called for every page shown and may return (or
 * resolve to) a cleanup function.
 */
export function startRouter(render) {
  renderRoute = render;
  document.addEventListener('click', onClick);
  window.addEventListener('popstate', () => show());
  return show({focus: false});
}
