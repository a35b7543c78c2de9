// Manifest errors, shown with their file, line and column: from a branch's diagnostics in a
// project's view, or from an error answer whose message lists them one a line
// ("the manifest on branch 'main' is invalid:\nstackyard.yaml:4:11: …").

import {h} from '../dom.js';

const LINE = /^(.+?):(\d+):(\d+): (.*)$/;

/** Splits an error message into {summary, diagnostics: [{file, line, column, message}]}. */
export function parseDiagnostics(message) {
  const lines = String(message || '').split('\n');
  const diagnostics = [];
  const rest = [];
  for (const line of lines) {
    const m = LINE.exec(line.trim());
    if (m) diagnostics.push({severity: 'error', file: m[1], line: Number(m[2]), column: Number(m[3]), message: m[4]});
    else if (line.trim()) rest.push(line.trim());
  }
  return {summary: rest.join(' '), diagnostics};
}

/** A list of diagnostics: "stackyard.yaml, line 4, column 11" and the message. */
export function diagnosticList(diagnostics) {
  return h('ol', {class: 'diagnostics'}, diagnostics.map((d) =>
    h('li', {class: ['diagnostic', d.severity === 'warning' ? 'warning' : 'error']},
      h('span', {class: 'diagnostic-where'},
        h('span', {class: 'diagnostic-severity'}, d.severity === 'warning' ? 'Warning' : 'Error'),
        ' ', h('code', null, d.file || 'stackyard.yaml'),
        d.line ? `, line ${d.line}` : '', d.column ? `, column ${d.column}` : ''),
      h('span', {class: 'diagnostic-message'}, d.message))));
}

/**
 * An alert for a failed call: the message, and its manifest diagnostics as a list when it
 * has some.
 */
export function apiErrorBox(error) {
  const message = error && error.message ? error.message : String(error);
  const {summary, diagnostics} = parseDiagnostics(message);
  if (!diagnostics.length) return h('div', {class: 'error-box', role: 'alert'}, message);
  return h('div', {class: 'error-box', role: 'alert'},
    h('p', null, summary ? summary[0].toUpperCase() + summary.slice(1) : 'The manifest has errors:'),
    diagnosticList(diagnostics));
}
