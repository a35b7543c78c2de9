// Resource graphs of the overview: CPU, memory and disk of each component over the last hour
// or day, from the samples the server keeps (GET …/resources?range=1h|24h).

import {h, replace} from '../dom.js';
import {api} from '../api.js';
import {errorBox, formatBytes, spinner} from '../ui.js';
import {lineChart} from '../charts.js';

const RANGES = [
  {value: '1h', label: 'Last hour', ms: 3600e3, refresh: 30e3},
  {value: '24h', label: 'Last day', ms: 86400e3, refresh: 300e3},
];

const METRICS = [
  {key: 'cpu_percent', title: 'CPU (% of one core)', format: (v) => `${v < 10 ? v.toFixed(1) : Math.round(v)} %`},
  {key: 'memory_bytes', title: 'Memory', format: formatBytes, bytes: true},
  {key: 'disk_bytes', title: 'Disk', format: formatBytes, bytes: true},
];

/** Draws the graphs into section; returns a function that stops their refreshing. */
export function renderResources(section, ctx) {
  let range = RANGES[0];
  let timer = null;
  let stopped = false;
  const body = h('div', {class: 'dep-charts', 'aria-busy': 'true'}, spinner('Loading resource graphs'));
  const buttons = RANGES.map((r) => h('button', {
    type: 'button', class: 'button small', 'aria-pressed': r === range ? 'true' : 'false',
    onclick: () => {
      range = r;
      buttons.forEach((b, i) => b.setAttribute('aria-pressed', RANGES[i] === r ? 'true' : 'false'));
      load();
    }}, r.label));

  replace(section,
    h('div', {class: 'dep-section-head'},
      h('h2', {id: 'ov-resources'}, 'Resources'),
      h('div', {class: 'dep-segmented', role: 'group', 'aria-label': 'Time range'}, buttons)),
    body);

  async function load() {
    clearTimeout(timer);
    const asked = range;
    try {
      const answer = await api.get(`${ctx.path}/resources?range=${asked.value}`);
      if (stopped || asked !== range) return;
      draw(answer, asked);
    } catch (e) {
      if (stopped || asked !== range) return;
      replace(body, errorBox(e));
    }
    body.setAttribute('aria-busy', 'false');
    if (!stopped) timer = setTimeout(load, asked.refresh);
  }

  function draw(answer, r) {
    const components = answer.components || [];
    const to = Date.now();
    const from = to - r.ms;
    if (components.length === 0) {
      replace(body, h('p', {class: 'muted'}, 'No samples yet: the server samples running components every 30 seconds.'));
      return;
    }
    replace(body, METRICS.map((m) => lineChart({
      title: m.title,
      format: m.format,
      bytes: Boolean(m.bytes),
      from,
      to,
      series: components.map((c) => ({
        name: c.name,
        points: (c.samples || []).map((s) => ({t: new Date(s.at).getTime(), v: s[m.key]})),
      })),
    })));
  }

  load();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
