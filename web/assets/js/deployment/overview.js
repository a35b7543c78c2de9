// The overview tab: the status tree with its reasons, endpoints and custom domains, how to
// reach the deployment over SSH and from an IDE, and resource graphs.

import {h, replace, field} from '../dom.js';
import {api} from '../api.js';
import {colourBadge, statusBadge, copyButton, errorBox, formatBytes, formatDuration, timeElement, toast, openDialog} from '../ui.js';
import {renderResources} from './resources.js';

const CERT_WORDS = {
  valid: 'Certificate valid',
  pending: 'Certificate pending',
  expired: 'Certificate expired',
  error: 'Certificate failed',
};
const CERT_COLOURS = {valid: 'green', pending: 'yellow', expired: 'red', error: 'red'};

export function renderOverview(panel, ctx) {
  const statusBox = h('section', {class: 'card dep-section', 'aria-labelledby': 'ov-status'});
  const endpointsBox = h('section', {class: 'card dep-section', 'aria-labelledby': 'ov-endpoints'});
  const sshBox = h('section', {class: 'card dep-section', 'aria-labelledby': 'ov-ssh'});
  const resourcesBox = h('section', {class: 'card dep-section', 'aria-labelledby': 'ov-resources'});
  replace(panel, h('div', {class: 'dep-overview'}, statusBox, endpointsBox, sshBox, resourcesBox));

  let domains = [];
  let sshInfo = null;
  let lastEndpointsKey = null;

  function loadDomains() {
    return api.get(`${ctx.path}/domains`).then((r) => {
      domains = r.domains || [];
      drawEndpoints(true);
    }).catch(() => {});
  }

  // The status comes every few seconds (CPU figures move): the reasons list stays the same
  // element, changed only when the reasons do, so a screen reader reads out what is new;
  // open "last lines" stay open.
  const reasons = h('ul', {class: 'dep-reasons', 'aria-live': 'polite', 'aria-label': 'Reasons'});
  let lastReasons = null;
  function drawStatus() {
    const open = new Set([...statusBox.querySelectorAll('details[open]')].map((d) => d.dataset.key));
    const st = ctx.status;
    const d = ctx.deployment;
    const list = st ? [...(st.reasons || []), ...((d && d.status && d.status.rolled_back) || [])]
      : (d && d.status && d.status.reasons) || [];
    const key = JSON.stringify(list);
    if (key !== lastReasons) {
      lastReasons = key;
      replace(reasons, list.length ? list.map((r) => h('li', {}, r))
        : h('li', {class: 'muted'}, 'Nothing to report: everything runs as asked.'));
    }
    const [line, rest] = statusTree(ctx);
    replace(lineSlot, line);
    replace(restSlot, rest);
    for (const el of restSlot.querySelectorAll('details')) if (open.has(el.dataset.key)) el.open = true;
  }
  const lineSlot = h('div', {});
  const restSlot = h('div', {});
  replace(statusBox, h('h2', {id: 'ov-status'}, 'Status'), lineSlot, reasons, restSlot);

  function drawEndpoints(force = false) {
    const d = ctx.deployment;
    const key = JSON.stringify([d && d.endpoints, domains, ctx.status && ctx.status.certificates]);
    if (!force && key === lastEndpointsKey) return;
    // Rebuilding the section while its form is being typed in would lose the input.
    if (endpointsBox.contains(document.activeElement) && !force) return;
    lastEndpointsKey = key;
    replace(endpointsBox, endpointsSection(ctx, domains, loadDomains));
  }

  function drawSsh() {
    replace(sshBox, sshSection(ctx, sshInfo));
  }

  drawStatus();
  drawEndpoints(true);
  drawSsh();
  loadDomains();
  api.get('/ssh').then((r) => { sshInfo = r; drawSsh(); }).catch(() => {});
  const stopResources = renderResources(resourcesBox, ctx);

  const unsubscribe = ctx.subscribe(() => {
    drawStatus();
    drawEndpoints();
  });
  return () => {
    unsubscribe();
    stopResources();
  };
}

// --- Status tree ---------------------------------------------------------------------------

