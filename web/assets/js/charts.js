// Small SVG line charts without a library: time on the x axis, one line per series, axes
// with a few ticks, a readout that follows the pointer or the arrow keys, and a text summary
// for screen readers (the chart itself is one labelled, focusable image).

import {h} from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 640;
const HEIGHT = 200;
const PAD = {left: 64, right: 12, top: 12, bottom: 28};
// Line styles: colour and dash, so that series differ by more than their colour.
const STYLES = [
  {colour: 'var(--chart-1, #2f6fdb)', dash: ''},
  {colour: 'var(--chart-2, #d9822b)', dash: '6 3'},
  {colour: 'var(--chart-3, #2e9e5b)', dash: '2 3'},
  {colour: 'var(--chart-4, #b04bc4)', dash: '8 3 2 3'},
  {colour: 'var(--chart-5, #c23b3b)', dash: '1 2'},
];

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/**
 * Round numbers for an axis from 0 to max: about `count` of them. With base 1024 (bytes)
 * they are round in KiB, MiB or GiB rather than in powers of ten.
 */
function niceTicks(max, count = 4, base = 10) {
  if (!(max > 0)) return [0, 1];
  if (base === 1024) {
    let scale = 1;
    while (max / scale >= 1024) scale *= 1024;
    return niceTicks(max / scale, count).map((v) => v * scale);
  }
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((v) => v >= raw) || raw;
  const ticks = [];
  for (let v = 0; v <= max + step * 0.001; v += step) ticks.push(v);
  if (ticks[ticks.length - 1] < max) ticks.push(ticks[ticks.length - 1] + step);
  return ticks;
}

function timeLabel(ms, spanMs) {
  const d = new Date(ms);
  const opts = spanMs > 2 * 86400000 ? {month: 'short', day: 'numeric'} : {hour: '2-digit', minute: '2-digit'};
  return d.toLocaleString(undefined, opts);
}

/**
 * A line chart. series: [{name, points: [{t: ms, v: number|null}]}] (null: a gap);
 * format(v) writes a value ("12 %", "40 MiB"); from/to (ms) fix the time axis; bytes: the
 * values are byte counts (ticks round in binary units).
 * Returns a <figure> with the chart, its readout and a summary.
 */
