// A project's deployments as cards (the projects page and the project page), kept live: the
// project's status is followed over SSE, and polled every 10 s when following fails.

import {h, replace} from '../dom.js';
import {api, deploymentPath, projectPath} from '../api.js';
import {colourBadge, displayColour, phaseWord, toast, errorBox, spinner, relativeTime} from '../ui.js';

const POLL_MS = 10000;


function endpointLinks(deployment) {
  const urls = [];
  for (const endpoint of deployment.endpoints || []) {
    const hosts = endpoint.hosts && endpoint.hosts.length ? endpoint.hosts.map((x) => x.url) : [endpoint.url];
    for (const url of hosts) if (url && !urls.includes(url)) urls.push(url);
  }
  if (!urls.length) return null;
  return h('ul', {class: 'endpoint-list', 'aria-label': 'Endpoints'}, urls.map((url) => {
    let label = url;
    try { label = new URL(url).host; } catch { /* keep the text */ }
    return h('li', null, h('a', {href: url, target: '_blank', rel: 'noopener noreferrer', class: 'endpoint-link'},
      label, h('span', {class: 'visually-hidden'}, ' (opens in a new tab)')));
  }));
}

/** The "Enabled" switch: POST …/enable or …/disable. */
function enabledSwitch(project, name, onChange) {
  const input = h('input', {type: 'checkbox', role: 'switch', class: 'switch-input'});
  const label = h('label', {class: 'switch'}, input,
    h('span', {class: 'switch-track', 'aria-hidden': 'true'}), h('span', {class: 'switch-label'}, 'Enabled'));
  input.addEventListener('change', async () => {
    const on = input.checked;
    input.setAttribute('aria-checked', on ? 'true' : 'false');
    input.disabled = true;
    try {
      const updated = await api.post(deploymentPath(project, name, on ? 'enable' : 'disable'), {});
      toast(`${name} ${on ? 'enabled: starting' : 'disabled: stopping'}`, 'success');
      if (updated && updated.name) onChange(updated);
    } catch (e) {
      input.checked = !on;
      input.setAttribute('aria-checked', !on ? 'true' : 'false');
      toast(`Could not ${on ? 'enable' : 'disable'} ${name}: ${e.message}`, 'error');
    } finally {
      input.disabled = input.dataset.locked === 'true';
    }
  });
  return {label, input};
}

/** One deployment's card: {element, update(deployment), setStatus(statusSummary)}. */
export function deploymentCard(project, deployment) {
  const name = deployment.name;
  const link = h('a', {href: `/projects/${encodeURIComponent(project)}/deployments/${encodeURIComponent(name)}`,
    class: 'card-link'}, name);
  const badgeSlot = h('span', {class: 'badge-slot'});
  const stage = h('dd');
  const branch = h('dd');
  const reason = h('p', {class: 'card-reason'});
  const endpoints = h('div', {class: 'card-endpoints'});
  const stopAt = h('span', {class: 'muted small'});
  const toggle = enabledSwitch(project, name, (updated) => card.update(updated));
  const element = h('article', {class: 'card deployment-card', dataset: {testid: 'deployment-card', project, deployment: name}},
    h('div', {class: 'card-head'}, h('h3', {class: 'card-title'}, link), badgeSlot),
    h('dl', {class: 'card-meta'},
      h('div', null, h('dt', null, 'Stage'), stage),
      h('div', null, h('dt', null, 'Branch'), branch)),
    reason,
    endpoints,
    h('div', {class: 'card-foot'}, toggle.label, stopAt));

  const card = {
    element,
    name,
    phase: null,
    setStatus(status) {
      const colour = displayColour(status);
      element.dataset.colour = colour;
      const reasons = (status && status.reasons) || [];
      const word = phaseWord(status && status.phase);
      const badge = colourBadge(colour, word);
      badge.title = reasons.length ? reasons.join('\n') : `${word}: nothing to report`;
      replace(badgeSlot, badge);
      replace(reason, reasons.length ? reasons[0] : '');
      reason.hidden = !reasons.length;
      reason.title = reasons.join('\n');
      card.phase = status && status.phase;
    },
    update(d) {
      stage.textContent = d.stage || '—';
      branch.textContent = d.branch || '—';
      if (d.status) card.setStatus(d.status);
      replace(endpoints, endpointLinks(d));
      const deleting = d.desired === 'deleted';
      toggle.input.checked = d.desired === 'running';
      toggle.input.setAttribute('aria-checked', toggle.input.checked ? 'true' : 'false');
      toggle.input.dataset.locked = deleting ? 'true' : 'false';
      toggle.input.disabled = deleting;
      stopAt.textContent = d.stop_at && d.desired === 'running' ? `stops ${relativeTime(d.stop_at)}` : '';
      stopAt.title = d.stop_at || '';
    },
  };
  card.update(deployment);
  return card;
}

