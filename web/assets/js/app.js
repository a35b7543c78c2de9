// The dashboard's start: find out whether this browser is signed in, then show the page for
// the URL inside the layout (header, breadcrumbs, main). Pages live in pages/*.js; the
// deployment page in deployment/page.js.

import {h, replace} from './dom.js';
import {session, loadSession, signOut} from './api.js';
import {startRouter, navigate, reload} from './router.js';
import {errorBox, toast} from './ui.js';
import {renderLogin} from './pages/login.js';
import {renderProjects} from './pages/projects.js';
import {renderProject} from './pages/project.js';
import {renderAccount} from './pages/account.js';

const app = document.getElementById('app');
let layout = null; // {header, crumbs, main, projectsLink, userName}

function buildLayout() {
  const userName = h('span', {class: 'user-name', title: 'Signed in as'});
  const projectsLink = h('a', {href: '/projects', class: 'nav-link'}, 'Projects');
  const accountLink = h('a', {href: '/account', class: 'nav-link'}, 'Account');
  const header = h('header', {class: 'topbar'},
    h('a', {href: '/', class: 'brand'},
      h('img', {src: '/assets/favicon.svg', alt: '', width: 22, height: 22}), 'Stackyard'),
    h('nav', {class: 'topnav', 'aria-label': 'Main'}, projectsLink),
    h('div', {class: 'user-area'},
      userName,
      accountLink,
      h('button', {type: 'button', class: 'button small', onclick: onSignOut}, 'Sign out')));
  const crumbs = h('nav', {class: 'breadcrumbs', 'aria-label': 'Breadcrumb'});
  const main = h('main', {id: 'main', class: 'page', tabindex: '-1'});
  replace(app, header, h('div', {class: 'shell'}, crumbs, main));
  layout = {header, crumbs, main, projectsLink, accountLink, userName};
  return layout;
}

async function onSignOut() {
  try {
    await signOut();
  } catch (e) {
    toast(`Signing out failed: ${e.message}`, 'error');
    return;
  }
  layout = null;
  navigate('/login', {replace: false});
}

/**
 * Breadcrumbs: [{label, href}], the last one is the current page; shown from two items on.
 * They start below "Projects": the header's link is the one link of that name.
 */
function setCrumbs(items) {
  if (!layout) return;
  const list = h('ol', null, items.map((item, i) => {
    const last = i === items.length - 1;
    return h('li', null, last || !item.href
      ? h('span', {'aria-current': last ? 'page' : null}, item.label)
      : h('a', {href: item.href}, item.label));
  }));
  replace(layout.crumbs, items.length > 1 ? list : null);
  layout.crumbs.hidden = items.length <= 1;
}

function setTitle(text) {
  document.title = text ? `${text} · Stackyard` : 'Stackyard';
}

function markCurrentNav(name) {
  const onProjects = name === 'projects';
  layout.projectsLink.toggleAttribute('aria-current', false);
  if (onProjects) layout.projectsLink.setAttribute('aria-current', 'page');
  layout.accountLink.toggleAttribute('aria-current', false);
  if (name === 'account') layout.accountLink.setAttribute('aria-current', 'page');
}

function safeNext(next) {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/login')) return '/';
  return next;
}

async function renderDeploymentRoute(main, params, ctx) {
  const {project, deployment, tab} = params;
  ctx.setCrumbs([
    {label: project, href: `/projects/${encodeURIComponent(project)}`},
    {label: deployment}]);
  ctx.setTitle(`${deployment} · ${project}`);
  let module;
  try {
    module = await import('./deployment/page.js');
  } catch (e) {
    replace(main,
      h('h1', null, deployment),
      h('p', {class: 'muted'}, 'The deployment page is not available in this build of the dashboard. ',
        'The CLI shows everything about it: ', h('code', null, `yard status ${project}/${deployment}`), '.'));
    return null;
  }
  return module.renderDeployment(main, {project, deployment, tab});
}

function renderNotFound(main, params, ctx) {
  ctx.setCrumbs([]);
  ctx.setTitle('Not found');
  replace(main,
    h('h1', null, 'Page not found'),
    h('p', null, 'There is no page at ', h('code', null, params.path), '. ',
      h('a', {href: '/projects'}, 'Go to your projects'), '.'));
  return null;
}

const pages = {
  projects: renderProjects,
  project: renderProject,
  account: renderAccount,
  deployment: renderDeploymentRoute,
  'not-found': renderNotFound,
};

async function render(route, {focus}) {
  if (route.name === 'login') {
    if (session.user) {
      navigate(safeNext(route.params.next), {replace: true});
      return null;
    }
    layout = null;
    setTitle('Sign in');
    return renderLogin(app, {next: safeNext(route.params.next), onSignedIn: (next) => navigate(next, {replace: true})});
  }
  if (!session.user) {
    const here = location.pathname + location.search;
    navigate(here === '/' ? '/login' : `/login?next=${encodeURIComponent(here)}`, {replace: true});
    return null;
  }
  if (!layout || !layout.header.isConnected) buildLayout();
  layout.userName.textContent = session.user.name;
  layout.userName.title = `Signed in as ${session.user.name} (${session.user.role})`;
  markCurrentNav(route.name);
  const main = layout.main;
  replace(main);
  main.removeAttribute('aria-busy');
  if (focus) main.focus({preventScroll: true});
  const ctx = {setCrumbs, setTitle};
  return pages[route.name](main, route.params, ctx);
}

async function start() {
  try {
    await loadSession();
  } catch (e) {
    replace(app, h('main', {id: 'main', class: 'page narrow'},
      h('h1', null, 'Stackyard'),
      errorBox(e),
      h('button', {type: 'button', class: 'button', onclick: () => { start(); }}, 'Try again')));
    return;
  }
  if (layout) {
    reload();
    return;
  }
  startRouter(render);
}

start();
