// Small pieces every page uses: dialogs, toasts, copy buttons, colour badges, formatting.

import {h, append, clear} from './dom.js';

/**
 * A modal dialog on <dialog> (the browser traps focus and closes it on Escape).
 * body: nodes; actions: [{label, kind: 'primary'|'danger'|undefined, value, disabled,
 * onclick(event, close)}]. The promise resolves with the clicked action's value, or null
 * when the dialog was dismissed. An action's onclick may return false to keep it open (for
 * forms whose input is wrong), or a promise (the buttons are disabled until it settles).
 */
export function openDialog({title, body, actions = [], onclose}) {
  return new Promise((resolve) => {
    const titleId = `dialog-title-${Math.random().toString(36).slice(2)}`;
    let result = null;
    const buttons = actions.map((action) => {
      const button = h('button', {
        type: 'button',
        class: ['button', action.kind],
        disabled: action.disabled,
        onclick: async (event) => {
          if (!action.onclick) {
            result = action.value ?? action.label;
            dialog.close();
            return;
          }
          buttons.forEach((b) => { b.disabled = true; });
          try {
            const keep = await action.onclick(event, () => dialog.close());
            if (keep !== false) {
              result = action.value ?? action.label;
              dialog.close();
            }
          } finally {
            buttons.forEach((b, i) => { b.disabled = Boolean(actions[i].isDisabled && actions[i].isDisabled()); });
          }
        },
      }, action.label);
      action.button = button;
      return button;
    });
    const dialog = h('dialog', {class: 'dialog', 'aria-labelledby': titleId},
      h('form', {method: 'dialog', class: 'dialog-form', onsubmit: (e) => e.preventDefault()},
        h('header', {class: 'dialog-header'},
          h('h2', {id: titleId}, title),
          h('button', {type: 'button', class: 'icon-button', 'aria-label': 'Close',
            onclick: () => dialog.close()}, '×')),
        h('div', {class: 'dialog-body'}, body),
        h('footer', {class: 'dialog-actions'}, buttons)));
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (onclose) onclose();
      resolve(result);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

let toastRegion = null;
/** A short message in a live region; kind: 'info' | 'success' | 'error'. */
export function toast(message, kind = 'info') {
  if (!toastRegion || !toastRegion.isConnected) {
    toastRegion = h('div', {class: 'toasts', role: 'status', 'aria-live': 'polite'});
    document.body.append(toastRegion);
  }
  const item = h('div', {class: ['toast', kind]}, message);
  toastRegion.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 4000);
}

/** Copies text to the clipboard (with a fallback for pages served over plain HTTP). */
export async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = h('textarea', {class: 'offscreen', readonly: true});
  area.value = text;
  document.body.append(area);
  area.select();
  document.execCommand('copy');
  area.remove();
}

/** A button that copies `text`; its accessible name is `label`. */
export function copyButton(text, label = 'Copy') {
  const button = h('button', {type: 'button', class: 'button small copy', 'aria-label': label, title: label,
    onclick: async () => {
      try {
        await copyText(typeof text === 'function' ? text() : text);
        button.textContent = 'Copied';
        toast('Copied to the clipboard', 'success');
      } catch {
        toast('The browser did not allow copying: select the text instead', 'error');
      }
      setTimeout(() => { button.textContent = 'Copy'; }, 1500);
    }}, 'Copy');
  return button;
}

const COLOUR_WORDS = {green: 'Healthy', yellow: 'Working', red: 'Failing', grey: 'Stopped'};
const PHASE_WORDS = {
  creating: 'Creating', building: 'Building', starting: 'Starting', running: 'Running',
  degraded: 'Degraded', failed: 'Failed', stopped: 'Stopped', deleting: 'Deleting',
};

/**
 * The colour the dashboard shows for a status ({colour, phase}): the API's, except that a
 * stopped or deleting deployment is grey (the API calls stopped yellow: not running as asked
 * for is worth a look from scripts, while on a page it is simply off).
 */
export function displayColour(status) {
  if (!status) return 'grey';
  if (status.phase === 'stopped' || status.phase === 'deleting') return 'grey';
  return ['green', 'yellow', 'red'].includes(status.colour) ? status.colour : 'grey';
}

/** "Running" for the phase "running"; unknown phases as they are. */
export function phaseWord(phase) {
  return PHASE_WORDS[phase] || phase || 'Unknown';
}

/** A status's badge: its display colour, and its phase in words. */
export function statusBadge(status) {
  return colourBadge(displayColour(status), phaseWord(status && status.phase));
}
/** A coloured dot and a word: the colour is never the only signal. */
export function colourBadge(colour, label) {
  const c = colour || 'grey';
  return h('span', {class: ['badge', `colour-${c}`], dataset: {colour: c}},
    h('span', {class: 'dot', 'aria-hidden': 'true'}), label || COLOUR_WORDS[c] || c);
}

/** "3 min ago", "in 2 h"; the exact time is in the element's title. */
export function relativeTime(iso) {
  if (!iso) return '—';
  const then = new Date(iso).getTime();
  if (Number.isNaN(then)) return iso;
  const seconds = Math.round((then - Date.now()) / 1000);
  const abs = Math.abs(seconds);
  const units = [[60, 'second', 1], [3600, 'minute', 60], [86400, 'hour', 3600], [Infinity, 'day', 86400]];
  const [, unit, size] = units.find(([limit]) => abs < limit);
  const value = Math.round(seconds / size);
  return new Intl.RelativeTimeFormat(undefined, {numeric: 'auto'}).format(value, unit);
}

/** A <time> element showing relativeTime with the full time as its title. */
export function timeElement(iso) {
  return h('time', {datetime: iso || '', title: iso ? new Date(iso).toLocaleString() : ''}, relativeTime(iso));
}

export function formatBytes(n) {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = Number(n);
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i += 1;
  }
  return `${value >= 10 || i === 0 ? Math.round(value) : value.toFixed(1)} ${units[i]}`;
}

export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

export function spinner(label = 'Loading') {
  return h('span', {class: 'spinner', role: 'status'}, h('span', {class: 'visually-hidden'}, label));
}

/** An error message for a failed call, in an alert region. */
export function errorBox(error) {
  const message = error && error.message ? error.message : String(error);
  return h('div', {class: 'error-box', role: 'alert'}, message);
}

/** Runs `load()` and puts its result in el: a spinner meanwhile, errorBox on failure. */
export async function loadInto(el, load) {
  append(clear(el), spinner());
  try {
    const content = await load();
    append(clear(el), [content]);
  } catch (e) {
    append(clear(el), errorBox(e));
  }
}