/**
 * A project's deployments, live. Returns {element, ready, close, refresh, count()}.
 * follow: false polls instead of holding a stream open (browsers allow few connections per
 * server: the projects page follows only the first projects).
 */
export function projectDeployments(project, {follow = true, empty = null} = {}) {
  const grid = h('div', {class: 'card-grid'});
  const element = h('div', {class: 'deployments-live', 'aria-live': 'off'}, spinner('Loading deployments'));
  const cards = new Map();
  let closed = false;
  let stopFollow = null;
  let pollTimer = null;
  let refetchTimer = null;

  function render(list) {
    const names = new Set(list.map((d) => d.name));
    for (const [name, card] of cards) {
      if (!names.has(name)) {
        card.element.remove();
        cards.delete(name);
      }
    }
    for (const d of list) {
      const existing = cards.get(d.name);
      if (existing) existing.update(d);
      else cards.set(d.name, deploymentCard(project, d));
    }
    const ordered = [...cards.values()].sort((a, b) => a.name.localeCompare(b.name));
    replace(grid, ordered.map((c) => c.element));
    replace(element, list.length ? grid : (typeof empty === 'function' ? empty() : empty));
  }

  async function load() {
    const body = await api.get(projectPath(project, 'deployments'));
    if (!closed) render(body.deployments || []);
  }

  function scheduleRefetch() {
    if (closed || refetchTimer) return;
    refetchTimer = setTimeout(async () => {
      refetchTimer = null;
      try { await load(); } catch { /* the next status change tries again */ }
    }, 1000);
  }

  function applyStatus(status) {
    if (closed || !status || !Array.isArray(status.deployments)) return;
    let changed = status.deployments.length !== cards.size;
    for (const d of status.deployments) {
      const card = cards.get(d.name);
      if (!card) { changed = true; continue; }
      if (card.phase !== d.phase) changed = true;
      card.setStatus(d);
    }
    if (changed) scheduleRefetch();
  }

  function poll() {
    if (closed || pollTimer) return;
    pollTimer = setInterval(async () => {
      try { applyStatus(await api.get(projectPath(project, 'status'))); } catch { /* try again */ }
    }, POLL_MS);
  }

  function startFollow() {
    if (closed) return;
    const started = Date.now();
    stopFollow = api.follow(`${projectPath(project, 'status')}?follow=true`, applyStatus, {
      onEnd: () => {
        stopFollow = null;
        // A stream the server ends at once is not worth reopening: poll instead.
        if (Date.now() - started < 5000) poll();
        else setTimeout(startFollow, 1000);
      },
      onError: () => {
        if (stopFollow) stopFollow();
        stopFollow = null;
        poll();
      },
    });
  }

  const ready = load().then(() => {
    if (follow) startFollow();
    else poll();
  }, (e) => {
    replace(element, errorBox(e));
  });

  return {
    element,
    ready,
    refresh: () => load().catch((e) => toast(e.message, 'error')),
    count: () => cards.size,
    close() {
      closed = true;
      if (stopFollow) stopFollow();
      if (pollTimer) clearInterval(pollTimer);
      if (refetchTimer) clearTimeout(refetchTimer);
    },
  };
}
