// A project's trash: deleted deployments kept with their data until their purge time, with
// Restore (under their name or another) and Purge (owners).

import {h, replace, field} from '../dom.js';
import {api, projectPath} from '../api.js';
import {errorBox, openDialog, spinner, timeElement, toast} from '../ui.js';
import {submitOnEnter} from './new-project.js';

function restoreDialog(project, entry, onDone) {
  const name = field('Name', 'input', {type: 'text', value: entry.name, autocomplete: 'off', spellcheck: 'false'},
    'Keep its name, or give another one if a deployment has it now.');
  const errors = h('div', {class: 'dialog-errors'});
  const body = h('div', {class: 'stack'},
    h('p', null, entry.has_data
      ? 'The deployment comes back with its volumes, generated values and custom domains, and starts.'
      : 'No volumes were kept: the deployment comes back with empty storage.'),
    name.field, errors);
  const actions = [
    {label: 'Cancel', value: null},
    {label: 'Restore', kind: 'primary', onclick: async () => {
      replace(errors);
      const wanted = name.input.value.trim();
      try {
        const result = await api.post(projectPath(project, 'trash', String(entry.id), 'restore'),
          wanted && wanted !== entry.name ? {name: wanted} : {});
        toast(`Restored ${result.deployment.name}`, 'success');
        for (const note of result.notes || []) toast(note, 'info');
        onDone();
        return true;
      } catch (e) {
        replace(errors, errorBox(e));
        return false;
      }
    }},
  ];
  submitOnEnter(body, actions);
  openDialog({title: `Restore ${entry.name}`, body, actions});
  name.input.focus();
}

async function purge(project, entry, onDone) {
  const answer = await openDialog({
    title: `Purge ${entry.name}?`,
    body: h('p', null, 'Its kept volumes are removed for good. This cannot be undone.'),
    actions: [{label: 'Cancel', value: null}, {label: 'Purge', kind: 'danger', value: 'purge'}],
  });
  if (answer !== 'purge') return;
  try {
    await api.del(projectPath(project, 'trash', String(entry.id)));
    toast(`Purged ${entry.name}`, 'success');
    onDone();
  } catch (e) {
    toast(e.message, 'error');
  }
}

/** {element, reload}; onRestored() after a restore (the deployments list changed). */
export function trashSection(project, {onRestored} = {}) {
  const content = h('div', null, spinner());
  async function reload() {
    try {
      const {trash} = await api.get(projectPath(project, 'trash'));
      if (!trash.length) {
        replace(content, h('p', {class: 'muted'}, 'Nothing in the trash. A deleted deployment stays here, with its data, until it is purged.'));
        return;
      }
      const done = () => { reload(); if (onRestored) onRestored(); };
      replace(content, h('div', {class: 'table-wrap'}, h('table', {class: 'table'},
        h('thead', null, h('tr', null, ['Deployment', 'Stage', 'Deleted', 'Kept until', 'Data', ''].map((t) =>
          h('th', {scope: 'col'}, t ? t : h('span', {class: 'visually-hidden'}, 'Actions'))))),
        h('tbody', null, trash.map((entry) => h('tr', {dataset: {testid: 'trash-row', name: entry.name}},
          h('td', null, entry.name),
          h('td', null, entry.stage),
          h('td', null, timeElement(entry.deleted_at), entry.deleted_by ? ` by ${entry.deleted_by}` : ''),
          h('td', null, timeElement(entry.purge_at)),
          h('td', null, entry.has_data ? 'kept' : 'none'),
          h('td', {class: 'row-actions'},
            h('button', {type: 'button', class: 'button small', 'aria-label': `Restore ${entry.name}`,
              onclick: () => restoreDialog(project, entry, done)}, 'Restore'),
            h('button', {type: 'button', class: 'button small danger-outline', 'aria-label': `Purge ${entry.name}`,
              onclick: () => purge(project, entry, reload)}, 'Purge'))))))));
    } catch (e) {
      replace(content, errorBox(e));
    }
  }
  reload();
  const element = h('section', {class: 'panel', 'aria-labelledby': 'trash-heading'},
    h('h2', {id: 'trash-heading'}, 'Trash'), content);
  return {element, reload};
}