/** [the colour line, the rest] of the status tree. */
function statusTree(ctx) {
  const st = ctx.status;
  const d = ctx.deployment;
  if (!st) {
    const s = d && d.status;
    return [s ? h('p', {}, statusBadge(s)) : null,
      h('p', {class: 'muted'}, 'Waiting for the status tree…')];
  }
  return [
    h('p', {class: 'dep-status-line'},
      statusBadge(st),
      st.size ? h('span', {class: 'muted'}, ` size ${st.size.name}${st.size.description ? ` (${st.size.description})` : ''}`) : null,
      st.generated_at ? h('span', {class: 'muted'}, ' · checked ', timeElement(st.generated_at)) : null),
    [st.engine_error ? h('p', {class: 'error-box', role: 'alert'}, `The container engine could not be asked: ${st.engine_error}`) : null,
    h('h3', {}, 'Containers'),
    containersTable(st.containers || [], d),
    storageBlock(st.storage)],
  ];
}

function stateColour(c) {
  if (c.state === 'running' && (c.health === 'healthy' || c.health === 'none')) return 'green';
  if (['crashed', 'unhealthy', 'install-failed'].includes(c.state)) return 'red';
  if (c.state === 'stopped') return 'grey';
  return 'yellow';
}

function containersTable(containers, d) {
  if (containers.length === 0) return h('p', {class: 'muted'}, 'No containers yet.');
  const services = new Map(((d && d.status && d.status.services) || []).map((s) => [s.id, s]));
  return h('table', {class: 'dep-table stacked'},
    h('thead', {}, h('tr', {},
      ['Service', 'State', 'Health', 'Restarts', 'Uptime', 'CPU', 'Memory'].map((c) => h('th', {scope: 'col'}, c)))),
    h('tbody', {}, containers.map((c) => {
      const svc = services.get(c.service);
      const reason = c.reason || (svc && svc.reason);
      const lastLog = svc && svc.last_log && svc.last_log.length ? svc.last_log : null;
      return [
        h('tr', {dataset: {service: c.service}},
          h('td', {dataset: {label: 'Service'}}, h('strong', {}, c.service), c.previous ? ' (previous)' : '',
            h('span', {class: 'muted'}, ` ${c.kind}`)),
          h('td', {dataset: {label: 'State'}}, colourBadge(stateColour(c),
            c.engine_state && c.engine_state !== c.state ? `${c.state} (${c.engine_state})` : c.state)),
          h('td', {dataset: {label: 'Health'}}, c.health || '—'),
          h('td', {dataset: {label: 'Restarts'}}, String(c.restarts ?? 0)),
          h('td', {dataset: {label: 'Uptime'}}, c.uptime_seconds != null ? formatDuration(c.uptime_seconds) : '—'),
          h('td', {dataset: {label: 'CPU'}}, c.cpu_percent != null ? `${c.cpu_percent.toFixed(1)} %` : '—'),
          h('td', {dataset: {label: 'Memory'}}, c.memory_bytes != null
            ? `${formatBytes(c.memory_bytes)}${c.memory_limit_bytes ? ` of ${formatBytes(c.memory_limit_bytes)}` : ''}` : '—')),
        reason || c.oom_killed || lastLog ? h('tr', {class: 'dep-subrow'},
          h('td', {colspan: 7},
            reason ? h('p', {}, reason) : null,
            c.oom_killed ? h('p', {}, 'Killed for lack of memory.') : null,
            lastLog ? h('details', {dataset: {key: `log-${c.service}`}},
              h('summary', {}, `Last lines of the previous container${c.last_exit_code != null ? ` (exit code ${c.last_exit_code})` : ''}`),
              h('pre', {class: 'dep-pre'}, lastLog.join('\n'))) : null)) : null,
      ];
    })));
}

function storageBlock(storage) {
  if (!storage || !storage.volumes) return null;
  return [
    h('h3', {}, 'Storage'),
    h('p', {}, `${formatBytes(storage.total_bytes)} in ${storage.volumes.length} volume${storage.volumes.length === 1 ? '' : 's'}`,
      storage.filesystem_available_bytes != null
        ? `; ${formatBytes(storage.filesystem_available_bytes)} free of ${formatBytes(storage.filesystem_bytes)} on their disk` : ''),
    storage.volumes.length ? h('ul', {class: 'dep-volumes'}, storage.volumes.map((v) =>
      h('li', {}, h('code', {}, v.name), ` ${formatBytes(v.bytes)}`, v.partial ? ' (some files could not be read)' : ''))) : null,
  ];
}

