// The "New deployment" dialog (POST /api/v1/projects/{p}/deployments): name, stage, branch,
// size. The server checks it against the manifest at the branch's head and says what is
// wrong (unknown stage: the known ones; an invalid manifest: each error with its line).

import {h, replace, field, uid} from '../dom.js';
import {api, projectPath} from '../api.js';
import {openDialog, spinner, toast} from '../ui.js';
import {apiErrorBox} from './diagnostics.js';
import {submitOnEnter} from './new-project.js';
import {navigate} from '../router.js';

export const SIZES = [
  {value: 'small', label: 'Small: 0.5 CPU · 512 MiB'},
  {value: 'medium', label: 'Medium: 1 CPU · 1 GiB'},
  {value: 'large', label: 'Large: 2 CPU · 4 GiB'},
  {value: 'xlarge', label: 'X-large: 4 CPU · 8 GiB'},
  {value: 'unlimited', label: 'Unlimited: no limits'},
];

function defaultBranch(branches) {
  const names = branches.map((b) => b.name);
  if (names.includes('main')) return 'main';
  if (names.includes('master')) return 'master';
  return names[0] || '';
}

/** project: the project's view with branches. */
export function openNewDeploymentDialog(project) {
  const branches = project.branches || [];
  const name = field('Name', 'input', {type: 'text', autocomplete: 'off', spellcheck: 'false', required: true},
    'Lowercase letters, digits and “-”, e.g. dev, staging, prod.');
  const stagesId = uid('stages');
  const stage = field('Stage', 'input', {type: 'text', autocomplete: 'off', spellcheck: 'false', list: stagesId,
    placeholder: 'the manifest’s first stage'},
  'A stage of the manifest at the branch’s head (suggested as you type).');
  // The stages offered are those of the manifest at the chosen branch's head.
  const stageList = h('datalist', {id: stagesId});
  function offerStages() {
    const chosen = branches.find((b) => b.name === branch.input.value);
    const names = ((chosen && chosen.manifest && chosen.manifest.stages) || []).map((x) => x.name);
    replace(stageList, (names.length ? names : ['development', 'staging', 'production']).map((x) => h('option', {value: x})));
  }
  const branch = field('Branch', 'select', {
    value: defaultBranch(branches),
    options: branches.map((b) => ({
      value: b.name,
      label: b.manifest && b.manifest.state !== 'valid' ? `${b.name} (manifest ${b.manifest.state})` : b.name,
    })),
  }, 'The deployment follows this branch: a push to it deploys the new head.');
  branch.input.addEventListener('change', offerStages);
  offerStages();
  const size = field('Size', 'select', {value: 'unlimited', options: SIZES},
    'CPU and memory limits of each container; change them later in the deployment’s settings.');
  const errors = h('div', {class: 'dialog-errors'});
  const progress = h('div', {class: 'dialog-progress'});
  const body = h('div', {class: 'stack'}, name.field, stage.field, stageList,
    branches.length ? branch.field : h('p', {class: 'error-box', role: 'alert'},
      'This project has no branches yet: push a commit with a stackyard.yaml first.'),
    size.field, progress, errors);

  async function create() {
    replace(errors);
    const request = {name: name.input.value.trim()};
    if (!request.name) {
      replace(errors, apiErrorBox('Give the deployment a name.'));
      name.input.focus();
      return false;
    }
    if (stage.input.value.trim()) request.stage = stage.input.value.trim();
    if (branches.length && branch.input.value) request.branch = branch.input.value;
    if (size.input.value && size.input.value !== 'unlimited') request.size = {name: size.input.value};
    replace(progress, spinner('Creating'), ' Checking the manifest and creating the deployment…');
    try {
      const deployment = await api.post(projectPath(project.name, 'deployments'), request);
      toast(`Deployment ${deployment.name} created: it is starting`, 'success');
      navigate(`/projects/${encodeURIComponent(project.name)}/deployments/${encodeURIComponent(deployment.name)}`);
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
    {label: 'Create deployment', kind: 'primary', onclick: create, disabled: !branches.length},
  ];
  submitOnEnter(body, actions);
  const opened = openDialog({title: `New deployment of ${project.name}`, body, actions});
  name.input.focus();
  return opened;
}
