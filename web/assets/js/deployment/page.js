// The deployment page: a heading with the deployment's name, stage, branch and colour, and
// one tab per concern (overview, logs, builds, events, env & params, actions, settings).
// The page follows the status stream once and shares it with the tabs, so the colour in the
// heading and the overview's status tree change together without reloading.

import {h, replace} from '../dom.js';
import {api, deploymentPath} from '../api.js';
import {displayColour, errorBox, spinner, statusBadge} from '../ui.js';
import {renderOverview} from './overview.js';
import {renderLogs} from './logs.js';
import {renderBuilds} from './builds.js';
import {renderEvents} from './events.js';
import {renderConfig} from './config.js';
import {renderActions} from './actions.js';
import {renderSettings} from './settings.js';
import {navigate} from '../router.js';
import {deploymentUrl} from './util.js';

// The tabs in order: the URL's last segment, the accessible name, the renderer.
const TABS = [
  {slug: 'overview', label: 'Overview', render: renderOverview},
  {slug: 'logs', label: 'Logs', render: renderLogs},
  {slug: 'builds', label: 'Builds', render: renderBuilds},
  {slug: 'events', label: 'Events', render: renderEvents},
  {slug: 'env', label: 'Env & params', render: renderConfig},
  {slug: 'actions', label: 'Actions', render: renderActions},
  {slug: 'settings', label: 'Settings', render: renderSettings},
];
const ALIASES = {config: 'env', params: 'env', 'env-params': 'env'};

function tabBySlug(slug) {
  const s = ALIASES[slug] || slug;
  return TABS.find((t) => t.slug === s) || TABS[0];
}

export {deploymentUrl};

/**
 * Shared state of one deployment page, handed to every tab:
 * - project, name, path (the API path of the deployment: "/projects/p/deployments/d");
 * - deployment: the latest GET view (refreshed when the followed status changes);
 * - status: the latest status tree (GET …/status), null before the first;
 * - subscribe(fn): fn() after each change of either; returns an unsubscribe function;
 * - refresh(): reloads the deployment view now (after an action).
 */
function makeContext(project, name) {
  const listeners = new Set();
  const ctx = {
    project,
    name,
    path: deploymentPath(project, name),
    deployment: null,
    status: null,
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    notify() {
      for (const fn of [...listeners]) {
        try { fn(); } catch (e) { console.error(e); }
      }
    },
    async refresh() {
      ctx.deployment = await api.get(ctx.path);
      ctx.notify();
      return ctx.deployment;
    },
  };
  return ctx;
}