// --- Endpoints and custom domains ---------------------------------------------------------

function endpointsSection(ctx, domains, reload) {
  const d = ctx.deployment || {};
  const endpoints = d.endpoints || [];
  const certs = new Map(((ctx.status && ctx.status.certificates) || []).map((c) => [c.host, c]));
  const shown = new Set();
  const items = endpoints.map((ep) => h('li', {class: 'dep-endpoint'},
    h('p', {}, h('strong', {}, ep.id), h('span', {class: 'muted'}, ` → ${ep.service}`),
      ep.upstream ? null : h('span', {class: 'muted'}, ' (nothing serves it right now)')),
    h('ul', {class: 'dep-hosts'}, (ep.hosts && ep.hosts.length ? ep.hosts : [{name: ep.url, url: ep.url, custom: false}]).map((host) => {
      shown.add(host.name);
      return hostItem(ctx, host, certs.get(host.name) || host.certificate, reload);
    }))));
  // Domains just added, which the edge has not picked up yet.
  const pending = domains.filter((dm) => !shown.has(dm.hostname));
  if (pending.length) {
    items.push(h('li', {class: 'dep-endpoint'}, h('p', {}, h('strong', {}, 'Being set up')),
      h('ul', {class: 'dep-hosts'}, pending.map((dm) =>
        hostItem(ctx, {name: dm.hostname, url: `https://${dm.hostname}`, custom: true, endpoint: dm.endpoint}, null, reload)))));
  }
  return [
    h('h2', {id: 'ov-endpoints'}, 'Endpoints'),
    endpoints.length || pending.length ? h('ul', {class: 'dep-endpoints'}, items)
      : h('p', {class: 'muted'}, 'This stack has no public endpoints.'),
    endpoints.length ? addDomainForm(ctx, endpoints, reload) : null,
  ];
}

function hostItem(ctx, host, cert, reload) {
  const state = cert && cert.state;
  return h('li', {class: 'dep-host'},
    h('a', {href: host.url, target: '_blank', rel: 'noopener noreferrer'}, host.url || host.name),
    host.custom ? h('span', {class: 'muted'}, ' custom domain') : null,
    state ? [' ', colourBadge(CERT_COLOURS[state] || 'grey', CERT_WORDS[state] || state)] : null,
    cert && cert.expires_at && state === 'valid' ? h('span', {class: 'muted'}, ' expires ', timeElement(cert.expires_at)) : null,
    cert && cert.error ? h('p', {class: 'dep-cert-error'}, cert.error) : null,
    host.custom ? h('button', {type: 'button', class: 'button small', 'aria-label': `Remove domain ${host.name}`,
      onclick: async () => {
        const ok = await openDialog({
          title: `Remove ${host.name}?`,
          body: h('p', {}, `The endpoint stops being served at ${host.name}; its generated hostname stays.`),
          actions: [{label: 'Cancel', value: false}, {label: 'Remove', kind: 'danger', value: true}],
        });
        if (!ok) return;
        try {
          await api.del(`${ctx.path}/domains/${encodeURIComponent(host.name)}`);
          toast(`Removed ${host.name}`, 'success');
          await reload();
          ctx.refresh().catch(() => {});
        } catch (e) {
          toast(e.message, 'error');
        }
      }}, 'Remove') : null);
}

