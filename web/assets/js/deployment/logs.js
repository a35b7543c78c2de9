// The logs tab: the lines the deployment's containers wrote, per component, followed live,
// searched on the server (grep), within a time range, or of the previous container.

import {h, replace, field} from '../dom.js';
import {api} from '../api.js';
import {errorBox, spinner} from '../ui.js';

// Lines kept in the page: older ones are dropped from the top as new ones come.
const MAX_LINES = 3000;
const TAIL = 1000;

const SINCE = [
  {value: '15m', label: 'Last 15 minutes'},
  {value: '1h', label: 'Last hour'},
  {value: '6h', label: 'Last 6 hours'},
  {value: '1d', label: 'Last day'},
  {value: '7d', label: 'Last 7 days'},
  {value: '', label: 'Everything kept'},
  {value: 'custom', label: 'Between two times…'},
];

function serviceNames(ctx) {
  const d = ctx.deployment;
  const fromStatus = ((ctx.status && ctx.status.containers) || []).map((c) => c.service);
  const fromDeployment = ((d && d.status && d.status.services) || []).map((s) => s.id);
  return [...new Set([...fromDeployment, ...fromStatus])].sort();
}

export function renderLogs(panel, ctx) {
  const services = serviceNames(ctx);
  const component = field('Component', 'select', {
    options: [{value: '', label: 'All components'}, ...services.map((s) => ({value: s, label: s}))],
  });
  const search = field('Search', 'input', {type: 'search', placeholder: 'Text in the line (case-sensitive)',
    autocomplete: 'off', spellcheck: 'false'});
  const since = field('Time range', 'select', {options: SINCE, value: ''});
  const from = field('From', 'input', {type: 'datetime-local', step: '1'});
  const until = field('Until', 'input', {type: 'datetime-local', step: '1'});
  const custom = h('div', {class: 'dep-form-row', hidden: true}, from.field, until.field);
  const follow = h('input', {type: 'checkbox', id: 'logs-follow', checked: true});
  const previous = h('input', {type: 'checkbox', id: 'logs-previous'});
  const times = h('input', {type: 'checkbox', id: 'logs-times'});
  const state = h('p', {class: 'dep-log-state muted', role: 'status'});
  const lines = h('div', {class: 'dep-log-lines', dataset: {testid: 'log-lines'}, role: 'log', 'aria-live': 'off',
    'aria-label': 'Log lines', tabindex: '0'});
  const jump = h('button', {type: 'button', class: 'button small dep-jump', hidden: true,
    onclick: () => { lines.scrollTop = lines.scrollHeight; jump.hidden = true; }}, 'Jump to the newest line');

  replace(panel, h('div', {class: 'dep-logs'},
    h('form', {class: 'dep-toolbar', onsubmit: (e) => { e.preventDefault(); restart(); }},
      component.field, search.field, since.field,
      h('div', {class: 'dep-checks'},
        h('label', {class: 'check'}, follow, ' Follow'),
        h('label', {class: 'check'}, previous, ' Previous container'),
        h('label', {class: 'check'}, times, ' Times'))),
    custom,
    state,
    h('div', {class: 'dep-log-wrap'}, lines, jump)));

  let close = null;
  let debounce = null;
  let pending = [];
  let frame = 0;
  let count = 0;
  let generation = 0;

  function atBottom() {
    return lines.scrollHeight - lines.scrollTop - lines.clientHeight < 32;
  }

  function lineNode(line) {
    const at = line.time ? new Date(line.time) : null;
    return h('div', {class: ['dep-log-line', line.stream === 'stderr' && 'stderr'], dataset: {testid: 'log-line'}},
      times.checked && at ? h('time', {datetime: line.time, class: 'dep-log-time'}, at.toLocaleTimeString()) : null,
      !component.input.value ? h('span', {class: 'dep-log-service'}, line.service) : null,
      h('span', {class: 'dep-log-text'}, line.text));
  }

  // Lines are added once per animation frame, so a fast writer does not stall the page.
  function flush() {
    frame = 0;
    if (pending.length === 0) return;
    const stick = atBottom();
    const fragment = document.createDocumentFragment();
    for (const line of pending.splice(0)) fragment.append(lineNode(line));
    lines.append(fragment);
    while (lines.childElementCount > MAX_LINES) lines.firstElementChild.remove();
    if (stick) lines.scrollTop = lines.scrollHeight;
    else jump.hidden = false;
    setState();
  }

  function add(line) {
    if (!line || typeof line.text !== 'string') return;
    count += 1;
    pending.push(line);
    if (!frame) frame = requestAnimationFrame(flush);
  }

  function setState(extra) {
    const shown = lines.childElementCount;
    const parts = [`${shown} line${shown === 1 ? '' : 's'}`];
    if (count > shown) parts.push(`the newest ${MAX_LINES} are shown`);
    if (close && follow.checked) parts.push('following new lines');
    if (extra) parts.push(extra);
    state.textContent = parts.join(' · ');
  }

  function query(streaming) {
    const q = new URLSearchParams();
    if (component.input.value) q.set('service', component.input.value);
    if (search.input.value) q.set('grep', search.input.value);
    if (since.input.value === 'custom') {
      if (from.input.value) q.set('since', new Date(from.input.value).toISOString());
      if (until.input.value) q.set('until', new Date(until.input.value).toISOString());
    } else if (since.input.value) {
      q.set('since', since.input.value);
    }
    if (previous.checked) q.set('previous', 'true');
    q.set('tail', String(TAIL));
    if (streaming) q.set('follow', 'true');
    return q.toString();
  }

  function stop() {
    if (close) close();
    close = null;
    if (frame) cancelAnimationFrame(frame);
    frame = 0;
    pending = [];
  }

  async function restart() {
    stop();
    generation += 1;
    const mine = generation;
    replace(lines);
    count = 0;
    jump.hidden = true;
    const bounded = since.input.value === 'custom' && until.input.value;
    // A time range that ends, or the previous container, brings nothing new: no following.
    follow.disabled = Boolean(bounded || previous.checked);
    if (follow.checked && !follow.disabled) {
      close = api.follow(`${ctx.path}/logs?${query(true)}`, add, {
        onOpen: () => setState(),
        onError: () => { if (mine === generation) setState('reconnecting…'); },
        onEnd: () => { close = null; setState('the stream ended'); },
      });
      setState('connecting…');
      return;
    }
    replace(lines, spinner('Loading lines'));
    try {
      const answer = await api.get(`${ctx.path}/logs?${query(false)}`);
      if (mine !== generation) return;
      replace(lines);
      (answer.lines || []).forEach(add);
      if (!answer.lines || answer.lines.length === 0) setState('no lines match');
    } catch (e) {
      if (mine !== generation) return;
      replace(lines, errorBox(e));
    }
  }

  lines.addEventListener('scroll', () => { if (atBottom()) jump.hidden = true; });
  component.input.addEventListener('change', restart);
  follow.addEventListener('change', restart);
  previous.addEventListener('change', restart);
  times.addEventListener('change', restart);
  since.input.addEventListener('change', () => {
    custom.hidden = since.input.value !== 'custom';
    restart();
  });
  from.input.addEventListener('change', restart);
  until.input.addEventListener('change', restart);
  search.input.addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = setTimeout(restart, 400);
  });

  // Services appear as the deployment starts: add them to the select when they do.
  const unsubscribe = ctx.subscribe(() => {
    const known = new Set([...component.input.options].map((o) => o.value));
    for (const s of serviceNames(ctx)) {
      if (!known.has(s)) component.input.append(h('option', {value: s}, s));
    }
  });
  restart();
  return () => {
    unsubscribe();
    clearTimeout(debounce);
    stop();
  };
}