export function lineChart({title, series, format = String, from, to, bytes = false, emptyText = 'No samples yet'}) {
  const all = series.flatMap((se) => se.points.filter((p) => p.v !== null && p.v !== undefined));
  const summary = h('figcaption', {class: 'chart-summary'});
  const titleEl = h('h3', {class: 'chart-title'}, title);
  if (all.length === 0) {
    return h('figure', {class: 'chart empty'}, titleEl, h('p', {class: 'chart-empty'}, emptyText));
  }
  const t0 = from ?? Math.min(...all.map((p) => p.t));
  const t1 = Math.max(to ?? Math.max(...all.map((p) => p.t)), t0 + 1);
  const ticks = niceTicks(Math.max(...all.map((p) => p.v)), 4, bytes ? 1024 : 10);
  const vMax = ticks[ticks.length - 1] || 1;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (t) => PAD.left + ((t - t0) / (t1 - t0)) * plotW;
  const y = (v) => PAD.top + plotH - (v / vMax) * plotH;

  const grid = ticks.map((v) => s('g', {class: 'chart-tick'},
    s('line', {x1: PAD.left, x2: WIDTH - PAD.right, y1: y(v), y2: y(v)}),
    s('text', {x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end'}, format(v))));
  const timeTicks = [];
  for (let i = 0; i <= 4; i += 1) {
    const t = t0 + ((t1 - t0) * i) / 4;
    timeTicks.push(s('text', {x: x(t), y: HEIGHT - 8, 'text-anchor': i === 0 ? 'start' : i === 4 ? 'end' : 'middle',
      class: 'chart-time'}, timeLabel(t, t1 - t0)));
  }
  const lines = series.map((se, i) => {
    const style = STYLES[i % STYLES.length];
    // Break the line where the component did not run (null), rather than bridging the gap.
    let d = '';
    let pen = false;
    for (const p of se.points) {
      if (p.v === null || p.v === undefined) { pen = false; continue; }
      d += `${pen ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`;
      pen = true;
    }
    return s('path', {d, fill: 'none', stroke: style.colour, 'stroke-width': 2, 'stroke-dasharray': style.dash || null,
      class: 'chart-line'});
  });
  const cursor = s('line', {class: 'chart-cursor', y1: PAD.top, y2: PAD.top + plotH, x1: 0, x2: 0, visibility: 'hidden'});
  const dots = series.map((se, i) => s('circle', {r: 3.5, cx: 0, cy: 0, fill: STYLES[i % STYLES.length].colour,
    class: 'chart-dot', visibility: 'hidden'}));
  const svg = s('svg', {viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: 'chart-svg', 'aria-hidden': 'true'},
    s('g', {class: 'chart-axes'},
      s('line', {x1: PAD.left, x2: PAD.left, y1: PAD.top, y2: PAD.top + plotH}),
      s('line', {x1: PAD.left, x2: WIDTH - PAD.right, y1: PAD.top + plotH, y2: PAD.top + plotH})),
    grid, timeTicks, lines, cursor, dots);

  // Every time that has a sample in some series, sorted: what the readout steps through.
  const times = [...new Set(all.map((p) => p.t))].sort((a, b) => a - b);
  const byTime = series.map((se) => new Map(se.points.map((p) => [p.t, p.v])));
  const readout = h('p', {class: 'chart-readout', 'aria-live': 'polite'}, '\u00a0');
  let index = -1;
  function show(i) {
    index = Math.max(0, Math.min(times.length - 1, i));
    const t = times[index];
    cursor.setAttribute('x1', x(t));
    cursor.setAttribute('x2', x(t));
    cursor.setAttribute('visibility', 'visible');
    const parts = series.map((se, k) => {
      const v = byTime[k].get(t);
      if (v === null || v === undefined) {
        dots[k].setAttribute('visibility', 'hidden');
        return `${se.name}: not running`;
      }
      dots[k].setAttribute('visibility', 'visible');
      dots[k].setAttribute('cx', x(t));
      dots[k].setAttribute('cy', y(v));
      return `${se.name}: ${format(v)}`;
    });
    readout.textContent = `${new Date(t).toLocaleTimeString()} — ${parts.join(', ')}`;
  }
  function hide() {
    cursor.setAttribute('visibility', 'hidden');
    dots.forEach((d) => d.setAttribute('visibility', 'hidden'));
  }
  const frame = h('div', {
    class: 'chart-frame',
    tabindex: '0',
    role: 'img',
    'aria-label': `${title}. Use the left and right arrow keys to read the values.`,
    onpointermove: (event) => {
      const rect = frame.getBoundingClientRect();
      const px = ((event.clientX - rect.left) / rect.width) * WIDTH;
      const t = t0 + ((px - PAD.left) / plotW) * (t1 - t0);
      let best = 0;
      for (let i = 1; i < times.length; i += 1) if (Math.abs(times[i] - t) < Math.abs(times[best] - t)) best = i;
      show(best);
    },
    onpointerleave: () => { if (document.activeElement !== frame) hide(); },
    onblur: hide,
    onfocus: () => show(index < 0 ? times.length - 1 : index),
    onkeydown: (event) => {
      const step = {ArrowLeft: -1, ArrowRight: 1, PageUp: -10, PageDown: 10}[event.key];
      if (event.key === 'Home') show(0);
      else if (event.key === 'End') show(times.length - 1);
      else if (step) show((index < 0 ? times.length - 1 : index) + step);
      else return;
      event.preventDefault();
    },
  }, svg);

  const legend = h('ul', {class: 'chart-legend'}, series.map((se, i) => {
    const style = STYLES[i % STYLES.length];
    return h('li', {},
      h('span', {class: 'chart-key', 'aria-hidden': 'true'},
        s('svg', {viewBox: '0 0 24 6', width: 24, height: 6},
          s('line', {x1: 0, x2: 24, y1: 3, y2: 3, stroke: style.colour, 'stroke-width': 2, 'stroke-dasharray': style.dash || null}))),
      se.name);
  }));

  // The summary: per series the latest value, the average and the peak.
  summary.append(series.map((se) => {
    const vals = se.points.filter((p) => p.v !== null && p.v !== undefined);
    if (vals.length === 0) return `${se.name}: no samples. `;
    const last = vals[vals.length - 1].v;
    const avg = vals.reduce((a, p) => a + p.v, 0) / vals.length;
    const peak = Math.max(...vals.map((p) => p.v));
    return `${se.name}: now ${format(last)}, average ${format(avg)}, peak ${format(peak)}. `;
  }).join(''));

  return h('figure', {class: 'chart'}, titleEl, frame, readout, legend, summary);
}
