// The "New project" dialog: a project from a Git URL, from a path on the server (admins), or
// an empty hosted repository to push to (POST /api/v1/projects).

import {h, replace, field, uid} from '../dom.js';
import {api, session} from '../api.js';
import {openDialog, spinner, toast} from '../ui.js';
import {apiErrorBox} from './diagnostics.js';
import {navigate} from '../router.js';

const KINDS = [
  {id: 'remote', label: 'Git URL', hint: 'Mirrored from https://, ssh://, git:// or user@host:path, and fetched every few minutes.'},
  {id: 'local', label: 'Local path', hint: 'A Git repository on the server’s machine (admins only).'},
  {id: 'hosted', label: 'Empty hosted repository', hint: 'A new repository on this server: push your code to it over SSH.'},
];

/** Pressing Enter in a text input clicks the dialog's primary button. */
export function submitOnEnter(container, actions) {
  container.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || event.target.tagName !== 'INPUT') return;
    if (['checkbox', 'radio'].includes(event.target.type)) return;
    const primary = actions.find((a) => a.kind === 'primary');
    if (primary && primary.button && !primary.button.disabled) {
      event.preventDefault();
      primary.button.click();
    }
  });
}

export function openNewProjectDialog() {
  const isAdmin = session.user && session.user.role === 'admin';
  const kinds = KINDS.filter((k) => k.id !== 'local' || isAdmin);
  const name = field('Name', 'input', {type: 'text', autocomplete: 'off', spellcheck: 'false', required: true},
    'Lowercase letters, digits and “-”; it appears in URLs and in deployment host names.');
  const url = field('Repository URL', 'input', {type: 'text', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'https://git.example.com/shop.git'});
  const path = field('Repository path', 'input', {type: 'text', autocomplete: 'off', spellcheck: 'false',
    placeholder: '/srv/git/shop'});
  const group = uid('kind');
  let kind = 'remote';
  const kindHint = h('p', {class: 'hint'});
  const radios = kinds.map((k) => h('label', {class: 'radio'},
    h('input', {type: 'radio', name: group, value: k.id, checked: k.id === kind,
      onchange: () => { kind = k.id; show(); }}),
    k.label));
  function show() {
    url.field.hidden = kind !== 'remote';
    path.field.hidden = kind !== 'local';
    kindHint.textContent = kinds.find((k) => k.id === kind).hint;
  }
  show();
  const errors = h('div', {class: 'dialog-errors'});
  const progress = h('div', {class: 'dialog-progress'});
  const body = h('div', {class: 'stack'},
    name.field,
    h('fieldset', {class: 'field radio-group'}, h('legend', null, 'Source'), h('div', {class: 'radio-row'}, radios), kindHint),
    url.field, path.field,
    h('p', {class: 'hint'}, 'The repository needs a ', h('code', null, 'stackyard.yaml'),
      ' at its root on at least one branch (a hosted one gets it with your first push).'),
    progress, errors);

  async function create() {
    replace(errors);
    const request = {name: name.input.value.trim()};
    if (!request.name) {
      replace(errors, apiErrorBox('Give the project a name.'));
      name.input.focus();
      return false;
    }
    const source = kind === 'remote' ? url.input.value.trim() : kind === 'local' ? path.input.value.trim() : '';
    if (kind !== 'hosted' && !source) {
      replace(errors, apiErrorBox(kind === 'remote' ? 'Enter the Git URL to mirror.' : 'Enter the path of the repository.'));
      (kind === 'remote' ? url.input : path.input).focus();
      return false;
    }
    if (source) request.source = source;
    replace(progress, spinner('Creating'), kind === 'hosted' ? ' Creating the repository…' : ' Cloning the repository: this takes as long as the clone…');
    try {
      const project = await api.post('/projects', request);
      replace(progress);
      const broken = (project.branches || []).filter((b) => b.manifest && b.manifest.state === 'invalid');
      toast(broken.length ? `Project ${project.name} created; the manifest on ${broken.length} branch(es) has errors`
        : `Project ${project.name} created`, broken.length ? 'info' : 'success');
      navigate(`/projects/${encodeURIComponent(project.name)}`);
      return true;
    } catch (e) {
      replace(progress);
      replace(errors, apiErrorBox(e));
      errors.scrollIntoView({block: 'nearest'});
      return false;
    }
  }

  const actions = [
    {label: 'Cancel', value: null},
    {label: 'Create project', kind: 'primary', onclick: create},
  ];
  submitOnEnter(body, actions);
  const opened = openDialog({title: 'New project', body, actions});
  name.input.focus();
  return opened;
}