export function renderDeployment(root, {project, deployment, tab}) {
  const ctx = makeContext(project, deployment);
  const cleanups = [];
  let tabCleanup = null;
  let closed = false;
  let current = tabBySlug(tab);

  const title = h('h1', {class: 'dep-title'}, deployment);
  const badgeSlot = h('span', {class: 'dep-colour-slot'});
  const facts = h('p', {class: 'dep-facts'});
  // Phase changes are announced once, politely; the reasons are in the overview.
  const announcer = h('p', {class: 'visually-hidden', 'aria-live': 'polite', role: 'status'});
  const panel = h('div', {class: 'dep-panel', role: 'tabpanel', tabindex: '0'});

  const tabButtons = TABS.map((t) => h('button', {
    type: 'button',
    role: 'tab',
    class: 'tab dep-tab',
    id: `dep-tab-${t.slug}`,
    'aria-controls': 'dep-panel',
    dataset: {tab: t.slug},
    onclick: () => select(t, {focus: false}),
    onkeydown: (event) => onTabKey(event, t),
  }, t.label));
  panel.id = 'dep-panel';
  const tablist = h('div', {class: 'tabs dep-tabs', role: 'tablist', 'aria-label': 'Deployment'}, tabButtons);

  function onTabKey(event, t) {
    const i = TABS.indexOf(t);
    let next = null;
    if (event.key === 'ArrowRight') next = TABS[(i + 1) % TABS.length];
    else if (event.key === 'ArrowLeft') next = TABS[(i - 1 + TABS.length) % TABS.length];
    else if (event.key === 'Home') next = TABS[0];
    else if (event.key === 'End') next = TABS[TABS.length - 1];
    if (!next) return;
    event.preventDefault();
    select(next, {focus: true});
  }

  function markTab(t) {
    current = t;
    tabButtons.forEach((b, i) => {
      const on = TABS[i] === t;
      b.setAttribute('aria-selected', on ? 'true' : 'false');
      b.tabIndex = on ? 0 : -1;
    });
    panel.setAttribute('aria-labelledby', `dep-tab-${t.slug}`);
    // On a narrow screen the tab row scrolls: keep the selected tab in sight.
    const selected = tabButtons[TABS.indexOf(t)];
    if (selected.isConnected && selected.scrollIntoView) selected.scrollIntoView({block: 'nearest', inline: 'nearest'});
  }

  function showTab(t) {
    markTab(t);
    // Until the deployment is loaded the panel shows the loading state; the tab is drawn then.
    if (!ctx.deployment) return;
    if (tabCleanup) {
      try { tabCleanup(); } catch (e) { console.error(e); }
      tabCleanup = null;
    }
    replace(panel);
    try {
      tabCleanup = t.render(panel, ctx) || null;
    } catch (e) {
      replace(panel, errorBox(e));
    }
  }

  function select(t, {focus}) {
    if (t !== current) {
      // The tab is part of the URL, so a reload or a shared link opens it. The router hands
      // a change of tab back to this page (cleanup.update below) instead of rebuilding it.
      const url = deploymentUrl(project, deployment, t.slug);
      showTab(t);
      if (location.pathname !== url) navigate(url);
    }
    if (focus) tabButtons[TABS.indexOf(t)].focus();
  }

  function renderHeader() {
    const d = ctx.deployment;
    const st = ctx.status;
    const status = st || (d && d.status) || null;
    const colour = displayColour(status);
    const phase = (status && status.phase) || '';
    const badge = statusBadge(status);
    badge.dataset.testid = 'deployment-colour';
    replace(badgeSlot, badge);
    if (d) {
      replace(facts,
        h('span', {}, 'Stage ', h('strong', {}, d.stage)),
        h('span', {}, 'Branch ', h('strong', {}, d.branch)),
        d.commit ? h('span', {}, 'Commit ', h('code', {}, d.commit.slice(0, 12))) : null,
        d.size ? h('span', {}, 'Size ', h('strong', {}, d.size.name)) : null,
        d.desired !== 'running' ? h('span', {}, 'Desired ', h('strong', {}, d.desired)) : null);
    }
    const said = `${colour}${phase ? `, ${phase}` : ''}`;
    if (announcer.dataset.said !== said) {
      if (announcer.dataset.said) announcer.textContent = `Deployment is now ${said}`;
      announcer.dataset.said = said;
    }
  }

  replace(root,
    h('div', {class: 'dep-page'},
      h('header', {class: 'dep-header'},
        h('div', {class: 'dep-heading'}, title, badgeSlot),
        facts, announcer),
      tablist,
      panel));
  replace(panel, spinner('Loading the deployment'));
  markTab(current);
  renderHeader();
  cleanups.push(ctx.subscribe(renderHeader));

  ctx.refresh().then(() => {
    if (closed) return;
    document.title = `${deployment} · ${project} · Stackyard`;
    showTab(current);
    followStatus();
  }).catch((e) => {
    if (!closed) replace(panel, errorBox(e));
  });

  // The status tree, now and whenever it changes. When the phase, colour or version moves,
  // the deployment view (endpoints, services, desired) is reloaded too.
  function followStatus() {
    let lastKey = '';
    let reloadTimer = null;
    let pollTimer = null;
    let received = false;
    const take = (status) => {
      if (closed || !status || typeof status !== 'object' || !status.colour) return;
      received = true;
      ctx.status = status;
      const key = `${status.phase}|${status.colour}|${(status.containers || []).map((c) => c.service + c.state).join(',')}`;
      if (key !== lastKey && lastKey !== '') {
        clearTimeout(reloadTimer);
        reloadTimer = setTimeout(() => ctx.refresh().catch(() => {}), 300);
      }
      lastKey = key;
      ctx.notify();
    };
    // A server without the followed status (or a proxy that buffers streams) still gets a
    // live page: poll every 5 s instead.
    const poll = () => {
      api.get(`${ctx.path}/status`).then(take).catch(() => {}).finally(() => {
        if (!closed) pollTimer = setTimeout(poll, 5000);
      });
    };
    let close = api.follow(`${ctx.path}/status?follow=true`, take, {
      onError: () => {
        if (received || pollTimer) return;
        close();
        poll();
      },
    });
    cleanups.push(() => close(), () => clearTimeout(reloadTimer), () => clearTimeout(pollTimer));
  }

  const cleanup = () => {
    closed = true;
    if (tabCleanup) {
      try { tabCleanup(); } catch (e) { console.error(e); }
    }
    for (const fn of cleanups) {
      try { fn(); } catch (e) { console.error(e); }
    }
  };
  // Called by the router when only the tab in the URL changed (a tab click, back, forward).
  cleanup.update = (route) => {
    if (closed) return false;
    const t = tabBySlug(route.params.tab);
    if (t !== current) showTab(t);
    return true;
  };
  return cleanup;
}