function addDomainForm(ctx, endpoints, reload) {
  const host = field('Custom domain', 'input', {type: 'text', placeholder: 'www.example.com', autocomplete: 'off',
    spellcheck: 'false'}, 'Point its DNS at this server first; the certificate is obtained once it resolves here.');
  const ep = endpoints.length > 1
    ? field('Endpoint', 'select', {options: endpoints.map((e) => e.id)}) : null;
  const message = h('div', {'aria-live': 'polite'});
  const form = h('form', {class: 'dep-inline-form', onsubmit: async (event) => {
    event.preventDefault();
    const body = {hostname: host.input.value.trim()};
    if (ep) body.endpoint = ep.input.value;
    if (!body.hostname) {
      replace(message, errorBox('Write the hostname to add.'));
      return;
    }
    try {
      await api.post(`${ctx.path}/domains`, body);
      replace(message);
      toast(`Added ${body.hostname}`, 'success');
      host.input.value = '';
      await reload();
      ctx.refresh().catch(() => {});
    } catch (e) {
      replace(message, errorBox(e));
    }
  }},
  h('h3', {}, 'Add a custom domain'),
  h('div', {class: 'dep-form-row'}, host.field, ep ? ep.field : null,
    h('button', {type: 'submit', class: 'button'}, 'Add domain')),
  message);
  return form;
}

// --- SSH and IDEs --------------------------------------------------------------------------

function sshSection(ctx, sshInfo) {
  const d = ctx.deployment || {};
  const heading = h('h2', {id: 'ov-ssh'}, 'SSH and IDEs');
  if (!d.ssh) {
    return [heading, h('p', {class: 'muted'}, 'The SSH gateway is off on this server (yard server --ssh).')];
  }
  const alias = `${d.ssh.user}.yard`;
  const primary = (d.status && d.status.primary) || Object.keys(d.ssh.services || {})[0] || '';
  const folder = d.stage_kind === 'dev' && primary ? `/app/${primary}` : null;
  const knownHosts = '~/.config/stackyard/known_hosts';
  const hostBlock = [
    `Host ${alias}`,
    `  HostName ${d.ssh.host}`,
    `  Port ${d.ssh.port}`,
    `  User ${d.ssh.user}`,
    `  UserKnownHostsFile ${knownHosts}`,
    '  StrictHostKeyChecking yes',
  ].join('\n');
  const codeCommand = `code --remote ssh-remote+${alias}${folder ? ` ${folder}` : ''}`;
  const keyName = d.ssh.port === 22 ? d.ssh.host : `[${d.ssh.host}]:${d.ssh.port}`;
  const knownLines = sshInfo && sshInfo.host_keys
    ? sshInfo.host_keys.map((k) => `${keyName} ${k.split(' ').slice(0, 2).join(' ')}`).join('\n') : null;
  const services = Object.entries(d.ssh.services || {});
  return [
    heading,
    h('div', {class: 'dep-copyline'},
      h('code', {class: 'dep-command', dataset: {testid: 'ssh-command'}}, d.ssh.command),
      copyButton(d.ssh.command, 'Copy SSH command')),
    h('p', {class: 'muted'}, `A shell in ${primary || 'the primary service'}`,
      folder ? `, starting in its code folder ${folder}` : '',
      '. Your SSH key must be in your profile (Account page).'),
    services.length > 1 ? h('details', {},
      h('summary', {}, 'Other services'),
      h('ul', {class: 'dep-ssh-services'}, services.map(([svc, user]) => {
        const cmd = d.ssh.command.replace(`${d.ssh.user}@`, `${user}@`);
        return h('li', {class: 'dep-copyline'}, h('code', {class: 'dep-command'}, cmd), copyButton(cmd, `Copy SSH command for ${svc}`));
      }))) : null,
    h('h3', {}, 'VS Code, Cursor, JetBrains Gateway'),
    h('p', {}, 'Add this host to ', h('code', {}, '~/.ssh/config'), ' (or run ', h('code', {}, 'yard ssh-config >> ~/.ssh/config'),
      ', which also writes the known hosts file):'),
    h('div', {class: 'dep-copyblock'}, h('pre', {class: 'dep-pre'}, hostBlock), copyButton(hostBlock, 'Copy SSH config entry')),
    knownLines ? [
      h('p', {}, 'The gateway\'s host keys, for ', h('code', {}, knownHosts), ':'),
      h('div', {class: 'dep-copyblock'}, h('pre', {class: 'dep-pre'}, knownLines), copyButton(knownLines, 'Copy known hosts lines')),
    ] : null,
    h('p', {}, 'Then open it in VS Code (Remote-SSH):'),
    h('div', {class: 'dep-copyline'}, h('code', {class: 'dep-command'}, codeCommand), copyButton(codeCommand, 'Copy VS Code command')),
  ];
}

