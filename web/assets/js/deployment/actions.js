// The actions tab: start and stop the deployment, restart a service or all, rebuild,
// redeploy, and run the manifest's named actions with their output streamed as it comes.

import {h, replace} from '../dom.js';
import {api, session, ApiError} from '../api.js';
import {colourBadge, errorBox, formatDuration, spinner, timeElement, toast} from '../ui.js';
import {keepFocus, whenChanged} from './util.js';

const RUN_COLOURS = {running: 'yellow', succeeded: 'green', failed: 'red', interrupted: 'grey'};
const MAX_OUTPUT_LINES = 5000;

/**
 * POSTs to a route that answers NDJSON as it goes (an action's run) and calls onLine with
 * each object. EventSource cannot POST, so this reads the fetch body. Throws ApiError for
 * an error answer before the stream starts.
 */
async function streamPost(path, onLine, signal) {
  const headers = {Accept: 'application/x-ndjson', 'Content-Type': 'application/json'};
  if (session.csrf_token) headers['X-CSRF-Token'] = session.csrf_token;
  const response = await fetch(`/api/v1${path}`, {method: 'POST', headers, body: '{}', credentials: 'same-origin', signal});
  if (!response.ok) {
    let body = null;
    try { body = await response.json(); } catch { /* not JSON */ }
    const err = (body && body.error) || {};
    throw new ApiError(response.status, err.code || 'unknown', err.message || `${response.status} ${response.statusText}`, body);
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const {value, done} = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, {stream: true});
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (!line) continue;
      try { onLine(JSON.parse(line)); } catch { /* a partial or foreign line */ }
    }
  }
  if (buffer.trim()) {
    try { onLine(JSON.parse(buffer)); } catch { /* ignored */ }
  }
}

export function renderActions(panel, ctx) {
  const status = h('div', {class: 'dep-notice', role: 'status', 'aria-live': 'polite'});
  const controls = h('section', {class: 'card dep-section', 'aria-labelledby': 'ac-controls'});
  const named = h('section', {class: 'card dep-section', 'aria-labelledby': 'ac-named'});
  const outputTitle = h('h3', {id: 'ac-output'}, 'Output');
  const outputState = h('p', {class: 'muted', role: 'status'}, 'Run an action to see its output here.');
  const output = h('pre', {class: 'dep-pre dep-action-output', dataset: {testid: 'action-output'}, tabindex: '0',
    'aria-labelledby': 'ac-output'});
  const runsBox = h('section', {class: 'card dep-section', 'aria-labelledby': 'ac-runs'});
  replace(panel, h('div', {class: 'dep-actions'}, status, controls, named,
    h('section', {class: 'card dep-section', 'aria-labelledby': 'ac-output'}, outputTitle, outputState, output),
    runsBox));

  let stopped = false;
  let abort = null;
  let actionsAnswer = null;

  function say(text, kind = 'success') {
    replace(status, h('p', {}, text));
    toast(text, kind);
  }

  async function call(label, path, body, done) {
    try {
      await api.post(`${ctx.path}${path}`, body);
      say(done);
      ctx.refresh().catch(() => {});
    } catch (e) {
      say(`${label}: ${e.message}`, 'error');
    }
  }

  function drawControls() {
    const d = ctx.deployment || {};
    const services = ((d.status && d.status.services) || []).map((s) => s.id);
    keepFocus(controls, () => replace(controls,
      h('h2', {id: 'ac-controls'}, 'Deployment'),
      h('p', {class: 'muted'}, `Asked to be ${d.desired || '…'}; now ${(ctx.status && ctx.status.phase) || (d.status && d.status.phase) || '…'}.`),
      h('div', {class: 'dep-buttons'},
        h('button', {type: 'button', class: 'button', onclick: () => call('Start', '/start', undefined, 'Starting the deployment')}, 'Start'),
        h('button', {type: 'button', class: 'button', onclick: () => call('Stop', '/stop', undefined, 'Stopping the deployment; its storage stays')}, 'Stop'),
        h('button', {type: 'button', class: 'button', onclick: () => call('Restart all', '/restart', {}, 'Restarting every service')}, 'Restart all'),
        h('button', {type: 'button', class: 'button', onclick: () => call('Rebuild', '/rebuild', undefined, 'A build of the branch head was queued')}, 'Rebuild'),
        h('button', {type: 'button', class: 'button', onclick: () => call('Redeploy', '/redeploy', {}, 'Rolling the running release out again')}, 'Redeploy')),
      services.length ? [
        h('h3', {}, 'Restart one service'),
        h('div', {class: 'dep-buttons'}, services.map((s) => h('button', {type: 'button', class: 'button small',
          onclick: () => call(`Restart ${s}`, '/restart', {service: s}, `Restarting ${s}`)}, `Restart ${s}`))),
      ] : null));
  }

  async function loadActions() {
    try {
      actionsAnswer = await api.get(`${ctx.path}/actions`);
      if (stopped) return;
      drawNamed();
      drawRuns(actionsAnswer.runs || []);
    } catch (e) {
      if (stopped) return;
      replace(named, h('h2', {id: 'ac-named'}, 'Named actions'), errorBox(e));
      loadRuns();
    }
  }

  async function loadRuns() {
    try {
      const answer = await api.get(`${ctx.path}/actions/runs?limit=20`);
      if (!stopped) drawRuns(answer.runs || []);
    } catch (e) {
      if (!stopped) replace(runsBox, h('h2', {id: 'ac-runs'}, 'Past runs'), errorBox(e));
    }
  }

  function drawNamed() {
    const actions = (actionsAnswer && actionsAnswer.actions) || [];
    keepFocus(named, () => replace(named,
      h('h2', {id: 'ac-named'}, 'Named actions'),
      actions.length === 0 ? h('p', {class: 'muted'}, 'The manifest declares no actions.') : h('ul', {class: 'dep-action-list'},
        actions.map((a) => h('li', {class: 'dep-action'},
          h('div', {},
            h('strong', {}, a.id), h('span', {class: 'muted'}, ` in ${a.component}`),
            a.description ? h('p', {}, a.description) : null,
            h('code', {class: 'dep-command'}, Array.isArray(a.command) ? a.command.join(' ') : a.command),
            a.available ? null : h('p', {class: 'muted'}, `Not offered in this stage; it runs in: ${(a.stages || []).join(', ')}.`)),
          h('button', {type: 'button', class: 'button', disabled: !a.available || Boolean(abort),
            onclick: () => run(a)}, `Run ${a.id}`))))));
  }

  function writeLine(text, stream) {
    const stick = output.scrollHeight - output.scrollTop - output.clientHeight < 32;
    output.append(h('span', {class: ['dep-out-line', stream === 'stderr' && 'stderr']}, `${text}\n`));
    while (output.childElementCount > MAX_OUTPUT_LINES) output.firstElementChild.remove();
    if (stick) output.scrollTop = output.scrollHeight;
  }

  async function run(a) {
    if (abort) return;
    abort = new AbortController();
    drawNamed();
    replace(output);
    replace(outputTitle, `Output of ${a.id}`);
    replace(outputState, spinner(`Running ${a.id}`), ` Running ${a.id}…`);
    let ended = null;
    try {
      await streamPost(`${ctx.path}/actions/${encodeURIComponent(a.id)}/run`, (m) => {
        if (m.started) replace(outputState, `Run ${m.started.id} of ${a.id} in ${m.started.service} started…`);
        else if (typeof m.line === 'string') writeLine(m.line, m.stream);
        else if (m.error) writeLine(`error: ${m.error}`, 'stderr');
        else if ('exit_code' in m || m.state) ended = m;
      }, abort.signal);
      if (ended) {
        const ok = ended.state === 'succeeded';
        const text = `${a.id} ${ended.state || 'ended'}${ended.exit_code != null ? ` (exit code ${ended.exit_code})` : ''}${ended.reason ? `: ${ended.reason}` : ''}`;
        replace(outputState, colourBadge(ok ? 'green' : 'red', ended.state || 'ended'), ` ${text}`);
        say(text, ok ? 'success' : 'error');
      } else {
        replace(outputState, 'The connection ended before the run did; it goes on and is listed below.');
      }
    } catch (e) {
      if (e.name !== 'AbortError') {
        replace(outputState, errorBox(e));
        say(`${a.id}: ${e.message}`, 'error');
      }
    } finally {
      abort = null;
      if (!stopped) {
        drawNamed();
        loadRuns();
      }
    }
  }

  async function showRun(r) {
    replace(output);
    replace(outputTitle, `Output of run ${r.id}${r.action ? ` (${r.action})` : ''}`);
    replace(outputState, spinner('Loading the output'));
    try {
      const answer = await api.get(`${ctx.path}/actions/runs/${r.id}/logs`);
      (answer.lines || []).forEach((l) => writeLine(l.line, l.stream));
      replace(outputState, `Run ${r.id}: ${answer.run ? answer.run.state : r.state}${answer.complete ? '' : ' (still running)'}.`);
      output.focus();
    } catch (e) {
      replace(outputState, errorBox(e));
    }
  }

  function drawRuns(runs) {
    keepFocus(runsBox, () => replace(runsBox,
      h('h2', {id: 'ac-runs'}, 'Past runs'),
      runs.length === 0 ? h('p', {class: 'muted'}, 'Nothing has run yet.') : h('table', {class: 'dep-table stacked'},
        h('thead', {}, h('tr', {}, ['Run', 'State', 'Service', 'Started', 'Took', h('span', {class: 'visually-hidden'}, 'Actions')]
          .map((c) => h('th', {scope: 'col'}, c)))),
        h('tbody', {}, runs.map((r) => h('tr', {},
          h('td', {dataset: {label: 'Run'}}, `#${r.id} `, h('strong', {}, r.action || 'command')),
          h('td', {dataset: {label: 'State'}}, colourBadge(RUN_COLOURS[r.state] || 'grey', r.state),
            r.exit_code != null ? h('span', {class: 'muted'}, ` exit ${r.exit_code}`) : null,
            r.error ? h('p', {class: 'dep-cert-error'}, r.error) : null),
          h('td', {dataset: {label: 'Service'}}, r.service),
          h('td', {dataset: {label: 'Started'}}, timeElement(r.started_at), r.started_by ? h('span', {class: 'muted'}, ` by ${r.started_by}`) : null),
          h('td', {dataset: {label: 'Took'}}, r.finished_at ? formatDuration((new Date(r.finished_at) - new Date(r.started_at)) / 1000) : '—'),
          h('td', {class: 'dep-row-actions'}, h('button', {type: 'button', class: 'button small',
            'aria-label': `Output of run ${r.id}`, onclick: () => showRun(r)}, 'Output'))))))));
  }

  drawControls();
  replace(named, h('h2', {id: 'ac-named'}, 'Named actions'), spinner('Loading actions'));
  replace(runsBox, h('h2', {id: 'ac-runs'}, 'Past runs'));
  loadActions();
  const unsubscribe = ctx.subscribe(whenChanged(() => {
    const d = ctx.deployment || {};
    return [d.desired, (ctx.status && ctx.status.phase) || (d.status && d.status.phase),
      ((d.status && d.status.services) || []).map((s) => s.id)];
  }, drawControls));
  return () => {
    stopped = true;
    unsubscribe();
    // The run goes on on the server; only this page stops reading it.
    if (abort) abort.abort();
  };
}
